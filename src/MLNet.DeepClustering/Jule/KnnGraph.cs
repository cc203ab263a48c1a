using System.Numerics;
using System.Runtime.InteropServices;

namespace MLNet.DeepClustering.Jule;

/// <summary>
/// Exact k-nearest-neighbour lists of n points (Euclidean distance), computed block by block through dot products so
/// that no n x n matrix is ever held: memory is O(n * k). ||x_i - x_j||^2 = ||x_i||^2 + ||x_j||^2 - 2 x_i . x_j; JULE
/// passes L2-normalised rows.
/// </summary>
public sealed class KnnGraph
{
    private KnnGraph(int count, int neighborCount, int[] neighbors, float[] squaredDistances)
    {
        Count = count;
        NeighborCount = neighborCount;
        Neighbors = neighbors;
        SquaredDistances = squaredDistances;
    }

    /// <summary>n, the number of points.</summary>
    public int Count { get; }

    /// <summary>k, neighbours per point.</summary>
    public int NeighborCount { get; }

    /// <summary>Row-major n x k: the neighbours of point i, nearest first (never i itself).</summary>
    public int[] Neighbors { get; }

    /// <summary>Row-major n x k: squared Euclidean distances matching <see cref="Neighbors"/>.</summary>
    public float[] SquaredDistances { get; }

    /// <summary>The neighbours of point <paramref name="i"/>, nearest first.</summary>
    public ReadOnlySpan<int> NeighborsOf(int i) => Neighbors.AsSpan(i * NeighborCount, NeighborCount);

    /// <summary>Squared distances to the neighbours of point <paramref name="i"/>.</summary>
    public ReadOnlySpan<float> DistancesOf(int i) => SquaredDistances.AsSpan(i * NeighborCount, NeighborCount);

