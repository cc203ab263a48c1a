using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.DeepClustering.ClusterImages;

/// <summary>A row with only the image file's full path: the input of a saved model.</summary>
public sealed class ImagePathRow
{
    public string ImagePath { get; set; } = "";
}

/// <summary>A row after the pixel loader: the path and its pixels.</summary>
public sealed class PixelRow
{
    public string ImagePath { get; set; } = "";

    public float[] Features { get; set; } = Array.Empty<float>();
}

/// <summary>The image files of a folder and the ones that could not be read.</summary>
internal sealed class ImageSet
{
    /// <summary>The extensions read (SkiaSharp's codecs, which LoadImagePixels decodes with).</summary>
    public static readonly string[] Extensions = { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp" };

    public const string PathColumn = nameof(ImagePathRow.ImagePath);
    public const string FeatureColumn = nameof(PixelRow.Features);

    private ImageSet(DirectoryInfo root, IReadOnlyList<string> files)
    {
        Root = root;
        Files = files;
    }

    public DirectoryInfo Root { get; }

    /// <summary>Full paths of the image files under <see cref="Root"/>, ordered by relative path.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>Files that could not be read, with the reason.</summary>
    public List<(string File, string Reason)> Skipped { get; } = new();

    /// <summary>
    /// Every file with an image extension under <paramref name="root"/>, subfolders included, except the results of this
    /// program written inside the input folder: files under <paramref name="output"/> and under any folder that holds a
    /// clusters.csv with this program's header (montages and thumbnails are not images to cluster).
    /// </summary>
    public static ImageSet Find(DirectoryInfo root, DirectoryInfo output)
    {
        if (!root.Exists)
            throw new DirectoryNotFoundException($"The input folder '{root.FullName}' does not exist.");
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true };
        var results = Directory.EnumerateFiles(root.FullName, "clusters.csv", options)
            .Where(csv => File.ReadLines(csv).FirstOrDefault() == "file,cluster,score")
            .Select(csv => Path.GetDirectoryName(csv)!)
            .Append(output.FullName)
            .Select(folder => Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar)
            .ToList();
        var files = Directory.EnumerateFiles(root.FullName, "*", options)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Where(f => !results.Any(folder => f.StartsWith(folder, StringComparison.Ordinal)))
            .OrderBy(f => Path.GetRelativePath(root.FullName, f), StringComparer.Ordinal)
            .ToList();
        return new ImageSet(root, files);
    }

    /// <summary>The path of <paramref name="file"/> relative to the input folder, with forward slashes.</summary>
    public string Relative(string file) => Path.GetRelativePath(Root.FullName, file).Replace('\\', '/');

    /// <summary>
    /// Runs <paramref name="transformer"/> (a pipeline whose input is <see cref="ImagePathRow"/>) on every file, on all
    /// cores, and returns the rows that succeeded in file order; a file that throws is recorded in <see cref="Skipped"/>.
    /// <paramref name="progress"/> is called with the number of files done.
    /// </summary>
    public List<(string File, TOut Row)> Map<TOut>(MLContext mlContext, ITransformer transformer, Action<int> progress) where TOut : class, new()
    {
        var results = new TOut?[Files.Count];
        var errors = new ConcurrentBag<(int Index, string Reason)>();
        int done = 0;
        var engines = new ThreadLocal<PredictionEngine<ImagePathRow, TOut>>(
            () => mlContext.Model.CreatePredictionEngine<ImagePathRow, TOut>(transformer), trackAllValues: true);
        try
        {
            Parallel.For(0, Files.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
            {
                try
                {
                    results[i] = engines.Value!.Predict(new ImagePathRow { ImagePath = Files[i] });
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    errors.Add((i, Reason(e)));
                }
                progress(Interlocked.Increment(ref done));
            });
        }
        finally
        {
            foreach (var engine in engines.Values)
                engine.Dispose();
            engines.Dispose();
        }
        foreach (var (index, reason) in errors.OrderBy(e => e.Index))
            Skipped.Add((Files[index], reason));
        return Enumerable.Range(0, Files.Count).Where(i => results[i] is not null).Select(i => (Files[i], results[i]!)).ToList();
    }

    /// <summary>
    /// <see cref="Map"/> with a progress task named <paramref name="task"/> on <paramref name="display"/>, then a line
    /// per skipped file.
    /// </summary>
    public List<(string File, TOut Row)> MapWithProgress<TOut>(MLContext mlContext, ITransformer transformer, ConsoleDisplay display, string task,
        string verb) where TOut : class, new()
    {
        var rows = Map<TOut>(mlContext, transformer, done => display.Update(task, done, Files.Count, $"{done} of {Files.Count} images"));
        display.Complete(task, $"{rows.Count} images {verb}, {Skipped.Count} skipped");
        foreach (var (file, reason) in Skipped)
            ConsoleDisplay.Line($"  skipped {Relative(file)}: {reason}");
        return rows;
    }

    // The innermost message: ML.NET wraps a getter's exception in its own.
    private static string Reason(Exception e)
    {
        while (e.InnerException is not null && e is not InvalidDataException && e is not FileNotFoundException)
            e = e.InnerException;
        return e.Message.ReplaceLineEndings(" ");
    }
}
