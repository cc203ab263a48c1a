using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.DeepClustering.Tests.Validation;

[TestClass]
public sealed class SchemaErrorTests
{
    private static readonly MLContext Context = new(seed: 1);

    [TestMethod]
    public void MissingColumnIsNamed()
    {
        var data = SampleDigits.Load(Context, 20);
        var options = SampleDigits.FastDac();
        options.FeatureColumnName = "Pixels";
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Context.Clustering.Trainers.Dac(options).Fit(data));
        StringAssert.Contains(e.Message, "'Pixels'");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Context.Clustering.Trainers.Dac(options).GetOutputSchema(MLNet.DeepClustering.Interop.MLNetInternals.ToShape(data.Schema)));
    }

    [TestMethod]
    public void WrongItemTypeNamesExpectedAndActual()
    {
        var data = Context.Data.LoadFromEnumerable(new[] { new DoubleRow(), new DoubleRow() });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Context.Clustering.Trainers.Dac().Fit(data));
        StringAssert.Contains(e.Message, "'Features'");
        StringAssert.Contains(e.Message, "Vector<Single>");
        StringAssert.Contains(e.Message, "Double");
        var shape = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Context.Clustering.Trainers.Dac().GetOutputSchema(MLNet.DeepClustering.Interop.MLNetInternals.ToShape(data.Schema)));
        StringAssert.Contains(shape.Message, "Double");
    }

    [TestMethod]
    public void ScalarColumnIsRejected()
    {
        var data = Context.Data.LoadFromEnumerable(new[] { new ScalarRow { Features = 1 } });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Context.Clustering.Trainers.Dac().Fit(data));
        StringAssert.Contains(e.Message, "Single");
    }

    [TestMethod]
    public void VariableSizeVectorIsRejected()
    {
        var data = Context.Data.LoadFromEnumerable(new[] { new VariableRow { Features = new float[784] }, new VariableRow { Features = new float[700] } });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Context.Clustering.Trainers.Dac().Fit(data));
        StringAssert.Contains(e.Message, "variable-size");
    }

    [TestMethod]
    public void NonSquareFlatVectorWithoutShapeOptionsIsRejected()
    {
        var data = Context.Data.LoadFromEnumerable(new[] { new FlatRow(), new FlatRow() });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Context.Clustering.Trainers.Dac().Fit(data));
        StringAssert.Contains(e.Message, "ImageChannels");
    }

    [TestMethod]
    public void ShapeOptionsThatDoNotMatchTheSizeAreRejected()
    {
        var data = Context.Data.LoadFromEnumerable(new[] { new FlatRow(), new FlatRow() });
        var options = new DacTrainer.Options { ImageChannels = 3, ImageHeight = 8, ImageWidth = 8 };
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Context.Clustering.Trainers.Dac(options).Fit(data));
        StringAssert.Contains(e.Message, "300");
    }

    [TestMethod]
    public void ShapeOptionsDescribeAFlatVector()
    {
        var rows = SampleDigits.Take(60).Select(d => new FlatRow { Features = d.Features.Concat(new float[300 - 784 % 300]).Take(300).ToArray() }).ToArray();
        var data = Context.Data.LoadFromEnumerable(rows);
        var options = SampleDigits.FastDac();
        (options.ImageChannels, options.ImageHeight, options.ImageWidth) = (3, 10, 10);
        using var model = Context.Clustering.Trainers.Dac(options).Fit(data);
        Assert.AreEqual(3, model.ImageChannels);
        Assert.AreEqual(10, model.ImageHeight);
    }

    [TestMethod]
    public void TransformWithAnotherVectorSizeIsRejected()
    {
        var data = SampleDigits.Load(Context, 40);
        using var model = Context.Clustering.Trainers.Dac(SampleDigits.FastDac()).Fit(data);
        var wrongSize = Context.Data.LoadFromEnumerable(new[] { new Square16Row() });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Transform(wrongSize));
        StringAssert.Contains(e.Message, "'Features'");
        StringAssert.Contains(e.Message, "784");
    }

    [TestMethod]
    public void NonFinitePixelsAreRejected()
    {
        var rows = SampleDigits.Take(20);
        rows[7].Features[5] = float.NaN;
        var data = Context.Data.LoadFromEnumerable(rows);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Context.Clustering.Trainers.Dac(SampleDigits.FastDac()).Fit(data));
        StringAssert.Contains(e.Message, "row 7");
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(-3)]
    public void FewerThanTwoClustersIsRejected(int k)
    {
        // 0 means "choose k" (ClusterCountTests); 1 and negative counts are refused.
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Context.Clustering.Trainers.Dac(numberOfClusters: k));
        StringAssert.Contains(e.Message, "NumberOfClusters");
        StringAssert.Contains(e.Message, "or 0 to choose it");
    }

    [TestMethod]
    public void BadOptionsAreRejected()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Context.Clustering.Trainers.Dac(new DacTrainer.Options { MaxEpochs = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Context.Clustering.Trainers.Dac(new DacTrainer.Options { BatchSize = 1 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Context.Clustering.Trainers.Dac(new DacTrainer.Options { LearningRate = float.NaN }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Context.Clustering.Trainers.Dac(new DacTrainer.Options { Device = "gpu" }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Context.Clustering.Trainers.Dac(new DacTrainer.Options { NetworkWidth = 8 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Context.Clustering.Trainers.Dac(new DacTrainer.Options { NetworkWidth = 24 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Context.Clustering.Trainers.Dac(new DacTrainer.Options { UpperThreshold = 0.3f }));
        Assert.ThrowsExactly<ArgumentException>(() => Context.Clustering.Trainers.Dac(new DacTrainer.Options { ImageChannels = 1 }).Fit(SampleDigits.Load(Context, 20)));
    }

    private sealed class DoubleRow
    {
        [VectorType(784)]
        public double[] Features { get; set; } = new double[784];
    }

    private sealed class ScalarRow
    {
        public float Features { get; set; }
    }

    private sealed class VariableRow
    {
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    private sealed class FlatRow
    {
        [VectorType(300)]
        public float[] Features { get; set; } = new float[300];
    }

    private sealed class Square16Row
    {
        [VectorType(256)]
        public float[] Features { get; set; } = new float[256];
    }
}
