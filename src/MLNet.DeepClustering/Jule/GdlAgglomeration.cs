namespace MLNet.DeepClustering.Jule;

/// <summary>
/// Agglomerative clustering with graph-degree-linkage (GDL) affinities on a sparse kNN graph, as JULE's forward pass.
/// Memory is O(n * Ks): sample weights live on the kNN edges, and cluster affinities are kept only for cluster pairs
/// joined by at least one edge.
/// </summary>
/// <remarks>
/// Edge weights: w(i, j) = exp(-||x_i - x_j||^2 / sigma^2) for j among the Ks nearest neighbours of i, with
/// sigma^2 = a / (n Ks) * (sum of the squared kNN distances). Affinity (Zhang et al., ECCV 2012):
/// A(Ci, Cj) = S(Ci -&gt; Cj) / |Cj|^2 + S(Cj -&gt; Ci) / |Ci|^2, where S(X -&gt; Y) = sum over a in X of
/// in(a, Y) * out(a, Y), in(a, Y) = sum of w(b, a) over b in Y and out(a, Y) = sum of w(a, c) over c in Y.
/// The raw sums S are kept per pair of edge-joined clusters, and in(a, Y), out(a, Y) per point for the clusters its
/// edges reach. Merging A and B into C: S(C -&gt; Y) = S(A -&gt; Y) + S(B -&gt; Y), and S(Y -&gt; C) = S(Y -&gt; A) +
/// S(Y -&gt; B) + the cross terms in(y, A) out(y, B) + in(y, B) out(y, A) of the points y with an edge to B, so a merge
/// costs O(|B| Ks) for the smaller cluster B (plus re-scoring C's neighbours), not O(|C| Ks).
/// Merge criterion (JULE eq. 7a + 7b): the cluster C maximising A(C, N1) + lambda / (Kc - 1) * sum over k = 2..Kc of
/// (A(C, N1) - A(C, Nk)), its neighbour clusters N1, N2, ... sorted by affinity, merges with N1. Like the reference
/// code, the local term (7b) is used only while more than <see cref="LocalCriterionMinClusters"/> clusters remain.
/// </remarks>
public sealed class GdlAgglomeration
{
    /// <summary>Below this many clusters the merge criterion is plain maximum affinity (as the reference code).</summary>
    public const int LocalCriterionMinClusters = 100;

    private readonly KnnGraph _graph;
    private readonly float[] _features;
    private readonly int _dimension;
    private readonly float[] _weight;          // n x Ks, w(i, neighbour)
    private readonly int[] _inStart;           // CSR of incoming edges: sources of edges into i
    private readonly int[] _inSource;
    private readonly float[] _inWeight;
    private readonly int[] _label;             // sample -> cluster id (ids are 0..n-1, some retired)
    private readonly List<int>?[] _members;
    private readonly Dictionary<int, PairSums>?[] _pairs;  // cluster -> edge-joined cluster -> (S(c -> other), S(other -> c))
    private readonly int[] _tableStart;        // per point: slots for the clusters its edges reach (CSR, Ks + in-degree)
    private readonly int[] _tableCount;
    private readonly int[] _tableCluster;
    private readonly double[] _tableIn, _tableOut;  // in(a, Y), out(a, Y)
    private readonly int[] _mark;
    private int _stamp;
    private readonly int[] _version;
    private PriorityQueue<(int Cluster, int Version), (double Score, int Cluster)> _queue = new(MaxFirst.Instance);
    private int _neighborClusterCount = 5;
    private double _lambda = 1;
    private bool _queuedWithLocalTerm;
    private bool _queueBuilt;

