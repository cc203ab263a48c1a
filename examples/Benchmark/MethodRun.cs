using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using MLNet.DeepClustering.Samples;

namespace MLNet.DeepClustering.Benchmark;

/// <summary>One row of the methods table.</summary>
internal sealed record MethodResult(string Method, int N, double Acc, double Nmi, double Ari, double FitSeconds, double TrainingImagesPerSecond,
    double ClusteringSeconds, double TransformImagesPerSecond, double PredictionEngineImagesPerSecond, double PeakWorkingSetMb, int Threads,
    string Device, string ClusterSizes);

/// <summary>Fits one method on the digits and measures quality, fit time, inference speed and peak memory.</summary>
internal static class MethodRun
{
    private const int PredictionEngineRows = 2000;

    public static MethodResult Run(BenchmarkOptions options)
    {
        var mlContext = new MLContext(seed: options.Seed);
        mlContext.Log += (_, e) =>
        {
            if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info && e.Source.Contains("Trainer", StringComparison.Ordinal))
                Console.WriteLine($"[{e.Source}] {e.RawMessage}");
        };
        var digits = options.DataFolder is null
            ? MnistIdx.LoadEmbedded(typeof(MethodRun).Assembly, options.Limit)
            : MnistIdx.LoadFolder(options.DataFolder, options.Limit);
        if (options.ImbalanceRatio is double ratio)
            digits = Imbalance.Subsample(digits, ratio);
        if (options.Resolution is int side)
            foreach (var digit in digits)
                digit.Features = LowResolution.Degrade(digit.Features, 28, side);
        var data = mlContext.Data.LoadFromEnumerable(digits);

        IEstimator<ITransformer> pipeline = options.Method switch
        {
            "kmeans" => mlContext.Transforms.NormalizeLpNorm("Features")
                .Append(mlContext.Clustering.Trainers.KMeans(new KMeansTrainer.Options
                {
                    FeatureColumnName = "Features",
                    NumberOfClusters = 10,
                    NumberOfThreads = options.Threads,
                })),
            "dac" => mlContext.Clustering.Trainers.Dac(Apply(options, new DacTrainer.Options
            {
                NumberOfClusters = 10, Seed = options.Seed, Device = options.Device, NumberOfThreads = options.Threads,
            })),
            "jule" or "jule-sf" => mlContext.Clustering.Trainers.Jule(Apply(options, new JuleTrainer.Options
            {
                NumberOfClusters = 10, Seed = options.Seed, Device = options.Device, NumberOfThreads = options.Threads,
                Reclustering = options.Method == "jule",
            })),
            _ => throw new ArgumentException($"Unknown method '{options.Method}'."),
        };

        var clock = Stopwatch.StartNew();
        var model = pipeline.Fit(data);
        double fitSeconds = clock.Elapsed.TotalSeconds;
        var statistics = (model as DeepClusteringTransformer)?.TrainingStatistics;

        // Batched Transform: read every output column of every row; the second pass is timed (the first warms up).
        ConsumeAll(model.Transform(data));
        clock.Restart();
        ConsumeAll(model.Transform(data));
        double transformRate = digits.Count / clock.Elapsed.TotalSeconds;

        // PredictionEngine: one row at a time, as a web service would call it.
        var engine = mlContext.Model.CreatePredictionEngine<Digit, Prediction>(model);
        int rows = Math.Min(PredictionEngineRows, digits.Count);
        var prediction = new Prediction();
        for (int i = 0; i < Math.Min(50, rows); i++)
            engine.Predict(digits[i], ref prediction);
        clock.Restart();
        for (int i = 0; i < rows; i++)
            engine.Predict(digits[i], ref prediction);
        double engineRate = rows / clock.Elapsed.TotalSeconds;

        var scored = mlContext.Data.Cache(model.Transform(data));
        var quality = mlContext.Clustering.EvaluateQuality(scored, labelColumnName: nameof(Digit.Label));
        var table = ClustersByClass(scored.GetColumn<uint>("PredictedLabel"), digits.Select(d => d.Label));
        PrintClustersByClass(table);
        var sizes = table.Rows.Select(row => row.Sum());
        (model as IDisposable)?.Dispose();

