// Stress harness for image-file pipelines: fits a pipeline that reads PNG files, saves it, loads the whole pipeline
// back from the zip, then runs Transform passes over every file (reading every vector column) while PredictionEngines
// predict on other threads and, optionally, a thread forces garbage collections. It exits 0 only if every pass and
// every prediction succeeded; a native crash ends the process with a signal instead.
//
//   dotnet run -c Release --project examples/StressImages -- [--method jule|dac|kmeans|none] [--pipeline safe|mlnet]
//       [--files 10000] [--train 2000] [--passes 200] [--engines 4] [--gc] [--epochs 1] [--folder <png folder>]
//       [--user] [--seed 1]
//
// --gc forces collections from start to end (the fit, and the loaded pipeline's scoring).
// --pipeline safe reads the files with this library's LoadImagePixels (what README recommends); --pipeline mlnet with
// ML.NET's LoadImages, ResizeImages, ConvertToGrayscale and ExtractPixels. --user instead runs the user-style pipeline
// once: the trainer with its default options (all --files images) followed by CopyColumns and SdcaMaximumEntropy on
// the embedding, saved, reloaded and scored.
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using MLNet.DeepClustering;
using MLNet.DeepClustering.Samples;
using MLNet.DeepClustering.Stress;

var options = StressOptions.Parse(args);
var digits = MnistIdx.LoadEmbedded(typeof(StressOptions).Assembly);
var files = PngFiles.Write(options.Folder, digits, options.Files);
var mlContext = new MLContext(seed: options.Seed);
Console.WriteLine($"{files.Count} PNG files in {options.Folder}; method {options.Method}, pipeline {options.Pipeline}, " +
    $"{(options.User ? "user-style run" : $"{options.Passes} passes, {options.Engines} PredictionEngine threads")}, " +
    $"forced GC {(options.ForceGc ? "on" : "off")}.");

var clock = Stopwatch.StartNew();
using var collector = options.ForceGc ? new GcThread() : null;
try
{
    int exit = options.User ? UserStyle.Run(mlContext, options, files) : Stress.Run(mlContext, options, files);
    Console.WriteLine($"{(exit == 0 ? "PASSED" : "FAILED")} in {clock.Elapsed.TotalSeconds:F0} s; forced collections {collector?.Collections ?? 0}; " +
        $"peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MB.");
    return exit;
}
catch (Exception e)
{
    Console.WriteLine($"FAILED after {clock.Elapsed.TotalSeconds:F0} s: {e}");
    return 1;
}

namespace MLNet.DeepClustering.Stress
{
    internal sealed class ImageFile
    {
        public string ImagePath { get; set; } = "";

        public uint Label { get; set; }
    }

    internal sealed class ClusterPrediction
    {
        public uint PredictedLabel { get; set; }

        public float[] Score { get; set; } = Array.Empty<float>();
    }

    internal sealed class EmbeddingPrediction
    {
        public uint PredictedLabel { get; set; }

        public float[] Score { get; set; } = Array.Empty<float>();

        public float[] Embedding { get; set; } = Array.Empty<float>();
    }

    internal sealed class PixelPrediction
    {
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    internal static class Pipelines
    {
        public const int Side = 28;

        /// <summary>File path to planar grayscale pixels in [0, 1], as "Features".</summary>
        public static IEstimator<ITransformer> Pixels(MLContext mlContext, string pipeline) => pipeline switch
        {
            "safe" => mlContext.Transforms.LoadImagePixels("Features", Side, Side, inputColumnName: nameof(ImageFile.ImagePath)),
            "mlnet" => mlContext.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(ImageFile.ImagePath))
                .Append(mlContext.Transforms.ResizeImages("Image", Side, Side))
                .Append(mlContext.Transforms.ConvertToGrayscale("Image"))
                .Append(mlContext.Transforms.ExtractPixels("Features", "Image",
                    colorsToExtract: ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255)),
            _ => throw new ArgumentException($"Unknown --pipeline '{pipeline}' (expected safe or mlnet)."),
        };

        /// <summary>The clustering step; null for --method none.</summary>
        public static IEstimator<ITransformer>? Clustering(MLContext mlContext, StressOptions options, bool defaults) => options.Method switch
        {
            "jule" => mlContext.Clustering.Trainers.Jule(defaults
                ? new JuleTrainer.Options { Seed = options.Seed }
                : new JuleTrainer.Options { Seed = options.Seed, EpochsPerPeriod = options.Epochs }),
            "dac" => mlContext.Clustering.Trainers.Dac(defaults
                ? new DacTrainer.Options { Seed = options.Seed }
                : new DacTrainer.Options { Seed = options.Seed, MaxEpochs = options.Epochs }),
            "kmeans" => mlContext.Clustering.Trainers.KMeans("Features", numberOfClusters: 10),
            "none" => null,
            _ => throw new ArgumentException($"Unknown --method '{options.Method}' (expected jule, dac, kmeans or none)."),
        };
    }

