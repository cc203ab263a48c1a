using static TorchSharp.torch;

namespace MLNet.DeepClustering.Dac;

/// <summary>
/// DAC's loss on one mini-batch: cosine similarities s_ij = f_i . f_j of the label features; pairs with s_ij &gt;= u are
/// labelled similar (r = 1), pairs with s_ij &lt; l dissimilar (r = 0), the rest ignored; binary cross-entropy between
/// r_ij and s_ij averaged over the selected pairs (i != j).
/// </summary>
internal static class DacPairwiseLoss
{
    private const float Epsilon = 1e-7f;

    /// <summary>Returns the loss (scalar) and the numbers of pairs selected as similar and as dissimilar.</summary>
    public static Tensor Compute(Tensor labelFeatures, float upper, float lower, out Tensor similarPairs, out Tensor dissimilarPairs)
    {
        long b = labelFeatures.shape[0];
        var similarity = labelFeatures.matmul(labelFeatures.t()).clamp(Epsilon, 1f - Epsilon);
        Tensor similar, dissimilar;
        using (no_grad())
        {
            var offDiagonal = ones(b, b, dtype: ScalarType.Bool, device: labelFeatures.device).logical_xor_(eye(b, dtype: ScalarType.Bool, device: labelFeatures.device));
            similar = similarity.ge(upper).logical_and_(offDiagonal).to(ScalarType.Float32);
            dissimilar = similarity.lt(lower).logical_and_(offDiagonal).to(ScalarType.Float32);
            similarPairs = similar.sum();
            dissimilarPairs = dissimilar.sum();
        }
        var loss = -(similar * similarity.log() + dissimilar * (1f - similarity).log()).sum();
        return loss / (similarPairs + dissimilarPairs).clamp_min(1f);
    }
}
