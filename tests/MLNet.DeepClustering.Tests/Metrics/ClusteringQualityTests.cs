using Microsoft.ML;

namespace MLNet.DeepClustering.Tests.Metrics;

[TestClass]
public sealed class ClusteringQualityTests
{
    private const double Tolerance = 1e-9;

    [TestMethod]
    public void PermutedLabellingIsPerfect()
    {
        int[] classes = { 0, 0, 1, 1, 2, 2, 2 };
        int[] clusters = { 7, 7, 3, 3, 5, 5, 5 };
        var m = ClusteringQuality.Compute(classes, clusters);
        Assert.AreEqual(1.0, m.Accuracy, Tolerance);
        Assert.AreEqual(1.0, m.NormalizedMutualInformation, Tolerance);
        Assert.AreEqual(1.0, m.AdjustedRandIndex, Tolerance);
        Assert.AreEqual(3, m.NumberOfClasses);
        Assert.AreEqual(3, m.NumberOfClusters);
    }

    [TestMethod]
    public void HandComputedExample()
    {
        // Contingency (clusters x classes): [[2, 1], [0, 3]], n = 6.
        int[] classes = { 0, 0, 1, 1, 1, 1 };
        int[] clusters = { 0, 0, 0, 1, 1, 1 };
        var m = ClusteringQuality.Compute(classes, clusters);
        // ACC: best matching 0->0 (2) and 1->1 (3): 5/6.
        Assert.AreEqual(5.0 / 6, m.Accuracy, Tolerance);
        // MI = 2/6 ln(2*6/(3*2)) + 1/6 ln(1*6/(3*4)) + 3/6 ln(3*6/(3*4)); H(K) = ln 2; H(C) = -(1/3 ln 1/3 + 2/3 ln 2/3).
        double mi = 2.0 / 6 * Math.Log(2.0) + 1.0 / 6 * Math.Log(0.5) + 0.5 * Math.Log(1.5);
        double hk = Math.Log(2), hc = -(Math.Log(1.0 / 3) / 3 + 2.0 / 3 * Math.Log(2.0 / 3));
        Assert.AreEqual(mi / ((hk + hc) / 2), m.NormalizedMutualInformation, Tolerance);
        // ARI: index = C(2,2)+C(3,2) = 4; sum over clusters = 3+3 = 6; over classes = 1+6 = 7; total = 15.
        double expected = 6.0 * 7 / 15, max = (6.0 + 7) / 2;
        Assert.AreEqual((4 - expected) / (max - expected), m.AdjustedRandIndex, Tolerance);
    }

    [TestMethod]
    public void MoreClustersThanClasses()
    {
        // Class 0 split into clusters 0 and 1; class 1 is cluster 2. Only one of the split clusters can match.
        int[] classes = { 0, 0, 0, 0, 1, 1 };
        int[] clusters = { 0, 0, 1, 1, 2, 2 };
        var m = ClusteringQuality.Compute(classes, clusters);
        Assert.AreEqual(4.0 / 6, m.Accuracy, Tolerance);
        Assert.AreEqual(3, m.NumberOfClusters);
        Assert.AreEqual(2, m.NumberOfClasses);
        // Clusters refine the classes: MI = H(C), so NMI = 2 H(C) / (H(C) + H(K)).
        double hc = -(4.0 / 6 * Math.Log(4.0 / 6) + 2.0 / 6 * Math.Log(2.0 / 6));
        double hk = Math.Log(3);
        Assert.AreEqual(2 * hc / (hc + hk), m.NormalizedMutualInformation, Tolerance);
    }

    [TestMethod]
    public void FewerClustersThanClasses()
    {
        int[] classes = { 0, 0, 1, 1, 2, 2 };
        int[] clusters = { 0, 0, 0, 0, 1, 1 };
        var m = ClusteringQuality.Compute(classes, clusters);
        Assert.AreEqual(4.0 / 6, m.Accuracy, Tolerance);
        // ARI: index = C(2,2)*3 = 3; clusters: C(4,2)+C(2,2) = 7; classes: 3; total 15.
        double expected = 7.0 * 3 / 15, max = (7.0 + 3) / 2;
        Assert.AreEqual((3 - expected) / (max - expected), m.AdjustedRandIndex, Tolerance);
    }

    [TestMethod]
    public void HungarianMatchesBruteForceOnRandomTables()
    {
        var random = new Random(3);
        for (int trial = 0; trial < 30; trial++)
        {
            int n = random.Next(1, 6);
            var cost = new double[n, n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    cost[i, j] = random.Next(0, 20);
            int[] assignment = HungarianAlgorithm.Solve(cost);
            Assert.AreEqual(n, assignment.Distinct().Count());
            double total = Enumerable.Range(0, n).Sum(i => cost[i, assignment[i]]);
            Assert.AreEqual(BruteForce(cost), total, Tolerance);
        }
    }

    private static double BruteForce(double[,] cost)
    {
        int n = cost.GetLength(0);
        double best = double.PositiveInfinity;
        void Recurse(int row, bool[] used, double sum)
        {
            if (row == n)
            {
                best = Math.Min(best, sum);
                return;
            }
            for (int j = 0; j < n; j++)
            {
                if (used[j])
                    continue;
                used[j] = true;
                Recurse(row + 1, used, sum + cost[row, j]);
                used[j] = false;
            }
        }
        Recurse(0, new bool[n], 0);
        return best;
    }

    [TestMethod]
    public void EvaluateQualityReadsKeyAndTextColumns()
    {
        var mlContext = new MLContext(seed: 0);
        var rows = new[]
        {
            new Row { Label = "a", Cluster = 2 }, new Row { Label = "a", Cluster = 2 },
            new Row { Label = "b", Cluster = 1 }, new Row { Label = "b", Cluster = 1 },
        };
        var data = mlContext.Data.LoadFromEnumerable(rows);
        var keyed = mlContext.Transforms.Conversion.MapValueToKey("ClusterKey", nameof(Row.Cluster)).Fit(data).Transform(data);
        var m = mlContext.Clustering.EvaluateQuality(keyed, labelColumnName: nameof(Row.Label), predictedLabelColumnName: "ClusterKey");
        Assert.AreEqual(1.0, m.Accuracy, Tolerance);
        Assert.AreEqual(4, m.Count);
    }

    [TestMethod]
    public void EvaluateQualityRejectsMissingAndNonIntegerLabels()
    {
        var mlContext = new MLContext(seed: 0);
        var data = mlContext.Data.LoadFromEnumerable(new[] { new FloatRow { Label = 0.5f, Cluster = 1 }, new FloatRow { Label = 1, Cluster = 2 } });
        Assert.ThrowsExactly<InvalidOperationException>(() => mlContext.Clustering.EvaluateQuality(data, "Label", "Cluster"));
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Clustering.EvaluateQuality(data, "Nope", "Cluster"));
        StringAssert.Contains(e.Message, "'Nope'");
    }

    private sealed class Row
    {
        public string Label { get; set; } = "";

        public int Cluster { get; set; }
    }

    private sealed class FloatRow
    {
        public float Label { get; set; }

        public int Cluster { get; set; }
    }
}
