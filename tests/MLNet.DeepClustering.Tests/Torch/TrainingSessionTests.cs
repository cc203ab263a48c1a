using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.DeepClustering.Torch;
using TorchSharp;
using TorchSharp.Modules;

namespace MLNet.DeepClustering.Tests.Torch;

[TestClass]
public sealed class TrainingSessionTests
{
    private sealed class Image
    {
        [VectorType(1, 4, 4)]
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    [TestMethod]
    public void RecalibrateBatchNormAveragesTheDataAndRestoresMomentum()
    {
        TorchRuntime.EnsureInitialized();
        var mlContext = new MLContext(seed: 1);
        var random = new Random(7);
        var rows = Enumerable.Range(0, 200)
            .Select(_ => new Image { Features = Enumerable.Range(0, 16).Select(_ => (float)(3 + 2 * (random.NextDouble() * 2 - 1))).ToArray() })
            .ToArray();
        var view = mlContext.Data.LoadFromEnumerable(rows);
        var host = ((IHostEnvironment)mlContext).Register("test");
        using var channel = host.Start("test");
        var data = TrainingData.Read(view, view.Schema["Features"], new ImageShape(1, 4, 4), () => { });
        using var session = new TrainingSession(host, channel, torch.CPU, 1, data, "test", 2, progress: null);

        var norm = new BatchNormalization(1);
        using var model = torch.nn.Sequential(("norm", norm));
        // Running statistics far from the data, as after training on other inputs.
        using (torch.no_grad())
        {
            norm.RunningMean.fill_(-10);
            norm.RunningVariance.fill_(100);
        }

        session.RecalibrateBatchNorm(model, 50);

        double mean = rows.SelectMany(r => r.Features).Average();
        Assert.AreEqual(mean, norm.RunningMean.item<float>(), 1e-4, "the mean of four equal batches is the data mean");
        double variance = rows.SelectMany(r => r.Features).Select(v => (v - mean) * (v - mean)).Average();
        Assert.AreEqual(variance, norm.RunningVariance.item<float>(), 0.05 * variance);
        Assert.AreEqual(0.1, norm.Momentum!.Value, 1e-12, "momentum is restored");
        Assert.IsFalse(model.training, "the model is left in evaluation mode");
    }

    [TestMethod]
    [DataRow((int)LastBatch.Keep, "0 1 2|3 4 5|6")]
    [DataRow((int)LastBatch.KeepIfAtLeastTwo, "0 1 2|3 4 5")]
    [DataRow((int)LastBatch.Drop, "0 1 2|3 4 5")]
    public void BatchesFollowTheLastBatchPolicy(int policy, string expected)
    {
        var last = (LastBatch)policy;
        string Slices(int n) => string.Join("|", Batching.Batches(Enumerable.Range(0, n), 3, last).Select(b => string.Join(" ", b)));
        Assert.AreEqual(expected, Slices(7));
        Assert.AreEqual(last == LastBatch.Drop ? "0 1 2|3 4 5" : "0 1 2|3 4 5|6 7", Slices(8));
        Assert.AreEqual("0 1 2|3 4 5", Slices(6));
        Assert.AreEqual("", Slices(0));
    }

    [TestMethod]
    public void EpochOrderRepeatsFreshPassesUpToTheMinimumImages()
    {
        var mlContext = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 7).Select(i => new Image { Features = Enumerable.Repeat(i / 7f, 16).ToArray() }).ToArray();
        var view = mlContext.Data.LoadFromEnumerable(rows);
        var host = ((IHostEnvironment)mlContext).Register("test");
        using var channel = host.Start("test");
        var data = TrainingData.Read(view, view.Schema["Features"], new ImageShape(1, 4, 4), () => { });

        using var session = new TrainingSession(host, channel, torch.CPU, 1, data, "test", 2, progress: null) { MinimumImagesPerEpoch = 17 };
        var order = session.EpochOrder(() => session.Shuffled(7));
        Assert.AreEqual(17, order.Length);
        Assert.AreEqual(17, session.EpochLength(7));
        for (int pass = 0; pass < 2; pass++)
            CollectionAssert.AreEquivalent(Enumerable.Range(0, 7).ToArray(), order.Skip(7 * pass).Take(7).ToArray(), $"pass {pass + 1} holds every image once");
        Assert.AreEqual(3, order.Skip(14).Distinct().Count(), "the last pass is cut short");
        Assert.IsFalse(order.Take(7).SequenceEqual(order.Skip(7).Take(7)), "every pass is shuffled afresh");

        using var single = new TrainingSession(host, channel, torch.CPU, 1, data, "test", 2, progress: null) { MinimumImagesPerEpoch = 7 };
        Assert.AreEqual(7, single.EpochOrder(() => single.Shuffled(7)).Length, "as many images as the minimum: one pass");
        using var off = new TrainingSession(host, channel, torch.CPU, 1, data, "test", 2, progress: null);
        Assert.AreEqual(7, off.EpochOrder(() => off.Shuffled(7)).Length, "0: one pass");
        Assert.AreEqual(0, session.EpochOrder(Array.Empty<int>).Length, "an empty pass stays empty");
    }

    [TestMethod]
    public void NegativeMinimumImagesPerEpochIsRejected()
    {
        var mlContext = new MLContext(seed: 1);
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            mlContext.Clustering.Trainers.Jule(new JuleTrainer.Options { MinimumImagesPerEpoch = -1 }));
        StringAssert.Contains(error.Message, "MinimumImagesPerEpoch");
    }
}
