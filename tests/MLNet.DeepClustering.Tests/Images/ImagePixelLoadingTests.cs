using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace MLNet.DeepClustering.Tests.Images;

[TestClass]
public sealed class ImagePixelLoadingTests
{
    [TestMethod]
    public void GrayPngsGiveTheSamePixelsAsMLNetsImagePipeline()
    {
        using var images = new TestImages();
        var paths = images.WriteDigits(30);
        var mlContext = new MLContext(seed: 1);
        var files = mlContext.Data.LoadFromEnumerable(paths.Select(p => new ImageFile { ImagePath = p }));

        var ours = mlContext.Transforms.LoadImagePixels("Features", 28, 28, nameof(ImageFile.ImagePath)).Fit(files).Transform(files);
        var mlnet = mlContext.Transforms.LoadImages("Image", null, nameof(ImageFile.ImagePath))
            .Append(mlContext.Transforms.ResizeImages("Image", 28, 28))
            .Append(mlContext.Transforms.ConvertToGrayscale("Image"))
            .Append(mlContext.Transforms.ExtractPixels("Features", "Image", ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255))
            .Fit(files).Transform(files);

        var type = (VectorDataViewType)ours.Schema["Features"].Type;
        CollectionAssert.AreEqual(new[] { 1, 28, 28 }, type.Dimensions.ToArray());
        var expected = mlnet.GetColumn<float[]>("Features").ToArray();
        var actual = ours.GetColumn<float[]>("Features").ToArray();
        var digits = SampleDigits.Take(30);
        Assert.AreEqual(expected.Length, actual.Length);
        for (int row = 0; row < actual.Length; row++)
        {
            for (int i = 0; i < 784; i++)
            {
                Assert.AreEqual(expected[row][i], actual[row][i], 1.01f / 255, $"row {row} pixel {i}: ML.NET's pipeline");
                Assert.AreEqual(digits[row].Features[i], actual[row][i], 0.51f / 255, $"row {row} pixel {i}: the digit written");
            }
        }
    }

    [TestMethod]
    public void RgbIsPlanarRedGreenBlue()
    {
        using var images = new TestImages();
        var rgb = new byte[2 * 2 * 3];
        for (int i = 0; i < 4; i++)
            (rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]) = ((byte)(60 * i), 255, 0);
        string path = images.WriteRgb("colors.png", rgb, 2, 2);

        var pixels = Load(path, 2, 2, ImagePixelColors.Rgb, ImageResizing.Stretch);

