using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.DeepClustering.Torch;

namespace MLNet.DeepClustering.Tests.Torch;

/// <summary>SelfLabelingEpochs: the refinement stage both trainers share.</summary>
[TestClass]
public sealed class SelfLabelingTests
{
    [TestMethod]
    public void AssignGivesTheNearestPrototypeAndTheMarginToTheSecond()
    {
        // Two prototypes in 2-D: (1, 0) and (0, 1).
        var prototypes = new float[] { 1, 0, 0, 1 };
        var embedding = new float[] { 0.9f, 0.1f, 0.2f, 0.8f, 0.5f, 0.5f };
        var labels = SelfLabeling.Assign(embedding, prototypes, 2, 2, out var margins);
        CollectionAssert.AreEqual(new[] { 0, 1, 0 }, labels);
        Assert.AreEqual(0.8f, margins[0], 1e-6f);
        Assert.AreEqual(0.6f, margins[1], 1e-6f);
        Assert.AreEqual(0f, margins[2], 1e-6f);
    }

    [TestMethod]
    public void SelectionKeepsTheSurestShareOfEveryCluster()
    {
        var clusters = new[] { 0, 0, 0, 0, 1, 1, 1, 2 };
        var margins = new[] { 0.1f, 0.9f, 0.5f, 0.7f, 0.3f, 0.2f, 0.6f, 0.01f };
        // Half of each cluster, rounded up: 2 of cluster 0 (rows 1 and 3), 2 of cluster 1 (rows 6 and 4), and the
        // single image of cluster 2 however unsure it is, so no cluster goes without labelled images.
        CollectionAssert.AreEqual(new[] { 1, 3, 4, 6, 7 }, SelfLabeling.Selection(clusters, margins, 3, 0.5f));
        CollectionAssert.AreEqual(Enumerable.Range(0, 8).ToArray(), SelfLabeling.Selection(clusters, margins, 3, 1f));
    }

    [TestMethod]
    public void SelectionKeepsOnlyImagesWhoseNeighboursAgreeAndAtLeastATenthOfEachCluster()
    {
        // Cluster 0: rows 0-9, cluster 1: rows 10-29. Margins fall with the row index within each cluster.
        var clusters = Enumerable.Range(0, 30).Select(i => i < 10 ? 0 : 1).ToArray();
        var margins = Enumerable.Range(0, 30).Select(i => 1f - (i % 10) / 100f - (i >= 20 ? 0.5f : 0f)).ToArray();
        // In cluster 0 only rows 2, 5 and 9 agree with their neighbours; in cluster 1 none does.
        var agreeing = new bool[30];
        agreeing[2] = agreeing[5] = agreeing[9] = true;
        // Fraction 0.8: the 8 surest of cluster 0 (rows 0-7) and 16 of cluster 1 (rows 10-25). Of cluster 0's, the
        // agreeing rows 2 and 5 (row 9 is outside the surest 8); cluster 1 keeps its tenth, its 2 surest rows 10 and 11.
        CollectionAssert.AreEqual(new[] { 2, 5, 10, 11 }, SelfLabeling.Selection(clusters, margins, 2, 0.8f, agreeing));
        // Without the check (null), the fraction alone decides.
        CollectionAssert.AreEqual(Enumerable.Range(0, 8).Concat(Enumerable.Range(10, 16)).ToArray(),
            SelfLabeling.Selection(clusters, margins, 2, 0.8f));
    }

    [TestMethod]
    public void AgreementCountsTheNeighboursInTheSameCluster()
    {
        // Points on a line; each one's 2 nearest neighbours are the points beside it (the ends take the next two).
        var points = new float[] { 0, 1, 2, 3, 10, 11, 12 };
        var graph = MLNet.DeepClustering.Jule.KnnGraph.Build(points, 1, 2);
        var clusters = new[] { 0, 0, 0, 1, 1, 1, 1 };
        // Point 2's neighbours are 1 (cluster 0) and 3 (cluster 1); point 3's are 2 (0) and 1 (0); point 4's are 5 and 6.
        CollectionAssert.AreEqual(new[] { true, true, false, false, true, true, true }, SelfLabeling.Agreeing(graph, clusters, 1f));
        CollectionAssert.AreEqual(new[] { true, true, true, false, true, true, true }, SelfLabeling.Agreeing(graph, clusters, 0.5f));
        Assert.IsNull(SelfLabeling.Agreeing(null, clusters, 0.9f));
    }

