using MLNet.DeepClustering.Torch;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.DeepClustering.Samples;

namespace MLNet.DeepClustering.Tests.Dac;

[TestClass]
public sealed class DacTrainerTests
{
    [TestMethod]
    public void FitProducesDeclaredSchemaAndConsistentOutputs()
    {
        var mlContext = new MLContext(seed: 1);
        var messages = LogMessages.Capture(mlContext);
        var data = SampleDigits.Load(mlContext, 300);
        using var model = mlContext.Clustering.Trainers.Dac(SampleDigits.FastDac(epochs: 2)).Fit(data);
        var scored = model.Transform(data);

        var label = scored.Schema[DeepClusteringColumnNames.PredictedLabel];
        Assert.IsInstanceOfType<KeyDataViewType>(label.Type);
        Assert.AreEqual(10UL, ((KeyDataViewType)label.Type).Count);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 10), scored.Schema[DeepClusteringColumnNames.Score].Type);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 10), scored.Schema[DeepClusteringColumnNames.Embedding].Type);
        Assert.AreEqual(10, model.NumberOfClusters);
        Assert.AreEqual(10, model.EmbeddingSize);

        var labels = scored.GetColumn<uint>(label).ToArray();
        var scores = scored.GetColumn<float[]>(scored.Schema[DeepClusteringColumnNames.Score]).ToArray();
        var embeddings = scored.GetColumn<float[]>(scored.Schema[DeepClusteringColumnNames.Embedding]).ToArray();
        Assert.AreEqual(300, labels.Length);
        for (int i = 0; i < labels.Length; i++)
        {
            Assert.IsTrue(labels[i] >= 1 && labels[i] <= 10, $"row {i}: label {labels[i]}");
            int argmin = Array.IndexOf(scores[i], scores[i].Min());
            Assert.AreEqual(labels[i], (uint)(argmin + 1), $"row {i}: argmin Score should be PredictedLabel");
            Assert.AreEqual(1.0, Math.Sqrt(embeddings[i].Sum(v => v * v)), 1e-4, "label features are L2-normalised");
            for (int j = 0; j < 10; j++)
                Assert.AreEqual(1 - embeddings[i][j], scores[i][j], 1e-5, "Score = 1 - label feature");
        }
        // The input columns pass through.
        CollectionAssert.AreEqual(SampleDigits.Take(300).Select(d => d.Label).ToArray(), scored.GetColumn<uint>("Label").ToArray());
        // Progress went to the MLContext log: one line per epoch with lambda, pairs, loss and seconds.
        Assert.AreEqual(2, messages.Count(m => m.StartsWith("DAC epoch ", StringComparison.Ordinal)));
        StringAssert.Contains(messages.First(m => m.StartsWith("DAC epoch 1", StringComparison.Ordinal)), "loss");
        // The fit's own measurements: 2 epochs over 300 images in batches of 64 (the last batch of 44 included).
        var statistics = model.TrainingStatistics!;
        Assert.AreEqual(300, statistics.Images);
        Assert.AreEqual(2, statistics.Epochs);
        Assert.AreEqual(600L, statistics.ImagesProcessed);
        Assert.IsTrue(statistics.NetworkTrainingSeconds > 0 && statistics.NetworkTrainingSeconds <= statistics.TotalSeconds);
        Assert.AreEqual(0, statistics.ClusteringSeconds);
    }

    [TestMethod]
    public void NumberOfThreadsSetsTorchThreadsAndIsValidated()
    {
        var mlContext = new MLContext(seed: 1);
        var options = SampleDigits.FastDac();
        options.NumberOfThreads = 1;
        using var model = mlContext.Clustering.Trainers.Dac(options).Fit(SampleDigits.Load(mlContext, 100));
        Assert.AreEqual(1, model.TrainingStatistics!.Threads);
        options.NumberOfThreads = 0;
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Clustering.Trainers.Dac(options));
        TorchRuntime.SetThreads(null);
    }

    [TestMethod]
    public void MLNetClusteringEvaluateWorksOnTheOutput()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SampleDigits.Load(mlContext, 200);
        using var model = mlContext.Clustering.Trainers.Dac(SampleDigits.FastDac()).Fit(data);
        var scored = mlContext.Transforms.Conversion.MapValueToKey("LabelKey", "Label").Fit(data).Transform(model.Transform(data));
        var metrics = mlContext.Clustering.Evaluate(scored, labelColumnName: "LabelKey", featureColumnName: "Features");
        Assert.IsFalse(double.IsNaN(metrics.NormalizedMutualInformation));
        Assert.IsTrue(metrics.AverageDistance >= 0);
    }

    [TestMethod]
    public void SameSeedGivesSameClusters()
    {
        float[][] Run()
        {
            var mlContext = new MLContext(seed: 5);
            var data = SampleDigits.Load(mlContext, 200);
            using var model = mlContext.Clustering.Trainers.Dac(SampleDigits.FastDac(epochs: 1, seed: 42)).Fit(data);
            return model.Transform(data).GetColumn<float[]>(DeepClusteringColumnNames.Embedding).ToArray();
        }
        var first = Run();
        var second = Run();
        for (int i = 0; i < first.Length; i++)
            CollectionAssert.AreEqual(first[i], second[i], $"row {i}");
    }

    [TestMethod]
    public void ImagesKeptOnTheDeviceTrainTheSameNetwork()
    {
        // Every gather of a fit (training batches, neighbour partners, batch-norm re-estimation, embedding, self-labelling)
        // reads the images uploaded once; the result must equal the fit that copies each batch from host memory.
        (float[][] Embeddings, List<string> Log) Run(bool? onDevice)
        {
            var mlContext = new MLContext(seed: 5);
            var messages = LogMessages.Capture(mlContext);
            var data = SampleDigits.Load(mlContext, 200);
            var options = SampleDigits.FastDac(epochs: 1, seed: 42);
            options.SelfLabelingEpochs = 1;
            options.KeepDataOnDevice = onDevice;
            using var model = mlContext.Clustering.Trainers.Dac(options).Fit(data);
            return (model.Transform(data).GetColumn<float[]>(DeepClusteringColumnNames.Embedding).ToArray(), messages);
        }
        var (host, hostLog) = Run(null);
        var (device, deviceLog) = Run(true);
        Assert.IsFalse(hostLog.Any(m => m.Contains("kept on the device", StringComparison.Ordinal)), "on the CPU the default gathers from host memory");
        Assert.IsTrue(deviceLog.Any(m => m.Contains("images kept on the device (1 MB)", StringComparison.Ordinal)), string.Join("\n", deviceLog));
        Assert.IsTrue(deviceLog.Any(m => m.Contains("self-labelling epoch 1", StringComparison.Ordinal)), "self-labelling ran");
        Assert.AreEqual(host.Length, device.Length);
        for (int i = 0; i < host.Length; i++)
            CollectionAssert.AreEqual(host[i], device[i], $"row {i}");
    }

    [TestMethod]
    public void SeedComesFromTheMLContextWhenNotSet()
    {
        float[] Run(int contextSeed)
        {
            var mlContext = new MLContext(seed: contextSeed);
            var data = SampleDigits.Load(mlContext, 150);
            var options = SampleDigits.FastDac();
            options.Seed = null;
            using var model = mlContext.Clustering.Trainers.Dac(options).Fit(data);
            return model.Transform(data).GetColumn<float[]>(DeepClusteringColumnNames.Embedding).SelectMany(e => e).ToArray();
        }
        var three = Run(3);
        CollectionAssert.AreEqual(three, Run(3), "the same MLContext seed gives the same model");
        CollectionAssert.AreNotEqual(three, Run(4), "another MLContext seed gives another model");
    }

    [TestMethod]
    public void CancelExecutionStopsTrainingPromptly()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SampleDigits.Load(mlContext, 300);
        var options = SampleDigits.FastDac(epochs: 500);
        options.LambdaStep = 1e-4f;
        var log = new ProgressLog(_ => mlContext.CancelExecution());
        options.Progress = log;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.ThrowsExactly<OperationCanceledException>(() => mlContext.Clustering.Trainers.Dac(options).Fit(data));
        Assert.HasCount(1, log.Reports, "canceled after the first epoch, at the next mini-batch");
        Assert.IsTrue(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
    }

    [TestMethod]
    public void PredictionEnginesOnSeveralThreadsAgreeWithTransform()
    {
        var mlContext = new MLContext(seed: 1);
        var digits = SampleDigits.Take(120);
        var data = mlContext.Data.LoadFromEnumerable(digits);
        using var model = mlContext.Clustering.Trainers.Dac(SampleDigits.FastDac()).Fit(data);
        var expected = model.Transform(data).GetColumn<float[]>(DeepClusteringColumnNames.Score).ToArray();
        var expectedLabels = model.Transform(data).GetColumn<uint>(DeepClusteringColumnNames.PredictedLabel).ToArray();

        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, worker =>
        {
            var engine = mlContext.Model.CreatePredictionEngine<Digit, Prediction>(model);
            for (int i = worker; i < digits.Count; i += 4)
            {
                var p = engine.Predict(digits[i]);
                Assert.AreEqual(expectedLabels[i], p.PredictedLabel, $"row {i}");
                for (int j = 0; j < p.Score.Length; j++)
                    Assert.AreEqual(expected[i][j], p.Score[j], 1e-4, $"row {i} score {j}");
            }
        });
    }

    [TestMethod]
    public void NeighborPartnersChangeTrainingAreClampedAndValidated()
    {
        var mlContext = new MLContext(seed: 1);
        var messages = LogMessages.Capture(mlContext);
        float[] Run(IDataView data, int partners, bool mutualPartners = true, int mutualFrom = 0)
        {
            var options = SampleDigits.FastDac();
            options.NeighborPartners = partners;
            options.MutualPartners = mutualPartners;
            options.MutualPartnersMinimumImages = mutualFrom;
            using var model = mlContext.Clustering.Trainers.Dac(options).Fit(data);
            return model.Transform(data).GetColumn<float[]>(DeepClusteringColumnNames.Embedding).SelectMany(e => e).ToArray();
        }
        var data = SampleDigits.Load(mlContext, 120);
        var without = Run(data, 0);
        Assert.IsFalse(messages.Any(m => m.Contains("pixel-space neighbours", StringComparison.Ordinal)));
        var mutual = Run(data, 3);
        CollectionAssert.AreNotEqual(without, mutual, "neighbour partners change what the network is trained on");
        Assert.IsTrue(messages.Any(m => m.StartsWith("DAC: mutual pixel-space neighbours as partner candidates: among 6 neighbours per image, at most 3,",
            StringComparison.Ordinal)));
        var nearest = Run(data, 3, mutualPartners: false);
        CollectionAssert.AreNotEqual(mutual, nearest, "MutualPartners changes the partners");
        Assert.IsTrue(messages.Any(m => m.StartsWith("DAC: 3 pixel-space neighbours per image", StringComparison.Ordinal)));
        // A set smaller than MutualPartnersMinimumImages draws from the nearest, as with MutualPartners off.
        CollectionAssert.AreEqual(nearest, Run(data, 3, mutualFrom: 121), "120 images are fewer than 121");
        Assert.IsTrue(messages.Any(m => m.StartsWith("DAC: 3 pixel-space neighbours per image", StringComparison.Ordinal) &&
                                        m.Contains("MutualPartners is used from MutualPartnersMinimumImages = 121 images", StringComparison.Ordinal)));
        CollectionAssert.AreEqual(mutual, Run(data, 3, mutualFrom: 120), "120 images are enough for 120");
        // More partners asked for than there are other images: all of them.
        Run(SampleDigits.Load(mlContext, 12), 50, mutualPartners: false);
        Assert.IsTrue(messages.Any(m => m.StartsWith("DAC: 11 pixel-space neighbours per image", StringComparison.Ordinal)));
        Run(SampleDigits.Load(mlContext, 12), 50);
        Assert.IsTrue(messages.Any(m => m.StartsWith("DAC: mutual pixel-space neighbours as partner candidates: among 11 neighbours per image, at most 11,",
            StringComparison.Ordinal)));
        var invalid = SampleDigits.FastDac();
        invalid.NeighborPartners = -1;
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Clustering.Trainers.Dac(invalid));
        StringAssert.Contains(e.Message, "NeighborPartners");
        var negative = SampleDigits.FastDac();
        negative.MutualPartnersMinimumImages = -1;
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Clustering.Trainers.Dac(negative));
        StringAssert.Contains(e.Message, "MutualPartnersMinimumImages");
    }

    [TestMethod]
    public void PartnersAreTheImageOrOneOfItsNeighboursUniformly()
    {
        var (x, _) = MLNet.DeepClustering.Tests.Jule.GdlAgglomerationTests.Blobs(50, 3, 6, spread: 0.4, seed: 4);
        var graph = MLNet.DeepClustering.Jule.KnnGraph.Build(x, 6, 4);
        var random = new Random(7);
        var indices = Enumerable.Range(0, 50).ToArray();
        var counts = new int[graph.NeighborCount + 1];
        var candidates = DacTrainer.PartnerLists(graph, graph.NeighborCount, mutual: false, out _);
        for (int round = 0; round < 200; round++)
        {
            var picks = DacTrainer.PickPartners(random, candidates, indices);
            for (int i = 0; i < indices.Length; i++)
            {
                int slot = picks[i] == i ? graph.NeighborCount : graph.NeighborsOf(i).IndexOf(picks[i]);
                Assert.IsTrue(slot >= 0, $"image {i}: partner {picks[i]} is neither the image nor a neighbour");
                counts[slot]++;
            }
        }
        // 10,000 draws over 5 choices: each near 2,000.
        foreach (int count in counts)
            Assert.IsTrue(count is > 1800 and < 2200, $"counts {string.Join(", ", counts)}");
    }

    [TestMethod]
    public void MutualPartnersAreNeighboursBothWaysNearestFirstOrTheNearestWhenThereAreNone()
    {
        // Points on a line at 0, 1, 2, 10, 11 and 30; two neighbours each.
        float[] position = { 0, 1, 2, 10, 11, 30 };
        var graph = MLNet.DeepClustering.Jule.KnnGraph.Build(position, 1, 2);
        CollectionAssert.AreEqual(new[] { 1, 2 }, graph.NeighborsOf(0).ToArray());
        CollectionAssert.AreEqual(new[] { 4, 2 }, graph.NeighborsOf(3).ToArray());
        var lists = DacTrainer.PartnerLists(graph, 2, mutual: true, out int withoutMutual);
        CollectionAssert.AreEqual(new[] { 1, 2 }, lists[0]);
        CollectionAssert.AreEqual(new[] { 0, 2 }, lists[1]);
        CollectionAssert.AreEqual(new[] { 1, 0 }, lists[2]);
        CollectionAssert.AreEqual(new[] { 4 }, lists[3], "10 has 2 among its neighbours, but 2 has not 10");
        CollectionAssert.AreEqual(new[] { 3 }, lists[4]);
        // 30's neighbours 11 and 10 do not have it: it keeps its nearest.
        CollectionAssert.AreEqual(new[] { 4, 3 }, lists[5]);
        Assert.AreEqual(1, withoutMutual);
        // At most `count`, nearest first; without mutual, the nearest.
        CollectionAssert.AreEqual(new[] { 1 }, DacTrainer.PartnerLists(graph, 1, mutual: true, out _)[0]);
        var nearest = DacTrainer.PartnerLists(graph, 2, mutual: false, out int none);
        CollectionAssert.AreEqual(new[] { 4, 2 }, nearest[3]);
        Assert.AreEqual(0, none);
    }

    [TestMethod]
    public void TooFewImagesForTheClusterCountThrows()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SampleDigits.Load(mlContext, 5);
        var e = Assert.ThrowsExactly<ArgumentException>(() => mlContext.Clustering.Trainers.Dac(SampleDigits.FastDac()).Fit(data));
        StringAssert.Contains(e.Message, "NumberOfClusters");
    }

    private sealed class Prediction
    {
        public uint PredictedLabel { get; set; }

        public float[] Score { get; set; } = Array.Empty<float>();
    }

    [TestMethod]
    public void SmallDataEpochsDrawMinimumImagesPerEpochIncludingSelfLabeling()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SampleDigits.Load(mlContext, 60);
        TrainingStatistics Fit(int minimumImages)
        {
            var options = SampleDigits.FastDac(epochs: 2);
            options.SelfLabelingEpochs = 1;
            options.MinimumImagesPerEpoch = minimumImages;
            using var model = mlContext.Clustering.Trainers.Dac(options).Fit(data);
            return model.TrainingStatistics!;
        }

        var floored = Fit(300);
        Assert.AreEqual(3, floored.Epochs, "two DAC epochs and one of self-labelling");
        Assert.AreEqual(3 * 300L, floored.ImagesProcessed, "each epoch draws 300 images from the 60");
        var single = Fit(0);
        Assert.AreEqual(3, single.Epochs);
        Assert.IsLessThan(3 * 60L, single.ImagesProcessed, "0: one pass per epoch, self-labelling over its kept images only");
        Assert.IsGreaterThanOrEqualTo(2 * 60L, single.ImagesProcessed);
    }
}
