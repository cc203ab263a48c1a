using MLNet.DeepClustering.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.DeepClustering.Dac;

/// <summary>
/// DAC's loss on one mini-batch: cosine similarities s_ij = f_i . f_j of the label features; pairs with s_ij &gt;= u are
/// labelled similar (r = 1), pairs with s_ij &lt; l dissimilar (r = 0), the rest ignored; binary cross-entropy between
/// r_ij and s_ij over the selected pairs (i != j), divided by the b^2 entries of the similarity matrix as in the
/// reference port, so the step size does not jump when the number of selected pairs changes.
/// </summary>
internal static class DacPairwiseLoss
{
    private const float Epsilon = 1e-7f;
    private static readonly Scalar MinSimilarity = Epsilon.ToScalar(), MaxSimilarity = (1f - Epsilon).ToScalar(), MinProbability = 1e-8f.ToScalar();

    /// <summary>
    /// Returns the loss (scalar) and the numbers of pairs selected as similar and as dissimilar. Pairs are selected on
    /// <paramref name="selectionFeatures"/> when given (rows aligned with <paramref name="labelFeatures"/>; DAC passes the
    /// label features of the un-augmented images), else on <paramref name="labelFeatures"/> themselves.
    /// </summary>
    public static Tensor Compute(Tensor labelFeatures, float upper, float lower, out Tensor similarPairs, out Tensor dissimilarPairs, Tensor? selectionFeatures = null)
    {
        long b = labelFeatures.shape[0];
        // Every Scalar is held until its operation returns (Torch/Scalars.cs): no float arguments, no + operator.
        using var upperScalar = upper.ToScalar();
        using var lowerScalar = lower.ToScalar();
        using var entries = (b * b).ToScalar();
        var similarity = labelFeatures.matmul(labelFeatures.t()).clamp(MinSimilarity, MaxSimilarity);
        Tensor similar, dissimilar;
        using (no_grad())
        {
            var offDiagonal = ones(b, b, dtype: ScalarType.Bool, device: labelFeatures.device).logical_xor_(eye(b, dtype: ScalarType.Bool, device: labelFeatures.device));
            var selection = selectionFeatures is null ? similarity : selectionFeatures.matmul(selectionFeatures.t());
            similar = selection.ge(upperScalar).logical_and_(offDiagonal).to(ScalarType.Float32);
            dissimilar = selection.lt(lowerScalar).logical_and_(offDiagonal).to(ScalarType.Float32);
            similarPairs = similar.sum();
            dissimilarPairs = dissimilar.sum();
        }
        // -(r log s + (1 - r') log(1 - s)), with 1 - s written as -s + 1 (what the - operator does).
        var loss = similar.mul(similarity.log()).add(dissimilar.mul(similarity.negative().add(Scalars.One, Scalars.One).log()), Scalars.One).sum().neg();
        return loss.div(entries);
    }

    /// <summary>
    /// log k - H(mean cluster distribution of the batch): 0 when the batch uses every cluster equally, log k when it
    /// puts everything in one. The distribution of each image is its softmax, recovered from the label feature
    /// f = p / ||p|| as f / sum(f).
    /// </summary>
    public static Tensor BalancePenalty(Tensor labelFeatures)
    {
        using var logK = MathF.Log(labelFeatures.shape[1]).ToScalar();
        var probabilities = labelFeatures.div(labelFeatures.sum(1, keepdim: true));
        var mean = probabilities.mean(new long[] { 0 });
        return mean.mul(mean.clamp_min(MinProbability).log()).sum().add(logK, Scalars.One);
    }
}
