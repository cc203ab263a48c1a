using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using SkiaSharp;

namespace MLNet.DeepClustering.ClusterImages;

/// <summary>One image's result: its full path, the path relative to the input folder, its cluster (1..k) and that
/// cluster's Score (smaller is more central).</summary>
internal sealed record Assignment(string File, string Relative, uint Cluster, float Score);

/// <summary>The files fit and predict write: clusters.csv, montages, the HTML gallery, the embedding plot, the summary.</summary>
internal static class Gallery
{
    public const int MontageImages = 64;
    public const int MontageColumns = 8;
    public const int MontageCell = 64;
    public const int GalleryCentral = 24;
    public const int GalleryAtypical = 8;
    public const int ThumbnailSide = 96;

    /// <summary>clusters.csv: header file,cluster,score; one row per image in file order.</summary>
    public static void WriteCsv(string path, IEnumerable<Assignment> assignments)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
        writer.WriteLine("file,cluster,score");
        foreach (var a in assignments)
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{CsvField(a.Relative)},{a.Cluster},{a.Score:R}"));
    }

    private static string CsvField(string value)
        => value.IndexOfAny(new[] { ',', '"', '\n', '\r' }) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;

    /// <summary>The members of each cluster 1..k, most central (lowest Score) first.</summary>
    public static SortedDictionary<uint, List<Assignment>> ByCluster(IEnumerable<Assignment> assignments, int clusters)
    {
        var result = new SortedDictionary<uint, List<Assignment>>();
        for (uint c = 1; c <= clusters; c++)
            result[c] = new List<Assignment>();
        foreach (var a in assignments)
            result[a.Cluster].Add(a);
        foreach (var members in result.Values)
            members.Sort((x, y) => x.Score != y.Score ? x.Score.CompareTo(y.Score) : string.CompareOrdinal(x.Relative, y.Relative));
        return result;
    }

    /// <summary>montage-&lt;cluster&gt;.png: a grid of each cluster's most central images (none for an empty cluster).</summary>
    public static List<string> WriteMontages(string folder, SortedDictionary<uint, List<Assignment>> clusters)
    {
        var written = new List<string>();
        foreach (var (cluster, members) in clusters)
        {
            if (members.Count == 0)
                continue;
            var shown = members.Take(MontageImages).ToList();
            int columns = Math.Min(MontageColumns, shown.Count), rows = (shown.Count + columns - 1) / columns;
            const int gap = 2;
            using var montage = new SKBitmap(columns * (MontageCell + gap) + gap, rows * (MontageCell + gap) + gap, isOpaque: true);
            using (var canvas = new SKCanvas(montage))
            {
                canvas.Clear(SKColors.White);
                for (int i = 0; i < shown.Count; i++)
                {
                    using var thumbnail = Thumbnail(shown[i].File, MontageCell);
                    if (thumbnail is null)
                        continue;
                    int x = gap + i % columns * (MontageCell + gap) + (MontageCell - thumbnail.Width) / 2;
                    int y = gap + i / columns * (MontageCell + gap) + (MontageCell - thumbnail.Height) / 2;
                    canvas.DrawBitmap(thumbnail, x, y);
                }
            }
            string path = Path.Combine(folder, $"montage-{cluster}.png");
            SavePng(montage, path);
            written.Add(path);
        }
        return written;
    }

    /// <summary>
    /// index.html and its thumbs/ folder: for each cluster its size, its most central images and its least typical
    /// ones as thumbnails linking to the original files (relative links from the output folder).
    /// </summary>
    public static void WriteHtml(string folder, SortedDictionary<uint, List<Assignment>> clusters, Summary summary,
        IReadOnlyList<(string File, string Reason)> skipped, bool hasEmbeddingPlot)
    {
        string thumbs = Path.Combine(folder, "thumbs");
        Directory.CreateDirectory(thumbs);
        var thumbnailOf = new Dictionary<string, string>(StringComparer.Ordinal);
        string ThumbnailLink(Assignment a)
        {
            if (!thumbnailOf.TryGetValue(a.File, out var name))
            {
                name = $"thumbs/{thumbnailOf.Count:D6}.png";
                using var bitmap = Thumbnail(a.File, ThumbnailSide);
                if (bitmap is not null)
                    SavePng(bitmap, Path.Combine(folder, name));
                thumbnailOf[a.File] = name;
            }
            return name;
        }

        var html = new StringBuilder();
        html.Append("""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>Image clusters</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
            nav a { margin-right: .6em; }
            section { border-top: 1px solid #ccc; padding-top: .5em; margin-top: 1em; }
            .grid { display: flex; flex-wrap: wrap; gap: 4px; }
            .grid img { width: 96px; height: 96px; object-fit: contain; background: #f4f4f4; border: 1px solid #ddd; }
            h3 { font-size: 1em; color: #555; margin: .6em 0 .3em; }
            .plot { max-width: 900px; width: 100%; }
            </style>
            </head>
            <body>
            """).Append('\n');
        html.Append(CultureInfo.InvariantCulture, $"<h1>{clusters.Count(c => c.Value.Count > 0)} clusters of {summary.Images} images</h1>\n");
        html.Append(CultureInfo.InvariantCulture,
            $"<p>Method {Encode(summary.Method.ToUpperInvariant())}; {summary.Clusters} clusters; {summary.Images} images; {summary.Skipped} skipped; fit {summary.FitSeconds:F1} s. ");
        html.Append("Images are ordered by their distance-like score to the cluster (most central first). Click a thumbnail for the original file.</p>\n");
        html.Append("<nav>");
        foreach (var (cluster, members) in clusters)
            html.Append(CultureInfo.InvariantCulture, $"<a href=\"#cluster-{cluster}\">{cluster} ({members.Count})</a>");
        html.Append("</nav>\n");
        if (hasEmbeddingPlot)
            html.Append("<p><img class=\"plot\" src=\"embedding.png\" alt=\"The embedding projected to 2-D, coloured by cluster\"></p>\n");
        foreach (var (cluster, members) in clusters)
        {
            html.Append(CultureInfo.InvariantCulture, $"<section id=\"cluster-{cluster}\">\n<h2>Cluster {cluster} <small>({members.Count} images)</small></h2>\n");
            if (members.Count == 0)
            {
                html.Append("<p>No image was assigned to this cluster.</p>\n</section>\n");
                continue;
            }
            var central = members.Take(GalleryCentral).ToList();
            var atypical = members.Skip(central.Count).Reverse().Take(GalleryAtypical).ToList();
            html.Append("<h3>Most central</h3>\n");
            AppendGrid(html, folder, central, ThumbnailLink);
            if (atypical.Count > 0)
            {
                html.Append("<h3>Least typical</h3>\n");
                AppendGrid(html, folder, atypical, ThumbnailLink);
            }
            html.Append("</section>\n");
        }
        if (skipped.Count > 0)
        {
            html.Append(CultureInfo.InvariantCulture, $"<section id=\"skipped\">\n<h2>Skipped files ({skipped.Count})</h2>\n<ul>\n");
            foreach (var (file, reason) in skipped)
                html.Append(CultureInfo.InvariantCulture, $"<li>{Encode(file)}: {Encode(reason)}</li>\n");
            html.Append("</ul>\n</section>\n");
        }
        html.Append("</body>\n</html>\n");
        File.WriteAllText(Path.Combine(folder, "index.html"), html.ToString(), new UTF8Encoding(false));
    }

    private static void AppendGrid(StringBuilder html, string folder, List<Assignment> images, Func<Assignment, string> thumbnail)
    {
        html.Append("<div class=\"grid\">\n");
        foreach (var a in images)
        {
            string title = string.Create(CultureInfo.InvariantCulture, $"{a.Relative} (score {a.Score:G4})");
            html.Append(CultureInfo.InvariantCulture,
                $"<a href=\"{Encode(RelativeUrl(folder, a.File))}\"><img src=\"{thumbnail(a)}\" alt=\"{Encode(a.Relative)}\" title=\"{Encode(title)}\"></a>\n");
        }
        html.Append("</div>\n");
    }

    /// <summary>A relative URL from <paramref name="folder"/> to <paramref name="file"/>, each segment escaped.</summary>
    public static string RelativeUrl(string folder, string file)
        => string.Join('/', Path.GetRelativePath(folder, file).Replace('\\', '/').Split('/').Select(Uri.EscapeDataString));

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    /// <summary>summary.json.</summary>
    public static void WriteSummary(string path, Summary summary)
        => File.WriteAllText(path, JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));

    /// <summary>The image scaled to fit <paramref name="side"/> x <paramref name="side"/> (never enlarged beyond 4x), or null when it cannot be decoded.</summary>
    public static SKBitmap? Thumbnail(string file, int side)
    {
        using var original = SKBitmap.Decode(file);
        if (original is null || original.Width <= 0 || original.Height <= 0)
            return null;
        double scale = Math.Min(4.0, Math.Min((double)side / original.Width, (double)side / original.Height));
        int width = Math.Max(1, (int)Math.Round(original.Width * scale)), height = Math.Max(1, (int)Math.Round(original.Height * scale));
        var sampling = scale < 1 ? new SKSamplingOptions(SKCubicResampler.Mitchell) : new SKSamplingOptions(SKFilterMode.Nearest);
        return original.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul), sampling);
    }

    private static void SavePng(SKBitmap bitmap, string path)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        using var stream = File.Create(path);
        data.SaveTo(stream);
    }
}

/// <summary>summary.json: the method, the number of clusters used, the images clustered, the files skipped, the fit time.</summary>
internal sealed record Summary(string Method, int Clusters, int Images, int Skipped, double FitSeconds);
