namespace MLNet.DeepClustering;

/// <summary>
/// Checks of the pixel values the networks read. Values are expected in [0, 1]; others are accepted with a warning
/// at Fit (normalised images in [-1, 1] or z-scores train, just not with the defaults' tuning), but a value that is not
/// finite or beyond <see cref="Limit"/> in magnitude is refused: it saturates every activation and puts every image
/// in one cluster.
/// </summary>
internal static class PixelValues
{
    /// <summary>Largest magnitude accepted.</summary>
    public const float Limit = 1e4f;

    // Values this far outside [0, 1] are reported (resampling and float rounding stay well inside).
    private const float Slack = 0.01f;

    /// <summary>Throws when <paramref name="row"/> holds a value that is not finite or beyond <see cref="Limit"/>.</summary>
    public static void Check(ReadOnlySpan<float> row, string column, long position)
    {
        for (int i = 0; i < row.Length; i++)
        {
            float v = row[i];
            if (!float.IsFinite(v) || Math.Abs(v) > Limit)
                throw new InvalidOperationException(
                    $"Feature column '{column}' row {position}: value {v} at index {i}; pixel values must be finite and within " +
                    $"[-{Limit:G}, {Limit:G}], and are expected in [0, 1] (ExtractPixels with scaleImage: 1f / 255, or LoadImagePixels).");
        }
    }

    /// <summary>Widens [<paramref name="min"/>, <paramref name="max"/>] to include <paramref name="row"/>.</summary>
    public static void Extend(ReadOnlySpan<float> row, ref float min, ref float max)
    {
        foreach (float v in row)
        {
            if (v < min)
                min = v;
            if (v > max)
                max = v;
        }
    }

    /// <summary>A warning for pixel values observed in [<paramref name="min"/>, <paramref name="max"/>], or null when they are in [0, 1].</summary>
    public static string? RangeWarning(string column, float min, float max)
    {
        if (min >= -Slack && max <= 1 + Slack)
            return null;
        string fix = max > 2 && min >= -Slack
            ? "They look like 0..255 bytes: scale them with ExtractPixels(..., scaleImage: 1f / 255), or read the files with LoadImagePixels."
            : "Scale them to [0, 1]; the defaults were tuned for that range.";
        return $"Pixel values of column '{column}' range from {min:G4} to {max:G4}, but the trainers expect [0, 1]. {fix}";
    }
}
