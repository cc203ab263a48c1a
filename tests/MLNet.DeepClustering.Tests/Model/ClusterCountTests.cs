using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.DeepClustering.Jule;

namespace MLNet.DeepClustering.Tests.Model;

/// <summary>NumberOfClusters = 0: both trainers choose k from the data.</summary>
[TestClass]
public sealed class ClusterCountTests
{
    /// <summary>JULE's affinity curve finds the number of shapes. Over seeds 1 to 7 with 100 images per shape it chose 3
    /// and 6 every time and 12 six times (14 at seed 1, two shapes split), alike on an Intel Xeon and an AMD EPYC VM;
    /// with 40 per shape the curve was noisier (6 shapes: 16 and 7 at two seeds; 12 shapes: 11 or 13 at six). Hence 100
    /// per shape, and two clusters of slack at 12 shapes.</summary>
    [TestMethod]
    [DataRow(3, 0)]
    [DataRow(6, 0)]
    [DataRow(12, 2)]
    public void JuleFindsTheNumberOfShapes(int classes, int slack)
    {
        var mlContext = new MLContext(seed: 1);
        var messages = LogMessages.Capture(mlContext);
        var data = Shapes.GrayView(mlContext, classes, 100, seed: classes);
        var options = new JuleTrainer.Options { MinimumImagesPerEpoch = 0, NumberOfClusters = 0, EmbeddingSize = 32, Seed = 1 };
        using var model = mlContext.Clustering.Trainers.Jule(options).Fit(data);
        string log = string.Join("\n", messages.Where(m => m.Contains("chosen", StringComparison.Ordinal)));
        int k = model.Model.NumberOfClusters;
        Assert.IsTrue(Math.Abs(k - classes) <= slack, $"k = {k} for {classes} shapes\n{log}");
        StringAssert.Contains(log, "affinity curve");
        var quality = mlContext.Clustering.EvaluateQuality(model.Transform(data));
        Assert.IsTrue(quality.NormalizedMutualInformation > 0.9, $"NMI {quality.NormalizedMutualInformation}\n{log}");
        if (k == classes)
            Assert.IsTrue(quality.Accuracy > 0.95, $"ACC {quality.Accuracy}\n{log}");
    }

