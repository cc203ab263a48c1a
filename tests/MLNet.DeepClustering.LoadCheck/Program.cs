// Usage: MLNet.DeepClustering.LoadCheck <model.zip> <rows> <output.bin>
// Loads a model saved by another process and scores the first <rows> embedded MNIST digits, writing for each row
// PredictedLabel (uint), Score and Embedding (floats) in binary. It touches no MLNet.DeepClustering type before
// Model.Load: loading must work with no registration call.
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.DeepClustering.Samples;

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: LoadCheck <model.zip> <rows> <output.bin>");
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
