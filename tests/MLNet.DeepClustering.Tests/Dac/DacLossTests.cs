using MLNet.DeepClustering.Dac;
using MLNet.DeepClustering.Torch;
using TorchSharp;

namespace MLNet.DeepClustering.Tests.Dac;

[TestClass]
public sealed class DacLossTests
{
    [TestInitialize]
    public void Init() => TorchRuntime.EnsureInitialized();

    [TestMethod]
    public void BalancePenaltyIsZeroForEvenUseAndLogKForOneCluster()
    {
        using var even = torch.eye(4);
        Assert.AreEqual(0.0, DacPairwiseLoss.BalancePenalty(even).item<float>(), 1e-5);
        using var one = torch.tensor(new float[] { 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0 }, new long[] { 3, 4 });
        Assert.AreEqual(Math.Log(4), DacPairwiseLoss.BalancePenalty(one).item<float>(), 1e-5);
    }

    [TestMethod]
    public void BalanceWeightRisesOverItsRampThenStays()
    {
        // Ramp over half of 40 epochs: 0 in epoch 1, half the weight in epoch 11, the full weight from epoch 21 on.
        Assert.AreEqual(0f, DacTrainer.BalanceWeight(0.5f, 0.5f, 40, 1));
        Assert.AreEqual(0.25f, DacTrainer.BalanceWeight(0.5f, 0.5f, 40, 11), 1e-6f);
        Assert.AreEqual(0.5f, DacTrainer.BalanceWeight(0.5f, 0.5f, 40, 21));
        Assert.AreEqual(0.5f, DacTrainer.BalanceWeight(0.5f, 0.5f, 40, 40));
        // No ramp: the full weight from the first epoch; a ramp over all epochs: 39/40 of it in the last.
        Assert.AreEqual(0.5f, DacTrainer.BalanceWeight(0.5f, 0f, 40, 1));
        Assert.AreEqual(0.5f * 39 / 40, DacTrainer.BalanceWeight(0.5f, 1f, 40, 40), 1e-6f);

        var mlContext = new Microsoft.ML.MLContext(seed: 1);
        foreach (float ramp in new[] { -0.1f, 1.5f, float.NaN })
            Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Clustering.Trainers.Dac(new DacTrainer.Options { ClusterBalanceRampFraction = ramp }),
                $"ramp {ramp}");
        Assert.AreEqual(0f, new DacTrainer.Options().ClusterBalanceRampFraction);
    }

    [TestMethod]
    public void PairwiseLossSelectsByThresholdsAndDividesByAllEntries()
    {
        // Three unit label features: rows 0 and 1 have cosine 0.96 (similar at u = 0.95), row 2 is orthogonal to both
        // (cosine 0, dissimilar at l = 0.455). Pairs are counted in both orders, the diagonal never; the sum is divided
        // by the 3 x 3 entries of the similarity matrix.
        float c = 0.96f, s = MathF.Sqrt(1 - c * c);
        using var f = torch.tensor(new float[] { 1, 0, 0, c, s, 0, 0, 0, 1 }, new long[] { 3, 3 });
        using var loss = DacPairwiseLoss.Compute(f, 0.95f, 0.455f, out var similar, out var dissimilar);
        Assert.AreEqual(2f, similar.item<float>());
        Assert.AreEqual(4f, dissimilar.item<float>());
        double expected = (-2 * Math.Log(c) - 4 * Math.Log(1 - 1e-7)) / 9;
        Assert.AreEqual(expected, loss.item<float>(), 1e-5);
    }

    [TestMethod]
    public void SelectionFeaturesDecideWhichPairsAreSimilar()
    {
        // The trained features say rows 0 and 1 are near (cosine 0.96); the selection features say rows 0 and 2 are the
        // same and row 1 is different. The selection wins: (0, 2) is pushed together although its cosine is 0.
        float c = 0.96f, s = MathF.Sqrt(1 - c * c);
        using var f = torch.tensor(new float[] { 1, 0, 0, c, s, 0, 0, 0, 1 }, new long[] { 3, 3 });
        using var selection = torch.tensor(new float[] { 1, 0, 0, 0, 1, 0, 1, 0, 0 }, new long[] { 3, 3 });
        using var loss = DacPairwiseLoss.Compute(f, 0.95f, 0.455f, out var similar, out var dissimilar, selection);
        Assert.AreEqual(2f, similar.item<float>());
        Assert.AreEqual(4f, dissimilar.item<float>());
        double expected = (-2 * Math.Log(1e-7) - 2 * Math.Log(1 - c) - 2 * Math.Log(1 - 1e-7)) / 9;
        Assert.AreEqual(expected, loss.item<float>(), 1e-3);
    }

    [TestMethod]
    public void LambdaGrowsWithImagesTrainedAtThePapersRate()
    {
        var schedule = new DacThresholdSchedule(0.95f, 0.455f, 0.0099f);
        Assert.AreEqual(0f, schedule.Lambda(0));
        Assert.AreEqual(0.0099f, schedule.Lambda(DacThresholdSchedule.ImagesPerStep), 1e-7f);
        Assert.IsFalse(schedule.IsDone(schedule.Lambda(5_000_000)));
        Assert.IsTrue(schedule.IsDone(schedule.Lambda(6_000_000)), "u = l after about 5.9 million images, as in the paper");
    }

    [TestMethod]
    public void DacNetworkFitsSmallAndLargeImagesAndOutputsUnitLabelFeatures()
    {
        foreach (var shape in new[] { new ImageShape(1, 8, 8), new ImageShape(1, 28, 28), new ImageShape(3, 32, 48) })
        {
            torch.manual_seed(1);
            using var network = new NetworkSpec(DacNetwork.KindName, shape, 5, 16).Build();
            network.eval();
            using var scope = torch.NewDisposeScope();
            var output = network.call(torch.rand(4, shape.Channels, shape.Height, shape.Width));
            CollectionAssert.AreEqual(new long[] { 4, 5 }, output.shape, $"{shape}");
            var norms = output.norm(1).data<float>().ToArray();
            Assert.IsTrue(norms.All(n => Math.Abs(n - 1) < 1e-5), $"{shape}: {string.Join(", ", norms)}");
            Assert.IsTrue(output.min().item<float>() >= 0, "label features are a normalised softmax");
        }
    }
}