    /// <summary>Starts from <paramref name="initialLabels"/> (any integers; equal values form one cluster).</summary>
    /// <param name="graph">The kNN graph of the features.</param>
    /// <param name="features">Row-major n x d features (L2-normalised), used only to join clusters with no edge to any other.</param>
    /// <param name="initialLabels">The starting clusters, e.g. <see cref="NearestNeighborClusters"/>.</param>
    /// <param name="sigmaScale">a in sigma^2 = a / (n Ks) * sum of squared kNN distances.</param>
    public GdlAgglomeration(KnnGraph graph, float[] features, ReadOnlySpan<int> initialLabels, double sigmaScale = 1.0)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(features);
        int n = graph.Count, k = graph.NeighborCount;
        if (initialLabels.Length != n)
            throw new ArgumentException($"Got {initialLabels.Length} labels for {n} points.", nameof(initialLabels));
        if (features.Length % n != 0)
            throw new ArgumentException("Features do not match the graph's point count.", nameof(features));
        if (!(sigmaScale > 0))
            throw new ArgumentOutOfRangeException(nameof(sigmaScale), sigmaScale, "SigmaScale must be positive.");
        _graph = graph;
        _features = features;
        _dimension = features.Length / n;

        double sum = 0;
        foreach (float d in graph.SquaredDistances)
            sum += d;
        double sigma2 = sigmaScale * sum / ((double)n * k);
        if (!(sigma2 > 0))
            sigma2 = 1; // all neighbours coincide: every weight is 1
        _weight = new float[n * k];
        var inCount = new int[n + 1];
        for (int i = 0; i < n * k; i++)
        {
            _weight[i] = (float)Math.Exp(-graph.SquaredDistances[i] / sigma2);
            inCount[graph.Neighbors[i] + 1]++;
        }
        for (int i = 0; i < n; i++)
            inCount[i + 1] += inCount[i];
        _inStart = inCount;
        _inSource = new int[n * k];
        _inWeight = new float[n * k];
        var fill = (int[])_inStart.Clone();
        for (int i = 0; i < n; i++)
            for (int e = i * k; e < (i + 1) * k; e++)
            {
                int slot = fill[graph.Neighbors[e]]++;
                _inSource[slot] = i;
                _inWeight[slot] = _weight[e];
            }

        _label = ClusteringQuality.Densify(initialLabels, out int clusters);
        _members = new List<int>?[n];
        _pairs = new Dictionary<int, PairSums>?[n];
        _version = new int[n];
        _mark = new int[n];
        for (int i = 0; i < n; i++)
            (_members[_label[i]] ??= new List<int>()).Add(i);
        ClusterCount = clusters;
        for (int c = 0; c < ClusterCount; c++)
            _pairs[c] = new Dictionary<int, PairSums>();