    /// <summary>The stress loop: Transform passes plus PredictionEngine threads over a model loaded from its zip.</summary>
    internal static class Stress
    {
        public static int Run(MLContext mlContext, StressOptions options, IReadOnlyList<ImageFile> files)
        {
            var all = mlContext.Data.LoadFromEnumerable(files);
            var training = mlContext.Data.LoadFromEnumerable(files.Take(options.Train));
            var pipeline = Pipelines.Pixels(mlContext, options.Pipeline);
            var clustering = Pipelines.Clustering(mlContext, options, defaults: false);
            var estimator = clustering == null ? pipeline : pipeline.Append(clustering);
            var clock = Stopwatch.StartNew();
            var fitted = estimator.Fit(training);
            Console.WriteLine($"fit on {options.Train} files in {clock.Elapsed.TotalSeconds:F1} s");
            string zip = Path.Combine(options.Folder, $"stress-{options.Method}-{options.Pipeline}.zip");
            mlContext.Model.Save(fitted, all.Schema, zip);
            (fitted as IDisposable)?.Dispose();
            var model = mlContext.Model.Load(zip, out _);

            using var engines = new EngineThreads(mlContext, model, options, files);
            clock.Restart();
            var vectors = model.Transform(all).Schema.Where(c => c.Type is VectorDataViewType { ItemType: NumberDataViewType } v && v.ItemType.RawType == typeof(float)).ToArray();
            for (int pass = 1; pass <= options.Passes; pass++)
            {
                var scored = model.Transform(all);
                long rows = ReadAll(scored, vectors.Select(c => scored.Schema[c.Name]).ToArray());
                if (rows != files.Count)
                    throw new InvalidOperationException($"pass {pass}: read {rows} rows, expected {files.Count}");
                engines.ThrowIfFailed();
                if (pass % 10 == 0 || pass == options.Passes)
                    Console.WriteLine($"pass {pass}/{options.Passes}: {clock.Elapsed.TotalSeconds:F0} s, {(double)pass * rows / clock.Elapsed.TotalSeconds:F0} rows/s; " +
                        $"PredictionEngine predictions so far {engines.Predictions}");
            }
            engines.Stop();
            Console.WriteLine($"{options.Passes} Transform passes of {files.Count} rows and {engines.Predictions} predictions on {options.Engines} threads: no failure.");
            (model as IDisposable)?.Dispose();
            return 0;
        }

        /// <summary>Reads every value of <paramref name="columns"/> and returns the row count.</summary>
        private static long ReadAll(IDataView data, DataViewSchema.Column[] columns)
        {
            using var cursor = data.GetRowCursor(columns);
            var getters = columns.Select(c => cursor.GetGetter<VBuffer<float>>(c)).ToArray();
            var value = default(VBuffer<float>);
            long rows = 0;
            double sum = 0;
            while (cursor.MoveNext())
            {
                foreach (var getter in getters)
                {
                    getter(ref value);
                    foreach (float v in value.GetValues())
                        sum += v;
                }
                rows++;
            }
            if (double.IsNaN(sum))
                throw new InvalidOperationException("a vector column held NaN");
            return rows;
        }
    }

    /// <summary>PredictionEngines predicting random files on their own threads until stopped.</summary>
    internal sealed class EngineThreads : IDisposable
    {
        private readonly Thread[] _threads;
        private volatile bool _stop;
        private Exception? _failure;
        private long _predictions;

        public EngineThreads(MLContext mlContext, ITransformer model, StressOptions options, IReadOnlyList<ImageFile> files)
        {
            _threads = Enumerable.Range(0, options.Engines).Select(t => new Thread(() =>
            {
                try
                {
                    var random = new Random(options.Seed + t);
                    Func<ImageFile, int> predict = options.Method switch
                    {
                        "none" => Engine<PixelPrediction>(mlContext, model, p => p.Features.Length),
                        "kmeans" => Engine<ClusterPrediction>(mlContext, model, p => (int)p.PredictedLabel),
                        _ => Engine<EmbeddingPrediction>(mlContext, model, p => p.Embedding.Length > 0 ? (int)p.PredictedLabel : -1),
                    };
                    while (!_stop)
                    {
                        int value = predict(files[random.Next(files.Count)]);
                        if (value <= 0)
                            throw new InvalidOperationException($"PredictionEngine returned {value}");
                        Interlocked.Increment(ref _predictions);
                    }
                }
                catch (Exception e)
                {
                    _failure ??= e;
                }
            }) { IsBackground = true, Name = $"engine {t}" }).ToArray();
            foreach (var thread in _threads)
                thread.Start();
        }

        public long Predictions => Interlocked.Read(ref _predictions);

        private static Func<ImageFile, int> Engine<T>(MLContext mlContext, ITransformer model, Func<T, int> check) where T : class, new()
        {
            var engine = mlContext.Model.CreatePredictionEngine<ImageFile, T>(model);
            return file => check(engine.Predict(file));
        }

