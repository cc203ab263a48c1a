using Microsoft.ML.Data;

namespace MLNet.DeepClustering.Tests;

/// <summary>Image files written for tests, in a temporary folder deleted on dispose.</summary>
internal sealed class TestImages : IDisposable
{
    public TestImages()
    {
        Folder = Path.Combine(Path.GetTempPath(), "dc-images-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }

    public string PathOf(string name) => System.IO.Path.Combine(Folder, name);

    /// <summary>Writes gray levels in [0, 1] (row-major) as an opaque PNG.</summary>
    public string WriteGray(string name, float[] gray, int width, int height)
    {
        var rgb = new byte[width * height * 3];
        for (int i = 0; i < width * height; i++)
            rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = (byte)Math.Round(Math.Clamp(gray[i], 0, 1) * 255);
        return WriteRgb(name, rgb, width, height);
    }

    /// <summary>Writes interleaved R, G, B bytes (row-major) as an opaque image; the format follows the extension.</summary>
    public string WriteRgb(string name, byte[] rgb, int width, int height) => WriteRgbFile(PathOf(name), rgb, width, height);

    /// <summary>Writes interleaved R, G, B bytes (row-major) to <paramref name="path"/>: BMP (24-bit, written here), or
    /// whatever ML.NET's MLImage saves for the extension (PNG, JPEG, WebP).</summary>
    public static string WriteRgbFile(string path, byte[] rgb, int width, int height)
    {
        if (string.Equals(Path.GetExtension(path), ".bmp", StringComparison.OrdinalIgnoreCase))
        {
            WriteBmp(path, rgb, width, height);
            return path;
        }
        var bgra = new byte[width * height * 4];
        for (int i = 0; i < width * height; i++)
        {
            bgra[4 * i] = rgb[3 * i + 2];
            bgra[4 * i + 1] = rgb[3 * i + 1];
            bgra[4 * i + 2] = rgb[3 * i];
            bgra[4 * i + 3] = 255;
        }
        using var image = MLImage.CreateFromPixels(width, height, MLPixelFormat.Bgra32, bgra);
        image.Save(path);
        return path;
    }

    // BITMAPFILEHEADER + BITMAPINFOHEADER, 24-bit BGR rows bottom-up, each padded to 4 bytes.
    private static void WriteBmp(string path, byte[] rgb, int width, int height)
    {
        int stride = (width * 3 + 3) / 4 * 4;
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write((byte)'B');
        writer.Write((byte)'M');
        writer.Write(54 + stride * height);
        writer.Write(0);
        writer.Write(54);
        writer.Write(40);
        writer.Write(width);
        writer.Write(height);
        writer.Write((short)1);
        writer.Write((short)24);
        writer.Write(0);
        writer.Write(stride * height);
        writer.Write(2835);
        writer.Write(2835);
        writer.Write(0);
        writer.Write(0);
        var row = new byte[stride];
        for (int y = height - 1; y >= 0; y--)
        {
            for (int x = 0; x < width; x++)
            {
                int i = 3 * (y * width + x);
                row[3 * x] = rgb[i + 2];
                row[3 * x + 1] = rgb[i + 1];
                row[3 * x + 2] = rgb[i];
            }
            writer.Write(row);
        }
    }

    /// <summary>Writes the first <paramref name="count"/> sample digits as 28 x 28 PNG files.</summary>
    public List<string> WriteDigits(int count)
        => SampleDigits.Take(count).Select((d, i) => WriteGray($"digit{i:D5}.png", d.Features, 28, 28)).ToList();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
