using System.Globalization;
using MLNet.DeepClustering.Samples;

namespace MLNet.DeepClustering.Benchmark;

/// <summary>Command-line options of the benchmark (see Program.cs for the syntax).</summary>
internal sealed record BenchmarkOptions
{
    public static readonly string[] AllMethods = { "kmeans", "dac", "jule", "jule-sf" };

    public string Method { get; init; } = "all";
    public string? DataFolder { get; init; }
    public int Limit { get; init; } = 10_000;
    public int Threads { get; init; } = Environment.ProcessorCount;
    public string Device { get; init; } = "cpu";
    public int Seed { get; init; } = 1;
    public string ResultsFolder { get; init; } = "benchmark-results";
    public bool SkipNetworks { get; init; }
    public bool SkipEngine { get; init; }
    public bool SkipMethods { get; init; }
    public int[] EngineSizes { get; init; } = { 10_000, 20_000, 40_000, 70_000 };
    public double NetworkSeconds { get; init; } = 20;
    public string? Child { get; init; }
    public string Suite { get; init; } = "";
    public int? Resolution { get; init; }
    public double? ImbalanceRatio { get; init; }
    public string[] Datasets { get; init; } = QualitySuite.DefaultDatasets;
    public int[] Seeds { get; init; } = { 1, 2, 3 };
    public string FashionFolder { get; init; } = "/usr/share/datasets/fashion-mnist";
    public string[] Settings { get; init; } = Array.Empty<string>();
    public int EngineN { get; init; }
    public bool SkipTorchKnn { get; init; }
    public bool Help { get; init; }

    /// <summary>The clustering methods to fit: one, or kmeans, dac, jule (RC) and jule-sf for "all".</summary>
    public IReadOnlyList<string> Methods => Method == "all" ? AllMethods : new[] { Method };

    /// <summary>The arguments a child process gets: everything but the section selection.</summary>
    public IEnumerable<string> ChildArguments(string child)
    {
        yield return "--child";
        yield return child;
        if (DataFolder is not null)
        {
            yield return "--data";
            yield return DataFolder;
        }
        foreach (string setting in Settings)
        {
            yield return "--set";
            yield return setting;
        }
        if (SkipTorchKnn)
            yield return "--skip-torch-knn";
        if (Resolution is int resolution)
        {
            yield return "--resolution";
            yield return resolution.ToString(CultureInfo.InvariantCulture);
        }
        if (ImbalanceRatio is double ratio)
        {
            yield return "--imbalance";
            yield return ratio.ToString(CultureInfo.InvariantCulture);
        }
        foreach (var (name, value) in new[]
        {
            ("--limit", Limit.ToString(CultureInfo.InvariantCulture)), ("--threads", Threads.ToString(CultureInfo.InvariantCulture)),
            ("--device", Device), ("--seed", Seed.ToString(CultureInfo.InvariantCulture)),
            ("--network-seconds", NetworkSeconds.ToString(CultureInfo.InvariantCulture)),
        })
        {
            yield return name;
            yield return value;
        }
    }

    /// <summary>The command-line syntax, printed for --help and after a mistyped argument.</summary>
    public const string Usage =
        "usage: MLNet.DeepClustering.Benchmark [--method jule|jule-sf|dac|kmeans|all] [--data <IDX folder>] [--limit N]\n" +
        "           [--threads T] [--device cpu|cuda] [--seed 1] [--results <folder>] [--skip-methods] [--skip-networks]\n" +
        "           [--skip-engine] [--skip-torch-knn] [--engine-sizes 10000,20000,40000,70000] [--network-seconds 20]\n" +
        "           [--resolution side] [--imbalance ratio]\n" +
        "       MLNet.DeepClustering.Benchmark --suite quality [--method kmeans|jule|dac|all]\n" +
        "           [--datasets mnist:10000,fashion:10000:14,mnist:10000:imb10,...] [--seeds 1,2,3] [--fashion <folder with train-*>]\n" +
        "           [--set Option=value ...]";

    public static BenchmarkOptions Parse(string[] args)
    {
        var o = new BenchmarkOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int ToInt(string name, string text) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
                ? value : throw new ArgumentException($"{name} expects whole numbers up to {int.MaxValue}; '{text}' is not one.");
            int NextInt() => ToInt(args[i], Next());
            double NextDouble()
            {
                string name = args[i], text = Next();
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
                    ? value : throw new ArgumentException($"{name} expects a number; '{text}' is not one.");
            }
            int[] NextInts() { string name = args[i]; return Next().Split(',').Select(s => ToInt(name, s.Trim())).ToArray(); }
            o = args[i] switch
            {
                "--method" => o with { Method = Next().ToLowerInvariant() },
                "--data" => o with { DataFolder = Next() },
                "--limit" => o with { Limit = NextInt() },
                "--threads" => o with { Threads = NextInt() },
                "--device" => o with { Device = Next() },
                "--seed" => o with { Seed = NextInt() },
                "--results" => o with { ResultsFolder = Next() },
                "--skip-networks" => o with { SkipNetworks = true },
                "--skip-engine" => o with { SkipEngine = true },
                "--skip-methods" => o with { SkipMethods = true },
                "--engine-sizes" => o with { EngineSizes = NextInts() },
                "--network-seconds" => o with { NetworkSeconds = NextDouble() },
                "--child" => o with { Child = Next() },
                "--engine-n" => o with { EngineN = NextInt() },
                "--skip-torch-knn" => o with { SkipTorchKnn = true },
                "--suite" => o with { Suite = Next().ToLowerInvariant() },
                "--resolution" => o with { Resolution = NextInt() },
                "--imbalance" => o with { ImbalanceRatio = NextDouble() },
                "--datasets" => o with { Datasets = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--seeds" => o with { Seeds = NextInts() },
                "--fashion" => o with { FashionFolder = Next() },
                "--set" => o with { Settings = o.Settings.Append(Next()).ToArray() },
                "--help" or "-h" => o with { Help = true },
                _ => throw new ArgumentException($"Unknown argument '{args[i]}'."),
            };
        }
        if (o.Method != "all" && !AllMethods.Contains(o.Method))
            throw new ArgumentException($"Unknown --method '{o.Method}' (expected {string.Join(", ", AllMethods)} or all).");
        if (o.Suite is not ("" or "quality"))
            throw new ArgumentException($"Unknown --suite '{o.Suite}' (expected quality).");
        if (o.Resolution is < 2 or > 28)
            throw new ArgumentException("--resolution must be between 2 and 28.");
        if (o.ImbalanceRatio is < 1)
            throw new ArgumentException("--imbalance must be at least 1 (the largest class's share over the smallest's).");
        if (o.Limit < 20 || o.Threads < 1 || o.NetworkSeconds <= 0)
            throw new ArgumentException("--limit must be at least 20, --threads at least 1, --network-seconds positive.");
        if (o.DataFolder is not null && !MnistIdx.HasFolderPair(o.DataFolder))
            throw new ArgumentException($"--data {o.DataFolder}: no IDX pair there (images-idx3-ubyte and labels-idx1-ubyte, or the train-* pair, " +
                                        "gzipped or not).");
        if (o.Suite == "quality")
            foreach (string dataset in o.Datasets)
                QualitySuite.ForDataset(o, dataset); // a mistyped dataset fails here, not after the ones before it have run
        return o;
    }
}
