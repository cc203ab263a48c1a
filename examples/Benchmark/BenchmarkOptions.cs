using System.Globalization;

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
    public string[] Datasets { get; init; } = QualitySuite.DefaultDatasets;
    public int[] Seeds { get; init; } = { 1, 2, 3 };
    public string FashionFolder { get; init; } = "/usr/share/datasets/fashion-mnist";
    public string[] Settings { get; init; } = Array.Empty<string>();
    public int EngineN { get; init; }
    public bool SkipTorchKnn { get; init; }

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

    public static BenchmarkOptions Parse(string[] args)
    {
        var o = new BenchmarkOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
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
                "--engine-sizes" => o with { EngineSizes = Next().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() },
                "--network-seconds" => o with { NetworkSeconds = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--child" => o with { Child = Next() },
                "--engine-n" => o with { EngineN = NextInt() },
                "--skip-torch-knn" => o with { SkipTorchKnn = true },
                "--suite" => o with { Suite = Next().ToLowerInvariant() },
                "--resolution" => o with { Resolution = NextInt() },
                "--datasets" => o with { Datasets = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--seeds" => o with { Seeds = Next().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() },
                "--fashion" => o with { FashionFolder = Next() },
                "--set" => o with { Settings = o.Settings.Append(Next()).ToArray() },
                _ => throw new ArgumentException(
                    $"Unknown argument '{args[i]}'. Use --method, --data, --limit, --threads, --device, --seed, --results, " +
                    "--skip-methods, --skip-networks, --skip-engine, --skip-torch-knn, --engine-sizes, --network-seconds, --suite quality, --datasets, --seeds, --fashion, --set Option=value."),
            };
        }
        if (o.Method != "all" && !AllMethods.Contains(o.Method))
            throw new ArgumentException($"Unknown --method '{o.Method}' (expected {string.Join(", ", AllMethods)} or all).");
        if (o.Suite is not ("" or "quality"))
            throw new ArgumentException($"Unknown --suite '{o.Suite}' (expected quality).");
        if (o.Resolution is < 2 or > 28)
            throw new ArgumentException("--resolution must be between 2 and 28.");
        if (o.Limit < 20 || o.Threads < 1 || o.NetworkSeconds <= 0)
            throw new ArgumentException("--limit must be at least 20, --threads at least 1, --network-seconds positive.");
        return o;
    }
}
