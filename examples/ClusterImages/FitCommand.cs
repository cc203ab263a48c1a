using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.DeepClustering.ClusterImages;

/// <summary>The fit verb's settings.</summary>
internal sealed record FitSettings(DirectoryInfo Input, DirectoryInfo Output, string Method, int Clusters, int Size, bool Color, int Seed, string Device, int EpochImages);

/// <summary>A scored row read back from the trained transformer.</summary>
internal sealed class ScoredRow
{
    public string ImagePath { get; set; } = "";

    public uint PredictedLabel { get; set; }

    public float[] Score { get; set; } = Array.Empty<float>();

    public float[] Embedding { get; set; } = Array.Empty<float>();
}

/// <summary>
/// fit: load every image of the folder once (skipping the ones that cannot be read), train, and write the results.
/// The saved model is LoadImagePixels (file path to pixels) followed by the trained transformer, so any ML.NET
/// application can score a file path with it.
/// </summary>
internal sealed class FitCommand
{
    private readonly FitSettings _settings;

    public FitCommand(FitSettings settings) => _settings = settings;

    public int Run()
    {
        var s = _settings;
        var images = ImageSet.Find(s.Input, s.Output);
        if (images.Files.Count == 0)
        {
            Console.Error.WriteLine($"No image files ({string.Join(", ", ImageSet.Extensions)}) under '{s.Input.FullName}'.");
            return 2;
        }
        Directory.CreateDirectory(s.Output.FullName);
        var mlContext = new MLContext(seed: s.Seed);
        mlContext.Log += (_, e) =>
        {
            // The trainers' own summary lines (k chosen, cluster sizes, fit time); the progress display shows the rest.
            if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning
                || (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info && e.Source.Contains("Trainer", StringComparison.Ordinal)
                    && (e.RawMessage.Contains("chosen", StringComparison.Ordinal) || e.RawMessage.Contains(": fit ", StringComparison.Ordinal))))
                ConsoleDisplay.Line($"  {e.RawMessage}");
        };

        int channels = s.Color ? 3 : 1;
        // The saved model's input: one ImagePath column (no rows are needed to fit the loader or to save).
        var paths = mlContext.Data.LoadFromEnumerable(Array.Empty<ImagePathRow>());
        var loader = mlContext.Transforms.LoadImagePixels(ImageSet.FeatureColumn, s.Size, s.Size, ImageSet.PathColumn,
                colors: s.Color ? ImagePixelColors.Rgb : ImagePixelColors.Grayscale)
            .Fit(paths);

        return ConsoleDisplay.Run(display =>
        {
            // 1. Load: every file through the same pixel loader the saved model starts with.
            var loaded = images.MapWithProgress<PixelRow>(mlContext, loader, display, "Loading", "read");
            int minimum = s.Clusters == 0 ? 3 : s.Clusters;
            if (loaded.Count < minimum)
            {
                Console.Error.WriteLine($"Only {loaded.Count} readable images: at least {minimum} are needed.");
                return 2;
            }

            // 2. Train on the loaded pixels.
            var schema = SchemaDefinition.Create(typeof(PixelRow));
            schema[ImageSet.FeatureColumn].ColumnType = new VectorDataViewType(NumberDataViewType.Single, channels, s.Size, s.Size);
            var data = mlContext.Data.LoadFromEnumerable(loaded.Select(l => l.Row), schema);
            var progress = new SynchronousProgress(p => display.Update("Training", p.Epochs, p.EstimatedTotalEpochs ?? p.Epochs + 1, ConsoleDisplay.Describe(p)));
            IEstimator<DeepClusteringTransformer> trainer = s.Method == "dac"
                ? mlContext.Clustering.Trainers.Dac(new DacTrainer.Options
                {
                    FeatureColumnName = ImageSet.FeatureColumn, NumberOfClusters = s.Clusters, Seed = s.Seed, Device = s.Device, Progress = progress,
                    MinimumImagesPerEpoch = s.EpochImages,
                })
                : mlContext.Clustering.Trainers.Jule(new JuleTrainer.Options
                {
                    FeatureColumnName = ImageSet.FeatureColumn, NumberOfClusters = s.Clusters, Seed = s.Seed, Device = s.Device, Progress = progress,
                    MinimumImagesPerEpoch = s.EpochImages,
                });
            var clock = Stopwatch.StartNew();
            using var trained = trainer.Fit(data);
            double fitSeconds = clock.Elapsed.TotalSeconds;
            display.Complete("Training", $"{trained.NumberOfClusters} clusters in {fitSeconds:F1} s");

            // 3. Save the whole pipeline (file path -> clusters) and write the results.
            display.Update("Writing", 0, 5, "model.zip");
            var pipeline = loader.Append(trained);
            string modelPath = Path.Combine(s.Output.FullName, "model.zip");
            mlContext.Model.Save(pipeline, paths.Schema, modelPath);
            var scored = mlContext.Data.CreateEnumerable<ScoredRow>(trained.Transform(data), reuseRowObject: false).ToList();
            var assignments = scored.Select(r => new Assignment(r.ImagePath, images.Relative(r.ImagePath), r.PredictedLabel, r.Score[r.PredictedLabel - 1])).ToList();
            var summary = new Summary(s.Method, trained.NumberOfClusters, loaded.Count, images.Skipped.Count, Math.Round(fitSeconds, 2));
            display.Update("Writing", 1, 5, "clusters.csv");
            Gallery.WriteCsv(Path.Combine(s.Output.FullName, "clusters.csv"), assignments);
            var byCluster = Gallery.ByCluster(assignments, trained.NumberOfClusters);
            display.Update("Writing", 2, 5, "montages");
            Gallery.WriteMontages(s.Output.FullName, byCluster);
            display.Update("Writing", 3, 5, "embedding.png");
            EmbeddingPlot.Write(Path.Combine(s.Output.FullName, "embedding.png"), scored.Select(r => r.Embedding).ToList(),
                scored.Select(r => r.PredictedLabel).ToList(), $"{s.Method.ToUpperInvariant()} embedding of {loaded.Count} images, {trained.NumberOfClusters} clusters");
            display.Update("Writing", 4, 5, "index.html");
            Gallery.WriteHtml(s.Output.FullName, byCluster, summary, images.Skipped.Select(k => (images.Relative(k.File), k.Reason)).ToList(), hasEmbeddingPlot: true);
            Gallery.WriteSummary(Path.Combine(s.Output.FullName, "summary.json"), summary);
            display.Complete("Writing", $"results in {s.Output.FullName}");
            ConsoleDisplay.Line($"{trained.NumberOfClusters} clusters of {loaded.Count} images ({images.Skipped.Count} skipped); fit {fitSeconds:F1} s. " +
                                $"Open {Path.Combine(s.Output.FullName, "index.html")} in a browser.");
            return 0;
        });
    }
}

/// <summary>An IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SynchronousProgress : IProgress<DeepClusteringProgress>
{
    private readonly Action<DeepClusteringProgress> _report;

    public SynchronousProgress(Action<DeepClusteringProgress> report) => _report = report;

    public void Report(DeepClusteringProgress value) => _report(value);
}
