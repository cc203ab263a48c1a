using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.DeepClustering.Tests.Examples;

/// <summary>
/// examples/ClusterImages end to end, as a separate process: fit on a folder of generated coloured shapes of several
/// sizes and formats in subfolders, with corrupt files among them; then predict on the same folder.
/// </summary>
[TestClass]
public sealed class ClusterImagesProgramTests
{
    private const int Classes = 3, PerClass = 30;

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }

    private sealed class Prediction
    {
        public uint PredictedLabel { get; set; }
    }

    [TestMethod]
    public void FitAndPredictWriteEveryResultAndSkipCorruptFiles()
    {
        using var images = new TestImages();
        // The results go inside the input folder: predict, which reads that folder again, must not take them for images.
        string input = Path.Combine(images.Folder, "in"), output = Path.Combine(input, "results"), predicted = Path.Combine(images.Folder, "predicted");
        var truth = WriteShapes(input);
        File.WriteAllBytes(Path.Combine(input, "broken.png"), Enumerable.Range(0, 300).Select(i => (byte)(i * 7)).ToArray());
        File.WriteAllBytes(Path.Combine(input, "sub", "empty.jpg"), Array.Empty<byte>());
        File.WriteAllBytes(Path.Combine(input, "truncated.png"), File.ReadAllBytes(Path.Combine(input, truth.Keys.First())).Take(20).ToArray());
        File.WriteAllText(Path.Combine(input, "notes.txt"), "not an image");

        // One pass per epoch keeps the test fast (90 images; the default draws 5,000 per epoch).
        var (exit, log) = Run("fit", "--input", input, "--output", output, "--clusters", "auto", "--color", "--seed", "1", "--epoch-images", "0");
        Assert.AreEqual(0, exit, log);
        foreach (string bad in new[] { "broken.png", "sub/empty.jpg", "truncated.png" })
            StringAssert.Contains(log, "skipped " + bad, log);
        Assert.IsFalse(log.Contains("notes.txt", StringComparison.Ordinal), "only image extensions are read");

        // summary.json
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        var root = summary.RootElement;
        Assert.AreEqual("jule", root.GetProperty("method").GetString());
        int k = root.GetProperty("clusters").GetInt32();
        // Over seeds 1 to 13 (an AMD EPYC VM) the automatic k was 3 ten times; at three seeds the finest-level rule took
        // a level inside a shape (4 or 5 clusters, the shapes' sizes and crops differ), and every cluster held one shape.
        Assert.IsTrue(k is >= Classes and <= 2 * Classes, $"k = {k}: the automatic k finds the three shapes, or parts of them\n" + log);
        Assert.AreEqual(truth.Count, root.GetProperty("images").GetInt32());
        Assert.AreEqual(3, root.GetProperty("skipped").GetInt32());
        Assert.IsTrue(root.GetProperty("fitSeconds").GetDouble() > 0);

        // clusters.csv: every readable image once, relative path, cluster 1..k, its Score; the shapes recovered.
        var fitted = ReadCsv(Path.Combine(output, "clusters.csv"));
        CollectionAssert.AreEquivalent(truth.Keys.ToList(), fitted.Keys.ToList());
        Assert.IsTrue(fitted.Values.All(r => r.Cluster >= 1 && r.Cluster <= k && r.Score >= 0 && float.IsFinite(r.Score)));
        foreach (var cluster in fitted.GroupBy(f => f.Value.Cluster))
            Assert.AreEqual(1, cluster.Select(f => truth[f.Key]).Distinct().Count(), $"cluster {cluster.Key} holds one shape\n" + log);

        // Montages, embedding plot, gallery.
        for (int c = 1; c <= k; c++)
            AssertPng(Path.Combine(output, $"montage-{c}.png"));
        AssertPng(Path.Combine(output, "embedding.png"));
        string html = File.ReadAllText(Path.Combine(output, "index.html"));
        for (int c = 1; c <= k; c++)
            StringAssert.Contains(html, $"id=\"cluster-{c}\"");
        var sources = Regex.Matches(html, "<img[^>]* src=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        var links = Regex.Matches(html, "<a href=\"([^\"#][^\"]*)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.IsTrue(sources.Count > k && links.Count >= k, html);
        foreach (string link in sources.Concat(links))
            Assert.IsTrue(File.Exists(Path.GetFullPath(Path.Combine(output, Uri.UnescapeDataString(link)))), $"broken link {link}");

        // The saved model is the whole pipeline from a file path: any ML.NET application can score with it.
        var mlContext = new MLContext(seed: 1);
        var model = mlContext.Model.Load(Path.Combine(output, "model.zip"), out var schema);
        Assert.IsInstanceOfType<TextDataViewType>(schema["ImagePath"].Type);
        var engine = mlContext.Model.CreatePredictionEngine<PathRow, Prediction>(model);
        foreach (var file in truth.Keys.Take(10))
            Assert.AreEqual(fitted[file].Cluster, engine.Predict(new PathRow { ImagePath = Path.Combine(input, file) }).PredictedLabel, file);
        (model as IDisposable)?.Dispose();

        // predict on the same folder reproduces fit's clusters and writes the montages.
        (exit, log) = Run("predict", "--model", Path.Combine(output, "model.zip"), "--input", input, "--output", predicted);
        Assert.AreEqual(0, exit, log);
        StringAssert.Contains(log, "skipped broken.png");
        var again = ReadCsv(Path.Combine(predicted, "clusters.csv"));
        CollectionAssert.AreEquivalent(fitted.Keys.ToList(), again.Keys.ToList());
        foreach (var (file, row) in fitted)
        {
            Assert.AreEqual(row.Cluster, again[file].Cluster, file);
            Assert.AreEqual(row.Score, again[file].Score, 1e-4f, file);
        }
        for (int c = 1; c <= k; c++)
            AssertPng(Path.Combine(predicted, $"montage-{c}.png"));
    }

    [TestMethod]
    public void BadArgumentsAndEmptyFoldersGiveAnErrorNotACrash()
    {
        using var images = new TestImages();
        var (exit, log) = Run("fit", "--input", images.Folder, "--output", Path.Combine(images.Folder, "out"));
        Assert.AreEqual(2, exit, log);
        StringAssert.Contains(log, "No image files");
        (exit, log) = Run("fit", "--input", images.Folder, "--output", images.Folder, "--clusters", "one");
        Assert.AreNotEqual(0, exit, log);
        StringAssert.Contains(log, "--clusters must be auto or a whole number");
        (exit, log) = Run("fit", "--input", images.Folder, "--output", images.Folder, "--epoch-images", "-1");
        Assert.AreNotEqual(0, exit, log);
        StringAssert.Contains(log, "--epoch-images must be zero or positive");
        (exit, log) = Run("predict", "--model", Path.Combine(images.Folder, "missing.zip"), "--input", images.Folder, "--output", images.Folder);
        Assert.AreEqual(2, exit, log);
        StringAssert.Contains(log, "does not exist");
        (exit, log) = Run("fit", "--input", Path.Combine(images.Folder, "nowhere"), "--output", images.Folder);
        Assert.AreEqual(1, exit, log);
        StringAssert.Contains(log, "error: The input folder");

        // A model file that is not a model: one line, no stack trace.
        string notAModel = Path.Combine(images.Folder, "model.zip");
        File.WriteAllText(notAModel, "not a zip");
        TestImages.WriteRgbFile(Path.Combine(images.Folder, "one.png"), Shapes.Rgb(0, 28, 28, new Random(1)), 28, 28);
        (exit, log) = Run("predict", "--model", notAModel, "--input", images.Folder, "--output", Path.Combine(images.Folder, "out"));
        Assert.AreEqual(1, exit, log);
        StringAssert.StartsWith(log.Trim(), "error:");
        Assert.IsFalse(log.Contains("   at ", StringComparison.Ordinal), log);
    }

    /// <summary>Coloured shapes: 3 classes, sizes 20 to 64 pixels, PNG, JPEG, BMP and WebP, in the folder and two subfolders. Returns relative path -> class.</summary>
    private static Dictionary<string, int> WriteShapes(string folder)
    {
        var random = new Random(5);
        var truth = new Dictionary<string, int>();
        string[] subfolders = { "", "sub", "sub/deeper" };
        string[] extensions = { ".png", ".jpg", ".bmp", ".webp" };
        int[] labels = { 0, 13, 26 };   // disk in red, plus in green, hollow square in blue
        for (int i = 0; i < Classes * PerClass; i++)
        {
            int label = labels[i % Classes];
            int width = 20 + random.Next(45), height = 20 + random.Next(45);
            string relative = $"{subfolders[i % 3]}/shape {i:D3}{extensions[i / 3 % 4]}".TrimStart('/');
            string path = Path.Combine(folder, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            TestImages.WriteRgbFile(path, Shapes.Rgb(label, width, height, random), width, height);
            truth[relative] = i % Classes;
        }
        return truth;
    }

    private static Dictionary<string, (uint Cluster, float Score)> ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        Assert.AreEqual("file,cluster,score", lines[0]);
        return lines.Skip(1).Select(line => line.Split(',')).ToDictionary(
            f => f[0], f => (uint.Parse(f[1], CultureInfo.InvariantCulture), float.Parse(f[2], CultureInfo.InvariantCulture)));
    }

    private static void AssertPng(string path)
    {
        Assert.IsTrue(File.Exists(path), $"{path} is missing");
        var bytes = File.ReadAllBytes(path);
        Assert.IsTrue(bytes.Length > 100 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G', $"{path} is not a PNG");
    }

    /// <summary>Runs the ClusterImages program built beside this test project (same configuration).</summary>
    private static (int ExitCode, string Output) Run(params string[] args)
    {
        var binary = new DirectoryInfo(AppContext.BaseDirectory);   // tests/<project>/bin/<Configuration>/<framework>/
        string configuration = binary.Parent!.Name, framework = binary.Name;
        var repository = binary;
        while (repository is not null && !File.Exists(Path.Combine(repository.FullName, "MLNet.DeepClustering.sln")))
            repository = repository.Parent;
        Assert.IsNotNull(repository, "repository root not found");
        string program = Path.Combine(repository.FullName, "examples", "ClusterImages", "bin", configuration, framework, "ClusterImages.dll");
        return ProgramProcess.Run(program, 600, args);
    }
}
