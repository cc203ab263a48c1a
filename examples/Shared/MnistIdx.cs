using System.IO.Compression;
using System.Reflection;

namespace MLNet.DeepClustering.Samples;

/// <summary>One digit image: 28 x 28 grayscale pixels scaled to [0, 1], planar (1 x 28 x 28), and its class.</summary>
public sealed class Digit
{
    [Microsoft.ML.Data.VectorType(1, 28, 28)]
    public float[] Features { get; set; } = Array.Empty<float>();

    public uint Label { get; set; }
}

/// <summary>Reads MNIST-style IDX files (optionally gzipped) from disk or from embedded resources.</summary>
public static class MnistIdx
{
    public const string ImagesFile = "images-idx3-ubyte.gz";
    public const string LabelsFile = "labels-idx1-ubyte.gz";

    /// <summary>Reads up to <paramref name="limit"/> digits from the IDX pair embedded in <paramref name="assembly"/>.</summary>
    public static List<Digit> LoadEmbedded(Assembly assembly, int limit = int.MaxValue)
    {
        using var images = OpenResource(assembly, ImagesFile);
        using var labels = OpenResource(assembly, LabelsFile);
        return Read(images, labels, limit);
    }

    /// <summary>
    /// Reads up to <paramref name="limit"/> images from a folder holding an IDX pair (gzipped or not): images-idx3-ubyte
    /// and labels-idx1-ubyte, or else the training pair of an MNIST-style download (train-images-idx3-ubyte and
    /// train-labels-idx1-ubyte, as Debian's dataset-fashion-mnist installs). A test pair (t10k-*) is never read.
    /// </summary>
    public static List<Digit> LoadFolder(string folder, int limit = int.MaxValue)
    {
        string prefix = PairPrefix(folder);
        using var images = OpenFile(folder, prefix + ImagesFile);
        using var labels = OpenFile(folder, prefix + LabelsFile);
        return Read(images, labels, limit);
    }

    /// <summary>Whether <see cref="LoadFolder"/> finds both files of the pair it reads in <paramref name="folder"/>.</summary>
    public static bool HasFolderPair(string folder)
    {
        string prefix = PairPrefix(folder);
        return Exists(folder, prefix + ImagesFile) && Exists(folder, prefix + LabelsFile);
    }

    // The pair LoadFolder reads: the plain one where its images file exists, else the train-* one where that exists.
    private static string PairPrefix(string folder)
        => Exists(folder, ImagesFile) ? "" : Exists(folder, "train-" + ImagesFile) ? "train-" : "";

    private static bool Exists(string folder, string gzName)
        => File.Exists(Path.Combine(folder, gzName)) || File.Exists(Path.Combine(folder, gzName[..^3]));

    private static Stream OpenResource(Assembly assembly, string name)
    {
        string resource = assembly.GetManifestResourceNames().FirstOrDefault(r => r.EndsWith(name, StringComparison.Ordinal))
            ?? throw new FileNotFoundException($"Embedded resource '{name}' not found in {assembly.GetName().Name}.");
        return new GZipStream(assembly.GetManifestResourceStream(resource)!, CompressionMode.Decompress);
    }

    private static Stream OpenFile(string folder, string gzName)
    {
        string gz = Path.Combine(folder, gzName), raw = gz[..^3];
        if (File.Exists(gz))
            return new GZipStream(File.OpenRead(gz), CompressionMode.Decompress);
        if (File.Exists(raw))
            return File.OpenRead(raw);
        throw new FileNotFoundException($"Neither {gz} nor {raw} exists.");
    }

    private static List<Digit> Read(Stream imageStream, Stream labelStream, int limit)
    {
        using var images = new BinaryReader(imageStream);
        using var labels = new BinaryReader(labelStream);
        if (ReadBigEndian(images) != 2051 || ReadBigEndian(labels) != 2049)
            throw new InvalidDataException("Not an IDX image/label pair (bad magic numbers).");
        int count = ReadBigEndian(images), rows = ReadBigEndian(images), cols = ReadBigEndian(images);
        if (ReadBigEndian(labels) != count)
            throw new InvalidDataException("Image and label files hold different counts.");
        int n = Math.Min(count, limit);
        var result = new List<Digit>(n);
        for (int i = 0; i < n; i++)
        {
            byte[] pixels = images.ReadBytes(rows * cols);
            if (pixels.Length != rows * cols)
                throw new EndOfStreamException("Truncated IDX image file.");
            result.Add(new Digit { Features = pixels.Select(p => p / 255f).ToArray(), Label = labels.ReadByte() });
        }
        return result;
    }

    private static int ReadBigEndian(BinaryReader reader)
    {
        byte[] b = reader.ReadBytes(4);
        return (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
    }
}
