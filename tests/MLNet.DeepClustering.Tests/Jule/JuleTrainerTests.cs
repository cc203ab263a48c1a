using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.DeepClustering.Jule;
using MLNet.DeepClustering.Torch;
using TorchSharp;

namespace MLNet.DeepClustering.Tests.Jule;

[TestClass]
public sealed class JuleTrainerTests
{
    internal static JuleTrainer.Options FastJule(int seed = 1) => new()
    {
        NumberOfClusters = 10,
        EpochsPerPeriod = 1,
        UnrollingRate = 0.95,
        EmbeddingSize = 32,
        MinimumImagesPerEpoch = 0,
        Seed = seed,
    };

    [TestMethod]
    public void TripletLossGradientMatchesFiniteDifferences()
    {
        TorchRuntime.EnsureInitialized();
        torch.random.manual_seed(7);
        using var x = torch.randn(8, 5, dtype: torch.float64).requires_grad_(true);
        using var labels = torch.tensor(new long[] { 0, 0, 0, 1, 1, 2, 2, 2 });
        torch.Tensor Loss(torch.Tensor e) => JuleTripletLoss.Compute(e, labels, 2, 1.5f, 0.2f, out _);
        using var loss = Loss(x);
        loss.backward();
        var analytic = x.grad!.data<double>().ToArray();
        var values = x.detach().data<double>().ToArray();
        const double h = 1e-6;
        for (int i = 0; i < values.Length; i++)
        {
            double Eval(double delta)
            {
                var shifted = (double[])values.Clone();
                shifted[i] += delta;
                using var t = torch.tensor(shifted, new long[] { 8, 5 });
                using var l = Loss(t);
                return l.item<double>();
            }
            double numeric = (Eval(h) - Eval(-h)) / (2 * h);
            Assert.AreEqual(numeric, analytic[i], 1e-5, $"gradient element {i}");
        }
        Assert.IsTrue(loss.item<double>() > 0, "random points violate some triplets");
    }

    [TestMethod]
    public void TripletLossIsZeroWhenClustersAreFarApart()
    {
        TorchRuntime.EnsureInitialized();
        using var x = torch.tensor(new float[] { 0, 0, 0.01f, 0, 10, 0, 10.01f, 0 }, new long[] { 4, 2 });
        using var labels = torch.tensor(new long[] { 0, 0, 1, 1 });
        using var loss = JuleTripletLoss.Compute(x, labels, 1, 1f, 0.2f, out var triplets);
        Assert.AreEqual(0f, loss.item<float>());
        Assert.AreEqual(4f, triplets.item<float>(), "each of the 4 ordered positive pairs has one negative");
    }

