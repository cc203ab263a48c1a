using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.DeepClustering.Tests.Model;

[TestClass]
public sealed class SmallDataTests
{
    /// <summary>
    /// From k images up: with MinimumImagesPerEpoch above n every batch holds the same images several times, and
    /// self-labelling repeats its few kept images; training, self-labelling and scoring must still give valid output.
    /// </summary>
    [TestMethod]
    [DataRow("DAC", 1)]
    [DataRow("DAC", 4)]
    [DataRow("JULE", 1)]
    [DataRow("JULE", 4)]
    public void FitsFromKImagesUpWithRepeatedPasses(string method, int perClass)
    {
        var mlContext = new MLContext(seed: 1);
        var data = Shapes.GrayView(mlContext, 3, perClass, seed: 2);
        IEstimator<DeepClusteringTransformer> trainer = method == "DAC"
            ? mlContext.Clustering.Trainers.Dac(new DacTrainer.Options
            {
                NumberOfClusters = 3, MaxEpochs = 3, NetworkWidth = 16, SelfLabelingEpochs = 2, MinimumImagesPerEpoch = 200, Seed = 1,
            })
            : mlContext.Clustering.Trainers.Jule(new JuleTrainer.Options
            {
                NumberOfClusters = 3, EpochsPerPeriod = 2, EmbeddingSize = 16, SelfLabelingEpochs = 2, MinimumImagesPerEpoch = 200, Seed = 1,
            });
        using var model = trainer.Fit(data);
        Assert.IsGreaterThanOrEqualTo(2 * 200L, model.TrainingStatistics!.ImagesProcessed, "the epochs drew 200 images each");
        var scored = model.Transform(data);
        var labels = scored.GetColumn<uint>(DeepClusteringColumnNames.PredictedLabel).ToArray();
        Assert.AreEqual(3 * perClass, labels.Length);
        Assert.IsTrue(labels.All(l => l is >= 1 and <= 3), string.Join(",", labels));
        Assert.IsTrue(scored.GetColumn<float[]>(DeepClusteringColumnNames.Score).All(s => s.Length == 3 && s.All(float.IsFinite)));
        Assert.IsTrue(scored.GetColumn<float[]>(DeepClusteringColumnNames.Embedding).All(e => e.All(float.IsFinite)));
    }
}
