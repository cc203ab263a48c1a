using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNet.DeepClustering.Dac;
using MLNet.DeepClustering.Jule;
using MLNet.DeepClustering.Samples;
using MLNet.DeepClustering.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.DeepClustering.Benchmark;

/// <summary>Training and inference throughput of one network on one side (TorchSharp or PyTorch).</summary>
internal sealed record NetworkResult(string Network, string Runtime, int Batch, int InferenceBatch, int Threads, double TrainImagesPerSecond,
    double InferenceImagesPerSecond);

/// <summary>
/// Times the trainers' own networks (the JULE CNN and the DAC network for 1 x 28 x 28 digits) the way the trainers run
/// them: images gathered from the managed training array into a tensor per batch, one dispose scope per batch, the
/// trainers' optimizers. The loss is the same simple one as in pytorch_networks.py, so only the networks are compared.
/// </summary>
internal static class NetworkTiming
{
    /// <summary>Rows per inference step on <paramref name="device"/>: as many as the transformer scores per call there.</summary>
    public static int InferenceBatch(string device) => DeepClusteringTransformer.InferenceBatchSizeOn(TorchRuntime.ResolveDevice(device));

    public static NetworkResult[] Run(BenchmarkOptions options)
    {
        TorchRuntime.SetThreads(options.Threads);
        var device = TorchRuntime.ResolveDevice(options.Device);
        int inferenceBatch = InferenceBatch(options.Device);
        bool gpu = device.type != DeviceType.CPU;
        // The time of a step on a GPU counts once its kernels have finished.
        Action finish = gpu ? () => torch.cuda.synchronize(device) : () => { };
        var shape = new ImageShape(1, 28, 28);
        var results = new List<NetworkResult>();
        foreach (var (kind, outputs, width, batch) in Networks)
        {
            using var network = TorchRuntime.BuildNetwork(new NetworkSpec(kind, shape, outputs, width), seed: 1, out var generator);
            generator.Dispose();
            network.to(device);
            using var optimizer = kind == JuleNetwork.KindName
                ? optim.SGD(network.parameters(), 0.01, 0.9, weight_decay: 5e-5)
                : (optim.Optimizer)optim.RMSProp(network.parameters(), 1e-3);
            var data = RandomImages(20 * Math.Max(batch, inferenceBatch), shape);
            // As the trainers: on the CPU each batch is gathered from the managed array; on a GPU the images are uploaded
            // once and each batch is gathered there.
            using var uploaded = gpu ? data.Upload(device) : null;
            Tensor Images(int step, int rows)
            {
                var indices = Batch(step, rows, data.Count);
                return uploaded is null ? data.Gather(indices, CPU) : TensorMemory.SelectRows(uploaded, indices);
            }
            using var target = nn.functional.normalize(randn(batch, outputs, device: device), p: 2, dim: 1);

            double train = Rate(options.NetworkSeconds, batch, finish, step =>
            {
                network.train();
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                var loss = (network.call(Images(step, batch)) * target).sum(1).neg().mean();
                loss.backward();
                optimizer.step();
            });
            double infer = Rate(options.NetworkSeconds, inferenceBatch, finish, step =>
            {
                network.eval();
                using var noGrad = no_grad();
                using var scope = NewDisposeScope();
                network.call(Images(step, inferenceBatch));
            });
            var result = new NetworkResult(kind, "TorchSharp", batch, inferenceBatch, options.Threads, train, infer);
            Console.WriteLine($"{kind}: TorchSharp on {options.Device} training {train:F0} images/s (batch {batch}), inference {infer:F0} images/s (batch {inferenceBatch})");
            results.Add(result);
        }
        return results.ToArray();
    }

    /// <summary>The networks compared: kind, output size, width and the rows of one of the trainer's default steps (DAC
    /// trains each batch together with its augmented copy, so twice its BatchSize).</summary>
    public static readonly (string Kind, int Outputs, int Width, int Batch)[] Networks =
    {
        (JuleNetwork.KindName, JuleDefaults.EmbeddingSize, JuleDefaults.NetworkWidth, JuleDefaults.BatchSize),
        (DacNetwork.KindName, 10, DacDefaults.NetworkWidth, 2 * DacDefaults.BatchSize),
    };

    private static int[] Batch(int step, int batch, int count)
    {
        int start = step * batch % (count - batch + 1);
        return Enumerable.Range(start, batch).ToArray();
    }

