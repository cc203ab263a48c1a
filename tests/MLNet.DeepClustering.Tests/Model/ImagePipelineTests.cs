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
        {
            var digits = SampleDigits.Take(240);
            var rows = images.WriteDigits(240).Select((path, i) => new ImageFile { ImagePath = path, Label = digits[i].Label }).ToList();

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
            dac.Dispose();
        }
    }

    private sealed class ImageFile
    {
        public string ImagePath { get; set; } = "";

        public uint Label { get; set; }
    }
}
