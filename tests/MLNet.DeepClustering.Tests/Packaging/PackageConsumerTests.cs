using System.Diagnostics;

namespace MLNet.DeepClustering.Tests.Packaging;

/// <summary>
/// An application that references the packed library (not the project) gets the native-library fix through the
/// package's build targets and can train, save and load with no extra setup; it also checks, through the public API,
/// the options snapshot, the centroids behind Score, custom column names, refusal of an altered model, disposal,
/// concurrent fits, the restored thread count and a pipeline from image files.
/// </summary>
[TestClass]
public sealed class PackageConsumerTests
{
    [TestMethod]
    [Timeout(600_000, CooperativeCancellation = true)]
    public void PackedLibraryTrainsSavesAndLoadsInAConsumerApp()
    {
        string repo = FindRepoRoot();
        string work = Path.Combine(Path.GetTempPath(), "dc-consumer-" + Guid.NewGuid().ToString("N"));
        string feed = Path.Combine(work, "feed"), app = Path.Combine(work, "app");
        Directory.CreateDirectory(feed);
        Directory.CreateDirectory(app);
        // A version of its own, so a package cached by an earlier run is never used.
        string version = $"0.0.1-ci{DateTime.UtcNow:yyyyMMddHHmmss}{Environment.ProcessId}";
        try
        {
            Run(repo, "pack", Path.Combine(repo, "src", "MLNet.DeepClustering", "MLNet.DeepClustering.csproj"),
                "-c", "Release", "-o", feed, $"-p:Version={version}");
            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration><packageSources><add key="local" value="{feed}" /></packageSources></configuration>
                """);
            File.WriteAllText(Path.Combine(app, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings><NoWarn>NU1603</NoWarn></PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="MLNet.DeepClustering" Version="{version}" />
                    <PackageReference Include="libtorch-cpu-linux-x64" Version="2.10.0" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), ConsumerProgram);
            string output = Run(app, "run", "-c", "Release");
            StringAssert.Contains(output, "CONSUMER-OK 120");
            foreach (string check in new[] { "options-snapshot", "centroids-explain-score", "column-names", "corrupt-refused", "disposed",
                "concurrent-fits", "threads-restored", "image-files" })
                StringAssert.Contains(output, $"CHECK {check} OK", output);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    // Checks the public API as an application sees it: every line it prints is asserted above.
    private const string ConsumerProgram = """
        using System.IO.Compression;
        using Microsoft.ML;
        using Microsoft.ML.Data;
        using MLNet.DeepClustering;

        var ml = new MLContext(seed: 1);
        var rnd = new Random(1);
        var rows = Enumerable.Range(0, 120).Select(i => new Row { Features = Enumerable.Range(0, 256).Select(_ => (float)rnd.NextDouble()).ToArray() }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        DacTrainer.Options Dac(int k) => new() { MinimumImagesPerEpoch = 0, MaxEpochs = 1, BatchSize = 40, NumberOfClusters = k, NetworkWidth = 16, Seed = 1 };
        JuleTrainer.Options Jule() => new() { MinimumImagesPerEpoch = 0, EpochsPerPeriod = 1, EmbeddingSize = 16, NumberOfClusters = 3, Seed = 1 };
        void Check(string name, bool ok, string detail = "") { if (!ok) throw new Exception($"check {name} failed {detail}"); Console.WriteLine($"CHECK {name} OK"); }

        var options = Dac(3);
        var trainer = ml.Clustering.Trainers.Dac(options);
        options.NumberOfClusters = 5;
        options.BatchSize = 0;
        int threadsBefore = TorchSharp.torch.get_num_threads();
        var model = trainer.Fit(data);
        Check("options-snapshot", model.NumberOfClusters == 3 && model.Model.NumberOfClusters == 3);
        Check("threads-restored", TorchSharp.torch.get_num_threads() == threadsBefore);

        var scored = model.Transform(data);
        var embeddings = scored.GetColumn<float[]>("Embedding").ToArray();
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        var centroids = model.Model.GetClusterCentroids();
        double worst = 0;
        for (int i = 0; i < embeddings.Length; i++)
            for (int j = 0; j < 3; j++)
                worst = Math.Max(worst, Math.Abs(1 - embeddings[i].Zip(centroids[j], (a, b) => (double)a * b).Sum() - scores[i][j]));
        Check("centroids-explain-score", worst < 1e-3, $"{worst}");

        ml.Model.Save(model, data.Schema, "model.zip");
        var loaded = ml.Model.Load("model.zip", out _);
        int n = loaded.Transform(data).GetColumn<uint>("PredictedLabel").Count(l => l >= 1 && l <= 3);
        Console.WriteLine($"CONSUMER-OK {n}");

        var dacNamed = Dac(3);
        dacNamed.PredictedLabelColumnName = "DacCluster"; dacNamed.ScoreColumnName = "DacScore"; dacNamed.EmbeddingColumnName = "DacEmbedding";
        var juleNamed = Jule();
        juleNamed.PredictedLabelColumnName = "JuleCluster"; juleNamed.ScoreColumnName = "JuleScore"; juleNamed.EmbeddingColumnName = "JuleEmbedding";
        var both = ml.Clustering.Trainers.Dac(dacNamed).Append(ml.Clustering.Trainers.Jule(juleNamed)).Fit(data).Transform(data);
        Check("column-names", both.GetColumn<uint>("DacCluster").Count() == 120 && both.GetColumn<uint>("JuleCluster").Count() == 120);

        using (var zip = ZipFile.Open("model.zip", ZipArchiveMode.Update))
        {
            var entry = zip.Entries.Single(e => e.FullName.EndsWith("DeepClusteringModel.bin"));
            byte[] bytes;
            using (var s = entry.Open()) { using var m = new MemoryStream(); s.CopyTo(m); bytes = m.ToArray(); }
            bytes[bytes.Length / 2] ^= 0xFF;
            string name = entry.FullName;
            entry.Delete();
            using var w = zip.CreateEntry(name).Open();
            w.Write(bytes);
        }
        try
        {
            ml.Model.Load("model.zip", out _);
            Check("corrupt-refused", false, "it loaded");
        }
        catch (Exception e)
        {
            var inner = e.InnerException ?? e;
            Check("corrupt-refused", inner is InvalidDataException && inner.Message.Length < 1000 && inner.Message.All(c => !char.IsControl(c))
                && inner.Message.Contains("DeepClusteringModel.bin"), inner.Message);
        }

        model.Dispose();
        bool saveThrows = false, transformThrows = false;
        try { ml.Model.Save(model, data.Schema, "again.zip"); } catch (ObjectDisposedException) { saveThrows = true; }
        try { model.Transform(data); } catch (ObjectDisposedException) { transformThrows = true; }
        Check("disposed", saveThrows && transformThrows);

        float[] FitJule() { var c = new MLContext(seed: 1); using var m = c.Clustering.Trainers.Jule(Jule()).Fit(c.Data.LoadFromEnumerable(rows)); return m.Transform(data).GetColumn<float[]>("Embedding").SelectMany(e => e).ToArray(); }
        var alone = FitJule();
        var together = new float[2][];
        var threads = Enumerable.Range(0, 2).Select(t => new Thread(() => together[t] = FitJule())).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        Check("concurrent-fits", together.All(t => t.SequenceEqual(alone)));

        Directory.CreateDirectory("images");
        var paths = new List<string>();
        for (int i = 0; i < 40; i++)
        {
            var bgra = new byte[20 * 20 * 4];
            for (int p = 0; p < 400; p++) { byte v = (byte)((i % 2 == 0 ? p % 20 : p / 20) * 12); bgra[4 * p] = bgra[4 * p + 1] = bgra[4 * p + 2] = v; bgra[4 * p + 3] = 255; }
            string path = Path.Combine("images", $"img{i}.png");
            using (var image = MLImage.CreateFromPixels(20, 20, MLPixelFormat.Bgra32, bgra)) image.Save(path);
            paths.Add(Path.GetFullPath(path));
        }
        var files = ml.Data.LoadFromEnumerable(paths.Select(p => new FileRow { Path = p }));
        var fromFiles = ml.Transforms.LoadImagePixels("Features", 16, 16, "Path").Append(ml.Clustering.Trainers.Dac(Dac(2))).Fit(files);
        Check("image-files", fromFiles.Transform(files).GetColumn<uint>("PredictedLabel").Count() == 40);

        class Row { [VectorType(1, 16, 16)] public float[] Features { get; set; } = Array.Empty<float>(); }
        class FileRow { public string Path { get; set; } = ""; }
        """;

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MLNet.DeepClustering.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("Repository root (MLNet.DeepClustering.sln) not found above " + AppContext.BaseDirectory);
    }

    private static string Run(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode, $"dotnet {string.Join(' ', args)} failed:\n{stdout}\n{stderr.Result}");
        return stdout;
    }
}
