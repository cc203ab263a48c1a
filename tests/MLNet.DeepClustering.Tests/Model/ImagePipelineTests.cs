using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace MLNet.DeepClustering.Tests.Model;

[TestClass]
public sealed class ImagePipelineTests
{
    [TestMethod]
    [DataRow("DAC")]
    [DataRow("JULE")]
    public void LoadResizeGrayscaleExtractThenClusterPngFiles(string method)
    {
        using var images = new TestImages();
        var digits = SampleDigits.Take(300);
        var rows = images.WriteDigits(300).Select((path, i) => new ImageFile { ImagePath = path, Label = digits[i].Label }).ToList();

        var mlContext = new MLContext(seed: 1);
        var files = mlContext.Data.LoadFromEnumerable(rows);
        IEstimator<DeepClusteringTransformer> trainer = method == "DAC"
            ? mlContext.Clustering.Trainers.Dac(SampleDigits.FastDac())
            : mlContext.Clustering.Trainers.Jule(Jule.JuleTrainerTests.FastJule());
        var pipeline = mlContext.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(ImageFile.ImagePath))
            .Append(mlContext.Transforms.ResizeImages("Image", imageWidth: 24, imageHeight: 24))
            .Append(mlContext.Transforms.ConvertToGrayscale("Image"))
            .Append(mlContext.Transforms.ExtractPixels("Features", "Image", colorsToExtract: ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255))
            .Append(trainer);

        var expectedSchema = pipeline.GetOutputSchema(MLNet.DeepClustering.Interop.MLNetInternals.ToShape(files.Schema));
        Assert.IsTrue(expectedSchema.Single(c => c.Name == DeepClusteringColumnNames.PredictedLabel).IsKey);

        var model = pipeline.Fit(files);
        var scored = model.Transform(files);
        var dac = model.LastTransformer;
        Assert.AreEqual(1, dac.ImageChannels);
        Assert.AreEqual(24, dac.ImageHeight);
        Assert.AreEqual(24, dac.ImageWidth);
        var labels = scored.GetColumn<uint>(DeepClusteringColumnNames.PredictedLabel).ToArray();
        Assert.AreEqual(rows.Count, labels.Length);
        Assert.IsTrue(labels.All(l => l >= 1 && l <= 10));

        // One source cursor per cursor, 300 rows across two batches of 256: copied pass-through values stay with their
        // rows; asking for the image objects too makes the cursor score row by row, with the same labels.
        CollectionAssert.AreEqual(rows.Select(r => r.Label).ToArray(), scored.GetColumn<uint>(nameof(ImageFile.Label)).ToArray());
        var columns = new[] { scored.Schema["Image"], scored.Schema[DeepClusteringColumnNames.PredictedLabel], scored.Schema[nameof(ImageFile.ImagePath)] };
        using (var cursor = scored.GetRowCursor(columns))
        {
            var getImage = cursor.GetGetter<MLImage>(columns[0]);
            var getLabel = cursor.GetGetter<uint>(columns[1]);
            var getPath = cursor.GetGetter<ReadOnlyMemory<char>>(columns[2]);
            int row = 0;
            uint label = 0;
            var path = default(ReadOnlyMemory<char>);
            while (cursor.MoveNext())
            {
                MLImage image = null!;
                getImage(ref image);
                Assert.AreEqual(24, image.Width);
                getLabel(ref label);
                getPath(ref path);
                Assert.AreEqual(labels[row], label, $"row {row}");
                Assert.AreEqual(rows[row].ImagePath, path.ToString());
                Assert.AreEqual(row, cursor.Position);
                row++;
            }
            Assert.AreEqual(rows.Count, row);
        }
        dac.Dispose();
    }

    private sealed class ImageFile
    {
        public string ImagePath { get; set; } = "";

        public uint Label { get; set; }
    }
}
