using MLNet.DeepClustering.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.DeepClustering.Jule;

/// <summary>
/// JULE's weighted triplet loss on one mini-batch (paper eq. 11, batch-wise): anchors and positives are all ordered
/// pairs (i, j), i != j, of the same current cluster; for each anchor the negatives are its Kc nearest samples of other
/// clusters in the batch. Loss per triplet: max(0, gamma ||x_i - x_j||^2 - ||x_i - x_k||^2 + margin), averaged over the
/// triplets. Gradients come from autograd.
/// </summary>
internal static class JuleTripletLoss
{
    private const float SameClusterOffset = 1e6f;
    private static readonly Scalar Offset = SameClusterOffset.ToScalar(), HalfOffset = (SameClusterOffset / 2).ToScalar();

    /// <param name="embedding">[B, d] embeddings.</param>
    /// <param name="labels">[B] current cluster of each row (int64, same device).</param>
    /// <param name="negativesPerAnchor">Kc.</param>
    /// <param name="gamma">Weight of the positive distance.</param>
    /// <param name="margin">Margin.</param>
    /// <param name="triplets">Number of triplets that entered the average.</param>
    public static Tensor Compute(Tensor embedding, Tensor labels, int negativesPerAnchor, float gamma, float margin, out Tensor triplets)
    {
        long b = embedding.shape[0];
        // Every Scalar is held until its operation returns (Torch/Scalars.cs): no float arguments, no + operator.
        using var gammaScalar = gamma.ToScalar();
        using var marginScalar = margin.ToScalar();
        // pow(2), not a product: the same autograd graph as square(), so gradients sum in the same order.
        var squared = embedding.pow(Scalars.Two).sum(1);
        var distance = squared.unsqueeze(1).add(squared.unsqueeze(0), Scalars.One)
            .sub(embedding.matmul(embedding.t()).mul(Scalars.Two)).clamp_min(Scalars.Zero);
        var same = labels.unsqueeze(1).eq(labels.unsqueeze(0));
        var positive = same.logical_and(eye(b, dtype: ScalarType.Bool, device: embedding.device).logical_not());
        int kc = (int)Math.Min(negativesPerAnchor, b - 1);
        // Same-cluster entries are pushed out of reach with a finite offset (not +inf, whose gradient paths give NaN).
        var offset = same.to(embedding.dtype).mul(Offset);
        var candidates = distance.add(offset, Scalars.One).topk(kc, dim: 1, largest: false);
        var validNegative = candidates.values.lt(HalfOffset);
        var negativeDistance = distance.gather(1, candidates.indexes);
        var mask = positive.unsqueeze(2).logical_and(validNegative.unsqueeze(1)).to(embedding.dtype);
        var hinge = distance.unsqueeze(2).mul(gammaScalar).sub(negativeDistance.unsqueeze(1)).add(marginScalar, Scalars.One).clamp_min(Scalars.Zero);
        triplets = mask.sum();
        return hinge.mul(mask).sum().div(triplets.clamp_min(Scalars.One));
    }
}
