using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MLNet.DeepClustering.Jule;

/// <summary>
/// Exact k-nearest-neighbour lists of n points (Euclidean distance). ||x_i - x_j||^2 = ||x_i||^2 + ||x_j||^2 - 2 x_i . x_j:
/// the dot products are computed tile by tile as a blocked matrix product (6 query rows x two vectors of candidates in
/// registers, in the widest vectors the processor has),
/// and each tile goes straight to the neighbour selection, so no n x n matrix and no distance block is ever held:
/// memory is O(n * k) plus one packed block of candidates. JULE passes L2-normalised rows.
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

    /// <summary>A graph from lists computed elsewhere (on a torch device): row-major n x k, nearest first.</summary>
    internal static KnnGraph FromLists(int count, int neighborCount, int[] neighbors, float[] squaredDistances)
        => new(count, neighborCount, neighbors, squaredDistances);

    /// <summary>The first <paramref name="neighborCount"/> of every list (nearest first, equal distances by index): the
    /// graph with that many neighbours, without a second search.</summary>
    internal KnnGraph Nearest(int neighborCount)
    {
        if (neighborCount == NeighborCount)
            return this;
        if (neighborCount < 1 || neighborCount > NeighborCount)
            throw new ArgumentOutOfRangeException(nameof(neighborCount), neighborCount, $"Need 1 to {NeighborCount} neighbours.");
        var neighbors = new int[Count * neighborCount];
        var distances = new float[Count * neighborCount];
        for (int i = 0; i < Count; i++)
        {
            NeighborsOf(i)[..neighborCount].CopyTo(neighbors.AsSpan(i * neighborCount, neighborCount));
            DistancesOf(i)[..neighborCount].CopyTo(distances.AsSpan(i * neighborCount, neighborCount));
        }
        return new KnnGraph(Count, neighborCount, neighbors, distances);
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

    /// <summary>Query rows per register tile.</summary>
    private const int TileRows = 6;

    /// <summary>Query rows per parallel work item (a multiple of <see cref="TileRows"/>).</summary>
    private const int QueryBlock = 192;

    /// <summary>Bytes of packed candidates per block, sized to stay in a core's L2 cache while every query tile of a
    /// work item runs over it.</summary>
    private const int CandidateBlockBytes = 384 << 10;

    /// <summary>
    /// Builds the exact kNN graph of the rows of <paramref name="features"/> (row-major n x d). Candidates are taken in
    /// blocks that fit a core's cache, packed once per block; within a block, query rows are shared out over
    /// <paramref name="threads"/> threads (one per core when null). <paramref name="cancel"/> is called between work items.
    /// Neighbours at equal distance are ordered by index, so the result does not depend on the thread count.
    /// </summary>
    public static KnnGraph Build(float[] features, int dimension, int neighborCount, Action? cancel = null, int? threads = null) =>
        Build(features, dimension, neighborCount, cancel, threads, WidestVector);

    /// <summary>The widest vector the processor runs natively: 512, 256 or 128 bits.</summary>
    internal static int WidestVector => Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 128;

    /// <summary><see cref="Build(float[], int, int, Action?, int?)"/> with the dot-product tiles in vectors of
    /// <paramref name="vectorBits"/> bits (tests run every width on any processor).</summary>
    internal static KnnGraph Build(float[] features, int dimension, int neighborCount, Action? cancel, int? threads, int vectorBits)
    {
        int n = CheckArguments(features, dimension, neighborCount);
        if (threads is < 1)
            throw new ArgumentOutOfRangeException(nameof(threads), threads, "Need at least one thread.");
        var norms = new float[n];
        for (int i = 0; i < n; i++)
            norms[i] = System.Numerics.Tensors.TensorPrimitives.SumOfSquares(features.AsSpan(i * dimension, dimension));
        // Selection state: per query row a bounded max-heap of (score, index), score = ||x_j||^2 - 2 x_i . x_j (the
        // query's own norm is the same for every candidate and is added at the end), and the score a candidate must beat.
        var heaps = new Heaps(n, neighborCount);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads ?? Environment.ProcessorCount };
        try
        {
            switch (vectorBits)
            {
                case 512: Scan<Vector512<float>, Simd512>(features, norms, dimension, heaps, parallel, cancel); break;
                case 256: Scan<Vector256<float>, Simd256>(features, norms, dimension, heaps, parallel, cancel); break;
                case 128: Scan<Vector128<float>, Simd128>(features, norms, dimension, heaps, parallel, cancel); break;
                default: throw new ArgumentOutOfRangeException(nameof(vectorBits), vectorBits, "Expected 128, 256 or 512.");
            }
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // Surface cancellation (and any other failure) as the exception a work item threw, not a wrapper.
            var first = e.InnerExceptions.FirstOrDefault(x => x is OperationCanceledException) ?? e.InnerExceptions[0];
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }
        var neighbors = new int[n * neighborCount];
        var distances = new float[n * neighborCount];
        for (int i = 0; i < n; i++)
            heaps.WriteSorted(i, norms[i], neighbors.AsSpan(i * neighborCount, neighborCount), distances.AsSpan(i * neighborCount, neighborCount));
        return new KnnGraph(n, neighborCount, neighbors, distances);
    }

    /// <summary>Checks the arguments every kNN builder takes and returns n, the number of points.</summary>
    internal static int CheckArguments(float[] features, int dimension, int neighborCount)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (dimension <= 0 || features.Length % dimension != 0)
            throw new ArgumentException($"Feature length {features.Length} is not a multiple of the dimension {dimension}.", nameof(features));
        int n = features.Length / dimension;
        if (neighborCount < 1 || neighborCount >= n)
            throw new ArgumentOutOfRangeException(nameof(neighborCount), neighborCount, $"Need 1 <= neighbours < number of points ({n}).");
        return n;
    }

    // Every candidate block in turn: packed once, then scanned by every query block in parallel. Panels are two vectors
    // (2 * TV lanes) of candidates wide.
    private static void Scan<TV, TOps>(float[] x, float[] norms, int d, Heaps heaps, ParallelOptions parallel, Action? cancel)
        where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int n = norms.Length, width = 2 * TOps.Lanes;
        int candidatesPerBlock = Math.Max(width, CandidateBlockBytes / (d * sizeof(float)) / width * width);
        var packed = new float[candidatesPerBlock * d];
        var packedNorms = new float[candidatesPerBlock];
        int queryBlocks = (n + QueryBlock - 1) / QueryBlock;
        for (int c0 = 0; c0 < n; c0 += candidatesPerBlock)
        {
            int c1 = Math.Min(n, c0 + candidatesPerBlock);
            Pack(x, norms, d, c0, c1, width, packed, packedNorms);
            Parallel.For(0, queryBlocks, parallel, b =>
            {
                cancel?.Invoke();
                int i0 = b * QueryBlock, i1 = Math.Min(n, i0 + QueryBlock);
                ScanBlock<TV, TOps>(x, d, i0, i1, packed, packedNorms, c0, c1, heaps);
            });
        }
    }

    // Candidates [c0, c1) as panels of `width`: panel p holds, for every dimension t, the t-th value of its candidates
    // side by side. Lanes past c1 are zero with an infinite norm, so their score is never below a threshold.
    private static void Pack(float[] x, float[] norms, int d, int c0, int c1, int width, float[] packed, float[] packedNorms)
    {
        int count = c1 - c0, panels = (count + width - 1) / width;
        for (int p = 0; p < panels; p++)
        {
            var panel = packed.AsSpan(p * d * width, d * width);
            for (int lane = 0; lane < width; lane++)
            {
                int local = p * width + lane;
                bool real = local < count;
                var row = real ? x.AsSpan((c0 + local) * d, d) : default;
                for (int t = 0; t < d; t++)
                    panel[t * width + lane] = real ? row[t] : 0;
                packedNorms[local] = real ? norms[c0 + local] : float.PositiveInfinity;
            }
        }
    }

    // Query rows [i0, i1) against the packed candidates [c0, c1): tiles of 6 rows x one panel. A row past i1 in the last
    // tile repeats row i1 - 1 and its results are dropped.
    private static void ScanBlock<TV, TOps>(float[] x, int d, int i0, int i1, float[] packed, float[] packedNorms, int c0, int c1, Heaps heaps)
        where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int lanes = TOps.Lanes, width = 2 * lanes, panels = (c1 - c0 + width - 1) / width;
        Span<int> rows = stackalloc int[TileRows];
        Span<TV> tile = stackalloc TV[TileRows * 2];
        ref float xs = ref MemoryMarshal.GetArrayDataReference(x);
        ref float norms = ref MemoryMarshal.GetArrayDataReference(packedNorms);
        var minusTwo = TOps.Broadcast(-2f);
        for (int r0 = i0; r0 < i1; r0 += TileRows)
        {
            for (int r = 0; r < TileRows; r++)
                rows[r] = Math.Min(r0 + r, i1 - 1);
            for (int p = 0; p < panels; p++)
            {
                Tile<TV, TOps>(ref xs, d, rows, ref packed[p * d * width], tile);
                var norm0 = TOps.Load(ref norms, (nuint)(p * width));
                var norm1 = TOps.Load(ref norms, (nuint)(p * width + lanes));
                int first = c0 + p * width;
                for (int r = 0; r < TileRows && r0 + r < i1; r++)
                {
                    int i = r0 + r;
                    var threshold = TOps.Broadcast(heaps.Threshold[i]);
                    var s0 = TOps.MultiplyAdd(tile[2 * r], minusTwo, norm0);
                    var s1 = TOps.MultiplyAdd(tile[2 * r + 1], minusTwo, norm1);
                    ulong mask = TOps.LessThan(s0, threshold) | (TOps.LessThan(s1, threshold) << lanes);
                    // Lanes in ascending candidate order: with ties broken by index, a later candidate at the
                    // threshold's score never ranks before the heap's worst, so "below the threshold" is exact.
                    while (mask != 0)
                    {
                        int lane = System.Numerics.BitOperations.TrailingZeroCount(mask);
                        mask &= mask - 1;
                        int j = first + lane;
                        if (j != i)
                            heaps.Offer(i, j, lane < lanes ? TOps.Element(s0, lane) : TOps.Element(s1, lane - lanes));
                    }
                }
            }
        }
    }

    // Dot products of six query rows with the candidates of one packed panel (two vectors), accumulated over the d
    // dimensions with fused multiply-adds in twelve vector registers.
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TV, TOps>(ref float x, int d, ReadOnlySpan<int> rows, ref float panel, Span<TV> tile)
        where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        nint lanes = TOps.Lanes, width = 2 * lanes;
        ref float q0 = ref Unsafe.Add(ref x, (nint)rows[0] * d);
        ref float q1 = ref Unsafe.Add(ref x, (nint)rows[1] * d);
        ref float q2 = ref Unsafe.Add(ref x, (nint)rows[2] * d);
        ref float q3 = ref Unsafe.Add(ref x, (nint)rows[3] * d);
        ref float q4 = ref Unsafe.Add(ref x, (nint)rows[4] * d);
        ref float q5 = ref Unsafe.Add(ref x, (nint)rows[5] * d);
        TV a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default,
            a30 = default, a31 = default, a40 = default, a41 = default, a50 = default, a51 = default;
        for (nint t = 0; t < d; t++)
        {
            var c0 = TOps.Load(ref panel, (nuint)(t * width));
            var c1 = TOps.Load(ref panel, (nuint)(t * width + lanes));
            var b = TOps.Broadcast(Unsafe.Add(ref q0, t));
            a00 = TOps.MultiplyAdd(b, c0, a00);
            a01 = TOps.MultiplyAdd(b, c1, a01);
            b = TOps.Broadcast(Unsafe.Add(ref q1, t));
            a10 = TOps.MultiplyAdd(b, c0, a10);
            a11 = TOps.MultiplyAdd(b, c1, a11);
            b = TOps.Broadcast(Unsafe.Add(ref q2, t));
            a20 = TOps.MultiplyAdd(b, c0, a20);
            a21 = TOps.MultiplyAdd(b, c1, a21);
            b = TOps.Broadcast(Unsafe.Add(ref q3, t));
            a30 = TOps.MultiplyAdd(b, c0, a30);
            a31 = TOps.MultiplyAdd(b, c1, a31);
            b = TOps.Broadcast(Unsafe.Add(ref q4, t));
            a40 = TOps.MultiplyAdd(b, c0, a40);
            a41 = TOps.MultiplyAdd(b, c1, a41);
            b = TOps.Broadcast(Unsafe.Add(ref q5, t));
            a50 = TOps.MultiplyAdd(b, c0, a50);
            a51 = TOps.MultiplyAdd(b, c1, a51);
        }
        tile[0] = a00; tile[1] = a01; tile[2] = a10; tile[3] = a11; tile[4] = a20; tile[5] = a21;
        tile[6] = a30; tile[7] = a31; tile[8] = a40; tile[9] = a41; tile[10] = a50; tile[11] = a51;
    }

    /// <summary>The vector operations the tile kernel needs, for one vector width. The kernel is generic over a struct
    /// implementing this, so the JIT compiles one specialised copy per width with the calls inlined.</summary>
    private interface ISimd<TV> where TV : unmanaged
    {
        static abstract int Lanes { get; }
        static abstract TV Load(ref float source, nuint offset);
        static abstract TV Broadcast(float value);
        /// <summary>a * b + c, fused where the processor can.</summary>
        static abstract TV MultiplyAdd(TV a, TV b, TV c);
        /// <summary>Bit l set where a[l] &lt; b[l].</summary>
        static abstract ulong LessThan(TV a, TV b);
        static abstract float Element(TV v, int lane);
    }

    private readonly struct Simd512 : ISimd<Vector512<float>>
    {
        public static int Lanes => Vector512<float>.Count;
        public static Vector512<float> Load(ref float source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);
        public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
        public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
        public static ulong LessThan(Vector512<float> a, Vector512<float> b) => Vector512.LessThan(a, b).ExtractMostSignificantBits();
        public static float Element(Vector512<float> v, int lane) => v.GetElement(lane);
    }

    private readonly struct Simd256 : ISimd<Vector256<float>>
    {
        public static int Lanes => Vector256<float>.Count;
        public static Vector256<float> Load(ref float source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);
        public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
        public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
        public static ulong LessThan(Vector256<float> a, Vector256<float> b) => Vector256.LessThan(a, b).ExtractMostSignificantBits();
        public static float Element(Vector256<float> v, int lane) => v.GetElement(lane);
    }

    private readonly struct Simd128 : ISimd<Vector128<float>>
    {
        public static int Lanes => Vector128<float>.Count;
        public static Vector128<float> Load(ref float source, nuint offset) => Vector128.LoadUnsafe(ref source, offset);
        public static Vector128<float> Broadcast(float value) => Vector128.Create(value);
        public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.FusedMultiplyAdd(a, b, c);
        public static ulong LessThan(Vector128<float> a, Vector128<float> b) => Vector128.LessThan(a, b).ExtractMostSignificantBits();
        public static float Element(Vector128<float> v, int lane) => v.GetElement(lane);
    }

    /// <summary>
    /// The k smallest (score, index) pairs seen so far for every query row, as flat bounded max-heaps (ties by index),
    /// and each row's threshold: the heap's worst score once full, +infinity before.
    /// </summary>
    private sealed class Heaps
    {
        private readonly int _k;
        private readonly int[] _index;
        private readonly float[] _score;
        private readonly int[] _count;

        public Heaps(int n, int k)
        {
            _k = k;
            _index = new int[n * k];
            _score = new float[n * k];
            _count = new int[n];
            Threshold = new float[n];
            Array.Fill(Threshold, float.PositiveInfinity);
        }

        /// <summary>Per row: a candidate's score must be below this to enter the heap.</summary>
        public float[] Threshold { get; }

        /// <summary>Offers candidate <paramref name="j"/> to row <paramref name="i"/>'s heap. Only the work item that owns
        /// row i calls this, so rows need no locks.</summary>
        public void Offer(int i, int j, float score)
        {
            var index = _index.AsSpan(i * _k, _k);
            var scores = _score.AsSpan(i * _k, _k);
            int count = _count[i];
            if (count < _k)
            {
                int slot = count;
                index[slot] = j;
                scores[slot] = score;
                _count[i] = ++count;
                while (slot > 0)
                {
                    int parent = (slot - 1) / 2;
                    if (!Worse(scores[slot], index[slot], scores[parent], index[parent]))
                        break;
                    Swap(index, scores, slot, parent);
                    slot = parent;
                }
            }
            else if (Worse(scores[0], index[0], score, j))
            {
                index[0] = j;
                scores[0] = score;
                int slot = 0;
                while (true)
                {
                    int left = 2 * slot + 1, right = left + 1, worst = slot;
                    if (left < count && Worse(scores[left], index[left], scores[worst], index[worst]))
                        worst = left;
                    if (right < count && Worse(scores[right], index[right], scores[worst], index[worst]))
                        worst = right;
                    if (worst == slot)
                        break;
                    Swap(index, scores, slot, worst);
                    slot = worst;
                }
            }
            if (count == _k)
                Threshold[i] = scores[0];
        }

        // True when (s1, i1) ranks after (s2, i2): farther, or as far with a larger index (deterministic ties).
        private static bool Worse(float s1, int i1, float s2, int i2) => s1 > s2 || (s1 == s2 && i1 > i2);

        private static void Swap(Span<int> index, Span<float> scores, int a, int b)
        {
            (index[a], index[b]) = (index[b], index[a]);
            (scores[a], scores[b]) = (scores[b], scores[a]);
        }

        /// <summary>Row <paramref name="i"/>'s neighbours nearest first, with squared distances
        /// max(0, <paramref name="norm"/> + score).</summary>
        public void WriteSorted(int i, float norm, Span<int> indices, Span<float> distances)
        {
            _index.AsSpan(i * _k, _k).CopyTo(indices);
            _score.AsSpan(i * _k, _k).CopyTo(distances);
            // Insertion sort of k pairs by (score, index).
            for (int a = 1; a < _k; a++)
            {
                int j = indices[a];
                float s = distances[a];
                int b = a - 1;
                for (; b >= 0 && Worse(distances[b], indices[b], s, j); b--)
                {
                    indices[b + 1] = indices[b];
                    distances[b + 1] = distances[b];
                }
                indices[b + 1] = j;
                distances[b + 1] = s;
            }
            for (int r = 0; r < _k; r++)
                distances[r] = MathF.Max(0, norm + distances[r]);
        }
    }
}