        _tableStart = new int[n + 1];
        for (int i = 0; i < n; i++)
            _tableStart[i + 1] = _tableStart[i] + k + (_inStart[i + 1] - _inStart[i]);
        _tableCount = new int[n];
        _tableCluster = new int[_tableStart[n]];
        _tableIn = new double[_tableStart[n]];
        _tableOut = new double[_tableStart[n]];
        for (int a = 0; a < n; a++)
        {
            int own = _label[a];
            for (int e = a * k; e < (a + 1) * k; e++)
                if (_label[graph.Neighbors[e]] != own)
                    _tableOut[Slot(a, _label[graph.Neighbors[e]])] += _weight[e];
            for (int e = _inStart[a]; e < _inStart[a + 1]; e++)
                if (_label[_inSource[e]] != own)
                    _tableIn[Slot(a, _label[_inSource[e]])] += _inWeight[e];
            for (int t = _tableStart[a]; t < _tableStart[a] + _tableCount[a]; t++)
                AddToPair(own, _tableCluster[t], _tableIn[t] * _tableOut[t]);
        }
    }

    /// <summary>S(c -&gt; other) and S(other -&gt; c) for one edge-joined cluster pair, seen from c.</summary>
    private record struct PairSums(double Out, double In);

    /// <summary>The table slot of point <paramref name="a"/> for cluster <paramref name="cluster"/>, added (zeroed) when missing.</summary>
    private int Slot(int a, int cluster)
    {
        int start = _tableStart[a], end = start + _tableCount[a];
        for (int t = start; t < end; t++)
            if (_tableCluster[t] == cluster)
                return t;
        _tableCluster[end] = cluster;
        _tableIn[end] = _tableOut[end] = 0;
        _tableCount[a]++;
        return end;
    }

    /// <summary>The table slot of point <paramref name="a"/> for <paramref name="cluster"/>, or -1.</summary>
    private int FindSlot(int a, int cluster)
    {
        int start = _tableStart[a], end = start + _tableCount[a];
        for (int t = start; t < end; t++)
            if (_tableCluster[t] == cluster)
                return t;
        return -1;
    }

    private void RemoveSlot(int a, int slot)
    {
        int last = _tableStart[a] + --_tableCount[a];
        _tableCluster[slot] = _tableCluster[last];
        _tableIn[slot] = _tableIn[last];
        _tableOut[slot] = _tableOut[last];
    }

    /// <summary>Adds <paramref name="sum"/> to S(from -&gt; to), on both sides of the pair.</summary>
    private void AddToPair(int from, int to, double sum)
    {
        if (!(sum > 0))
            return;
        var forward = _pairs[from]!.GetValueOrDefault(to);
        _pairs[from]![to] = forward with { Out = forward.Out + sum };
        var backward = _pairs[to]!.GetValueOrDefault(from);
        _pairs[to]![from] = backward with { In = backward.In + sum };
    }

    private double Affinity(int cluster, int other, PairSums sums)
    {
        double size = _members[cluster]!.Count, otherSize = _members[other]!.Count;
        return sums.Out / (otherSize * otherSize) + sums.In / (size * size);
    }

    /// <summary>The current number of clusters.</summary>
    public int ClusterCount { get; private set; }

    /// <summary>Edge weight sigma^2-scaled graph, for inspection: w(i, j-th neighbour of i).</summary>
    public ReadOnlySpan<float> WeightsOf(int i) => _weight.AsSpan(i * _graph.NeighborCount, _graph.NeighborCount);

    /// <summary>
    /// JULE's initial over-clustering: link every point to its nearest neighbour and take connected components.
    /// </summary>
    public static int[] NearestNeighborClusters(KnnGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var parent = Enumerable.Range(0, graph.Count).ToArray();
        int Find(int x)
        {
            while (parent[x] != x)
                x = parent[x] = parent[parent[x]];
            return x;
        }
        for (int i = 0; i < graph.Count; i++)
        {
            int a = Find(i), b = Find(graph.NeighborsOf(i)[0]);
            if (a != b)
                parent[Math.Max(a, b)] = Math.Min(a, b);
        }
        var labels = new int[graph.Count];
        for (int i = 0; i < graph.Count; i++)
            labels[i] = Find(i);
        return labels;
    }

    /// <summary>Cluster of each point as 0..ClusterCount-1, numbered by first appearance.</summary>
    public int[] Labels() => ClusteringQuality.Densify(_label, out _);

    /// <summary>A(Ci, Cj) between the clusters of points <paramref name="a"/> and <paramref name="b"/> (0 without an edge).</summary>
    public double AffinityBetweenClustersOf(int a, int b)
        => _label[a] == _label[b] ? double.NaN
            : _pairs[_label[a]]!.TryGetValue(_label[b], out var sums) ? Affinity(_label[a], _label[b], sums) : 0;

    /// <summary>Merges <paramref name="merges"/> pairs of clusters, one at a time, by the JULE criterion.</summary>
    /// <returns>The number of merges done (fewer only when no two clusters are joined by an edge).</returns>
    public int Merge(int merges, int neighborClusterCount = 5, double lambda = 1.0, Action? cancel = null)
    {
        if (neighborClusterCount < 1)
            throw new ArgumentOutOfRangeException(nameof(neighborClusterCount), neighborClusterCount, "Kc must be at least 1.");
        int done = 0;
        while (done < merges && ClusterCount > 1)
        {
            if ((done & 255) == 0)
                cancel?.Invoke();
            Configure(neighborClusterCount, lambda);
            if (!TryPopBest(out int cluster))
                break;
            MergeClusters(cluster, BestNeighbor(cluster));
            done++;
        }
        return done;
    }

    /// <summary>Merges the last <see cref="MergeTo"/> made in place of one that would have exceeded its size cap.</summary>
    public int CappedMerges { get; private set; }

    /// <summary>
    /// Merges until exactly <paramref name="target"/> clusters remain. Clusters smaller than
    /// <paramref name="minClusterSize"/> are merged first, into their best neighbour, so they do not count toward the
    /// target; clusters joined to no other by an edge are merged into the cluster with the nearest centroid. A merge
    /// whose union would exceed <paramref name="maxClusterSize"/> points gives way to the edge-joined pair with the
    /// largest affinity that stays within it, if one is left.
    /// </summary>
    public void MergeTo(int target, int neighborClusterCount = 5, double lambda = 1.0, int minClusterSize = 1, Action? cancel = null,
        int maxClusterSize = int.MaxValue)
    {
        CappedMerges = 0;
        if (target < 1 || target > _label.Length)
            throw new ArgumentOutOfRangeException(nameof(target), target, "The target cluster count must be between 1 and the number of points.");
        var bySize = new SortedSet<(int Size, int Cluster)>();
        for (int c = 0; c < _members.Length; c++)
            if (_members[c] is { } m)
                bySize.Add((m.Count, c));
        int step = 0;
        while (ClusterCount > target)
        {
            if ((step++ & 255) == 0)
                cancel?.Invoke();
            Configure(neighborClusterCount, lambda);
            var smallest = bySize.Min;
            int a, b;
            if (smallest.Size < minClusterSize || _pairs[smallest.Cluster]!.Count == 0)
            {
                a = smallest.Cluster;
                b = _pairs[a]!.Count > 0 ? BestNeighbor(a) : NearestCentroid(a);
            }
            else if (TryPopBest(out a))
            {
                b = BestNeighbor(a);
                if (_members[a]!.Count + _members[b]!.Count > maxClusterSize && BestAllowedPair(maxClusterSize) is (int c, int e))
                {
                    Enqueue(a);
                    (a, b) = (c, e);
                    CappedMerges++;
                }
            }
            else
            {
                // No edges left between clusters: join the smallest to its nearest centroid.
                a = smallest.Cluster;
                b = NearestCentroid(a);
            }
            bySize.Remove((_members[a]!.Count, a));
            bySize.Remove((_members[b]!.Count, b));
            int merged = MergeClusters(a, b);
            bySize.Add((_members[merged]!.Count, merged));
        }
    }

    /// <summary>
    /// Merges the pair of edge-joined clusters with the largest affinity A(Ci, Cj) (the criterion of eq. 7a alone) and
    /// returns that affinity. With no edge left between clusters, the smallest cluster joins the nearest centroid and
    /// the affinity returned is 0.
    /// </summary>
    public double MergeMostAffine()
    {
        if (ClusterCount < 2)
            throw new InvalidOperationException("Nothing left to merge: one cluster remains.");
        Configure(1, 0);
        if (TryPopBest(out int a))
        {
            int b = BestNeighbor(a);
            double affinity = Affinity(a, b, _pairs[a]![b]);
            MergeClusters(a, b);
            return affinity;
        }
        int smallest = -1;
        for (int c = 0; c < _members.Length; c++)
            if (_members[c] is { } m && (smallest < 0 || m.Count < _members[smallest]!.Count))
                smallest = c;
        MergeClusters(smallest, NearestCentroid(smallest));
        return 0;
    }

    private void Configure(int neighborClusterCount, double lambda)
    {
        bool local = ClusterCount > LocalCriterionMinClusters;
        if (_queueBuilt && neighborClusterCount == _neighborClusterCount && lambda == _lambda && local == _queuedWithLocalTerm)
            return;
        _queueBuilt = true;
        _queuedWithLocalTerm = local;
        _neighborClusterCount = neighborClusterCount;
        _lambda = lambda;
        _queue = new PriorityQueue<(int, int), (double, int)>(MaxFirst.Instance);
        for (int c = 0; c < _members.Length; c++)
            if (_members[c] != null)
                Enqueue(c);
    }

    private void Enqueue(int cluster)
    {
        int version = ++_version[cluster];
        if (_pairs[cluster]!.Count == 0)
            return;
        _queue.Enqueue((cluster, version), (Score(cluster), cluster));
    }

    private double Score(int cluster)
    {
        int kc = ClusterCount <= LocalCriterionMinClusters ? 1 : _neighborClusterCount;
        Span<double> top = stackalloc double[kc];
        foreach (var (other, sums) in _pairs[cluster]!)
            InsertTop(top, Affinity(cluster, other, sums));
        return CriterionOfTop(top, _lambda);
    }

    /// <summary>
    /// JULE eq. 7a + 7b (negated loss) for one cluster: A1 + lambda / (Kc - 1) * sum over k = 2..Kc of (A1 - Ak), with
    /// A1 &gt;= A2 &gt;= ... its Kc largest affinities and missing neighbours counting as 0. Kc = 1 gives plain A1.
    /// </summary>
    internal static double MergeScore(IEnumerable<double> affinities, int kc, double lambda)
    {
        Span<double> top = stackalloc double[kc];
        foreach (double v in affinities)
            InsertTop(top, v);
        return CriterionOfTop(top, lambda);
    }

    // Keeps the largest values seen so far in descending order (missing ones stay 0).
    private static void InsertTop(Span<double> top, double value)
    {
        int p = top.Length - 1;
        if (value <= top[p])
            return;
        while (p > 0 && top[p - 1] < value)
        {
            top[p] = top[p - 1];
            p--;
        }
        top[p] = value;
    }

    private static double CriterionOfTop(ReadOnlySpan<double> top, double lambda)
    {
        int kc = top.Length;
        if (kc == 1)
            return top[0];
        double local = 0;
        for (int i = 1; i < kc; i++)
            local += top[0] - top[i];
        return top[0] + lambda / (kc - 1) * local;
    }

    private bool TryPopBest(out int cluster)
    {
        while (_queue.TryDequeue(out var entry, out _))
        {
            if (_members[entry.Cluster] != null && entry.Version == _version[entry.Cluster])
            {
                cluster = entry.Cluster;
                return true;
            }
        }
        cluster = -1;
        return false;
    }

    private int BestNeighbor(int cluster)
    {
        int best = -1;
        double bestValue = double.NegativeInfinity;
        foreach (var (other, sums) in _pairs[cluster]!)
        {
            double value = Affinity(cluster, other, sums);
            if (value > bestValue || (value == bestValue && other < best))
            {
                best = other;
                bestValue = value;
            }
        }
        return best;
    }

    // The edge-joined pair with the largest affinity whose union holds at most maxSize points, if any.
    private (int, int)? BestAllowedPair(int maxSize)
    {
        (int, int)? best = null;
        double bestValue = double.NegativeInfinity;
        for (int c = 0; c < _members.Length; c++)
        {
            if (_members[c] is not { } m)
                continue;
            foreach (var (other, sums) in _pairs[c]!)
            {
                if (m.Count + _members[other]!.Count > maxSize)
                    continue;
                double value = Affinity(c, other, sums);
                if (value > bestValue)
                {
                    bestValue = value;
                    best = (c, other);
                }
            }
        }
        return best;
    }

    private int NearestCentroid(int cluster)
    {
        var centroid = Centroid(cluster);
        int best = -1;
        double bestDistance = double.PositiveInfinity;
        for (int c = 0; c < _members.Length; c++)
        {
            if (c == cluster || _members[c] == null)
                continue;
            var other = Centroid(c);
            double d = 0;
            for (int j = 0; j < _dimension; j++)
                d += (centroid[j] - other[j]) * (centroid[j] - other[j]);
            if (d < bestDistance)
            {
                bestDistance = d;
                best = c;
            }
        }
        return best;
    }

    private double[] Centroid(int cluster)
    {
        var sum = new double[_dimension];
        foreach (int i in _members[cluster]!)
            for (int j = 0; j < _dimension; j++)
                sum[j] += _features[i * _dimension + j];
        for (int j = 0; j < _dimension; j++)
            sum[j] /= _members[cluster]!.Count;
        return sum;
    }

    // Merges the smaller of a and b (B) into the larger (A), updating the pair sums and the point tables from B's edges
    // only, and requeues A and its neighbours (their affinities to A change with |A|). Returns the surviving id.
    private int MergeClusters(int a, int b)
    {
        if (_members[a]!.Count < _members[b]!.Count)
            (a, b) = (b, a);
        int k = _graph.NeighborCount;

        // S(A -> Y) += S(B -> Y) and S(Y -> A) += S(Y -> B) for every cluster Y joined to B.
        var bPairs = _pairs[b]!;
        _pairs[a]!.Remove(b);
        foreach (var (other, sums) in bPairs)
        {
            if (other == a)
                continue;
            _pairs[other]!.Remove(b);
            var merged = _pairs[a]!.GetValueOrDefault(other);
            merged = new PairSums(merged.Out + sums.Out, merged.In + sums.In);
            _pairs[a]![other] = merged;
            _pairs[other]![a] = new PairSums(merged.In, merged.Out);
        }
        _pairs[b] = null;

        // B's points: A is now their own cluster.
        foreach (int i in _members[b]!)
        {
            int slot = FindSlot(i, a);
            if (slot >= 0)
                RemoveSlot(i, slot);
        }
        // Points with an edge to or from B: fold their B entry into A, adding the cross terms to S(Y -> A).
        _stamp++;
        foreach (int i in _members[b]!)
        {
            for (int e = i * k; e < (i + 1) * k; e++)
                FoldIntoMerged(_graph.Neighbors[e], a, b);
            for (int e = _inStart[i]; e < _inStart[i + 1]; e++)
                FoldIntoMerged(_inSource[e], a, b);
        }

        foreach (int i in _members[b]!)
            _label[i] = a;
        _members[a]!.AddRange(_members[b]!);
        _members[b] = null;
        _version[b]++;
        ClusterCount--;

        Enqueue(a);
        foreach (int other in _pairs[a]!.Keys)
            Enqueue(other);
        return a;
    }

    private void FoldIntoMerged(int point, int a, int b)
    {
        if (_mark[point] == _stamp)
            return;
        _mark[point] = _stamp;
        int own = _label[point];
        if (own == b)
            return;
        int slotB = FindSlot(point, b);
        if (slotB < 0)
            return;
        double inB = _tableIn[slotB], outB = _tableOut[slotB];
        RemoveSlot(point, slotB);
        if (own == a)
            return;
        int slotA = Slot(point, a);
        // in(y, A u B) out(y, A u B) = in_A out_A + in_B out_B + the cross terms; the first two are already in S(Y -> A).
        AddToPair(own, a, _tableIn[slotA] * outB + inB * _tableOut[slotA]);
        _tableIn[slotA] += inB;
        _tableOut[slotA] += outB;
    }

    private sealed class MaxFirst : IComparer<(double Score, int Cluster)>
    {
        public static readonly MaxFirst Instance = new();

        // Highest score first; ties go to the smaller cluster id, so runs are deterministic.
        public int Compare((double Score, int Cluster) x, (double Score, int Cluster) y)
        {
            int c = y.Score.CompareTo(x.Score);
            return c != 0 ? c : x.Cluster.CompareTo(y.Cluster);
        }
    }
}
