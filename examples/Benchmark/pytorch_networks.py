#!/usr/bin/env python3
"""PyTorch side of the network comparison: the JULE CNN and the DAC network exactly as MLNet.DeepClustering builds
them for a 1 x 28 x 28 input, timed on random images with the same batch size, thread count, loss and optimizer as
the C# measurement (Benchmark's --networks mode). Prints one CSV line per network:
network,batch,inference_batch,threads,train_images_per_s,inference_images_per_s

    python3 examples/Benchmark/pytorch_networks.py --threads 2 --seconds 20
"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def jule_cnn(channels=1, size=28, width=48, embedding=160):
    """conv5x5-BN-ReLU-maxpool(ceil) blocks while the pooled map stays >= 10, then conv5x5-BN-ReLU, fc, L2 norm."""
    layers, c, s = [], channels, size
    while (s - 4) // 2 >= 10:
        layers += [nn.Conv2d(c, width, 5), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2, 2, ceil_mode=True)]
        c, s = width, (s - 4 + 1) // 2
    layers += [nn.Conv2d(c, width, 5), nn.BatchNorm2d(width), nn.ReLU(), nn.Flatten(), nn.Linear(width * (s - 4) ** 2, embedding)]
    body = nn.Sequential(*layers)
    return lambda_module(lambda x: F.normalize(body(x), p=2, dim=1), body)


def dac_network(channels=1, size=28, width=64, k=10):
    """The reference All-ConvNet: stages of 3 x [conv3x3 (no bias; unpadded while the map stays large), BN, ReLU],
    maxpool 2, BN, doubling width while the side is > 4; per-pixel linear to k, BN, ReLU, global average pool, BN,
    2 x [dense k (identity init), BN, ReLU]."""
    layers, c, w, s = [], channels, width, size
    while True:
        unpadded = s - 6 >= 4
        for _ in range(3):
            conv = nn.Conv2d(c, w, 3, padding=0 if unpadded else 1, bias=False)
            nn.init.normal_(conv.weight, 0, math.sqrt(2.0 / (w * 9)))  # He (fan out), as DacNetwork
            layers += [conv, nn.BatchNorm2d(w), nn.ReLU()]
            c = w
        if unpadded:
            s -= 6
        layers += [nn.MaxPool2d(2), nn.BatchNorm2d(c)]
        s //= 2
        w *= 2
        if s <= 4:
            break
    features = nn.Sequential(*layers)
    to_k = nn.Linear(c, k, bias=False)

    def identity():
        layer = nn.Linear(k, k)
        with torch.no_grad():
            layer.weight.copy_(torch.eye(k))
            layer.bias.zero_()
        return layer

    head = nn.Sequential(nn.BatchNorm2d(k), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.BatchNorm2d(k), nn.Flatten(),
                         identity(), nn.BatchNorm1d(k), nn.ReLU(), identity(), nn.BatchNorm1d(k), nn.ReLU())
    body = nn.ModuleList([features, to_k, head])

    def forward(x):
        x = to_k(features(x).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return F.normalize(F.softmax(head(x), dim=1), p=2, dim=1)
    return lambda_module(forward, body)


class lambda_module(nn.Module):
    def __init__(self, fn, body):
        super().__init__()
        self.body = body
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def measure(name, net, optimizer, batch, infer_batch, seconds, threads, device):
    torch.manual_seed(1)
    pool = torch.rand(20 * max(batch, infer_batch), 1, 28, 28).to(device)
    target = F.normalize(torch.randn(batch, net(pool[:2]).shape[1]), dim=1).to(device)

    def finish():
        # The time of a step on a GPU counts once its kernels have finished.
        if pool.is_cuda:
            torch.cuda.synchronize(pool.device)

    def train_steps(count, offset=0):
        net.train()
        for i in range(count):
            start = ((offset + i) % 20) * batch
            x = pool[start:start + batch]
            optimizer.zero_grad()
            loss = (net(x) * target).sum(1).neg().mean()
            loss.backward()
            optimizer.step()

    def infer_steps(count):
        net.eval()
        with torch.no_grad():
            for i in range(count):
                start = (i % 20) * infer_batch
                net(pool[start:start + infer_batch])

    def rate(step_fn, rows):
        step_fn(3)  # warm-up
        finish()
        steps, begin = 0, time.perf_counter()
        while time.perf_counter() - begin < seconds:
            step_fn(5)
            finish()
            steps += 5
        return steps * rows / (time.perf_counter() - begin)

    train = rate(train_steps, batch)
    infer = rate(infer_steps, infer_batch)
    print(f"{name},{batch},{infer_batch},{threads},{train:.1f},{infer:.1f}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--jule-batch", type=int, default=100)
    parser.add_argument("--dac-batch", type=int, default=128)
    parser.add_argument("--infer-batch", type=int, default=256)
    parser.add_argument("--jule-width", type=int, default=48)
    parser.add_argument("--dac-width", type=int, default=64)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    print("network,batch,inference_batch,threads,train_images_per_s,inference_images_per_s")
    torch.manual_seed(1)
    jule = jule_cnn(width=args.jule_width).to(device)
    measure("jule-cnn", jule, torch.optim.SGD(jule.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-5),
            args.jule_batch, args.infer_batch, args.seconds, args.threads, device)
    dac = dac_network(width=args.dac_width).to(device)
    measure("dac-allconv-gap", dac, torch.optim.RMSprop(dac.parameters(), lr=1e-3), args.dac_batch, args.infer_batch, args.seconds, args.threads,
            device)


if __name__ == "__main__":
    main()
