namespace MLNet.DeepClustering.Benchmark;

/// <summary>
/// What a user with small images feeds the trainers: a 28 x 28 image shrunk to side x side (area average) and brought
/// back to 28 x 28 (bilinear, as an image resize to the network's input size does).
/// </summary>
internal static class LowResolution
{
    public static float[] Degrade(float[] image, int size, int side)
    {
        // Area average: each small pixel averages the part of the large image it covers.
        var small = new float[side * side];
        double scale = (double)size / side;
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
            {
                double y0 = y * scale, y1 = (y + 1) * scale, x0 = x * scale, x1 = (x + 1) * scale, sum = 0;
                for (int sy = (int)y0; sy < Math.Ceiling(y1); sy++)
                    for (int sx = (int)x0; sx < Math.Ceiling(x1); sx++)
                    {
                        double weight = (Math.Min(y1, sy + 1) - Math.Max(y0, sy)) * (Math.Min(x1, sx + 1) - Math.Max(x0, sx));
                        sum += weight * image[sy * size + sx];
                    }
                small[y * side + x] = (float)(sum / (scale * scale));
            }
        // Bilinear up-sampling with pixel centres aligned.
        var result = new float[size * size];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                double fy = Math.Clamp((y + 0.5) / scale - 0.5, 0, side - 1), fx = Math.Clamp((x + 0.5) / scale - 0.5, 0, side - 1);
                int y0 = (int)fy, x0 = (int)fx, y1 = Math.Min(y0 + 1, side - 1), x1 = Math.Min(x0 + 1, side - 1);
                double dy = fy - y0, dx = fx - x0;
                result[y * size + x] = (float)(
                    (1 - dy) * ((1 - dx) * small[y0 * side + x0] + dx * small[y0 * side + x1]) +
                    dy * ((1 - dx) * small[y1 * side + x0] + dx * small[y1 * side + x1]));
            }
        return result;
    }
}
