namespace MLNet.DeepClustering.Images;

/// <summary>
/// Turns decoded RGBA bytes into planar float pixels in [0, 1] of a requested size: channel extraction, then a
/// separable resampling of each channel. Shrinking averages every source pixel by the area it covers (no aliasing
/// when a photo becomes 28 x 28); enlarging interpolates linearly; equal sizes copy exactly.
/// </summary>
internal static class PixelResampler
{
    // ML.NET's ConvertToGrayscale weights.
    private const float RedWeight = 0.3f, GreenWeight = 0.59f, BlueWeight = 0.11f;

    /// <summary>Writes <paramref name="channels"/> planes of <paramref name="height"/> x <paramref name="width"/> into
    /// <paramref name="destination"/> (length channels * height * width).</summary>
    public static void Extract(ImageDecoder.Decoded image, ImagePixelColors colors, int channels, int height, int width,
        ImageResizing resizing, Span<float> destination)
    {
        int sourceSize = image.Width * image.Height;
        var planes = new float[channels * sourceSize];
        var rgba = image.Rgba;
        const float scale = 1f / 255;
        for (int i = 0; i < sourceSize; i++)
        {
            float r = rgba[4 * i] * scale, g = rgba[4 * i + 1] * scale, b = rgba[4 * i + 2] * scale;
            if (colors == ImagePixelColors.Grayscale)
            {
                planes[i] = Math.Min(1f, RedWeight * r + GreenWeight * g + BlueWeight * b);
            }
            else
            {
                planes[i] = r;
                planes[sourceSize + i] = g;
                planes[2 * sourceSize + i] = b;
            }
        }

        Layout(image.Width, image.Height, width, height, resizing, out var source, out var target);
        var columns = Taps.For(source.X0, source.X1, target.Width, image.Width);
        var rows = Taps.For(source.Y0, source.Y1, target.Height, image.Height);
        destination.Clear();
        var horizontal = new float[image.Height * target.Width];
        for (int c = 0; c < channels; c++)
        {
            var plane = planes.AsSpan(c * sourceSize, sourceSize);
            for (int y = 0; y < image.Height; y++)
                columns.Apply(plane.Slice(y * image.Width, image.Width), 1, horizontal.AsSpan(y * target.Width, target.Width), 1);
            var output = destination.Slice(c * height * width, height * width);
            for (int x = 0; x < target.Width; x++)
                rows.Apply(horizontal.AsSpan(x), target.Width, output.Slice(target.Y * width + target.X + x), width);
        }
    }

    /// <summary>The source rectangle (fractional pixels) that maps onto the target rectangle (whole pixels).</summary>
    internal static void Layout(int sourceWidth, int sourceHeight, int width, int height, ImageResizing resizing,
        out (double X0, double Y0, double X1, double Y1) source, out (int X, int Y, int Width, int Height) target)
    {
        source = (0, 0, sourceWidth, sourceHeight);
        target = (0, 0, width, height);
        double aspect = (double)width / height, sourceAspect = (double)sourceWidth / sourceHeight;
        if (resizing == ImageResizing.CropCenter)
        {
            if (sourceAspect > aspect)
            {
                double cropped = sourceHeight * aspect, x0 = (sourceWidth - cropped) / 2;
                source = (x0, 0, x0 + cropped, sourceHeight);
            }
            else if (sourceAspect < aspect)
            {
                double cropped = sourceWidth / aspect, y0 = (sourceHeight - cropped) / 2;
                source = (0, y0, sourceWidth, y0 + cropped);
            }
        }
        else if (resizing == ImageResizing.Pad)
        {
            double scale = Math.Min((double)width / sourceWidth, (double)height / sourceHeight);
            int w = Math.Clamp((int)Math.Round(sourceWidth * scale), 1, width);
            int h = Math.Clamp((int)Math.Round(sourceHeight * scale), 1, height);
            target = ((width - w) / 2, (height - h) / 2, w, h);
        }
    }

    /// <summary>For each output pixel along one axis, the source pixels and weights that make it (weights sum to 1).</summary>
    private sealed class Taps
    {
        private readonly int[] _start;
        private readonly int[] _count;
        private readonly int[] _index;
        private readonly float[] _weight;

        private Taps(int[] start, int[] count, int[] index, float[] weight)
        {
            _start = start;
            _count = count;
            _index = index;
            _weight = weight;
        }

        /// <summary>Output pixel i covers source [from + i s, from + (i + 1) s) with s = (to - from) / outputs.</summary>
        public static Taps For(double from, double to, int outputs, int sourceLength)
        {
            double step = (to - from) / outputs;
            var start = new int[outputs];
            var count = new int[outputs];
            var index = new List<int>();
            var weight = new List<float>();
            for (int i = 0; i < outputs; i++)
            {
                start[i] = index.Count;
                if (step >= 1)
                {
                    double a = from + i * step, b = a + step;
                    for (int j = (int)Math.Floor(a); j < b && j < sourceLength; j++)
                    {
                        double overlap = Math.Min(b, j + 1) - Math.Max(a, j);
                        if (overlap <= 1e-9 || j < 0)
                            continue;
                        index.Add(j);
                        weight.Add((float)(overlap / step));
                    }
                }
                else
                {
                    double centre = from + (i + 0.5) * step - 0.5;
                    int j0 = (int)Math.Floor(centre);
                    float t = (float)(centre - j0);
                    index.Add(Math.Clamp(j0, 0, sourceLength - 1));
                    weight.Add(1 - t);
                    index.Add(Math.Clamp(j0 + 1, 0, sourceLength - 1));
                    weight.Add(t);
                }
                count[i] = index.Count - start[i];
            }
            return new Taps(start, count, index.ToArray(), weight.ToArray());
        }

        /// <summary>output[i * outputStride] = sum of weight * input[index * inputStride].</summary>
        public void Apply(ReadOnlySpan<float> input, int inputStride, Span<float> output, int outputStride)
        {
            for (int i = 0; i < _start.Length; i++)
            {
                float sum = 0;
                int end = _start[i] + _count[i];
                for (int k = _start[i]; k < end; k++)
                    sum += _weight[k] * input[_index[k] * inputStride];
                output[i * outputStride] = sum;
            }
        }
    }
}
