using MLNet.DeepClustering.Jule;
using MLNet.DeepClustering.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.DeepClustering.Tests.Jule;

[TestClass]
public sealed class JuleNetworkTests
{
    [TestMethod]
    public void TheMnistNetworkKeepsItsWeightKeysAndComputesThePapersLayersInTheStandardLayout()
    {
        TorchRuntime.EnsureInitialized();
        torch.manual_seed(3);
        using var network = new NetworkSpec(JuleNetwork.KindName, new ImageShape(1, 28, 28), 20, 16).Build();
        var state = network.state_dict();
        // The saved-model format: these keys, whatever layout the feature maps have in memory.
        CollectionAssert.AreEquivalent(
            new[]
            {
                "features.conv0.weight", "features.conv0.bias",
                "features.bn0.weight", "features.bn0.bias", "features.bn0.running_mean", "features.bn0.running_var",
                "features.bn0.num_batches_tracked",
                "features.conv1.weight", "features.conv1.bias",
                "features.bn1.weight", "features.bn1.bias", "features.bn1.running_mean", "features.bn1.running_var",
                "features.bn1.num_batches_tracked",
                "fc.weight", "fc.bias",
            },
            state.Keys.ToArray());

        using var scope = torch.NewDisposeScope();
        // Non-trivial batch-normalisation statistics, then the same layers computed by hand on contiguous
        // (channels-first) tensors: conv-BN-ReLU-pool, conv-BN-ReLU, flatten in [C, H, W] order, fc, L2 normalisation.
        network.train();
        network.call(torch.rand(16, 1, 28, 28));
        network.eval();
        var input = torch.rand(5, 1, 28, 28);
        var output = network.call(input);

        Tensor BatchNorm(Tensor x, string name) => nn.functional.batch_norm(
            x, state[$"features.{name}.running_mean"], state[$"features.{name}.running_var"],
            state[$"features.{name}.weight"], state[$"features.{name}.bias"], training: false, eps: 1e-5);

        var x = nn.functional.conv2d(input, state["features.conv0.weight"], state["features.conv0.bias"]);
        x = nn.functional.max_pool2d(nn.functional.relu(BatchNorm(x, "bn0")), 2, 2, ceil_mode: true);
        x = nn.functional.conv2d(x.contiguous(), state["features.conv1.weight"], state["features.conv1.bias"]);
        x = nn.functional.relu(BatchNorm(x, "bn1")).contiguous().reshape(5, -1);
        Assert.AreEqual(16L * 8 * 8, x.shape[1]);
        var expected = nn.functional.normalize(nn.functional.linear(x, state["fc.weight"], state["fc.bias"]), p: 2, dim: 1);

        CollectionAssert.AreEqual(new long[] { 5, 20 }, output.shape);
        float largest = output.sub(expected).abs().max().item<float>();
        Assert.IsTrue(largest < 1e-5f, $"largest difference {largest}");
    }
}