    [TestMethod]
    public void OptionsAreValidated()
    {
        var mlContext = new MLContext(seed: 1);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Clustering.Trainers.Dac(new DacTrainer.Options { SelfLabelingEpochs = -1 }));
        foreach (float fraction in new[] { 0f, -0.5f, 1.5f, float.NaN })
            Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Clustering.Trainers.Jule(new JuleTrainer.Options { SelfLabelingFraction = fraction }),
                $"fraction {fraction}");
        foreach (float agreement in new[] { -0.1f, 1.01f, float.NaN })
            Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Clustering.Trainers.Dac(new DacTrainer.Options { SelfLabelingNeighborAgreement = agreement }),
                $"agreement {agreement}");
        Assert.AreEqual(0.8f, new DacTrainer.Options().SelfLabelingFraction);
        Assert.AreEqual(0.9f, new DacTrainer.Options().SelfLabelingNeighborAgreement);
    }

    [TestMethod]
    [DataRow("DAC")]
    [DataRow("JULE")]
    public void RefinedModelKeepsItsScoresConsistentAndSurvivesSaving(string method)
    {
        var mlContext = new MLContext(seed: 1);
        var messages = LogMessages.Capture(mlContext);
        // DAC with 3 output units on these shapes puts every pair above its thresholds and collapses; with 12 units
        // grouped into 3 (as in ClusterCountTests) it separates them, and self-labelling then refines grouped prototypes.
        var data = method == "DAC" ? Shapes.GrayView(mlContext, 3, 400, seed: 3) : Shapes.GrayView(mlContext, 3, 100, seed: 5);
        IEstimator<DeepClusteringTransformer> trainer = method == "DAC"
            ? mlContext.Clustering.Trainers.Dac(new DacTrainer.Options
            {
                NumberOfClusters = 3, OverclusteringFactor = 4, NetworkWidth = 16, MaxEpochs = 20, Seed = 1, SelfLabelingEpochs = 3, MinimumImagesPerEpoch = 0,
            })
            : mlContext.Clustering.Trainers.Jule(new JuleTrainer.Options { MinimumImagesPerEpoch = 0, NumberOfClusters = 3, EmbeddingSize = 32, Seed = 1, SelfLabelingEpochs = 3 });
        using var model = trainer.Fit(data);
        string log = string.Join("\n", messages.Where(m => m.Contains("self-labelling", StringComparison.Ordinal)));
        Assert.AreEqual(3, messages.Count(m => m.StartsWith($"{method} self-labelling epoch ", StringComparison.Ordinal)), log);
        StringAssert.Contains(log, $"{method}: self-labelling moved ");

        var scored = model.Transform(data);
        var quality = mlContext.Clustering.EvaluateQuality(scored);
        Assert.IsTrue(quality.Accuracy > 0.95, $"ACC {quality.Accuracy}\n{log}");
        // The head holds the learned prototypes, of unit length, and Score is still the trainer's distance to them.
        var centroids = model.Model.GetClusterCentroids();
        foreach (var c in centroids)
            Assert.AreEqual(1.0, Math.Sqrt(c.Sum(v => v * v)), 1e-4);
        var embeddings = scored.GetColumn<float[]>(DeepClusteringColumnNames.Embedding).ToArray();
        var scores = scored.GetColumn<float[]>(DeepClusteringColumnNames.Score).ToArray();
        var labels = scored.GetColumn<uint>(DeepClusteringColumnNames.PredictedLabel).ToArray();
        for (int i = 0; i < labels.Length; i += 7)
        {
            for (int j = 0; j < 3; j++)
            {
                double expected = method == "DAC"
                    ? 1 - embeddings[i].Zip(centroids[j], (a, b) => a * b).Sum()
                    : embeddings[i].Zip(centroids[j], (a, b) => (a - b) * (a - b)).Sum();
                Assert.AreEqual(expected, scores[i][j], 1e-3, $"row {i}, cluster {j}");
            }
            Assert.AreEqual(labels[i], (uint)(Array.IndexOf(scores[i], scores[i].Min()) + 1));
        }

        using var stream = new MemoryStream();
        mlContext.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var reloaded = mlContext.Model.Load(stream, out _);
        CollectionAssert.AreEqual(labels, reloaded.Transform(data).GetColumn<uint>(DeepClusteringColumnNames.PredictedLabel).ToArray());
        (reloaded as IDisposable)?.Dispose();
    }

    [TestMethod]
    public void RestoreWeightsPutsBackTheSavedNetwork()
    {
        // The undo path of self-labelling: weights saved before training are loaded back into the same network.
        var spec = new NetworkSpec(MLNet.DeepClustering.Dac.DacNetwork.KindName, new ImageShape(1, 28, 28), 10, 16);
        using var model = new ClusteringModel(spec, TorchRuntime.BuildNetwork(spec, 1, out var generator), ScoreHead.Identity(10), TorchSharp.torch.CPU);
        generator.Dispose();
        var pixels = SampleDigits.Take(8).SelectMany(d => d.Features).ToArray();
        float[] Embeddings()
        {
            var embedding = new float[8 * 10];
            model.Predict(pixels, 8, embedding, new float[8 * 10], new uint[8]);
            return embedding;
        }

        var before = Embeddings();
        var saved = model.SaveWeights();
        using (TorchSharp.torch.no_grad())
            foreach (var parameter in model.Network.parameters())
                parameter.add_(0.5f);
        CollectionAssert.AreNotEqual(before, Embeddings(), "the parameters were changed");
        model.RestoreWeights(saved);
        CollectionAssert.AreEqual(before, Embeddings());
        Assert.IsFalse(model.Network.training, "left in evaluation mode");
    }
}
