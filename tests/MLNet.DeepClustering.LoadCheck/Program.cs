// Started by the tests in a fresh process. It touches no MLNet.DeepClustering type before Model.Load: loading must
// work with no registration call.
//
// Usage:
//   LoadCheck <model.zip> <rows> <output.bin>
//     Loads a model saved by another process and scores the first <rows> embedded MNIST digits, writing for each row
//     PredictedLabel (uint), Score and Embedding (floats) in binary.
//   LoadCheck stress <model.zip> <file list> <seconds> <engines> <readers>
//     Loads a whole pipeline that starts from an image path column "ImagePath", then for <seconds> runs Transform
//     passes over the files listed (one path a line) on <readers> threads, reading every Single vector column, while
//     <engines> threads predict with PredictionEngines and another forces garbage collections. Prints the passes and
//     exits 0 when nothing failed; a native crash ends the process with a signal.
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.DeepClustering.Samples;

if (args.Length == 6 && args[0] == "stress")
    return StressCheck.Run(args[1], File.ReadAllLines(args[2]), double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(args[4]), int.Parse(args[5]));
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: LoadCheck <model.zip> <rows> <output.bin> | LoadCheck stress <model.zip> <file list> <seconds> <engines> <readers>");
    return 2;
}
var mlContext = new MLContext(seed: 0);
var model = mlContext.Model.Load(args[0], out var inputSchema);
var digits = MnistIdx.LoadEmbedded(typeof(Digit).Assembly, int.Parse(args[1]));
var scored = model.Transform(mlContext.Data.LoadFromEnumerable(digits));
using var output = new BinaryWriter(File.Create(args[2]));
var labelColumn = scored.Schema["PredictedLabel"];
var scoreColumn = scored.Schema["Score"];
var embeddingColumn = scored.Schema["Embedding"];
using var cursor = scored.GetRowCursor(new[] { labelColumn, scoreColumn, embeddingColumn });
var getLabel = cursor.GetGetter<uint>(labelColumn);
var getScore = cursor.GetGetter<VBuffer<float>>(scoreColumn);
var getEmbedding = cursor.GetGetter<VBuffer<float>>(embeddingColumn);
uint label = 0;
VBuffer<float> score = default, embedding = default;
int rows = 0;
while (cursor.MoveNext())
{
    getLabel(ref label);
    getScore(ref score);
    getEmbedding(ref embedding);
    output.Write(label);
    foreach (float v in score.DenseValues())
        output.Write(v);
    foreach (float v in embedding.DenseValues())
        output.Write(v);
    rows++;
}
Console.WriteLine($"scored {rows} rows with a model loaded from {args[0]} (input schema: {inputSchema.Count} columns)");
return 0;

internal sealed class ImageFile
{
    public string ImagePath { get; set; } = "";
}

internal sealed class ClusterPrediction
{
    public uint PredictedLabel { get; set; }

    public float[] Score { get; set; } = Array.Empty<float>();
}

internal sealed class PixelPrediction
{
    public float[] Features { get; set; } = Array.Empty<float>();
}

internal static class StressCheck
{
    public static int Run(string zip, string[] paths, double seconds, int engines, int readers)
    {
        var mlContext = new MLContext(seed: 0);
        var model = mlContext.Model.Load(zip, out _);
        var data = mlContext.Data.LoadFromEnumerable(paths.Select(p => new ImageFile { ImagePath = p }));
        bool clusters = model.GetOutputSchema(data.Schema).GetColumnOrNull("PredictedLabel") != null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool stop = false;
        Exception? failure = null;
        long collections = 0, predictions = 0, passes = 0;

        void Loop(Action step)
        {
            try
            {
                while (!Volatile.Read(ref stop) && failure == null && clock.Elapsed.TotalSeconds < seconds)
                    step();
            }
            catch (Exception e)
            {
                failure ??= e;
            }
        }

        var threads = new List<Thread>
        {
            new(() => Loop(() =>
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Interlocked.Increment(ref collections);
            })),
        };
        for (int t = 0; t < engines; t++)
        {
            var random = new Random(t);
            Func<ImageFile, bool> predict = clusters
                ? Predictor<ClusterPrediction>(mlContext, model, p => p.PredictedLabel > 0 && p.Score.Length > 0)
                : Predictor<PixelPrediction>(mlContext, model, p => p.Features.Length > 0);
            threads.Add(new Thread(() => Loop(() =>
            {
                if (!predict(new ImageFile { ImagePath = paths[random.Next(paths.Length)] }))
                    throw new InvalidOperationException("PredictionEngine returned an empty prediction");
                Interlocked.Increment(ref predictions);
            })));
        }
        for (int t = 0; t < readers; t++)
        {
            threads.Add(new Thread(() => Loop(() =>
            {
                var scored = model.Transform(data);
                var vectors = scored.Schema.Where(c => c.Type is VectorDataViewType v && v.ItemType == NumberDataViewType.Single).ToArray();
                using var cursor = scored.GetRowCursor(vectors);
                var getters = vectors.Select(c => cursor.GetGetter<VBuffer<float>>(c)).ToArray();
                VBuffer<float> value = default;
                int rows = 0;
                while (cursor.MoveNext())
                {
                    foreach (var getter in getters)
                        getter(ref value);
                    rows++;
                }
                if (rows != paths.Length)
                    throw new InvalidOperationException($"a pass read {rows} rows, expected {paths.Length}");
                Interlocked.Increment(ref passes);
            })));
        }
        foreach (var thread in threads)
            thread.Start();
        foreach (var thread in threads)
            thread.Join();
        Console.WriteLine($"passes {passes}, predictions {predictions}, forced collections {collections}");
        if (failure != null)
        {
            Console.WriteLine($"failed: {failure}");
            return 1;
        }
        return 0;
    }

    private static Func<ImageFile, bool> Predictor<T>(MLContext mlContext, ITransformer model, Func<T, bool> check) where T : class, new()
    {
        var engine = mlContext.Model.CreatePredictionEngine<ImageFile, T>(model);
        return file => check(engine.Predict(file));
    }
}
