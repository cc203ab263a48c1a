using MLNet.DeepClustering.Jule;
using static TorchSharp.torch;

namespace MLNet.DeepClustering.Torch;

/// <summary>
/// The exact kNN graph computed on a torch device (a GPU when the Fit trains on one): blocks of query rows, one matrix
/// product of each block against all points (score_ij = ||x_j||^2 - 2 x_i . x_j, which ranks candidates of row i like
/// the squared distance), and top-k of each block. One block of scores is held at a time, at most
/// <see cref="BlockBytes"/>, and the lists gather on the device and come to the host in one copy: memory O(n k) besides
/// the block. The same graph as <see cref="KnnGraph.Build(float[], int, int, Action?, int?)"/> up to rounding: the
/// device's products may order two candidates at nearly equal distance the other way.
/// </summary>
internal static class DeviceKnn
{
    /// <summary>The most bytes of one block of scores (query rows x all points).</summary>
    public const long BlockBytes = 256L << 20;

    /// <summary>Query rows per block for <paramref name="n"/> points: as many as fit <see cref="BlockBytes"/>, from 1 to 4,096.</summary>
    public static int BlockRows(int n) => (int)Math.Clamp(BlockBytes / (sizeof(float) * (long)n), 1, 4096);

    /// <summary>The <paramref name="neighborCount"/> nearest neighbours of every row of <paramref name="features"/>
    /// (row-major n x d), nearest first, never the row itself; <paramref name="cancel"/> is called between blocks.
    /// <paramref name="blockRows"/> overrides <see cref="BlockRows"/> (tests).</summary>
    public static KnnGraph Build(float[] features, int dimension, int neighborCount, Device device, Action? cancel = null, int? blockRows = null)
    {
        int n = KnnGraph.CheckArguments(features, dimension, neighborCount);
        // One candidate more than asked, as the row itself is among the nearest (first, unless a duplicate ties with it).
        int take = neighborCount + 1;
        int block = blockRows ?? BlockRows(n);
        var indices = new long[(long)n * take];
        var scores = new float[(long)n * take];
        var norms = new float[n];
        using (NewDisposeScope())
        using (no_grad())
        {
            var host = empty(new long[] { n, dimension }, ScalarType.Float32);
            features.AsSpan().CopyTo(TensorMemory.FloatSpan(host));
            var x = device.type == TorchSharp.DeviceType.CPU ? host : host.to(device);
            var squaredNorms = x.square().sum(1);
            var candidateNorms = squaredNorms.unsqueeze(0);
            var xt = x.t();
            var allIndices = empty(new long[] { n, take }, ScalarType.Int64, device: device);
            var allScores = empty(new long[] { n, take }, ScalarType.Float32, device: device);
            for (int start = 0; start < n; start += block)
            {
                cancel?.Invoke();
                using var scope = NewDisposeScope();
                int rows = Math.Min(block, n - start);
                var blockScores = addmm(candidateNorms, x.narrow(0, start, rows), xt, beta: 1, alpha: -2);
                var (values, positions) = blockScores.topk(take, dim: 1, largest: false, sorted: true);
                allScores.narrow(0, start, rows).copy_(values);
                allIndices.narrow(0, start, rows).copy_(positions);
            }
            TensorMemory.CopyTo(allIndices, indices.AsSpan());
            TensorMemory.CopyTo(allScores, scores.AsSpan());
            TensorMemory.CopyTo(squaredNorms, norms.AsSpan());
        }
        var neighbors = new int[n * neighborCount];
        var distances = new float[n * neighborCount];
        for (int i = 0; i < n; i++)
        {
            int written = 0;
            for (int c = 0; c < take && written < neighborCount; c++)
            {
                long j = indices[(long)i * take + c];
                if (j == i)
                    continue;
                neighbors[i * neighborCount + written] = (int)j;
                distances[i * neighborCount + written] = MathF.Max(0, norms[i] + scores[(long)i * take + c]);
                written++;
            }
        }
        return KnnGraph.FromLists(n, neighborCount, neighbors, distances);
    }
}
