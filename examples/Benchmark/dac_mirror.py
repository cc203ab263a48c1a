#!/usr/bin/env python3
"""A PyTorch mirror of MLNet.DeepClustering's DAC trainer, used to choose its defaults on a GPU (where a run takes
seconds instead of the CPU's ten minutes). Same network (DacNetwork, built by pytorch_networks.dac_network), loss
(DacPairwiseLoss) and augmentation (Augmentation.RandomAffine) as the C# code; batch-norm statistics are re-estimated
with a momentum update over one pass, where the trainer now takes their exact average. Each configuration is a JSON
object:

  net: "ref" (the trainer's All-ConvNet) or "dense" (the earlier dense-head network); width; bs (clean images per batch);
  aug: false, or true with aug_mode "mix" (the trainer: batch + jittered copies, pairs selected on the clean half) or
  "sel" (loss on jittered images only, pairs selected on the clean ones); loss: "bce_all" (the trainer: divided by b^2)
  or "bce" (divided by the selected pairs); u, l, step (lambda per epoch of 10,000 images), hold (epochs before lambda
  grows); lr, lr_decay (linear to 2%); budget (clean training images); seed.

    python3 examples/Benchmark/dac_mirror.py '[{"name":"default","net":"ref","aug":true,"aug_mode":"mix","bs":64,
        "loss":"bce_all","step":0.00077,"lr_decay":true,"budget":200000,"seed":1}]'

Prints one JSON line per epoch with ACC, NMI, ARI and cluster sizes on the MNIST 10k sample embedded in the examples.
"""
import gzip, json, math, os, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import normalized_mutual_info_score as nmi_score, adjusted_rand_score
from pytorch_networks import dac_network  # the network DacNetwork builds, shared with the benchmark

root = os.path.join(os.path.dirname(__file__), '..', 'data', 'mnist-10k')
with gzip.open(os.path.join(root, 'images-idx3-ubyte.gz')) as f:
    X = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28).astype(np.float32) / 255
with gzip.open(os.path.join(root, 'labels-idx1-ubyte.gz')) as f:
    Y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)


def acc(y, p):
    k = max(y.max(), p.max()) + 1
    w = np.zeros((k, k), np.int64)
    np.add.at(w, (p, y), 1)
    r, c = linear_sum_assignment(-w)
    return w[r, c].sum() / len(y)


