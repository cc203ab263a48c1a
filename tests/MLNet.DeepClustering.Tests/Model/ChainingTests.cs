using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.DeepClustering.Tests.Model;

[TestClass]
public sealed class ChainingTests
{
    [TestMethod]
    public void DownstreamClassifierLearnsClustersFromEmbeddingsInOnePipeline()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SampleDigits.Load(mlContext, 300);
        var pipeline = mlContext.Clustering.Trainers.Dac(SampleDigits.FastDac(epochs: 2))
            .Append(mlContext.Transforms.CopyColumns("Cluster", DeepClusteringColumnNames.PredictedLabel))
            .Append(mlContext.Transforms.CopyColumns("ClusterEmbedding", DeepClusteringColumnNames.Embedding))
            .Append(mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy(labelColumnName: "Cluster", featureColumnName: "ClusterEmbedding"));
        var model = pipeline.Fit(data);
        var scored = model.Transform(data);
        var metrics = mlContext.MulticlassClassification.Evaluate(scored, labelColumnName: "Cluster");
        // The classifier predicts the cluster from the embedding it was derived from: nearly always right.
        Assert.IsTrue(metrics.MicroAccuracy > 0.9, $"micro accuracy {metrics.MicroAccuracy}");
        Assert.IsInstanceOfType<KeyDataViewType>(scored.Schema["Cluster"].Type);
    }
}
