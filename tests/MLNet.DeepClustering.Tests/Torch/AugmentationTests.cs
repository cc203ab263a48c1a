using MLNet.DeepClustering.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.DeepClustering.Tests.Torch;

[TestClass]
public sealed class AugmentationTests
{
    [TestMethod]
    public void HorizontalFlipMirrorsAboutHalfTheImagesAndLeavesTheDrawsOfTheAffinePartUnchanged()
    {
        TorchRuntime.EnsureInitialized();
        // 64 copies of one asymmetric 1 x 8 x 8 image: a bright left column.
        var image = zeros(64, 1, 8, 8);
        image[.., .., .., 0] = ones(64, 1, 8);
        using var still = manual_seed_generator(5);
        using var flipped = manual_seed_generator(5);
        // No rotation, zoom or shift: the output is the image or its mirror.
        var plain = Augmentation.RandomAffine(image, still, horizontalFlip: false, maxDegrees: 0, maxZoom: 0, maxShift: 0);
        var mirrored = Augmentation.RandomAffine(image, flipped, horizontalFlip: true, maxDegrees: 0, maxZoom: 0, maxShift: 0);
        Assert.AreEqual(0.0, (plain - image).abs().max().item<float>(), 1e-5);
        int mirrors = 0;
        for (int i = 0; i < 64; i++)
        {
            bool same = (mirrored[i] - image[i]).abs().max().item<float>() < 1e-5;
            bool mirror = (mirrored[i] - image[i].flip(2)).abs().max().item<float>() < 1e-5;
            Assert.IsTrue(same ^ mirror, $"image {i} is the image or its mirror");
            if (mirror)
                mirrors++;
        }
        Assert.IsTrue(mirrors is > 16 and < 48, $"{mirrors} of 64 mirrored");
    }

    private static Generator manual_seed_generator(long seed) => new Generator((ulong)seed);
}