        public void ThrowIfFailed()
        {
            if (_failure != null)
                throw new InvalidOperationException("a PredictionEngine thread failed", _failure);
        }

        public void Stop()
        {
            _stop = true;
            foreach (var thread in _threads)
                thread.Join();
            ThrowIfFailed();
        }

        public void Dispose() => Stop();
    }

    /// <summary>The pipeline of a typical application: clustering with default options, then a classifier on the embedding.</summary>
    internal static class UserStyle
    {
        public static int Run(MLContext mlContext, StressOptions options, IReadOnlyList<ImageFile> files)
        {
            var data = mlContext.Data.LoadFromEnumerable(files);
            var clustering = Pipelines.Clustering(mlContext, options, defaults: true)
                ?? throw new ArgumentException("--user needs --method jule, dac or kmeans.");
            var pipeline = Pipelines.Pixels(mlContext, options.Pipeline)
                .Append(clustering)
                .Append(mlContext.Transforms.CopyColumns("ClassifierFeatures", options.Method == "kmeans" ? "Score" : "Embedding"))
                .Append(mlContext.Transforms.Conversion.MapValueToKey("LabelKey", nameof(ImageFile.Label)))
                .Append(mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy("LabelKey", "ClassifierFeatures", maximumNumberOfIterations: 30));
            var clock = Stopwatch.StartNew();
            var model = pipeline.Fit(data);
            double fitSeconds = clock.Elapsed.TotalSeconds;
            string zip = Path.Combine(options.Folder, $"user-{options.Method}-{options.Pipeline}.zip");
            mlContext.Model.Save(model, data.Schema, zip);
            var loaded = mlContext.Model.Load(zip, out _);
            var metrics = mlContext.MulticlassClassification.Evaluate(loaded.Transform(data), labelColumnName: "LabelKey");
            Console.WriteLine($"user-style pipeline: fit {fitSeconds:F0} s; classifier on the {options.Method} output, training accuracy {metrics.MacroAccuracy:F4}");
            return 0;
        }
    }

    /// <summary>Writes the embedded digits as 28 x 28 grayscale PNG files (cycling through them for more than 10,000).</summary>
    internal static class PngFiles
    {
        public static IReadOnlyList<ImageFile> Write(string folder, IReadOnlyList<Digit> digits, int count)
        {
            Directory.CreateDirectory(folder);
            var files = new List<ImageFile>(count);
            for (int i = 0; i < count; i++)
            {
                var digit = digits[i % digits.Count];
                string path = Path.Combine(folder, $"digit{i:D6}.png");
                if (!File.Exists(path))
                    WritePng(digit.Features, Pipelines.Side, Pipelines.Side, path);
                files.Add(new ImageFile { ImagePath = path, Label = digit.Label });
            }
            return files;
        }

        private static void WritePng(float[] gray, int width, int height, string path)
        {
            var bgra = new byte[width * height * 4];
            for (int i = 0; i < width * height; i++)
            {
                byte v = (byte)Math.Round(Math.Clamp(gray[i], 0, 1) * 255);
                bgra[4 * i] = bgra[4 * i + 1] = bgra[4 * i + 2] = v;
                bgra[4 * i + 3] = 255;
            }
            using var image = MLImage.CreateFromPixels(width, height, MLPixelFormat.Bgra32, bgra);
            image.Save(path);
        }
    }

    /// <summary>Forces full collections and finalizers in a loop, as a busy server's other threads would.</summary>
    internal sealed class GcThread : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;
        private long _collections;

        public GcThread()
        {
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    Interlocked.Increment(ref _collections);
                }
            }) { IsBackground = true, Name = "forced GC" };
            _thread.Start();
        }

        public long Collections => Interlocked.Read(ref _collections);

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }
    }

    internal sealed record StressOptions(string Method, string Pipeline, int Files, int Train, int Passes, int Engines,
        bool ForceGc, int Epochs, string Folder, bool User, int Seed)
    {
        public static StressOptions Parse(string[] args)
        {
            var o = new StressOptions("jule", "safe", 10_000, 2_000, 200, 4, false, 1,
                Path.Combine(Path.GetTempPath(), "mlnet-deepclustering-stress"), false, 1);
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                o = args[i] switch
                {
                    "--method" => o with { Method = Next() },
                    "--pipeline" => o with { Pipeline = Next() },
                    "--files" => o with { Files = int.Parse(Next()) },
                    "--train" => o with { Train = int.Parse(Next()) },
                    "--passes" => o with { Passes = int.Parse(Next()) },
                    "--engines" => o with { Engines = int.Parse(Next()) },
                    "--gc" => o with { ForceGc = true },
                    "--epochs" => o with { Epochs = int.Parse(Next()) },
                    "--folder" => o with { Folder = Next() },
                    "--user" => o with { User = true },
                    "--seed" => o with { Seed = int.Parse(Next()) },
                    _ => throw new ArgumentException($"Unknown option '{args[i]}'."),
                };
            }
            return o with { Train = Math.Min(o.Train, o.Files) };
        }
    }
}
