using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.DeepClustering.Torch;
using TorchSharp;

namespace MLNet.DeepClustering.Tests.Model;

[TestClass]
public sealed class ModelParametersTests
{
    [TestMethod]
    [DataRow("DAC")]
    [DataRow("JULE")]
    public void CentroidsExplainTheScore(string method)
    {
        var mlContext = new MLContext(seed: 1);
        var data = SampleDigits.Load(mlContext, 150);
        using var model = Trainer(mlContext, method).Fit(data);
        var parameters = model.Model;
        Assert.AreEqual(method, parameters.Method);
        Assert.AreEqual(10, parameters.NumberOfClusters);
        Assert.AreEqual((1, 28, 28), (parameters.ImageChannels, parameters.ImageHeight, parameters.ImageWidth));
        var centroids = parameters.GetClusterCentroids();
        Assert.HasCount(10, centroids);
        Assert.IsTrue(centroids.All(c => c.Length == parameters.EmbeddingSize));

        var scored = model.Transform(data);
        var embeddings = scored.GetColumn<float[]>(DeepClusteringColumnNames.Embedding).ToArray();
        var scores = scored.GetColumn<float[]>(DeepClusteringColumnNames.Score).ToArray();
        for (int row = 0; row < embeddings.Length; row++)
        {
            for (int j = 0; j < 10; j++)
            {
                var e = embeddings[row];
                var c = centroids[j];
                double expected = method == "DAC"
                    ? 1 - e.Zip(c, (a, b) => (double)a * b).Sum()
                    : e.Zip(c, (a, b) => (double)(a - b) * (a - b)).Sum();
                Assert.AreEqual(expected, scores[row][j], 1e-3, $"row {row} cluster {j}");
            }
        }
        centroids[0][0] = 123;
        Assert.AreNotEqual(123f, parameters.GetClusterCentroids()[0][0], "the centroids handed out are copies");
    }

    [TestMethod]
    public void AlteredWeightsAreRefusedWithAShortMessage()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SampleDigits.Load(mlContext, 60);
        using var model = mlContext.Clustering.Trainers.Dac(SampleDigits.FastDac()).Fit(data);
        using var saved = new MemoryStream();
        mlContext.Model.Save(model, data.Schema, saved);

        // Re-zip with a few bytes in the middle of the parameters stream changed: the zip itself is valid.
        using var altered = new MemoryStream();
        string? entryName = null;
        using (var source = new ZipArchive(new MemoryStream(saved.ToArray()), ZipArchiveMode.Read))
        using (var target = new ZipArchive(altered, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in source.Entries)
            {
                using var input = entry.Open();
                using var copy = new MemoryStream();
                input.CopyTo(copy);
                var bytes = copy.ToArray();
                if (entry.FullName.EndsWith(DeepClusteringModelParameters.StreamName, StringComparison.Ordinal))
                {
                    entryName = entry.FullName;
                    for (int i = bytes.Length / 2; i < bytes.Length / 2 + 8; i++)
                        bytes[i] ^= 0x5A;
                }
                using var output = target.CreateEntry(entry.FullName).Open();
                output.Write(bytes);
            }
        }
        Assert.IsNotNull(entryName, "the model zip holds the parameters stream");
        altered.Position = 0;