    [TestMethod]
    public void ClusterChunkOrderGivesEveryBatchPositivesAndSeveralClusters()
    {
        var labels = Enumerable.Range(0, 1000).Select(i => i % 10).ToArray();
        var order = JuleTrainer.ClusterChunkOrder(labels, new Random(1), 10);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 1000).ToArray(), order);
        for (int b = 0; b < 10; b++)
        {
            var batch = order.Skip(b * 100).Take(100).Select(i => labels[i]).ToArray();
            Assert.IsTrue(batch.Distinct().Count() >= 3, $"batch {b} has {batch.Distinct().Count()} clusters");
            Assert.IsTrue(batch.GroupBy(l => l).Any(g => g.Count() >= 2), $"batch {b} has no positive pair");
        }
    }

    [TestMethod]
    public void FitOnDigitsGivesKClustersCentroidScoresAndUnitEmbeddings()
    {
        var mlContext = new MLContext(seed: 1);
        var messages = LogMessages.Capture(mlContext);
        var data = SampleDigits.Load(mlContext, 400);
        using var model = mlContext.Clustering.Trainers.Jule(FastJule()).Fit(data);
        Assert.AreEqual("JULE", model.Method);
        Assert.AreEqual(32, model.EmbeddingSize);
        var scored = model.Transform(data);
        var labels = scored.GetColumn<uint>(DeepClusteringColumnNames.PredictedLabel).ToArray();
        var scores = scored.GetColumn<float[]>(DeepClusteringColumnNames.Score).ToArray();
        var embeddings = scored.GetColumn<float[]>(DeepClusteringColumnNames.Embedding).ToArray();
        for (int i = 0; i < labels.Length; i++)
        {
            Assert.IsTrue(labels[i] >= 1 && labels[i] <= 10);
            Assert.AreEqual(labels[i], (uint)(Array.IndexOf(scores[i], scores[i].Min()) + 1), $"row {i}");
            Assert.AreEqual(1.0, Math.Sqrt(embeddings[i].Sum(v => v * v)), 1e-4);
        }
        Assert.IsTrue(messages.Any(m => m.StartsWith("JULE period 1:", StringComparison.Ordinal)), "progress per period is logged");
        Assert.IsTrue(messages.Any(m => m.StartsWith("JULE RC cluster sizes", StringComparison.Ordinal)));
        var quality = mlContext.Clustering.EvaluateQuality(scored);
        Assert.IsTrue(quality.NormalizedMutualInformation > 0.3, $"NMI {quality.NormalizedMutualInformation}");
    }

    [TestMethod]
    public void SameSeedGivesSameLabelsAndEmbeddings()
    {
        // Guards the convolution width: at the paper's 50 channels libtorch's CPU kernels gave different weights on
        // every run (and sometimes NaN), so this comparison failed.
        (uint[] Labels, float[] Embedding) Run()
        {
            var mlContext = new MLContext(seed: 1);
            var data = SampleDigits.Load(mlContext, 300);
            using var model = mlContext.Clustering.Trainers.Jule(FastJule(seed: 5)).Fit(data);
            var scored = model.Transform(data);
            return (scored.GetColumn<uint>(DeepClusteringColumnNames.PredictedLabel).ToArray(),
                    scored.GetColumn<float[]>(DeepClusteringColumnNames.Embedding).SelectMany(e => e).ToArray());
        }
        var first = Run();
        var second = Run();
        CollectionAssert.AreEqual(first.Labels, second.Labels);
        CollectionAssert.AreEqual(first.Embedding, second.Embedding);
    }

    [TestMethod]
    public void CancelExecutionStopsJuleDuringTraining()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SampleDigits.Load(mlContext, 300);
        var options = FastJule();
        options.EpochsPerPeriod = 100;
        var log = new ProgressLog(p =>
        {
            if (p.Epochs == 2)
                mlContext.CancelExecution();
        });
        options.Progress = log;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.ThrowsExactly<OperationCanceledException>(() => mlContext.Clustering.Trainers.Jule(options).Fit(data));
        Assert.HasCount(2, log.Reports, "canceled after the second epoch of the first period, at its next mini-batch");
        Assert.AreEqual(1, log.Reports[^1].Period);
        Assert.IsLessThan(60.0, clock.Elapsed.TotalSeconds);
    }

    [TestMethod]
    public void BadJuleOptionsAreRejected()
    {
        var mlContext = new MLContext(seed: 1);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Clustering.Trainers.Jule(new JuleTrainer.Options { UnrollingRate = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Clustering.Trainers.Jule(new JuleTrainer.Options { NeighborCount = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Clustering.Trainers.Jule(new JuleTrainer.Options { Gamma = -1 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Clustering.Trainers.Jule(numberOfClusters: 1));
        var capError = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Clustering.Trainers.Jule(new JuleTrainer.Options { MaxClusterSizeRatio = 0.5 }));
        StringAssert.Contains(capError.Message, "MaxClusterSizeRatio");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Clustering.Trainers.Jule(new JuleTrainer.Options { MaxClusterSizeRatio = double.NaN }));
        Assert.IsNotNull(mlContext.Clustering.Trainers.Jule(new JuleTrainer.Options { MaxClusterSizeRatio = 0 }), "0 turns the cap off");
    }
}
