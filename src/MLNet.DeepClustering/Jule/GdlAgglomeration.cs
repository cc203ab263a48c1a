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
/// in(a, Y) * out(a, Y), in(a, Y) = sum of w(b, a) over b in Y and out(a, Y) = sum of w(a, c) over c in Y. After a merge
/// only the merged cluster's affinities change; they are recomputed from its members' edges in O(|C| Ks).
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
    private readonly Dictionary<int, double>?[] _affinity;
    private readonly int[] _version;
    private readonly double[] _scratchIn, _scratchOut;
    private readonly List<int> _touched = new();
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
        _affinity = new Dictionary<int, double>?[n];
        _version = new int[n];
        _scratchIn = new double[n];
        _scratchOut = new double[n];
        for (int i = 0; i < n; i++)
            (_members[_label[i]] ??= new List<int>()).Add(i);
        ClusterCount = clusters;
        for (int c = 0; c < ClusterCount; c++)
            _affinity[c] = new Dictionary<int, double>();
        for (int c = 0; c < ClusterCount; c++)
        {
            foreach (var (other, s) in OutgoingSums(c))
            {
                // S(c -> other) contributes to A(c, other) with 1 / |other|^2.
                double part = s / ((double)_members[other]!.Count * _members[other]!.Count);
                _affinity[c]![other] = _affinity[c]!.GetValueOrDefault(other) + part;
                _affinity[other]![c] = _affinity[other]!.GetValueOrDefault(c) + part;
            }
        }
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
        => _label[a] == _label[b] ? double.NaN : _affinity[_label[a]]!.GetValueOrDefault(_label[b]);

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

    /// <summary>
    /// Merges until exactly <paramref name="target"/> clusters remain. Clusters smaller than
    /// <paramref name="minClusterSize"/> are merged first, into their best neighbour, so they do not count toward the
    /// target; clusters joined to no other by an edge are merged into the cluster with the nearest centroid.
    /// </summary>
    public void MergeTo(int target, int neighborClusterCount = 5, double lambda = 1.0, int minClusterSize = 1, Action? cancel = null)
    {
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
            if (smallest.Size < minClusterSize || _affinity[smallest.Cluster]!.Count == 0)
            {
                a = smallest.Cluster;
                b = _affinity[a]!.Count > 0 ? BestNeighbor(a) : NearestCentroid(a);
            }
            else if (TryPopBest(out a))
            {
                b = BestNeighbor(a);
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
        var affinities = _affinity[cluster]!;
        if (affinities.Count == 0)
            return;
        _queue.Enqueue((cluster, version), (Score(affinities), cluster));
    }

    private double Score(Dictionary<int, double> affinities)
        => ClusterCount <= LocalCriterionMinClusters ? affinities.Values.Max() : MergeScore(affinities.Values, _neighborClusterCount, _lambda);

    /// <summary>
    /// JULE eq. 7a + 7b (negated loss) for one cluster: A1 + lambda / (Kc - 1) * sum over k = 2..Kc of (A1 - Ak), with
    /// A1 &gt;= A2 &gt;= ... its Kc largest affinities and missing neighbours counting as 0. Kc = 1 gives plain A1.
    /// </summary>
    internal static double MergeScore(IEnumerable<double> affinities, int kc, double lambda)
    {
        Span<double> top = stackalloc double[kc];
        foreach (double v in affinities)
        {
            if (v <= top[kc - 1])
                continue;
            int p = kc - 1;
            while (p > 0 && top[p - 1] < v)
            {
                top[p] = top[p - 1];
                p--;
            }
            top[p] = v;
        }
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
        foreach (var (other, value) in _affinity[cluster]!)
        {
            if (value > bestValue || (value == bestValue && other < best))
            {
                best = other;
                bestValue = value;
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

    // Merges b into a (or a into b, keeping the larger list), recomputes the merged cluster's affinities and requeues
    // it and its neighbours. Returns the surviving id.
    private int MergeClusters(int a, int b)
    {
        if (_members[a]!.Count < _members[b]!.Count)
            (a, b) = (b, a);
        foreach (int i in _members[b]!)
            _label[i] = a;
        _members[a]!.AddRange(_members[b]!);
        _members[b] = null;
        foreach (int other in _affinity[a]!.Keys)
            _affinity[other]!.Remove(a);
        foreach (int other in _affinity[b]!.Keys)
            _affinity[other]!.Remove(b);
        _affinity[b] = null;
        _version[b]++;
        ClusterCount--;

        var fresh = new Dictionary<int, double>();
        double size = _members[a]!.Count;
        foreach (var (other, s) in OutgoingSums(a))
            fresh[other] = s / ((double)_members[other]!.Count * _members[other]!.Count);
        foreach (var (other, s) in IncomingSums(a))
            fresh[other] = fresh.GetValueOrDefault(other) + s / (size * size);
        _affinity[a] = fresh;
        foreach (var (other, value) in fresh)
            _affinity[other]![a] = value;
        Enqueue(a);
        foreach (int other in fresh.Keys)
            Enqueue(other);
        return a;
    }

    // S(X -> Y) for every cluster Y != X joined to X: sum over a in X of in(a, Y) * out(a, Y).
    private List<(int Cluster, double Sum)> OutgoingSums(int x)
    {
        var sums = new Dictionary<int, double>();
        int k = _graph.NeighborCount;
        foreach (int a in _members[x]!)
        {
            for (int e = a * k; e < (a + 1) * k; e++)
                Accumulate(_label[_graph.Neighbors[e]], x, _scratchOut, _weight[e]);
            for (int e = _inStart[a]; e < _inStart[a + 1]; e++)
                Accumulate(_label[_inSource[e]], x, _scratchIn, _inWeight[e]);
            foreach (int y in _touched)
            {
                double product = _scratchIn[y] * _scratchOut[y];
                if (product > 0)
                    sums[y] = sums.GetValueOrDefault(y) + product;
                _scratchIn[y] = _scratchOut[y] = 0;
            }
            _touched.Clear();
        }
        return sums.Select(p => (p.Key, p.Value)).ToList();
    }

    private void Accumulate(int cluster, int self, double[] scratch, double weight)
    {
        if (cluster == self)
            return;
        if (_scratchIn[cluster] == 0 && _scratchOut[cluster] == 0)
            _touched.Add(cluster);
        scratch[cluster] += weight;
    }

    // S(Y -> Z) for every cluster Y != Z joined to Z: per outside point a, in(a, Z) * out(a, Z).
    private List<(int Cluster, double Sum)> IncomingSums(int z)
    {
        int k = _graph.NeighborCount;
        foreach (int b in _members[z]!)
        {
            for (int e = b * k; e < (b + 1) * k; e++)
                AccumulatePoint(_graph.Neighbors[e], z, _scratchIn, _weight[e]);       // b -> a: in(a, Z)
            for (int e = _inStart[b]; e < _inStart[b + 1]; e++)
                AccumulatePoint(_inSource[e], z, _scratchOut, _inWeight[e]);           // a -> b: out(a, Z)
        }
        var sums = new Dictionary<int, double>();
        foreach (int a in _touched)
        {
            double product = _scratchIn[a] * _scratchOut[a];
            if (product > 0)
                sums[_label[a]] = sums.GetValueOrDefault(_label[a]) + product;
            _scratchIn[a] = _scratchOut[a] = 0;
        }
        _touched.Clear();
        return sums.Select(p => (p.Key, p.Value)).ToList();
    }

    private void AccumulatePoint(int point, int z, double[] scratch, double weight)
    {
        if (_label[point] == z)
            return;
        if (_scratchIn[point] == 0 && _scratchOut[point] == 0)
            _touched.Add(point);
        scratch[point] += weight;
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
