using MLNet.DeepClustering.Jule;

namespace MLNet.DeepClustering.Tests.Jule;

[TestClass]
public sealed class GdlAgglomerationTests
{
    [TestMethod]
    public void KnnGraphMatchesBruteForce()
    {
        var (x, _) = Blobs(300, 5, 16, spread: 0.3, seed: 1);
        var graph = KnnGraph.Build(x, 16, 7);
        for (int i = 0; i < 300; i += 17)
        {
            var expected = Enumerable.Range(0, 300).Where(j => j != i)
                .Select(j => (j, d: SquaredDistance(x, i, j, 16))).OrderBy(p => p.d).ThenBy(p => p.j).Take(7).ToArray();
            CollectionAssert.AreEqual(expected.Select(p => p.j).ToArray(), graph.NeighborsOf(i).ToArray(), $"point {i}");
            for (int r = 0; r < 7; r++)
                Assert.AreEqual(expected[r].d, graph.DistancesOf(i)[r], 1e-4);
        }
    }

    [TestMethod]
    [DataRow(128)]
    [DataRow(256)]
    [DataRow(512)]
    public void EveryVectorWidthAndThreadCountGivesTheBruteForceNeighbours(int vectorBits)
    {
        // n and d fit neither the 6-row tiles nor the candidate panels, and 13 copies of one point tie at distance 0.
        const int n = 407, d = 37, k = 9;
        var (x, _) = Blobs(n, 4, d, spread: 0.5, seed: 11);
        for (int copy = 1; copy <= 13; copy++)
            x.AsSpan(0, d).CopyTo(x.AsSpan(copy * 29 * d, d));
        var one = KnnGraph.Build(x, d, k, null, 1, vectorBits);
        var three = KnnGraph.Build(x, d, k, null, 3, vectorBits);
        CollectionAssert.AreEqual(one.Neighbors, three.Neighbors);
        CollectionAssert.AreEqual(one.SquaredDistances, three.SquaredDistances);
        for (int i = 0; i < n; i++)
        {
            var expected = Enumerable.Range(0, n).Where(j => j != i).Select(j => (j, dist: SquaredDistance(x, i, j, d))).OrderBy(p => p.dist).ToArray();
            var got = one.NeighborsOf(i).ToArray();
            Assert.AreEqual(k, got.Distinct().Count(), $"point {i}");
            Assert.IsFalse(got.Contains(i), $"point {i} is its own neighbour");
            for (int r = 0; r < k; r++)
            {
                // Exact up to float rounding: the r-th distance found is the r-th true distance.
                Assert.AreEqual(expected[r].dist, one.DistancesOf(i)[r], 1e-4, $"point {i}, rank {r}");
                Assert.AreEqual(expected[r].dist, SquaredDistance(x, i, got[r], d), 1e-4, $"point {i}, rank {r}");
            }
        }
        // The copies of point 0 are each other's nearest neighbours, ties ordered by index.
        var copies = Enumerable.Range(1, 13).Select(c => c * 29).ToArray();
        CollectionAssert.AreEqual(copies.Take(k).ToArray(), one.NeighborsOf(0).ToArray());
    }

    [TestMethod]
    public void SeparatedBlobsAreRecoveredExactly()
    {
        var (x, truth) = Blobs(600, 6, 20, spread: 0.15, seed: 2);
        var graph = KnnGraph.Build(x, 20, 10);
        var engine = new GdlAgglomeration(graph, x, GdlAgglomeration.NearestNeighborClusters(graph));
        Assert.IsTrue(engine.ClusterCount > 6);
        engine.MergeTo(6);
        Assert.AreEqual(6, engine.ClusterCount);
        var m = ClusteringQuality.Compute(truth, engine.Labels());
        Assert.AreEqual(1.0, m.NormalizedMutualInformation, 1e-9);
    }