        var process = Process.GetCurrentProcess();
        process.Refresh();
        var result = new MethodResult(options.Method, digits.Count, quality.Accuracy, quality.NormalizedMutualInformation, quality.AdjustedRandIndex,
            fitSeconds, statistics?.TrainingImagesPerSecond ?? digits.Count / fitSeconds, statistics?.ClusteringSeconds ?? fitSeconds,
            transformRate, engineRate, process.PeakWorkingSet64 / 1e6, options.Threads, options.Device, string.Join(" ", sizes));
        Console.WriteLine($"ACC {result.Acc:F4} NMI {result.Nmi:F4} ARI {result.Ari:F4}; fit {fitSeconds:F1} s; training {result.TrainingImagesPerSecond:F0} images/s; " +
                          $"Transform {transformRate:F0} images/s; PredictionEngine {engineRate:F0} images/s; peak {result.PeakWorkingSetMb:F0} MB; sizes [{result.ClusterSizes}]");
        return result;
    }

    /// <summary>Sets the trainer options named by --set Name=value (for ablations), by reflection.</summary>
    private static T Apply<T>(BenchmarkOptions options, T trainerOptions) where T : class
    {
        foreach (string setting in options.Settings)
        {
            int equals = setting.IndexOf('=');
            if (equals <= 0)
                throw new ArgumentException($"--set {setting}: expected Option=value.");
            var property = typeof(T).GetProperty(setting[..equals]);
            if (property is null || !property.CanWrite)
            {
                // A suite sets options for several trainers: each takes the ones it has.
                Console.WriteLine($"option {setting[..equals]}: not an option of {typeof(T).DeclaringType?.Name}, ignored");
                continue;
            }
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            property.SetValue(trainerOptions, Convert.ChangeType(setting[(equals + 1)..], type, System.Globalization.CultureInfo.InvariantCulture));
            Console.WriteLine($"option {property.Name} = {property.GetValue(trainerOptions)}");
        }
        return trainerOptions;
    }

    /// <summary>The images of each cluster by true class: one row per cluster in the order of the cluster keys, one
    /// column per class in the order of the class labels, built in one pass over the rows.</summary>
    private static (uint[] Clusters, uint[] Classes, int[][] Rows) ClustersByClass(IEnumerable<uint> clusters, IEnumerable<uint> labels)
    {
        var pairs = clusters.Zip(labels).ToArray();
        var clusterKeys = pairs.Select(p => p.First).Distinct().Order().ToArray();
        var classKeys = pairs.Select(p => p.Second).Distinct().Order().ToArray();
        var rows = clusterKeys.Select(_ => new int[classKeys.Length]).ToArray();
        foreach (var (cluster, label) in pairs)
            rows[Array.BinarySearch(clusterKeys, cluster)][Array.BinarySearch(classKeys, label)]++;
        return (clusterKeys, classKeys, rows);
    }

    /// <summary>Prints <see cref="ClustersByClass"/> with each cluster's largest class marked, which shows the merges and
    /// splits behind an accuracy figure.</summary>
    private static void PrintClustersByClass((uint[] Clusters, uint[] Classes, int[][] Rows) table)
    {
        for (int r = 0; r < table.Rows.Length; r++)
        {
            var row = table.Rows[r];
            int top = Array.IndexOf(row, row.Max());
            Console.WriteLine($"cluster {table.Clusters[r],2}: " + string.Join(" ", row.Select((count, c) => (c == top ? "*" : " ") + count.ToString().PadLeft(5))));
        }
        Console.WriteLine("classes    : " + string.Join(" ", table.Classes.Select(c => " " + c.ToString().PadLeft(5))));
    }

    /// <summary>Reads PredictedLabel, Score and (when present) Embedding of every row through one cursor.</summary>
    private static void ConsumeAll(IDataView scored)
    {
        var columns = new[] { "PredictedLabel", "Score", "Embedding" }
            .Select(name => scored.Schema.GetColumnOrNull(name)).Where(c => c is not null).Select(c => c!.Value).ToArray();
        using var cursor = scored.GetRowCursor(columns);
        var label = cursor.GetGetter<uint>(columns[0]);
        var vectors = columns.Skip(1).Select(c => cursor.GetGetter<VBuffer<float>>(c)).ToArray();
        uint key = 0;
        var buffer = default(VBuffer<float>);
        while (cursor.MoveNext())
        {
            label(ref key);
            foreach (var getter in vectors)
                getter(ref buffer);
        }
    }

    /// <summary>The prediction columns read back by the PredictionEngine.</summary>
    private sealed class Prediction
    {
        public uint PredictedLabel { get; set; }

        public float[] Score { get; set; } = Array.Empty<float>();
    }
}
