using MLNet.DeepClustering.Jule;
using MLNet.DeepClustering.Torch;
using TorchSharp;

namespace MLNet.DeepClustering.Tests.Torch;

[TestClass]
public sealed class DeviceKnnTests
{
    [TestMethod]
    public void NearestOfALargerGraphIsTheSmallerGraph()
    {
        // What TrainingSession.PixelKnnGraph hands out when a Fit asks for fewer neighbours than it built: the same
        // lists and distances as a search for that many, ties included (13 copies of one point).
        const int n = 300, d = 11;
        var random = new Random(5);
        var x = Enumerable.Range(0, n * d).Select(_ => (float)random.NextDouble()).ToArray();
        for (int copy = 1; copy <= 12; copy++)
            Array.Copy(x, 0, x, copy * d, d);
        var large = KnnGraph.Build(x, d, 20);
        var small = KnnGraph.Build(x, d, 10);
        var nearest = large.Nearest(10);
        Assert.AreEqual(10, nearest.NeighborCount);
        CollectionAssert.AreEqual(small.Neighbors, nearest.Neighbors);
        CollectionAssert.AreEqual(small.SquaredDistances, nearest.SquaredDistances);
        Assert.AreSame(large, large.Nearest(20));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => large.Nearest(21));
    }

    [TestMethod]
    [DataRow(64)]
    [DataRow(4096)]
    public void BlockedProductsAndTopKGiveTheExactNeighbours(int blockRows)
    {
        // The torch path JULE's graphs take on a GPU, run here on the CPU device: several blocks (64 rows, the last one
        // partial) or one, 13 copies of one point tying at distance 0, n and d of no convenient size.
        TorchRuntime.EnsureInitialized();
        const int n = 407, d = 37, k = 9;
        var random = new Random(11);
        var x = Enumerable.Range(0, n * d).Select(_ => (float)random.NextDouble()).ToArray();
        for (int copy = 1; copy <= 13; copy++)
            x.AsSpan(0, d).CopyTo(x.AsSpan(copy * 29 * d, d));
        var graph = DeviceKnn.Build(x, d, k, torch.CPU, blockRows: blockRows);
        var reference = KnnGraph.Build(x, d, k);
        Assert.AreEqual(n, graph.Count);
        Assert.AreEqual(k, graph.NeighborCount);
        var copies = Enumerable.Range(0, 14).Select(c => c * 29).ToHashSet();
        int same = 0;
        for (int i = 0; i < n; i++)
        {
            var expected = Enumerable.Range(0, n).Where(j => j != i).Select(j => Distance(x, i, j, d)).OrderBy(v => v).ToArray();
            var got = graph.NeighborsOf(i).ToArray();
            Assert.AreEqual(k, got.Distinct().Count(), $"point {i}");
            Assert.IsFalse(got.Contains(i), $"point {i} is its own neighbour");
            for (int r = 0; r < k; r++)
            {
                Assert.AreEqual(expected[r], graph.DistancesOf(i)[r], 1e-4, $"point {i}, rank {r}");
                Assert.AreEqual(expected[r], Distance(x, i, got[r], d), 1e-4, $"point {i}, rank {r}");
            }
            if (copies.Contains(i))
                Assert.IsTrue(got.All(copies.Contains), $"the copies of point 0 are each other's nearest (point {i})");
            else if (reference.NeighborsOf(i).SequenceEqual(got))
                same++;
        }
        // Elsewhere the lists differ only where two candidates are within rounding of each other (checked above).
        Assert.IsTrue(same >= 0.95 * (n - copies.Count), $"{same} of {n - copies.Count} lists as the CPU kernel's");
    }

    [TestMethod]
    public void BlocksStayWithinTheirMemoryBound()
    {
        Assert.AreEqual(4096, DeviceKnn.BlockRows(10_000));
        Assert.AreEqual(67, DeviceKnn.BlockRows(1_000_000));
        Assert.IsTrue(DeviceKnn.BlockRows(1_000_000) * 4L * 1_000_000 <= DeviceKnn.BlockBytes);
        Assert.AreEqual(1, DeviceKnn.BlockRows(int.MaxValue));
    }

    private static float Distance(float[] x, int i, int j, int d)
    {
        float sum = 0;
        for (int c = 0; c < d; c++)
        {
            float diff = x[i * d + c] - x[j * d + c];
            sum += diff * diff;
        }
        return sum;
    }
}