    /// <summary>Images per second of <paramref name="step"/> after 3 warm-up steps, over about <paramref name="seconds"/>;
    /// <paramref name="finish"/> waits for the device's queued work before the clock starts and stops.</summary>
    private static double Rate(double seconds, int rowsPerStep, Action finish, Action<int> step)
    {
        for (int i = 0; i < 3; i++)
            step(i);
        finish();
        var clock = Stopwatch.StartNew();
        int steps = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            for (int i = 0; i < 5; i++)
                step(steps++);
            finish();
        }
        return steps * rowsPerStep / clock.Elapsed.TotalSeconds;
    }

    private static TrainingData RandomImages(int count, ImageShape shape)
    {
        var random = new Random(1);
        var digits = Enumerable.Range(0, count).Select(_ => new Digit
        {
            Features = Enumerable.Range(0, shape.Size).Select(_ => (float)random.NextDouble()).ToArray(),
        }).ToList();
        var view = new MLContext(seed: 1).Data.LoadFromEnumerable(digits);
        return TrainingData.Read(view, view.Schema["Features"], shape, () => { });
    }
}

/// <summary>Runs pytorch_networks.py with the same batch sizes, widths and threads, when a PyTorch is installed.</summary>
internal static class PyTorchRunner
{
    /// <summary>
    /// Runs the script; with <paramref name="sameAllocatorSettings"/>, under the glibc malloc thresholds this library sets
    /// in its own process (TorchRuntime), so both sides allocate the same way.
    /// </summary>
    public static PyTorchOutcome Run(BenchmarkOptions options, bool sameAllocatorSettings)
    {
        string runtime = sameAllocatorSettings ? "PyTorch (same malloc thresholds)" : "PyTorch (glibc defaults)";
        string script = Path.Combine(AppContext.BaseDirectory, "pytorch_networks.py");
        var jule = NetworkTiming.Networks[0];
        var dac = NetworkTiming.Networks[1];
        foreach (var python in new[] { "/usr/bin/python3", "python3" })
        {
            var info = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            if (sameAllocatorSettings)
            {
                info.Environment["MALLOC_MMAP_THRESHOLD_"] = TorchRuntime.AllocatorThreshold.ToString(CultureInfo.InvariantCulture);
                info.Environment["MALLOC_TRIM_THRESHOLD_"] = TorchRuntime.AllocatorThreshold.ToString(CultureInfo.InvariantCulture);
            }
            foreach (var arg in new[]
            {
                script, "--threads", options.Threads.ToString(CultureInfo.InvariantCulture),
                "--seconds", options.NetworkSeconds.ToString(CultureInfo.InvariantCulture),
                "--jule-batch", jule.Batch.ToString(CultureInfo.InvariantCulture), "--dac-batch", dac.Batch.ToString(CultureInfo.InvariantCulture),
                "--infer-batch", NetworkTiming.InferenceBatch(options.Device).ToString(CultureInfo.InvariantCulture), "--device", options.Device,
                "--jule-width", jule.Width.ToString(CultureInfo.InvariantCulture), "--dac-width", dac.Width.ToString(CultureInfo.InvariantCulture),
            })
                info.ArgumentList.Add(arg);
            Process? process;
            try
            {
                process = Process.Start(info);
            }
            catch (System.ComponentModel.Win32Exception)
            {
                continue;
            }
            if (process is null)
                continue;
            using (process)
            {
                var stderr = process.StandardError.ReadToEndAsync();
                var lines = new List<string>();
                while (process.StandardOutput.ReadLine() is { } line)
                    lines.Add(line);
                process.WaitForExit();
                if (process.ExitCode != 0)
                {
                    var reason = stderr.Result.Split('\n').LastOrDefault(l => l.Trim().Length > 0) ?? $"exit code {process.ExitCode}";
                    if (python == "python3" || !reason.Contains("No module named 'torch'", StringComparison.Ordinal))
                        return new PyTorchOutcome(Array.Empty<NetworkResult>(), $"{python}: {reason.Trim()}", null);
                    continue;
                }
                var version = Version(python);
                var rows = lines.Skip(1).Select(l => l.Split(',')).Where(f => f.Length == 6).Select(f => new NetworkResult(f[0], runtime, int.Parse(f[1], CultureInfo.InvariantCulture),
                    int.Parse(f[2], CultureInfo.InvariantCulture), int.Parse(f[3], CultureInfo.InvariantCulture),
                    double.Parse(f[4], CultureInfo.InvariantCulture), double.Parse(f[5], CultureInfo.InvariantCulture))).ToArray();
                foreach (var r in rows)
                    Console.WriteLine($"{r.Network}: {runtime} {version} training {r.TrainImagesPerSecond:F0} images/s, inference {r.InferenceImagesPerSecond:F0} images/s");
                return new PyTorchOutcome(rows, null, version);
            }
        }
        return new PyTorchOutcome(Array.Empty<NetworkResult>(), "no python3 with torch found (Debian: apt-get install python3-torch)", null);
    }

    private static string? Version(string python)
    {
        var info = new ProcessStartInfo(python, new[] { "-c", "import torch; print(torch.__version__)" }) { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(info);
        string? version = process?.StandardOutput.ReadToEnd().Trim();
        process?.WaitForExit();
        return version;
    }
}

/// <summary>What the PyTorch side gave: rows, or why there are none.</summary>
internal sealed record PyTorchOutcome(NetworkResult[] Rows, string? Problem, string? Version);
