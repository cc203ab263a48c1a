using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.DeepClustering.Tests;

/// <summary>
/// Generated images of simple shapes: class c is one of twelve shapes (and, in colour, one of a few colours), drawn
/// at a random position, size and thickness, with pixel noise. Different classes are clearly different; images of
/// one class vary.
/// </summary>
internal static class Shapes
{
    public const int ShapeCount = 12;

    private static readonly byte[][] Colors =
    {
        new byte[] { 220, 40, 40 }, new byte[] { 40, 170, 60 }, new byte[] { 40, 80, 220 }, new byte[] { 230, 190, 30 },
    };

    /// <summary>The value (0 or 1) of shape <paramref name="shape"/> at (x, y) in [-1, 1]^2 with thickness <paramref name="t"/>.</summary>
    private static bool Inside(int shape, double x, double y, double t)
    {
        double r = Math.Sqrt(x * x + y * y), ax = Math.Abs(x), ay = Math.Abs(y);
        return shape switch
        {
            0 => r < 0.8,                                              // disk
            1 => ax < t && ay < 0.85 || ay < t && ax < 0.85,           // plus
            2 => Math.Max(ax, ay) < 0.8 && Math.Max(ax, ay) > 0.8 - 2 * t, // hollow square
            3 => y > -0.7 && y < 0.8 && ax < (0.8 - y) * 0.55,         // triangle
            4 => ay < 1.2 * t && ax < 0.9,                             // horizontal bar
            5 => (Math.Abs(x - y) < 1.4 * t || Math.Abs(x + y) < 1.4 * t) && r < 0.95, // X
            6 => r < 0.8 && r > 0.8 - 2 * t,                           // ring
            7 => Math.Max(ax, ay) < 0.65,                              // filled square
            8 => ax < 1.2 * t && ay < 0.9,                             // vertical bar
            9 => ax + ay < 0.85,                                       // diamond
            10 => Math.Sqrt((ax - 0.5) * (ax - 0.5) + y * y) < 0.33,   // two dots
            11 => (x < 0) == (y < 0) && Math.Max(ax, ay) < 0.85,       // two opposite squares
            _ => throw new ArgumentOutOfRangeException(nameof(shape)),
        };
    }

    /// <summary>One image of class <paramref name="shape"/> as gray levels in [0, 1], row-major height x width.</summary>
    public static float[] Gray(int shape, int width, int height, Random random)
    {
        var coverage = Coverage(shape, width, height, random);
        for (int i = 0; i < coverage.Length; i++)
            coverage[i] = Math.Clamp(coverage[i] + (float)(random.NextDouble() - 0.5) * 0.1f, 0, 1);
        return coverage;
    }

    /// <summary>One image of class <paramref name="label"/> (shape label % 12, colour label / 12) as interleaved RGB bytes
    /// on a light background.</summary>
    public static byte[] Rgb(int label, int width, int height, Random random)
    {
        var coverage = Coverage(label % ShapeCount, width, height, random);
        var color = Colors[label / ShapeCount % Colors.Length];
        var rgb = new byte[width * height * 3];
        for (int i = 0; i < coverage.Length; i++)
            for (int c = 0; c < 3; c++)
            {
                double value = 245 * (1 - coverage[i]) + color[c] * coverage[i] + (random.NextDouble() - 0.5) * 16;
                rgb[3 * i + c] = (byte)Math.Clamp(Math.Round(value), 0, 255);
            }
        return rgb;
    }

    /// <summary>Images of <paramref name="classes"/> shapes, <paramref name="perClass"/> each, 28 x 28 gray, planar, with their classes.</summary>
    public static (List<float[]> Images, List<int> Labels) GraySet(int classes, int perClass, int seed)
    {
        var random = new Random(seed);
        var images = new List<float[]>();
        var labels = new List<int>();
        for (int i = 0; i < classes * perClass; i++)
        {
            images.Add(Gray(i % classes, 28, 28, random));
            labels.Add(i % classes);
        }
        return (images, labels);
    }

    /// <summary>A row of <see cref="GrayView"/>: a 28 x 28 gray image and its class + 1.</summary>
    public sealed class GrayRow
    {
        [VectorType(1, 28, 28)]
        public float[] Features { get; set; } = Array.Empty<float>();

        public uint Label { get; set; }
    }

    /// <summary><see cref="GraySet"/> as a data view with columns Features and Label (1-based).</summary>
    public static IDataView GrayView(MLContext mlContext, int classes, int perClass, int seed)
    {
        var (images, labels) = GraySet(classes, perClass, seed);
        return mlContext.Data.LoadFromEnumerable(images.Select((image, i) => new GrayRow { Features = image, Label = (uint)labels[i] + 1 }));
    }

    // Anti-aliased coverage (2 x 2 samples per pixel) of a shape placed at a random offset, scale and thickness.
    private static float[] Coverage(int shape, int width, int height, Random random)
    {
        double scale = 0.75 + 0.2 * random.NextDouble();
        double cx = (random.NextDouble() - 0.5) * 0.2, cy = (random.NextDouble() - 0.5) * 0.2;
        double thickness = 0.12 + 0.06 * random.NextDouble();
        var result = new float[width * height];
        for (int row = 0; row < height; row++)
            for (int col = 0; col < width; col++)
            {
                int hits = 0;
                for (int sy = 0; sy < 2; sy++)
                    for (int sx = 0; sx < 2; sx++)
                    {
                        double x = ((col + 0.25 + 0.5 * sx) / width * 2 - 1 - cx) / scale;
                        double y = (1 - (row + 0.25 + 0.5 * sy) / height * 2 - cy) / scale;
                        if (Inside(shape, x, y, thickness))
                            hits++;
                    }
                result[row * width + col] = hits / 4f;
            }
        return result;
    }
}