    /// <summary>DAC's automatic k end to end: the chosen clusters are used, scored against their prototypes, saved and
    /// loaded. How many it finds depends on training, not on the grouping (which
    /// <see cref="UnitGroupingJoinsTheUnitsThatAugmentedCopiesMoveBetween"/> checks): over seeds 1 to 8 on one processor
    /// it found 3, 6 and 12 shapes exactly 4, 4 and 5 times; otherwise DAC had let shapes share units and k came out
    /// lower (3 shapes in 2 clusters four times, NMI 0.734), once a shape spread over units its augmented copies did
    /// not connect (6 shapes in 8 clusters, NMI 0.953). NMI was at least 0.734 at every seed (README, "Choosing the
    /// number of clusters").</summary>
    [TestMethod]
    [DataRow(3)]
    [DataRow(6)]
    [DataRow(12)]
    public void DacChoosesTheNumberOfClustersFromItsOutputUnits(int classes)
    {
        var mlContext = new MLContext(seed: 1);
        var messages = LogMessages.Capture(mlContext);
        var data = Shapes.GrayView(mlContext, classes, 1200 / classes, seed: classes);
        var options = new DacTrainer.Options { MinimumImagesPerEpoch = 0, NumberOfClusters = 0, MaxNumberOfClusters = 20, NetworkWidth = 16, MaxEpochs = 20, Seed = 1 };
        using var model = mlContext.Clustering.Trainers.Dac(options).Fit(data);
        string log = string.Join("\n", messages.Where(m => m.Contains("chosen", StringComparison.Ordinal) || m.Contains("sizes", StringComparison.Ordinal)));
        int k = model.Model.NumberOfClusters;
        Assert.IsTrue(k is >= 2 and <= 20, log);
        Assert.AreEqual(20, model.Model.EmbeddingSize, "the label features keep one unit per cluster trained for");
        Assert.IsTrue(messages.Any(m => m.StartsWith("DAC: NeighborPartners not used while choosing", StringComparison.Ordinal)),
            "the unit grouping measures augmented copies, so neighbour partners are off while k is chosen");
        Assert.IsTrue(messages.Any(m => m.StartsWith("DAC: ClusterBalanceWeight not used while choosing", StringComparison.Ordinal)),
            "the balance term would spread the images over all units, so it is off while k is chosen");
        StringAssert.Matches(log, new System.Text.RegularExpressions.Regex($@"k = {k} chosen from 2\.\.\d+ by grouping the \d+ output units in use"));
        var scored = model.Transform(data);
        var predicted = scored.GetColumn<uint>(DeepClusteringColumnNames.PredictedLabel).ToArray();
        Assert.IsTrue(predicted.All(l => l >= 1 && l <= k));
        int occupied = predicted.Distinct().Count();
        Assert.AreEqual(k, occupied, $"every chosen cluster holds images\n{log}");
        // Shapes that share units join one cluster (3 shapes in 2 clusters: NMI 0.734); a grouping that mixed the shapes
        // up, or ignored the units, scores far lower.
        var quality = mlContext.Clustering.EvaluateQuality(scored);
        Assert.IsTrue(quality.NormalizedMutualInformation > 0.65, $"NMI {quality.NormalizedMutualInformation}\n{log}");
        // Score_j = 1 - <Embedding, c_j> still holds with the chosen prototypes.
        var centroids = model.Model.GetClusterCentroids();
        var embedding = scored.GetColumn<float[]>(DeepClusteringColumnNames.Embedding).First();
        var score = scored.GetColumn<float[]>(DeepClusteringColumnNames.Score).First();
        for (int j = 0; j < k; j++)
            Assert.AreEqual(1 - embedding.Zip(centroids[j], (a, b) => a * b).Sum(), score[j], 1e-3);

        // The chosen clusters survive saving and loading.
        using var stream = new MemoryStream();
        mlContext.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var reloaded = mlContext.Model.Load(stream, out _);
        CollectionAssert.AreEqual(scored.GetColumn<uint>(DeepClusteringColumnNames.PredictedLabel).ToArray(),
            reloaded.Transform(data).GetColumn<uint>(DeepClusteringColumnNames.PredictedLabel).ToArray());
        (reloaded as IDisposable)?.Dispose();
    }