        var error = Assert.Throws<Exception>(() => mlContext.Model.Load(altered, out _));
        var corrupt = Flatten(error).OfType<InvalidDataException>().FirstOrDefault();
        Assert.IsNotNull(corrupt, $"expected an InvalidDataException, got {error}");
        StringAssert.Contains(corrupt.Message, "checksum");
        StringAssert.Contains(corrupt.Message, $"'{entryName}'");
        foreach (var e in Flatten(error))
        {
            Assert.IsLessThan(1000, e.Message.Length, $"{e.GetType().Name} message too long");
            Assert.IsTrue(e.Message.All(c => !char.IsControl(c)), $"{e.GetType().Name} message not printable");
        }
    }

    [TestMethod]
    public void TruncatedZipIsRefused()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SampleDigits.Load(mlContext, 60);
        using var model = mlContext.Clustering.Trainers.Dac(SampleDigits.FastDac()).Fit(data);
        using var stream = new MemoryStream();
        mlContext.Model.Save(model, data.Schema, stream);
        byte[] bytes = stream.ToArray();
        using var truncated = new MemoryStream(bytes, 0, bytes.Length / 2);
        var error = Assert.Throws<Exception>(() => mlContext.Model.Load(truncated, out _));
        Assert.IsTrue(Flatten(error).Any(e => e is InvalidDataException), $"expected an InvalidDataException, got {error}");
    }

    [TestMethod]
    public void DacAndJuleShareOnePipelineUnderTheirOwnColumnNames()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SampleDigits.Load(mlContext, 120);
        var dac = SampleDigits.FastDac();
        (dac.PredictedLabelColumnName, dac.ScoreColumnName, dac.EmbeddingColumnName) = ("DacCluster", "DacScore", "DacEmbedding");
        var jule = Jule.JuleTrainerTests.FastJule();
        (jule.PredictedLabelColumnName, jule.ScoreColumnName, jule.EmbeddingColumnName) = ("JuleCluster", "JuleScore", "JuleEmbedding");
        var pipeline = mlContext.Clustering.Trainers.Dac(dac).Append(mlContext.Clustering.Trainers.Jule(jule));

        var shape = pipeline.GetOutputSchema(Interop.MLNetInternals.ToShape(data.Schema));
        foreach (string name in new[] { "DacCluster", "DacScore", "DacEmbedding", "JuleCluster", "JuleScore", "JuleEmbedding" })
            Assert.IsTrue(shape.Any(c => c.Name == name), name);
        var model = pipeline.Fit(data);
        var scored = model.Transform(data);
        Assert.AreEqual(10, ((VectorDataViewType)scored.Schema["DacEmbedding"].Type).Size);
        Assert.AreEqual(32, ((VectorDataViewType)scored.Schema["JuleEmbedding"].Type).Size);
        Assert.IsNull(scored.Schema.GetColumnOrNull(DeepClusteringColumnNames.PredictedLabel));

        using var stream = new MemoryStream();
        mlContext.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var loaded = mlContext.Model.Load(stream, out _);
        var reloaded = loaded.Transform(data);
        CollectionAssert.AreEqual(scored.GetColumn<uint>("DacCluster").ToArray(), reloaded.GetColumn<uint>("DacCluster").ToArray());
        CollectionAssert.AreEqual(scored.GetColumn<uint>("JuleCluster").ToArray(), reloaded.GetColumn<uint>("JuleCluster").ToArray());
        foreach (var transformer in model.OfType<DeepClusteringTransformer>())
            transformer.Dispose();
    }

    [TestMethod]
    public void OptionsChangedAfterCreatingTheTrainerChangeNothing()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SampleDigits.Load(mlContext, 80);
        var options = SampleDigits.FastDac();
        options.NumberOfClusters = 2;
        var trainerForTwo = mlContext.Clustering.Trainers.Dac(options);
        options.NumberOfClusters = 3;
        var trainerForThree = mlContext.Clustering.Trainers.Dac(options);
        options.NumberOfClusters = 5;
        options.BatchSize = 0;
        options.ScoreColumnName = "";
        using var two = trainerForTwo.Fit(data);
        using var three = trainerForThree.Fit(data);
        Assert.AreEqual(2, two.NumberOfClusters);
        Assert.AreEqual(3, three.NumberOfClusters);
        Assert.AreEqual(DeepClusteringColumnNames.Score, two.ScoreColumnName);

        var juleOptions = Jule.JuleTrainerTests.FastJule();
        var jule = mlContext.Clustering.Trainers.Jule(juleOptions);
        juleOptions.BatchSize = 0;
        juleOptions.NumberOfClusters = 4;
        using var juleModel = jule.Fit(data);
        Assert.AreEqual(10, juleModel.NumberOfClusters);
        Assert.IsGreaterThan(0L, juleModel.TrainingStatistics!.ImagesProcessed, "JULE trained with its own batch size");
    }

    [TestMethod]
    public void DisposedTransformerThrowsObjectDisposedException()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SampleDigits.Load(mlContext, 60);
        var model = mlContext.Clustering.Trainers.Dac(SampleDigits.FastDac()).Fit(data);
        var engine = mlContext.Model.CreatePredictionEngine<Samples.Digit, ClusterPrediction>(model);
        var lazy = model.Transform(data);
        model.Dispose();
        model.Dispose();

        Assert.ThrowsExactly<ObjectDisposedException>(() => model.Transform(data));
        Assert.ThrowsExactly<ObjectDisposedException>(() => model.GetRowToRowMapper(data.Schema));
        Assert.ThrowsExactly<ObjectDisposedException>(() => mlContext.Model.Save(model, data.Schema, new MemoryStream()));
        Assert.ThrowsExactly<ObjectDisposedException>(() => mlContext.Model.CreatePredictionEngine<Samples.Digit, ClusterPrediction>(model));
        Assert.ThrowsExactly<ObjectDisposedException>(() => engine.Predict(SampleDigits.Take(1)[0]));
        Assert.ThrowsExactly<ObjectDisposedException>(() => lazy.GetColumn<uint>(DeepClusteringColumnNames.PredictedLabel).ToArray());
    }

    [TestMethod]
    [DataRow("DAC")]
    [DataRow("JULE")]
    public void TwoFitsAtOnceGiveTheModelOfAFitAlone(string method)
    {
        float[][] Fit()
        {
            var mlContext = new MLContext(seed: 1);
            var data = SampleDigits.Load(mlContext, 150);
            using var model = Trainer(mlContext, method).Fit(data);
            return model.Transform(data).GetColumn<float[]>(DeepClusteringColumnNames.Embedding).ToArray();
        }

        var alone = Fit();
        var together = new float[2][][];
        var threads = Enumerable.Range(0, 2).Select(i => new Thread(() => together[i] = Fit())).ToArray();
        foreach (var thread in threads)
            thread.Start();
        foreach (var thread in threads)
            thread.Join();
        for (int t = 0; t < 2; t++)
            for (int row = 0; row < alone.Length; row++)
                CollectionAssert.AreEqual(alone[row], together[t][row], $"fit {t}, row {row}");
    }

    [TestMethod]
    public void FitPutsBackTorchsThreadCount()
    {
        TorchRuntime.EnsureInitialized();
        int before = torch.get_num_threads();
        try
        {
            torch.set_num_threads(1);
            var mlContext = new MLContext(seed: 1);
            var data = SampleDigits.Load(mlContext, 60);
            var options = SampleDigits.FastDac();
            options.NumberOfThreads = 2;
            int during = 0;
            options.Progress = new ProgressLog(_ => during = torch.get_num_threads());
            using (var model = mlContext.Clustering.Trainers.Dac(options).Fit(data))
                Assert.AreEqual(2, model.TrainingStatistics!.Threads);
            Assert.AreEqual(2, during);
            Assert.AreEqual(1, torch.get_num_threads(), "after a Fit");

            var canceled = new MLContext(seed: 1);
            options.Progress = new ProgressLog(p => canceled.CancelExecution());
            options.MaxEpochs = 5;
            Assert.ThrowsExactly<OperationCanceledException>(() => canceled.Clustering.Trainers.Dac(options).Fit(SampleDigits.Load(canceled, 60)));
            Assert.AreEqual(1, torch.get_num_threads(), "after a canceled Fit");
        }
        finally
        {
            torch.set_num_threads(before);
        }
    }

    [TestMethod]
    public void PixelsOutsideZeroToOneAreWarnedAndAbsurdValuesRefused()
    {
        var mlContext = new MLContext(seed: 1);
        var warnings = new List<string>();
        mlContext.Log += (_, e) =>
        {
            if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning)
                lock (warnings)
                    warnings.Add(e.RawMessage);
        };
        var bytes = SampleDigits.Take(60);
        foreach (var digit in bytes)
            for (int i = 0; i < digit.Features.Length; i++)
                digit.Features[i] *= 255;
        using (mlContext.Clustering.Trainers.Dac(SampleDigits.FastDac()).Fit(mlContext.Data.LoadFromEnumerable(bytes)))
        {
        }
        var warning = warnings.Single(w => w.Contains("Pixel values", StringComparison.Ordinal));
        StringAssert.Contains(warning, "'Features'");
        StringAssert.Contains(warning, "255");
        StringAssert.Contains(warning, "scaleImage: 1f / 255");

        warnings.Clear();
        using (mlContext.Clustering.Trainers.Dac(SampleDigits.FastDac()).Fit(SampleDigits.Load(mlContext, 60)))
            Assert.IsEmpty(warnings.Where(w => w.Contains("Pixel values", StringComparison.Ordinal)));

        var huge = SampleDigits.Take(60);
        huge[7].Features[100] = 1e30f;
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => mlContext.Clustering.Trainers.Jule(Jule.JuleTrainerTests.FastJule()).Fit(mlContext.Data.LoadFromEnumerable(huge)));
        StringAssert.Contains(e.Message, "'Features' row 7");
        StringAssert.Contains(e.Message, "1E+30");
    }

    private static IEstimator<DeepClusteringTransformer> Trainer(MLContext mlContext, string method) => method == "DAC"
        ? mlContext.Clustering.Trainers.Dac(SampleDigits.FastDac())
        : mlContext.Clustering.Trainers.Jule(Jule.JuleTrainerTests.FastJule());

    private static IEnumerable<Exception> Flatten(Exception error)
    {
        for (var e = error; e != null; e = e.InnerException)
            yield return e;
    }

    private sealed class ClusterPrediction
    {
        public uint PredictedLabel { get; set; }
    }

    [TestMethod]
    public void DacReportsEveryEpoch()
    {
        var mlContext = new MLContext(seed: 1);
        var log = new ProgressLog();
        var options = SampleDigits.FastDac(epochs: 3);
        options.Progress = log;
        using var model = mlContext.Clustering.Trainers.Dac(options).Fit(SampleDigits.Load(mlContext, 128));
        CollectionAssert.AreEqual(new[] { 1, 2, 3 }, log.Reports.Select(r => r.Epochs).ToArray());
        Assert.IsTrue(log.Reports.All(r => r.Method == "DAC" && r.Phase == DeepClusteringPhase.Training && r.EstimatedTotalEpochs == 3 && r.Clusters == 10));
        CollectionAssert.AreEqual(new long[] { 128, 256, 384 }, log.Reports.Select(r => r.ImagesTrained).ToArray());
        Assert.IsTrue(log.Reports.All(r => double.IsFinite(r.Loss) && r.ImagesPerSecond > 0 && r.ElapsedSeconds > 0));
        Assert.AreEqual(model.TrainingStatistics!.ImagesProcessed, log.Reports[^1].ImagesTrained);
    }

    [TestMethod]
    public void JuleReportsEpochsAndMergesAndEstimatesItsEpochs()
    {
        var mlContext = new MLContext(seed: 1);
        var log = new ProgressLog();
        var options = Jule.JuleTrainerTests.FastJule();
        options.EpochsPerPeriod = 2;
        options.Progress = log;
        using var model = mlContext.Clustering.Trainers.Jule(options).Fit(SampleDigits.Load(mlContext, 200));
        var training = log.Reports.Where(r => r.Phase == DeepClusteringPhase.Training).ToList();
        var merges = log.Reports.Where(r => r.Phase == DeepClusteringPhase.Clustering).ToList();
        Assert.IsNotEmpty(merges);
        CollectionAssert.AreEqual(Enumerable.Range(1, training.Count).ToArray(), training.Select(r => r.Epochs).ToArray());
        Assert.AreEqual(training.Count, log.Reports[0].EstimatedTotalEpochs, "the estimate matches the epochs the periods took");
        CollectionAssert.AreEqual(Enumerable.Range(1, merges.Count).ToArray(), merges.Select(r => r.Period).ToArray());
        Assert.AreEqual(10 * options.OverclusteringFactor, merges[^1].Clusters, "the recurrent process ends at k x OverclusteringFactor");
        Assert.IsTrue(merges.Zip(merges.Skip(1)).All(p => p.Second.Clusters < p.First.Clusters), "clusters fall period by period");
        Assert.AreEqual(3, JuleTrainer.Periods(1764, 10, 0.9), "1,764 -> 176 -> 17 -> 10 (the MNIST sample's periods)");
    }

    [TestMethod]
    public void JuleTrainOnOverclustersAddsOnePeriodAndItsEpochsToTheEstimate()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SampleDigits.Load(mlContext, 200);
        (List<DeepClusteringProgress> Training, DeepClusteringTransformer Model) Fit(bool trainOnOverclusters)
        {
            var log = new ProgressLog();
            var options = Jule.JuleTrainerTests.FastJule();
            options.EpochsPerPeriod = 2;
            options.TrainOnOverclusters = trainOnOverclusters;
            options.Progress = log;
            var model = mlContext.Clustering.Trainers.Jule(options).Fit(data);
            var training = log.Reports.Where(r => r.Phase == DeepClusteringPhase.Training).ToList();
            Assert.AreEqual(training.Count, log.Reports[0].EstimatedTotalEpochs, "the estimate matches the epochs the periods took");
            return (training, model);
        }
        var (without, plain) = Fit(false);
        var (with, extra) = Fit(true);
        using (plain)
        using (extra)
        {
            Assert.AreEqual(without.Count + 2, with.Count, "one more period of EpochsPerPeriod epochs");
            Assert.AreEqual(without[^1].Period + 1, with[^1].Period);
            var extraPeriod = with.Where(r => r.Period == without[^1].Period).ToList();
            Assert.IsTrue(extraPeriod.All(r => r.Clusters == 20), "the added period trains on the k x OverclusteringFactor clusters");
            Assert.AreEqual(10, extra.Model.NumberOfClusters);
            var a = plain.Model.GetClusterCentroids();
            var b = extra.Model.GetClusterCentroids();
            Assert.IsFalse(a.Zip(b).All(p => p.First.SequenceEqual(p.Second)), "the added period changes the trained network");
        }
    }
}