    [TestMethod]
    public void AffinitiesMatchBruteForceAfterMerges()
    {
        var (x, _) = Blobs(120, 4, 8, spread: 0.6, seed: 3);
        var graph = KnnGraph.Build(x, 8, 6);
        var engine = new GdlAgglomeration(graph, x, GdlAgglomeration.NearestNeighborClusters(graph));
        engine.Merge(10);
        var labels = engine.Labels();
        // Dense reference: W from the same weights, A(Ci, Cj) = 1'W[Cj,Ci]W[Ci,Cj]1 / |Cj|^2 + 1'W[Ci,Cj]W[Cj,Ci]1 / |Ci|^2.
        int n = 120;
        var w = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int r = 0; r < 6; r++)
                w[i, graph.NeighborsOf(i)[r]] = engine.WeightsOf(i)[r];
        int clusters = labels.Max() + 1;
        var member = Enumerable.Range(0, clusters).Select(c => Enumerable.Range(0, n).Where(i => labels[i] == c).ToArray()).ToArray();
        double Directed(int[] ci, int[] cj)
        {
            double s = 0;
            foreach (int a in ci)
                s += cj.Sum(b => w[b, a]) * cj.Sum(c => w[a, c]);
            return s / ((double)cj.Length * cj.Length);
        }
        int checkedPairs = 0;
        for (int p = 0; p < clusters; p++)
            for (int q = p + 1; q < clusters; q++)
            {
                double expected = Directed(member[p], member[q]) + Directed(member[q], member[p]);
                double actual = engine.AffinityBetweenClustersOf(member[p][0], member[q][0]);
                Assert.AreEqual(expected, actual, 1e-9 + 1e-6 * expected, $"clusters {p}, {q}");
                checkedPairs += expected > 0 ? 1 : 0;
            }
        Assert.IsTrue(checkedPairs > 10, "the check must cover connected pairs");
    }

    [TestMethod]
    public void LocalTermPrefersTheIsolatedPairOfFigure3()
    {
        // Figure 3 of the paper: cluster b sits in a dense region, its nearest neighbour closest of all (A = 1.0) but
        // its other neighbours nearly as close (0.9); cluster e's nearest neighbour is a little farther (0.8) and all
        // its other neighbours are far (0.05). Plain agglomeration (Kc = 1) merges b; eq. 7a + 7b with Kc = 5 merges e.
        double[] b = { 1.0, 0.9, 0.9, 0.9, 0.9, 0.85 };
        double[] e = { 0.8, 0.05, 0.05 };
        Assert.IsTrue(GdlAgglomeration.MergeScore(b, 1, 1) > GdlAgglomeration.MergeScore(e, 1, 1));
        Assert.IsTrue(GdlAgglomeration.MergeScore(e, 5, 1) > GdlAgglomeration.MergeScore(b, 5, 1));
        // By hand: b: 1.0 + (0.1 * 4) / 4 = 1.1; e: 0.8 + (0.75 + 0.75 + 0.8 + 0.8) / 4 = 1.575.
        Assert.AreEqual(1.1, GdlAgglomeration.MergeScore(b, 5, 1), 1e-12);
        Assert.AreEqual(1.575, GdlAgglomeration.MergeScore(e, 5, 1), 1e-12);
    }

    [TestMethod]
    public void NonNormalisedRowsGetTrueEuclideanNeighbours()
    {
        float[] x = { 0, 0, 10, 0, 0, 1, 3, 3 };
        var graph = KnnGraph.Build(x, 2, 2);
        CollectionAssert.AreEqual(new[] { 2, 3 }, graph.NeighborsOf(0).ToArray());
        Assert.AreEqual(1f, graph.DistancesOf(0)[0], 1e-5f);
        Assert.AreEqual(18f, graph.DistancesOf(0)[1], 1e-5f);
    }

    [TestMethod]
    public void TinyAndStrandedClustersAreAbsorbedAtTheTarget()
    {
        var (x, _) = Blobs(400, 4, 10, spread: 0.2, seed: 5);
        var graph = KnnGraph.Build(x, 10, 8);
        var engine = new GdlAgglomeration(graph, x, GdlAgglomeration.NearestNeighborClusters(graph));
        engine.MergeTo(4, minClusterSize: 20);
        var sizes = engine.Labels().GroupBy(l => l).Select(g => g.Count()).ToArray();
        Assert.AreEqual(4, sizes.Length);
        Assert.IsTrue(sizes.All(s => s >= 20), $"sizes {string.Join(",", sizes)}");
    }

    [TestMethod]
    public void SizeCapJoinsAnotherPairInsteadOfGrowingOneCluster()
    {
        // Two pairs of overlapping groups: 200 + 200 points along the first axis, 100 + 100 along the second. Merging
        // to 3 clusters, the affinity prefers joining the large pair, the cap of 1.5 x 600 / 3 = 300 points forbids it.
        var rnd = new Random(3);
        const int d = 2;
        var groups = new (double X, double Y, int Count)[] { (0, 0, 200), (0.6, 0, 200), (0, 4, 100), (0, 4.8, 100) };
        var x = new List<float>();
        var truth = new List<int>();
        for (int g = 0; g < groups.Length; g++)
            for (int i = 0; i < groups[g].Count; i++)
            {
                x.Add((float)(groups[g].X + 0.15 * Gaussian(rnd)));
                x.Add((float)(groups[g].Y + 0.15 * Gaussian(rnd)));
                truth.Add(g);
            }
        var points = x.ToArray();
        var graph = KnnGraph.Build(points, d, 10);

        var free = new GdlAgglomeration(graph, points, truth.ToArray());
        free.MergeTo(3);
        var freeSizes = free.Labels().GroupBy(l => l).Select(g => g.Count()).OrderBy(s => s).ToArray();
        CollectionAssert.AreEqual(new[] { 100, 100, 400 }, freeSizes, $"without a cap: {string.Join(",", freeSizes)}");
        Assert.AreEqual(0, free.CappedMerges);

        var capped = new GdlAgglomeration(graph, points, truth.ToArray());
        capped.MergeTo(3, maxClusterSize: 300);
        var labels = capped.Labels();
        var sizes = labels.GroupBy(l => l).Select(g => g.Count()).OrderBy(s => s).ToArray();
        CollectionAssert.AreEqual(new[] { 200, 200, 200 }, sizes, $"with the cap: {string.Join(",", sizes)}");
        Assert.AreEqual(1, capped.CappedMerges);
        Assert.AreEqual(labels[400], labels[599], "the two small groups are the pair joined instead");
    }

    [TestMethod]
    [Timeout(300_000, CooperativeCancellation = true)]
    public void HundredThousandPointsRunWithoutQuadraticMemory()
    {
        const int n = 100_000, d = 8;
        var (x, _) = Blobs(n, 10, d, spread: 0.25, seed: 6);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var graph = KnnGraph.Build(x, d, 5);
        var engine = new GdlAgglomeration(graph, x, GdlAgglomeration.NearestNeighborClusters(graph));
        engine.MergeTo(10, minClusterSize: 50);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.AreEqual(10, engine.ClusterCount);
        // An n x n float matrix would be 40 GB; everything allocated stays far below even one n x n bit matrix.
        Assert.IsTrue(allocated < (long)n * n / 8, $"allocated {allocated / 1e6:F0} MB");
    }

    internal static (float[] X, int[] Truth) Blobs(int n, int clusters, int d, double spread, int seed)
    {
        var rnd = new Random(seed);
        var centers = Enumerable.Range(0, clusters).Select(_ => Enumerable.Range(0, d).Select(_ => rnd.NextDouble() * 2 - 1).ToArray()).ToArray();
        var x = new float[n * d];
        var truth = new int[n];
        for (int i = 0; i < n; i++)
        {
            int c = i % clusters;
            truth[i] = c;
            for (int j = 0; j < d; j++)
                x[i * d + j] = (float)(centers[c][j] + spread * Gaussian(rnd));
        }
        KnnGraph.NormalizeRows(x, d);
        return (x, truth);
    }

    private static double Gaussian(Random rnd) => Math.Sqrt(-2 * Math.Log(1 - rnd.NextDouble())) * Math.Cos(2 * Math.PI * rnd.NextDouble());

    private static float SquaredDistance(float[] x, int i, int j, int d)
    {
        float s = 0;
        for (int t = 0; t < d; t++)
            s += (x[i * d + t] - x[j * d + t]) * (x[i * d + t] - x[j * d + t]);
        return s;
    }
}
