using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.DeepClustering.Tests.Model;

[TestClass]
public sealed class PersistenceTests
{
    private const int Rows = 150;

    [TestMethod]
    [DataRow("DAC")]
    [DataRow("JULE")]
    public void SaveThenLoadInAFreshProcessGivesIdenticalOutputs(string method)
    {
        var mlContext = new MLContext(seed: 1);
        var data = SampleDigits.Load(mlContext, Rows);
        IEstimator<DeepClusteringTransformer> trainer = method == "DAC"
            ? mlContext.Clustering.Trainers.Dac(SampleDigits.FastDac())
            : mlContext.Clustering.Trainers.Jule(Jule.JuleTrainerTests.FastJule());
        using var model = trainer.Fit(data);
        Assert.AreEqual(method, model.Method);
        string zip = Path.Combine(Path.GetTempPath(), $"dc-model-{Guid.NewGuid():N}.zip");
        string output = Path.ChangeExtension(zip, ".bin");
        try
        {
            mlContext.Model.Save(model, data.Schema, zip);
            var expected = Score(model.Transform(data));

            var (exitCode, log) = LoadCheckProcess.Run(zip, Rows.ToString(), output);
            Assert.AreEqual(0, exitCode, $"loader failed: {log}");

            byte[] actual = File.ReadAllBytes(output);
            CollectionAssert.AreEqual(expected, actual, "PredictedLabel, Score and Embedding must be bit-identical after Load in a new process.");
        }
        finally
        {
            File.Delete(zip);
            File.Delete(output);
        }
    }

    [TestMethod]
    public void LoadInTheSameProcessKeepsPropertiesAndPredictions()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SampleDigits.Load(mlContext, 100);
        using var model = mlContext.Clustering.Trainers.Dac(SampleDigits.FastDac()).Fit(data);
        using var stream = new MemoryStream();
        mlContext.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var loaded = mlContext.Model.Load(stream, out var schema);
        var reloaded = (DeepClusteringTransformer)loaded;
        Assert.AreEqual("DAC", reloaded.Method);
        Assert.AreEqual(model.NumberOfClusters, reloaded.NumberOfClusters);
        Assert.AreEqual("Features", reloaded.FeatureColumnName);
        Assert.IsNotNull(model.TrainingStatistics);
        Assert.IsNull(reloaded.TrainingStatistics, "fit statistics are not saved with the model");
        CollectionAssert.AreEqual(Score(model.Transform(data)), Score(loaded.Transform(data)));
        Assert.AreEqual(data.Schema.Count, schema.Count);
    }

    [TestMethod]
    public void ALoadedModelMovesToAnotherDevice()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SampleDigits.Load(mlContext, 80);
        var pipeline = mlContext.Transforms.CopyColumns("Pixels", "Features").Append(mlContext.Clustering.Trainers.Jule(Jule.JuleTrainerTests.FastJule()));
        var model = pipeline.Fit(data);
        using var stream = new MemoryStream();
        mlContext.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var loaded = mlContext.Model.Load(stream, out _);

        var moved = loaded.ToDevice("cpu");
        var movedClustering = ((IEnumerable<ITransformer>)moved).OfType<DeepClusteringTransformer>().Single();
        var loadedClustering = ((IEnumerable<ITransformer>)loaded).OfType<DeepClusteringTransformer>().Single();
        Assert.AreNotSame(loadedClustering.Model, movedClustering.Model);
        CollectionAssert.AreEqual(Score(loaded.Transform(data)), Score(moved.Transform(data)));
        loadedClustering.Dispose();
        CollectionAssert.AreEqual(Score(model.Transform(data)), Score(moved.Transform(data)), "the copy owns its network");

        if (!TorchSharp.torch.cuda.is_available())
        {
            var e = Assert.ThrowsExactly<InvalidOperationException>(() => movedClustering.WithDevice("cuda"));
            StringAssert.Contains(e.Message, "TorchSharp-cuda");
        }
        movedClustering.Dispose();
        model.LastTransformer.Dispose();
    }

    /// <summary>Same byte layout as the LoadCheck program writes.</summary>
    internal static byte[] Score(IDataView scored)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer))
        {
            var labels = scored.GetColumn<uint>(DeepClusteringColumnNames.PredictedLabel).ToArray();
            var scores = scored.GetColumn<float[]>(DeepClusteringColumnNames.Score).ToArray();
            var embeddings = scored.GetColumn<float[]>(DeepClusteringColumnNames.Embedding).ToArray();
            for (int i = 0; i < labels.Length; i++)
            {
                writer.Write(labels[i]);
                foreach (float v in scores[i])
                    writer.Write(v);
                foreach (float v in embeddings[i])
                    writer.Write(v);
            }
        }
        return buffer.ToArray();
    }
}