    /// <summary>Scales every row of a row-major n x d matrix to unit length in place (zero rows stay zero).</summary>
    public static void NormalizeRows(Span<float> features, int dimension)
    {
        for (int start = 0; start < features.Length; start += dimension)
        {
            var row = features.Slice(start, dimension);
            float norm = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(row));
            if (norm > 0)
                System.Numerics.Tensors.TensorPrimitives.Divide(row, norm, row);
        }
    }

    /// <summary>
    /// Builds the exact kNN graph of the rows of <paramref name="features"/> (row-major n x d), in parallel
    /// over blocks of query rows, checking <paramref name="cancel"/> between blocks.
    /// </summary>
    public static KnnGraph Build(float[] features, int dimension, int neighborCount, Action? cancel = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (dimension <= 0 || features.Length % dimension != 0)
            throw new ArgumentException($"Feature length {features.Length} is not a multiple of the dimension {dimension}.", nameof(features));
        int n = features.Length / dimension;
        if (neighborCount < 1 || neighborCount >= n)
            throw new ArgumentOutOfRangeException(nameof(neighborCount), neighborCount, $"Need 1 <= neighbours < number of points ({n}).");
        var norms = new float[n];
        for (int i = 0; i < n; i++)
            norms[i] = System.Numerics.Tensors.TensorPrimitives.SumOfSquares(features.AsSpan(i * dimension, dimension));
        var neighbors = new int[n * neighborCount];
        var distances = new float[n * neighborCount];
        const int block = 64;
        int blocks = (n + block - 1) / block;
        try
        {
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, () => new TopK[block], (b, _, heaps) =>
        {
            cancel?.Invoke();
            int i0 = b * block, i1 = Math.Min(n, i0 + block);
            for (int i = i0; i < i1; i++)
                (heaps[i - i0] ??= new TopK(neighborCount)).Reset();
            ScanBlock(features, norms, dimension, n, i0, i1, heaps);
            for (int i = i0; i < i1; i++)
                heaps[i - i0].WriteSorted(neighbors.AsSpan(i * neighborCount, neighborCount), distances.AsSpan(i * neighborCount, neighborCount));
            return heaps;
        }, _ => { });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // Surface cancellation (and any other failure) as the exception a block threw, not a wrapper.
            var first = e.InnerExceptions.FirstOrDefault(x => x is OperationCanceledException) ?? e.InnerExceptions[0];
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }
        return new KnnGraph(n, neighborCount, neighbors, distances);
    }

    // Dot products of query rows [i0, i1) with every row, four query rows at a time so each candidate row is loaded once
    // per four products.
    private static void ScanBlock(float[] x, float[] norms, int d, int n, int i0, int i1, TopK[] heaps)
    {
        var all = x.AsSpan();
        int i = i0;
        for (; i + 4 <= i1; i += 4)
        {
            var q0 = all.Slice(i * d, d);
            var q1 = all.Slice((i + 1) * d, d);
            var q2 = all.Slice((i + 2) * d, d);
            var q3 = all.Slice((i + 3) * d, d);
            for (int j = 0; j < n; j++)
            {
                var c = all.Slice(j * d, d);
                Dot4(q0, q1, q2, q3, c, out float s0, out float s1, out float s2, out float s3);
                float nj = norms[j];
                if (j != i) heaps[i - i0].Offer(j, MathF.Max(0, norms[i] + nj - 2 * s0));
                if (j != i + 1) heaps[i + 1 - i0].Offer(j, MathF.Max(0, norms[i + 1] + nj - 2 * s1));
                if (j != i + 2) heaps[i + 2 - i0].Offer(j, MathF.Max(0, norms[i + 2] + nj - 2 * s2));
                if (j != i + 3) heaps[i + 3 - i0].Offer(j, MathF.Max(0, norms[i + 3] + nj - 2 * s3));
            }
        }
        for (; i < i1; i++)
        {
            var q = all.Slice(i * d, d);
            for (int j = 0; j < n; j++)
            {
                if (j != i)
                    heaps[i - i0].Offer(j, MathF.Max(0, norms[i] + norms[j] - 2 * System.Numerics.Tensors.TensorPrimitives.Dot(q, all.Slice(j * d, d))));
            }
        }
    }

    private static void Dot4(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, ReadOnlySpan<float> e,
        ReadOnlySpan<float> x, out float s0, out float s1, out float s2, out float s3)
    {
        int w = Vector<float>.Count, d = x.Length, k = 0;
        Vector<float> v0 = default, v1 = default, v2 = default, v3 = default;
        var va = MemoryMarshal.Cast<float, Vector<float>>(a);
        var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
        var vc = MemoryMarshal.Cast<float, Vector<float>>(c);
        var ve = MemoryMarshal.Cast<float, Vector<float>>(e);
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        for (int t = 0; t < vx.Length; t++)
        {
            var xv = vx[t];
            v0 += va[t] * xv;
            v1 += vb[t] * xv;
            v2 += vc[t] * xv;
            v3 += ve[t] * xv;
        }
        k = vx.Length * w;
        s0 = Vector.Sum(v0);
        s1 = Vector.Sum(v1);
        s2 = Vector.Sum(v2);
        s3 = Vector.Sum(v3);
        for (; k < d; k++)
        {
            s0 += a[k] * x[k];
            s1 += b[k] * x[k];
            s2 += c[k] * x[k];
            s3 += e[k] * x[k];
        }
    }

    /// <summary>The k smallest (distance, index) pairs seen so far: a bounded max-heap on distance, ties by index.</summary>
    private sealed class TopK
    {
        private readonly int[] _index;
        private readonly float[] _distance;
        private int _count;

        public TopK(int k)
        {
            _index = new int[k];
            _distance = new float[k];
        }

        public void Reset() => _count = 0;

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public void Offer(int index, float distance)
        {
            if (_count == _index.Length && distance > _distance[0])
                return;
            int k = _index.Length;
            if (_count < k)
            {
                int slot = _count++;
                _index[slot] = index;
                _distance[slot] = distance;
                SiftUp(slot);
            }
            else if (Worse(_distance[0], _index[0], distance, index))
            {
                _index[0] = index;
                _distance[0] = distance;
                SiftDown(0);
            }
        }

        // True when (d1, i1) ranks after (d2, i2): farther, or as far with a larger index (deterministic ties).
        private static bool Worse(float d1, int i1, float d2, int i2) => d1 > d2 || (d1 == d2 && i1 > i2);

        private void SiftUp(int slot)
        {
            while (slot > 0)
            {
                int parent = (slot - 1) / 2;
                if (!Worse(_distance[slot], _index[slot], _distance[parent], _index[parent]))
                    break;
                Swap(slot, parent);
                slot = parent;
            }
        }

        private void SiftDown(int slot)
        {
            while (true)
            {
                int left = 2 * slot + 1, right = left + 1, worst = slot;
                if (left < _count && Worse(_distance[left], _index[left], _distance[worst], _index[worst]))
                    worst = left;
                if (right < _count && Worse(_distance[right], _index[right], _distance[worst], _index[worst]))
                    worst = right;
                if (worst == slot)
                    return;
                Swap(slot, worst);
                slot = worst;
            }
        }

        private void Swap(int a, int b)
        {
            (_index[a], _index[b]) = (_index[b], _index[a]);
            (_distance[a], _distance[b]) = (_distance[b], _distance[a]);
        }

        public void WriteSorted(Span<int> indices, Span<float> distances)
        {
            var order = Enumerable.Range(0, _count).OrderBy(s => _distance[s]).ThenBy(s => _index[s]).ToArray();
            for (int r = 0; r < order.Length; r++)
            {
                indices[r] = _index[order[r]];
                distances[r] = _distance[order[r]];
            }
        }
    }
}
