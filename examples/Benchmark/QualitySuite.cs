using System.Globalization;
using System.Text;
using MLNet.DeepClustering.Samples;

namespace MLNet.DeepClustering.Benchmark;

/// <summary>
/// --suite quality: datasets x methods x seeds, each fit in its own process with the trainers' defaults, one table of
/// ACC, NMI, ARI and fit seconds, with ML.NET KMeans on the same data as the floor. Rows are written as they finish
/// (quality.csv and quality.md in the results folder), so a long suite can be read while it runs.
/// </summary>
/// <remarks>
/// A dataset is source:count[:side][:imbR]: mnist (the embedded 10k sample) or fashion (the train-* files of
/// Debian's dataset-fashion-mnist, never t10k), its first count images, optionally shrunk to side x side and brought
/// back to 28 x 28, and optionally made imbalanced: the classes keep shares falling geometrically from 1 to 1 / R
/// (<see cref="Imbalance"/>).
/// </remarks>
internal static class QualitySuite
{
    public static readonly string[] DefaultDatasets =
    {
        "mnist:10000", "fashion:10000", "mnist:1000", "mnist:2000", "fashion:1000", "fashion:2000",
        "mnist:10000:14", "mnist:10000:8", "fashion:10000:14", "fashion:10000:8", "mnist:10000:imb10", "fashion:10000:imb10",
    };

    public static readonly string[] DefaultMethods = { "kmeans", "jule", "dac" };

    public static int Run(BenchmarkOptions options)
    {
        var methods = options.Method == "all" ? DefaultMethods : new[] { options.Method };
        var rows = new List<(string Dataset, MethodResult Result, int Seed)>();
        Directory.CreateDirectory(options.ResultsFolder);
        foreach (string dataset in options.Datasets)
        {
            var child = ForDataset(options, dataset);
            foreach (string method in methods)
                foreach (int seed in method == "kmeans" ? options.Seeds.Take(1) : options.Seeds)
                {
                    Console.WriteLine($"\n== quality: {dataset}, {method}, seed {seed}");
                    var row = ChildProcess.Run<MethodResult>(child with { Seed = seed, SkipNetworks = true }, "method", ("--method", method));
                    if (row is null)
                        continue;
                    rows.Add((dataset, row, seed));
                    File.WriteAllText(Path.Combine(options.ResultsFolder, "quality.md"), ToMarkdown(rows, options));
                    File.WriteAllLines(Path.Combine(options.ResultsFolder, "quality.csv"), new[] { "dataset,method,seed,n,acc,nmi,ari,fit_s,clusters" }
                        .Concat(rows.Select(r => string.Join(',', r.Dataset, r.Result.Method, r.Seed.ToString(CultureInfo.InvariantCulture),
                            r.Result.N.ToString(CultureInfo.InvariantCulture), F(r.Result.Acc), F(r.Result.Nmi), F(r.Result.Ari), F(r.Result.FitSeconds),
                            r.Result.ClusterSizes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length.ToString(CultureInfo.InvariantCulture)))));
                }
        }
        Console.WriteLine();
        Console.WriteLine(ToMarkdown(rows, options));
        Console.WriteLine($"Wrote {Path.Combine(options.ResultsFolder, "quality.md")} and quality.csv.");
        return 0;
    }

    /// <summary>The child options for dataset source:count[:side][:imbR].</summary>
    internal static BenchmarkOptions ForDataset(BenchmarkOptions options, string dataset)
    {
        var parts = dataset.Split(':');
        var malformed = new ArgumentException($"Dataset '{dataset}' is not source:count[:side][:imbR] (for example fashion:10000:14 or mnist:10000:imb10).");
        if (parts.Length is < 2 or > 4 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count))
            throw malformed;
        int? side = null;
        double? ratio = null;
        foreach (string part in parts.Skip(2))
        {
            if (part.StartsWith("imb", StringComparison.Ordinal) && ratio is null
                && double.TryParse(part[3..], NumberStyles.Float, CultureInfo.InvariantCulture, out double r) && r >= 1)
                ratio = r;
            else if (side is null && ratio is null && int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int s))
                side = s;
            else
                throw malformed;
        }
        string? folder = parts[0] switch
        {
            "mnist" => null,
            "fashion" => options.FashionFolder,
            _ => throw new ArgumentException($"Unknown dataset source '{parts[0]}' (expected mnist or fashion)."),
        };
        if (folder is not null && !MnistIdx.HasFolderPair(folder))
            throw new ArgumentException($"Dataset '{dataset}' needs the Fashion-MNIST train-images-idx3-ubyte and train-labels-idx1-ubyte files " +
                                        $"(gzipped or not) in {folder}: install them with 'apt-get install dataset-fashion-mnist', " +
                                        "or name another folder with --fashion.");
        return options with
        {
            DataFolder = folder,
            Limit = count,
            Resolution = side,
            ImbalanceRatio = ratio,
        };
    }

    private static string ToMarkdown(List<(string Dataset, MethodResult Result, int Seed)> rows, BenchmarkOptions options)
    {
        var md = new StringBuilder();
        md.AppendLine("# Clustering quality suite").AppendLine();
        md.AppendLine($"Seeds {string.Join(", ", options.Seeds)}; {options.Threads} threads; device {options.Device}; trainer defaults, k = 10. " +
                      "kmeans: ML.NET KMeans on L2-normalised pixels (one seed). Spread: max - min ACC over the seeds.").AppendLine();
        md.AppendLine("| dataset | method | seeds | ACC mean (min-max) | NMI mean (min-max) | ARI mean | ACC spread | fit s mean |");
        md.AppendLine("| --- | --- | ---: | --- | --- | ---: | ---: | ---: |");
        foreach (var group in rows.GroupBy(r => (r.Dataset, r.Result.Method)))
        {
            var results = group.Select(g => g.Result).ToList();
            string Range(Func<MethodResult, double> f) => results.Count == 1
                ? F(f(results[0]))
                : $"{F(results.Average(f))} ({F(results.Min(f))}-{F(results.Max(f))})";
            md.AppendLine($"| {group.Key.Dataset} | {group.Key.Method} | {results.Count} | {Range(r => r.Acc)} | {Range(r => r.Nmi)} | " +
                          $"{F(results.Average(r => r.Ari))} | {F(results.Max(r => r.Acc) - results.Min(r => r.Acc))} | {results.Average(r => r.FitSeconds):F1} |");
        }
        md.AppendLine().AppendLine("Every run:").AppendLine();
        md.AppendLine("| dataset | method | seed | n | ACC | NMI | ARI | fit s | cluster sizes |");
        md.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var (dataset, r, seed) in rows)
            md.AppendLine($"| {dataset} | {r.Method} | {seed} | {r.N} | {F(r.Acc)} | {F(r.Nmi)} | {F(r.Ari)} | {r.FitSeconds:F1} | {r.ClusterSizes} |");
        return md.ToString();
    }

    private static string F(double value) => value.ToString("F4", CultureInfo.InvariantCulture);
}
