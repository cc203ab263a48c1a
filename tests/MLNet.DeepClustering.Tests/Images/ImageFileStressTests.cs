using Microsoft.ML;

namespace MLNet.DeepClustering.Tests.Images;

/// <summary>
/// A short stress of the pipeline README recommends (LoadImagePixels, then a trainer) over PNG files: a fresh process
/// loads the saved pipeline and runs Transform passes while PredictionEngines predict on two threads and a third
/// thread forces garbage collections. With ML.NET's LoadImages / ResizeImages / ConvertToGrayscale / ExtractPixels in
/// place of LoadImagePixels, the same run dies with SIGSEGV or a glibc heap-corruption abort within seconds (README,
/// "Images from files"), so the process's exit code is the assertion.
/// </summary>
[TestClass]
public sealed class ImageFileStressTests
{
    private const double Seconds = 15;

    [TestMethod]
    [DataRow("DAC")]
    [DataRow("JULE")]
    [DataRow("pixels only")]
    public void PipelineFromImageFilesSurvivesForcedCollections(string method)
    {
        using var images = new TestImages();
        var paths = images.WriteDigits(1500);
        var mlContext = new MLContext(seed: 1);
        var files = mlContext.Data.LoadFromEnumerable(paths.Select(p => new ImageFile { ImagePath = p }));
        IEstimator<ITransformer> trainer = method switch
        {
            "DAC" => mlContext.Clustering.Trainers.Dac(SampleDigits.FastDac()),
            "JULE" => mlContext.Clustering.Trainers.Jule(Jule.JuleTrainerTests.FastJule()),
            _ => mlContext.Transforms.CopyColumns("Pixels", "Features"),
        };
        var pipeline = mlContext.Transforms.LoadImagePixels("Features", 28, 28, nameof(ImageFile.ImagePath)).Append(trainer);
        var model = pipeline.Fit(files);
        string zip = images.PathOf("model.zip");
        string list = images.PathOf("files.txt");
        mlContext.Model.Save(model, files.Schema, zip);
        File.WriteAllLines(list, paths);
        (model.LastTransformer as IDisposable)?.Dispose();

        var (exitCode, output) = LoadCheckProcess.Run("stress", zip, list, Seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "2", "2");

        Assert.AreEqual(0, exitCode, $"the stress process failed (exit code {exitCode}; 134 is a glibc abort, 139 SIGSEGV):\n{output}");
        var passes = int.Parse(output.Split("passes ")[1].Split(',')[0]);
        Assert.IsGreaterThanOrEqualTo(3, passes, output);
    }

    private sealed class ImageFile
    {
        public string ImagePath { get; set; } = "";
    }
}
