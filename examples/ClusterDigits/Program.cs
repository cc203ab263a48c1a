// Clusters handwritten digits with a deep clustering trainer, reports ACC / NMI / ARI and time, saves the model,
// reloads it and predicts a few images. Runs on the MNIST 10k sample embedded in this program.
//
//   dotnet run -c Release --project examples/ClusterDigits -- [--method dac|jule] [--limit 10000] [--epochs N]
//       [--no-reclustering] [--verbose] [--seed 1] [--device cpu|cuda] [--data <folder with IDX files>] [--model digits-model.zip]
//       [--clusters 10|auto]
// --epochs is DAC's MaxEpochs or JULE's EpochsPerPeriod; --no-reclustering gives JULE's SF result instead of RC;
// --clusters auto lets the trainer choose k (NumberOfClusters = 0, between 2 and 20). --data takes a folder with
// images-idx3-ubyte(.gz) and labels-idx1-ubyte(.gz), or with the train-* pair of an MNIST-style download.
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.DeepClustering;
using MLNet.DeepClustering.Samples;

var options = ExampleOptions.Parse(args);
var mlContext = new MLContext(seed: options.Seed);
mlContext.Log += (_, e) =>
{
    bool shown = e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info || (options.Verbose && e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Trace);
    if (shown && e.Source.Contains("Trainer", StringComparison.Ordinal))
        Console.WriteLine($"  [{e.Source}] {e.RawMessage}");
};

var digits = options.DataFolder is null
    ? MnistIdx.LoadEmbedded(typeof(Program).Assembly, options.Limit)
    : MnistIdx.LoadFolder(options.DataFolder, options.Limit);
Console.WriteLine($"Loaded {digits.Count} digits (28x28); method {options.Method.ToUpperInvariant()}, device {options.Device}.");
var data = mlContext.Data.LoadFromEnumerable(digits);

IEstimator<DeepClusteringTransformer> trainer = options.Method switch
{
    "dac" => mlContext.Clustering.Trainers.Dac(new DacTrainer.Options
    {
        NumberOfClusters = options.Clusters,
        MaxEpochs = options.Epochs ?? new DacTrainer.Options().MaxEpochs,
        Seed = options.Seed,
        Device = options.Device,
    }),
    "jule" => mlContext.Clustering.Trainers.Jule(new JuleTrainer.Options
    {
        NumberOfClusters = options.Clusters,
        EpochsPerPeriod = options.Epochs ?? new JuleTrainer.Options().EpochsPerPeriod,
        Reclustering = options.Reclustering,
        Seed = options.Seed,
        Device = options.Device,
    }),
    _ => throw new ArgumentException($"Unknown --method '{options.Method}' (expected dac or jule)."),
};

var clock = Stopwatch.StartNew();
using var model = trainer.Fit(data);
double fitSeconds = clock.Elapsed.TotalSeconds;

clock.Restart();
var scored = mlContext.Data.Cache(model.Transform(data));
var metrics = mlContext.Clustering.EvaluateQuality(scored, labelColumnName: nameof(Digit.Label));
double inferSeconds = clock.Elapsed.TotalSeconds;
var sizes = scored.GetColumn<uint>(DeepClusteringColumnNames.PredictedLabel).GroupBy(c => c).OrderBy(g => g.Key).Select(g => g.Count());

Console.WriteLine();
Console.WriteLine($"ACC {metrics.Accuracy:F4}  NMI {metrics.NormalizedMutualInformation:F4}  ARI {metrics.AdjustedRandIndex:F4}");
Console.WriteLine($"fit {fitSeconds:F1} s; transform + evaluate {inferSeconds:F1} s ({digits.Count / inferSeconds:F0} images/s)");
Console.WriteLine($"{model.NumberOfClusters} clusters{(options.Clusters == 0 ? " (chosen by the trainer)" : "")}; sizes: [{string.Join(", ", sizes)}]");

mlContext.Model.Save(model, data.Schema, options.ModelPath);
Console.WriteLine($"Saved the model to {Path.GetFullPath(options.ModelPath)} ({new FileInfo(options.ModelPath).Length / 1024} KiB).");

var reloaded = mlContext.Model.Load(options.ModelPath, out _);
var engine = mlContext.Model.CreatePredictionEngine<Digit, ClusterPrediction>(reloaded);
Console.WriteLine("Reloaded; predictions for the first images:");
foreach (var digit in digits.Take(8))
{
    var p = engine.Predict(digit);
    Console.WriteLine($"  true digit {digit.Label} -> cluster {p.PredictedLabel} (score {p.Score[p.PredictedLabel - 1]:F3})");
}

/// <summary>The columns read back from a prediction.</summary>
internal sealed class ClusterPrediction
{
    public uint PredictedLabel { get; set; }

    public float[] Score { get; set; } = Array.Empty<float>();

    public float[] Embedding { get; set; } = Array.Empty<float>();
}

internal sealed record ExampleOptions(string Method, int Limit, int? Epochs, bool Reclustering, bool Verbose, int Seed, string Device, string? DataFolder, string ModelPath, int Clusters)
{
    public static ExampleOptions Parse(string[] args)
    {
        var o = new ExampleOptions("dac", 10000, null, true, false, 1, "cpu", null, "digits-model.zip", 10);
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            o = args[i] switch
            {
                "--method" => o with { Method = Next().ToLowerInvariant() },
                "--limit" => o with { Limit = int.Parse(Next()) },
                "--epochs" => o with { Epochs = int.Parse(Next()) },
                "--no-reclustering" => o with { Reclustering = false },
                "--verbose" => o with { Verbose = true },
                "--seed" => o with { Seed = int.Parse(Next()) },
                "--device" => o with { Device = Next() },
                "--data" => o with { DataFolder = Next() },
                "--model" => o with { ModelPath = Next() },
                "--clusters" => o with { Clusters = Next() is "auto" ? 0 : int.Parse(args[i]) },
                _ => throw new ArgumentException($"Unknown argument '{args[i]}'. Use --method, --limit, --epochs, --no-reclustering, --verbose, --seed, --device, --data, --model, --clusters."),
            };
        }
        return o;
    }
}
