using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.DeepClustering.Torch;

/// <summary>Random affine jitter of a batch (rotation, zoom, shift) in one batched grid sample.</summary>
internal static class Augmentation
{
    /// <param name="images">[B, C, H, W].</param>
    /// <param name="generator">The Fit's own CPU generator (the random values are drawn on the CPU, then moved).</param>
    /// <param name="maxDegrees">Largest rotation either way.</param>
    /// <param name="maxZoom">Largest relative zoom either way (0.1 = 90% to 110%).</param>
    /// <param name="maxShift">Largest shift either way as a fraction of the side.</param>
    /// <param name="horizontalFlip">Also mirror each image left-right with probability 1/2.</param>
    public static Tensor RandomAffine(Tensor images, Generator generator, bool horizontalFlip = false, float maxDegrees = 10f, float maxZoom = 0.1f,
        float maxShift = 0.1f)
    {
        using var scope = NewDisposeScope();
        long b = images.shape[0];
        var device = images.device;
        // Every Scalar is held until its operation returns (Torch/Scalars.cs); each expression is what the operators
        // would compute: u * 2 - 1 for a uniform u in [-1, 1), then a product with the largest value.
        using var radians = (maxDegrees * MathF.PI / 180f).ToScalar();
        using var zoom = maxZoom.ToScalar();
        using var shiftRange = (2f * maxShift).ToScalar();
        // Drawn in this order on the CPU (the flips last, so runs without them draw the same numbers), then moved to the
        // device in one copy: one host-to-device transfer per batch instead of one per draw.
        var draws = new List<Tensor> { rand(b, 1, generator: generator), rand(b, 1, generator: generator), rand(b, 2, generator: generator) };
        if (horizontalFlip)
            draws.Add(rand(b, 1, generator: generator));
        var uniform = cat(draws, 1).to(device);
        var angle = Symmetric(uniform[.., 0]).mul(radians);
        var scale = Symmetric(uniform[.., 1]).mul(zoom).add(Scalars.One, Scalars.One);
        var shift = Symmetric(uniform[.., 2..4]).mul(shiftRange);
        var cos = angle.cos().div(scale);
        var sin = angle.sin().div(scale);
        var theta = stack(new[] { cos, sin.neg(), shift[.., 0], sin, cos, shift[.., 1] }, 1).reshape(b, 2, 3);
        if (horizontalFlip)
        {
            // Negating the first row samples the source at -x: a mirror image.
            var sign = uniform[.., 4].lt(Scalars.Half).to(ScalarType.Float32).mul(Scalars.Two).sub(Scalars.One);
            theta = theta.mul(stack(new[] { sign, ones_like(sign) }, 1).unsqueeze(2));
        }
        var grid = nn.functional.affine_grid(theta, images.shape, align_corners: false);
        var result = nn.functional.grid_sample(images, grid, align_corners: false);
        return result.MoveToOuterDisposeScope();
    }

    private static Tensor Symmetric(Tensor uniform) => uniform.mul(Scalars.Two).sub(Scalars.One);
}
