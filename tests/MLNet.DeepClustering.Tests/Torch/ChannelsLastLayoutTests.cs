using MLNet.DeepClustering.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.DeepClustering.Tests.Torch;

[TestClass]
public sealed class ChannelsLastLayoutTests
{
    [TestMethod]
    public void FeatureMapsKeepTheirValuesAndGradientsInTheChannelsLastLayout()
    {
        TorchRuntime.EnsureInitialized();
        using var layout = new ChannelsLastLayout();
        using var input = randn(2, 32, 5, 7).requires_grad_(true);
        using var output = layout.call(input);
        CollectionAssert.AreEqual(new long[] { 2, 32, 5, 7 }, output.shape);
        // Channels-last strides of [N, C, H, W]: the C values of a pixel are adjacent.
        CollectionAssert.AreEqual(new long[] { 32 * 5 * 7, 1, 32 * 7, 32 }, output.stride());
        Assert.IsTrue(output.eq(input).all().item<bool>());
        using var weights = arange(2 * 32 * 5 * 7, dtype: ScalarType.Float32).reshape(2, 32, 5, 7);
        using var loss = output.mul(weights).sum();
        loss.backward();
        Assert.IsTrue(input.grad!.eq(weights).all().item<bool>(), "the gradient reaches the input unchanged");
    }

    [TestMethod]
    public void OtherThanFourDimensionalInputPassesUnchanged()
    {
        TorchRuntime.EnsureInitialized();
        using var layout = new ChannelsLastLayout();
        using var input = randn(6, 10);
        using var output = layout.call(input);
        CollectionAssert.AreEqual(input.stride(), output.stride());
        Assert.IsTrue(output.eq(input).all().item<bool>());
    }
}
