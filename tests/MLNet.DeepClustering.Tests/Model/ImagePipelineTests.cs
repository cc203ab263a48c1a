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
        string folder = Path.Combine(Path.GetTempPath(), "dc-png-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var digits = SampleDigits.Take(240);
            var rows = new List<ImageFile>();
            for (int i = 0; i < digits.Count; i++)
            {
                string path = Path.Combine(folder, $"digit{i:D4}.png");
                WritePng(digits[i].Features, 28, 28, path);
                rows.Add(new ImageFile { ImagePath = path, Label = digits[i].Label });
            }

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
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    internal static void WritePng(float[] gray, int width, int height, string path)
    {
        var bgra = new byte[width * height * 4];
        for (int i = 0; i < width * height; i++)
        {
            byte v = (byte)Math.Round(Math.Clamp(gray[i], 0, 1) * 255);
            bgra[4 * i] = bgra[4 * i + 1] = bgra[4 * i + 2] = v;
            bgra[4 * i + 3] = 255;
        }
        using var image = MLImage.CreateFromPixels(width, height, MLPixelFormat.Bgra32, bgra);
        image.Save(path);
    }

    private sealed class ImageFile
    {
        public string ImagePath { get; set; } = "";

        public uint Label { get; set; }
    }
}