    [TestMethod]
    public void DacOverclusteringMergesItsUnitsIntoTheGivenNumberOfClusters()
    {
        var mlContext = new MLContext(seed: 1);
        var data = Shapes.GrayView(mlContext, 3, 400, seed: 3);
        var options = new DacTrainer.Options { MinimumImagesPerEpoch = 0, NumberOfClusters = 3, OverclusteringFactor = 4, NetworkWidth = 16, MaxEpochs = 20, Seed = 1 };
        using var model = mlContext.Clustering.Trainers.Dac(options).Fit(data);
        Assert.AreEqual(3, model.Model.NumberOfClusters);
        Assert.AreEqual(12, model.Model.EmbeddingSize, "the network has NumberOfClusters x OverclusteringFactor units");
        var scored = model.Transform(data);
        var labels = scored.GetColumn<uint>(DeepClusteringColumnNames.PredictedLabel).ToArray();
        Assert.IsTrue(labels.All(l => l is >= 1 and <= 3));
        var quality = mlContext.Clustering.EvaluateQuality(scored);
        Assert.IsTrue(quality.Accuracy > 0.95, $"ACC {quality.Accuracy}");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Clustering.Trainers.Dac(new DacTrainer.Options { OverclusteringFactor = 0 }));
    }

    /// <summary>With 2 or 3 clusters DAC trains 10 output units and groups them. Over seeds 1 to 6 (one processor) the ten
    /// units scored ACC 0.953 to 1.0 on 2 and 3 shapes; the paper's network (k units, no balance term) collapsed at four
    /// of the twelve fits (ACC 0.45 to 0.65, every pair selected as similar, and the warning said so), scored 0.745 once
    /// without the warning, and 0.94 to 1.0 otherwise.</summary>
    [TestMethod]
    [DataRow(2)]
    [DataRow(3)]
    public void DacWithFewClustersTrainsTenUnitsInsteadOfCollapsing(int classes)
    {
        var mlContext = new MLContext(seed: 1);
        var messages = LogMessages.Capture(mlContext);
        var data = Shapes.GrayView(mlContext, classes, 1200 / classes, seed: 3);
        DacTrainer.Options Options(int minimumUnits) => new()
        {
            NumberOfClusters = classes, MinimumOutputUnits = minimumUnits, NetworkWidth = 16, MaxEpochs = 20, SelfLabelingEpochs = 0, MinimumImagesPerEpoch = 0, Seed = 1,
        };
        const string Collapsed = "DAC: the last epoch selected no dissimilar pairs";
        using (var model = mlContext.Clustering.Trainers.Dac(Options(10)).Fit(data))
        {
            Assert.AreEqual(classes, model.Model.NumberOfClusters);
            Assert.AreEqual(10, model.Model.EmbeddingSize, "10 output units, grouped into the clusters");
            var quality = mlContext.Clustering.EvaluateQuality(model.Transform(data));
            Assert.IsTrue(quality.Accuracy > 0.9, $"ACC {quality.Accuracy}");
            Assert.IsFalse(messages.Any(m => m.StartsWith(Collapsed, StringComparison.Ordinal)));
        }
        // The paper's network and loss, one unit per cluster, where every pair can look similar. When its last epoch
        // selected no dissimilar pair, the warning says so and the clusters have indeed collapsed.
        var paperOptions = Options(1);
        paperOptions.ClusterBalanceWeight = 0;
        using (var paper = mlContext.Clustering.Trainers.Dac(paperOptions).Fit(data))
        {
            Assert.AreEqual(classes, paper.Model.EmbeddingSize);
            var quality = mlContext.Clustering.EvaluateQuality(paper.Transform(data));
            if (messages.Any(m => m.StartsWith(Collapsed, StringComparison.Ordinal)))
                Assert.IsTrue(quality.NormalizedMutualInformation < 0.5, $"warned of a collapse, but NMI {quality.NormalizedMutualInformation}");
        }
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Clustering.Trainers.Dac(new DacTrainer.Options { MinimumOutputUnits = 0 }));
    }

    [TestMethod]
    public void AffinityCurveChoosesTheSeparatedGroups()
    {
        // Four tight, well-separated groups of points on the unit sphere in 8-D.
        var random = new Random(3);
        int d = 8, perGroup = 50, groups = 4;
        var features = new float[groups * perGroup * d];
        for (int i = 0; i < groups * perGroup; i++)
        {
            var row = features.AsSpan(i * d, d);
            for (int j = 0; j < d; j++)
                row[j] = (j == i % groups ? 1f : 0f) + (float)(random.NextDouble() - 0.5) * 0.2f;
            float norm = MathF.Sqrt(row.ToArray().Sum(v => v * v));
            for (int j = 0; j < d; j++)
                row[j] /= norm;
        }
        var choice = ClusterCountSelection.Choose(features, d, 10, 10, 1, 5, 1, 1, null);
        Assert.AreEqual(groups, choice.Count, choice.Explanation);
        for (int i = 0; i < groups * perGroup; i++)
            Assert.AreEqual(choice.Labels[i % groups], choice.Labels[i], $"point {i}");
    }

    /// <summary>DAC's unit grouping on made-up assignments: units 0-2, 3-4 and 5 with 7 are three groups whose images'
    /// augmented copies move between the group's units, and one image in 25 sends a copy to another group; unit 6 is
    /// unused. The grouping finds the three groups among the seven units in use, merges to a given count, and refuses a
    /// network that put every image into one unit.</summary>
    [TestMethod]
    public void UnitGroupingJoinsTheUnitsThatAugmentedCopiesMoveBetween()
    {
        int[][] groups = [[0, 1, 2], [3, 4], [5, 7]];
        const int unitCount = 8, perUnit = 100, copies = 4;
        var units = new List<int>();
        var augmented = new List<int>();
        for (int g = 0; g < groups.Length; g++)
            for (int m = 0; m < groups[g].Length; m++)
                for (int i = 0; i < perUnit; i++)
                {
                    int unit = groups[g][m];
                    units.Add(unit);
                    augmented.AddRange([unit, unit, groups[g][(m + 1) % groups[g].Length],
                        i % 25 == 0 ? groups[(g + 1) % groups.Length][0] : unit]);
                }
        var choice = ClusterCountSelection.ChooseUnitGroups([.. units], [.. augmented], unitCount, unitCount);
        Assert.AreEqual(3, choice.Count, choice.Explanation);
        StringAssert.Contains(choice.Explanation, "k = 3 chosen from 2..7 by grouping the 7 output units in use");
        int Label(int unit) => choice.Labels[units.IndexOf(unit)];
        foreach (var group in groups)
            Assert.IsTrue(group.All(u => Label(u) == Label(group[0])), choice.Explanation);
        Assert.AreEqual(3, groups.Select(g => Label(g[0])).Distinct().Count(), choice.Explanation);

        var two = ClusterCountSelection.ChooseUnitGroups([.. units], [.. augmented], unitCount, unitCount, count: 2);
        Assert.AreEqual(2, two.Count);
        Assert.AreEqual(2, two.Labels.Distinct().Count());
        Assert.AreEqual(7, ClusterCountSelection.ChooseUnitGroups([.. units], [.. augmented], unitCount, unitCount, count: 12).Count,
            "a given count above the units in use keeps every unit in use");

        int[] oneUnit = Enumerable.Repeat(3, 10).ToArray();
        Assert.ThrowsExactly<InvalidOperationException>(
            () => ClusterCountSelection.ChooseUnitGroups(oneUnit, Enumerable.Repeat(3, 10 * copies).ToArray(), unitCount, unitCount));
    }

    /// <summary>The curve JULE's agglomeration gave on 10,000 Fashion-MNIST images through ClusterImages (clusters c: the
    /// affinity of the merge from c to c - 1). The merge from 17 was more affine than the one from 18, an inversion; read
    /// from that bump, the step to 16 looked like a level (x2.3) and k = 16 was chosen. On the level curve it is x1.8, and
    /// the finest real level is 11 (x2.1).</summary>
    [TestMethod]
    public void AnInversionOnTheCurveIsNotALevel()
    {
        double[] measured = [0.00637, 0.00538, 0.00466, 0.00521, 0.00604, 0.00259, 0.00238, 0.00234, 0.00188, 0.00142, 0.000666,
            0.000579, 0.000303, 0.000253, 0.000142, 9.64E-05, 8.52E-05, 5.38E-05, 1.02E-05, 1.52E-07];
        var affinities = new double[22];
        for (int i = 0; i < measured.Length; i++)
            affinities[21 - i] = measured[i];
        Assert.AreEqual(11, ClusterCountSelection.ChooseOnCurve(affinities, 21, 20, out string explanation), explanation);
        StringAssert.Contains(explanation, "k = 11 chosen from 2..20");

        // A flat curve with one level at 5 (x8) and a bump at 8, a merge three times as affine as the one before it: read
        // from the bump, the merge from 8 to 7 would be a drop of x3, and k = 7.
        var bumped = new double[13];
        for (int c = 2; c <= 12; c++)
            bumped[c] = c > 5 ? 1.0 : 0.125;
        bumped[8] = 3.0;
        Assert.AreEqual(5, ClusterCountSelection.ChooseOnCurve(bumped, 12, 10, out explanation), explanation);
    }

    [TestMethod]
    public void ZeroClustersNeedsAMaximumOfAtLeastTwo()
    {
        var mlContext = new MLContext(seed: 1);
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => mlContext.Clustering.Trainers.Jule(new JuleTrainer.Options { NumberOfClusters = 0, MaxNumberOfClusters = 1 }));
        StringAssert.Contains(error.Message, "MaxNumberOfClusters");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Clustering.Trainers.Dac(new DacTrainer.Options { NumberOfClusters = 1 }));
    }
}
