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

    /// <summary>
    /// Returns the loss (scalar) and the numbers of pairs selected as similar and as dissimilar. Pairs are selected on
    /// <paramref name="selectionFeatures"/> when given (rows aligned with <paramref name="labelFeatures"/>; DAC passes the
    /// label features of the un-augmented images), else on <paramref name="labelFeatures"/> themselves.
    /// </summary>
    public static Tensor Compute(Tensor labelFeatures, float upper, float lower, out Tensor similarPairs, out Tensor dissimilarPairs, Tensor? selectionFeatures = null)
    {
        long b = labelFeatures.shape[0];
        var similarity = labelFeatures.matmul(labelFeatures.t()).clamp(Epsilon, 1f - Epsilon);
        Tensor similar, dissimilar;
        using (no_grad())
        {
            var offDiagonal = ones(b, b, dtype: ScalarType.Bool, device: labelFeatures.device).logical_xor_(eye(b, dtype: ScalarType.Bool, device: labelFeatures.device));
            var selection = selectionFeatures is null ? similarity : selectionFeatures.matmul(selectionFeatures.t());
            similar = selection.ge(upper).logical_and_(offDiagonal).to(ScalarType.Float32);
            dissimilar = selection.lt(lower).logical_and_(offDiagonal).to(ScalarType.Float32);
            similarPairs = similar.sum();
            dissimilarPairs = dissimilar.sum();
        }
        var loss = -(similar * similarity.log() + dissimilar * (1f - similarity).log()).sum();
        return loss / (b * b);
    }

    /// <summary>
    /// log k - H(mean cluster distribution of the batch): 0 when the batch uses every cluster equally, log k when it
    /// puts everything in one. The distribution of each image is its softmax, recovered from the label feature
    /// f = p / ||p|| as f / sum(f).
    /// </summary>
    public static Tensor BalancePenalty(Tensor labelFeatures)
    {
        var probabilities = labelFeatures / labelFeatures.sum(1, keepdim: true);
        var mean = probabilities.mean(new long[] { 0 });
        return (mean * mean.clamp_min(1e-8f).log()).sum() + MathF.Log(labelFeatures.shape[1]);
    }
}
