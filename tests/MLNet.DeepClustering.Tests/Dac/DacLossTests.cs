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
    public void PairwiseLossSelectsByThresholdsAndAveragesBce()
    {
        // Three unit label features: rows 0 and 1 have cosine 0.96 (similar at u = 0.95), row 2 is orthogonal to both
        // (cosine 0, dissimilar at l = 0.455). Pairs are counted in both orders, the diagonal never.
        float c = 0.96f, s = MathF.Sqrt(1 - c * c);
        using var f = torch.tensor(new float[] { 1, 0, 0, c, s, 0, 0, 0, 1 }, new long[] { 3, 3 });
        using var loss = DacPairwiseLoss.Compute(f, 0.95f, 0.455f, out var similar, out var dissimilar);
        Assert.AreEqual(2f, similar.item<float>());
        Assert.AreEqual(4f, dissimilar.item<float>());
        double expected = (-2 * Math.Log(c) - 4 * Math.Log(1 - 1e-7)) / 6;
        Assert.AreEqual(expected, loss.item<float>(), 1e-5);
    }
}