class DenseNet(nn.Module):
    def __init__(self, k=10, width=32):
        super().__init__()
        layers, ch, side = [], 1, 28
        while True:
            for _ in range(2):
                layers += [nn.Conv2d(ch, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
                ch = width
            layers += [nn.MaxPool2d(2), nn.BatchNorm2d(ch)]
            side //= 2; width *= 2
            if side <= 10:
                break
        layers += [nn.Flatten(), nn.Linear(ch * side * side, k)]
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.BatchNorm1d(k), nn.Linear(k, k), nn.BatchNorm1d(k), nn.ReLU(), nn.Linear(k, k),
                                  nn.BatchNorm1d(k), nn.ReLU(), nn.Linear(k, k), nn.BatchNorm1d(k))

    def forward(self, x):
        return F.normalize(F.softmax(self.head(self.features(x)), 1), dim=1)


def augment(x, deg=10, zoom=0.1, shift=0.1):
    b = x.shape[0]
    a = (torch.rand(b, device=x.device) * 2 - 1) * deg * math.pi / 180
    s = 1 + (torch.rand(b, device=x.device) * 2 - 1) * zoom
    t = (torch.rand(b, 2, device=x.device) * 2 - 1) * 2 * shift
    cos, sin = a.cos() / s, a.sin() / s
    theta = torch.stack([cos, -sin, t[:, 0], sin, cos, t[:, 1]], 1).view(b, 2, 3)
    return F.grid_sample(x, F.affine_grid(theta, list(x.shape), align_corners=False), align_corners=False)


def pair_loss(f, sel, u, l, mode):
    sim = f @ f.t()
    with torch.no_grad():
        s = sel @ sel.t()
        off = ~torch.eye(len(f), dtype=torch.bool, device=f.device)
        pos = ((s >= u) & off).float(); neg = ((s < l) & off).float()
    sim = sim.clamp(1e-7, 1 - 1e-7)
    loss = -(pos * sim.log() + neg * (1 - sim).log()).sum()
    if mode == 'bce_all':
        return loss / (len(f) ** 2)
    return loss / (pos.sum() + neg.sum()).clamp_min(1)


def evaluate(net, Xt, recal=True):
    with torch.no_grad():
        if recal:
            net.train()
            perm = torch.randperm(len(Xt), device=Xt.device)
            for i in range(0, len(Xt) - 499, 500):
                net(Xt[perm[i:i + 500]])
        net.eval()
        f = torch.cat([net(Xt[i:i + 1000]) for i in range(0, len(Xt), 1000)])
    p = f.argmax(1).cpu().numpy()
    global CONF
    CONF = float(f.max(1).values.mean())
    return acc(Y, p), nmi_score(Y, p), adjusted_rand_score(Y, p), np.bincount(p, minlength=10).tolist()


def run(cfg):
    torch.manual_seed(cfg.get('seed', 1)); np.random.seed(cfg.get('seed', 1))
    dev = 'cuda' if torch.cuda.is_available() else 'cpu'
    Xt = torch.tensor(X, device=dev)
    n = len(Xt)
    net = (dac_network(width=cfg.get('width', 64)) if cfg['net'] == 'ref' else DenseNet(width=cfg.get('width', 32))).to(dev)
    opt = torch.optim.RMSprop(net.parameters(), lr=cfg.get('lr', 1e-3), alpha=cfg.get('alpha', 0.99))
    bs = cfg.get('bs', 128); aug = cfg.get('aug', True); mode = cfg.get('loss', 'bce')
    u0, l0, step, hold = cfg.get('u', 0.95), cfg.get('l', 0.455), cfg.get('step', 0.025), cfg.get('hold', 0)
    budget = cfg.get('budget', 500000)
    lam, steps, epoch, log = 0.0, 0, 0, []
    t0 = time.time()
    while steps < budget:
        u, l = u0 - lam, l0 + 0.1 * lam
        if u <= l and not cfg.get('ignore_stop'):
            break
        epoch += 1
        perm = torch.randperm(n, device=dev)
        net.train()
        for b0 in range(0, n - 1, bs):
            x = Xt[perm[b0:b0 + bs]]
            st = cfg.get('aug_strength', 1.0)
            if aug and cfg.get('aug_mode') == 'mix':
                f = net(torch.cat([x, augment(x, 10 * st, 0.1 * st, 0.1 * st)]))
                sel = f.detach()[:len(x)].repeat(2, 1)
            elif aug:
                with torch.no_grad():
                    sel = net(x)
                f = net(augment(x, 10 * st, 0.1 * st, 0.1 * st))
            else:
                f = net(x); sel = f.detach()
            loss = pair_loss(f, sel, u, l, mode)
            opt.zero_grad(); loss.backward(); opt.step(); steps += len(x)
            if cfg.get('lr_decay'):
                for g in opt.param_groups: g['lr'] = cfg.get('lr', 1e-3) * max(0.02, 1 - steps / budget)
        if epoch > hold:
            lam += step
        a, m, r, sizes = evaluate(net, Xt)
        log.append((epoch, steps, round(u, 3), round(a, 4), round(m, 4)))
        print(json.dumps(dict(name=cfg['name'], epoch=epoch, steps=steps, u=round(u, 3), l=round(l, 3), acc=round(a, 4), nmi=round(m, 4), ari=round(r, 4), sizes=sizes, conf=round(CONF, 4), sec=round(time.time() - t0, 1))), flush=True)
    return log


if __name__ == '__main__':
    cfgs = json.loads(sys.argv[1])
    for c in cfgs:
        run(c)