        var expected = new[] { 0f, 60 / 255f, 120 / 255f, 180 / 255f, 1, 1, 1, 1, 0, 0, 0, 0 };
        Assert.AreEqual(expected.Length, pixels.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], pixels[i], 1e-6f, $"value {i}");
    }

    [TestMethod]
    public void ShrinkingAveragesAndEnlargingInterpolates()
    {
        using var images = new TestImages();
        // A 4 x 4 checkerboard of 2 x 2 squares: shrinking to 2 x 2 averages each square exactly; to 1 x 1 gives the mean.
        var board = new float[16];
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
                board[y * 4 + x] = ((x / 2) + (y / 2)) % 2 == 0 ? 1 : 0;
        string path = images.WriteGray("board.png", board, 4, 4);

        CollectionAssert.AreEqual(new[] { 1f, 0, 0, 1 }, Load(path, 2, 2, ImagePixelColors.Grayscale, ImageResizing.Stretch));
        Assert.AreEqual(0.5f, Load(path, 1, 1, ImagePixelColors.Grayscale, ImageResizing.Stretch)[0], 1e-6f);
        CollectionAssert.AreEqual(board, Load(path, 4, 4, ImagePixelColors.Grayscale, ImageResizing.Stretch));

        // 2 x 1 (black, white) enlarged to 4 x 1: pixel centres at 0.25 and 0.75 of the way interpolate linearly.
        string pair = images.WriteGray("pair.png", new[] { 0f, 1f }, 2, 1);
        var wide = Load(pair, 4, 1, ImagePixelColors.Grayscale, ImageResizing.Stretch);
        CollectionAssert.AreEqual(new[] { 0f, 0.25f, 0.75f, 1f }, wide);
    }

    [TestMethod]
    public void CropCenterAndPadKeepTheAspectRatio()
    {
        using var images = new TestImages();
        // 4 wide x 2 high: columns 0 and 3 are white, columns 1 and 2 black.
        var gray = new float[] { 1, 0, 0, 1, 1, 0, 0, 1 };
        string path = images.WriteGray("wide.png", gray, 4, 2);

        // Crop to a square takes the central 2 x 2 (black); stretch keeps the white edges; pad puts the whole image
        // in the middle two rows of 4 x 4 and leaves the top and bottom rows black.
        CollectionAssert.AreEqual(new float[4], Load(path, 2, 2, ImagePixelColors.Grayscale, ImageResizing.CropCenter));
        CollectionAssert.AreEqual(new[] { 0.5f, 0.5f, 0.5f, 0.5f }, Load(path, 2, 2, ImagePixelColors.Grayscale, ImageResizing.Stretch));
        var padded = Load(path, 4, 4, ImagePixelColors.Grayscale, ImageResizing.Pad);
        CollectionAssert.AreEqual(new float[] { 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 }.Take(4).ToArray(), padded.Take(4).ToArray());
        CollectionAssert.AreEqual(new float[] { 1, 0, 0, 1, 1, 0, 0, 1 }, padded.Skip(4).Take(8).ToArray());
        CollectionAssert.AreEqual(new float[4], padded.Skip(12).ToArray());
    }

    [TestMethod]
    public void UnreadableFilesThrowNamingTheFile()
    {
        using var images = new TestImages();
        string corrupt = images.PathOf("corrupt.png");
        File.WriteAllBytes(corrupt, new byte[] { 0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4, 5, 6 });
        string empty = images.PathOf("empty.jpg");
        File.WriteAllBytes(empty, Array.Empty<byte>());
        string text = images.PathOf("notes.png");
        File.WriteAllText(text, "not an image");

        foreach (string path in new[] { corrupt, empty, text })
        {
            var e = Assert.ThrowsExactly<InvalidDataException>(() => Load(path, 8, 8, ImagePixelColors.Grayscale, ImageResizing.CropCenter));
            StringAssert.Contains(e.Message, path);
        }
        Assert.ThrowsExactly<FileNotFoundException>(() => Load(images.PathOf("missing.png"), 8, 8, ImagePixelColors.Grayscale, ImageResizing.CropCenter));
        var blank = Assert.ThrowsExactly<InvalidDataException>(() => Load("", 8, 8, ImagePixelColors.Grayscale, ImageResizing.CropCenter));
        StringAssert.Contains(blank.Message, "empty");
    }

    [TestMethod]
    public void OptionsAndSchemaAreChecked()
    {
        var mlContext = new MLContext(seed: 1);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Transforms.LoadImagePixels("Features", 0, 28, "Path"));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Transforms.LoadImagePixels("Features", 28, 5000, "Path"));
        var numbers = mlContext.Data.LoadFromEnumerable(new[] { new NumberRow() });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Transforms.LoadImagePixels("Features", 28, 28, nameof(NumberRow.Path)).Fit(numbers));
        StringAssert.Contains(e.Message, "expected String");
        StringAssert.Contains(e.Message, "'Path'");
        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Transforms.LoadImagePixels("Features", 28, 28, "File").Fit(numbers));
        StringAssert.Contains(missing.Message, "'File' not found");
    }

    [TestMethod]
    public void RelativePathsUseTheImageFolderAndTheTransformerSavesAndLoads()
    {
        using var images = new TestImages();
        images.WriteDigits(3);
        var mlContext = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 3).Select(i => new ImageFile { ImagePath = $"digit{i:D5}.png" }).ToArray();
        var data = mlContext.Data.LoadFromEnumerable(rows);
        var transformer = mlContext.Transforms.LoadImagePixels("Features", 14, 14, nameof(ImageFile.ImagePath), images.Folder,
            ImagePixelColors.Rgb, ImageResizing.Pad).Fit(data);
        var expected = transformer.Transform(data).GetColumn<float[]>("Features").ToArray();

        using var stream = new MemoryStream();
        mlContext.Model.Save(transformer, data.Schema, stream);
        stream.Position = 0;
        var loaded = mlContext.Model.Load(stream, out _);
        var reloaded = Assert.IsInstanceOfType<ImagePixelLoadingTransformer>(loaded is TransformerChain<ITransformer> chain ? chain.Single() : loaded);
        Assert.AreEqual(images.Folder, reloaded.ImageFolder);
        Assert.AreEqual(ImagePixelColors.Rgb, reloaded.Colors);
        Assert.AreEqual(ImageResizing.Pad, reloaded.Resizing);
        var actual = loaded.Transform(data).GetColumn<float[]>("Features").ToArray();
        Assert.AreEqual(3 * 14 * 14, actual[0].Length);
        for (int row = 0; row < 3; row++)
            CollectionAssert.AreEqual(expected[row], actual[row]);

        var engine = mlContext.Model.CreatePredictionEngine<ImageFile, PixelRow>(loaded);
        CollectionAssert.AreEqual(expected[1], engine.Predict(rows[1]).Features);
    }

    private static float[] Load(string path, int width, int height, ImagePixelColors colors, ImageResizing resizing)
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(new[] { new ImageFile { ImagePath = path } });
        var pixels = mlContext.Transforms.LoadImagePixels("Features", width, height, nameof(ImageFile.ImagePath), null, colors, resizing)
            .Fit(data).Transform(data);
        return pixels.GetColumn<float[]>("Features").Single();
    }

    private sealed class ImageFile
    {
        public string ImagePath { get; set; } = "";
    }

    private sealed class PixelRow
    {
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    private sealed class NumberRow
    {
        public float Path { get; set; }
    }
}
