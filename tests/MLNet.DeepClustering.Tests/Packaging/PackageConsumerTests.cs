using System.Diagnostics;

namespace MLNet.DeepClustering.Tests.Packaging;

/// <summary>
/// An application that references the packed library (not the project) gets the native-library fix through the
/// package's build targets and can train, save and load with no extra setup.
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
            File.WriteAllText(Path.Combine(app, "Program.cs"), """
                using Microsoft.ML;
                using Microsoft.ML.Data;
                using MLNet.DeepClustering;
                var ml = new MLContext(seed: 1);
                var rnd = new Random(1);
                var rows = Enumerable.Range(0, 120).Select(i => new Row { Features = Enumerable.Range(0, 256).Select(_ => (float)rnd.NextDouble()).ToArray() }).ToList();
                var data = ml.Data.LoadFromEnumerable(rows);
                var model = ml.Clustering.Trainers.Dac(new DacTrainer.Options { MaxEpochs = 1, BatchSize = 40, NumberOfClusters = 3 }).Fit(data);
                ml.Model.Save(model, data.Schema, "model.zip");
                var loaded = ml.Model.Load("model.zip", out _);
                int n = loaded.Transform(data).GetColumn<uint>("PredictedLabel").Count(l => l >= 1 && l <= 3);
                Console.WriteLine($"CONSUMER-OK {n}");
                class Row { [VectorType(1, 16, 16)] public float[] Features { get; set; } = Array.Empty<float>(); }
                """);
            string output = Run(app, "run", "-c", "Release");
            StringAssert.Contains(output, "CONSUMER-OK 120");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

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
