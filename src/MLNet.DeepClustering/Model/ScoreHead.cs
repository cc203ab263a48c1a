using MLNet.DeepClustering.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.DeepClustering;

/// <summary>How a <see cref="ScoreHead"/> turns an embedding into the distance-like Score vector.</summary>
internal enum ScoreKind
{
    /// <summary>Score_j = 1 - e . p_j for unit prototypes p_j (DAC: p_j = the j-th unit vector, so Score_j = 1 - f_j).</summary>
    CosineDistanceToPrototypes = 1,

    /// <summary>Score_j = ||e - c_j||^2 for cluster centroids c_j in embedding space (JULE).</summary>
    SquaredDistanceToCentroids = 2,
}

/// <summary>Maps embeddings to k distance-like scores (smaller = closer); the predicted cluster is the argmin.</summary>
internal sealed class ScoreHead
{
    public ScoreHead(ScoreKind kind, int clusterCount, int dimension, float[] matrix)
    {
        if (!Enum.IsDefined(kind) || clusterCount < 2 || dimension < 1 || matrix.Length != (long)clusterCount * dimension)
            throw new InvalidDataException($"Invalid score head: kind {kind}, {clusterCount} clusters, dimension {dimension}, {matrix.Length} values.");
        Kind = kind;
        ClusterCount = clusterCount;
        Dimension = dimension;
        Matrix = matrix;
    }

    public ScoreKind Kind { get; }

    public int ClusterCount { get; }

    public int Dimension { get; }

    /// <summary>Row-major k x d prototypes or centroids.</summary>
    public float[] Matrix { get; }

    /// <summary>Unit prototypes: Score_j = 1 - f_j.</summary>
    public static ScoreHead Identity(int clusterCount)
    {
        var m = new float[clusterCount * clusterCount];
        for (int i = 0; i < clusterCount; i++)
            m[i * clusterCount + i] = 1f;
        return new ScoreHead(ScoreKind.CosineDistanceToPrototypes, clusterCount, clusterCount, m);
    }

    /// <summary>How many of <paramref name="labels"/> fall in each cluster 0..k-1 (longer if a label is k or more).</summary>
    public static int[] ClusterSizes(int[] labels, int k)
    {
        var sizes = new int[labels.Length == 0 ? k : Math.Max(k, labels.Max() + 1)];
        foreach (int label in labels)
            sizes[label]++;
        return sizes;
    }

    /// <summary>The mean of the rows of each cluster 0..k-1 (row-major k x d; zero for an empty cluster).</summary>
    public static float[] ClusterMeans(float[] embedding, int[] labels, int k, int d)
    {
        var sums = new double[k * d];
        var counts = new int[k];
        for (int i = 0; i < labels.Length; i++)
        {
            counts[labels[i]]++;
            for (int j = 0; j < d; j++)
                sums[labels[i] * d + j] += embedding[i * d + j];
        }
        var centroids = new float[k * d];
        for (int c = 0; c < k; c++)
            for (int j = 0; j < d; j++)
                centroids[c * d + j] = counts[c] > 0 ? (float)(sums[c * d + j] / counts[c]) : 0f;
        return centroids;
    }

    /// <summary>Scores for a batch of embeddings [B, d] with the matrix already on the embedding's device as [k, d].</summary>
    public Tensor Score(Tensor embedding, Tensor matrix)
    {
        using var scope = NewDisposeScope();
        // Only the process-wide Scalars (Torch/Scalars.cs): PredictionEngines score on several threads while others
        // allocate and collect. The overloads that create a Scalar behind the call are avoided: add_(Scalar) and
        // add(Tensor) pass an alpha of 1, square() is pow(2), and the + operator is add(Tensor). Squares are products
        // and sub takes no Scalar.
        Tensor score = Kind switch
        {
            ScoreKind.CosineDistanceToPrototypes => embedding.matmul(matrix.t()).neg_().add_(Scalars.One, Scalars.One),
            _ => embedding.mul(embedding).sum(1, keepdim: true).sub(embedding.matmul(matrix.t()).mul_(Scalars.Two))
                .add_(matrix.mul(matrix).sum(1).unsqueeze(0), Scalars.One).clamp_min_(Scalars.Zero),
        };
        return score.MoveToOuterDisposeScope();
    }
}
