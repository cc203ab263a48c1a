namespace MLNet.DeepClustering;

/// <summary>The channels <see cref="ImagePixelLoadingEstimator"/> extracts.</summary>
public enum ImagePixelColors
{
    /// <summary>One channel: 0.3 R + 0.59 G + 0.11 B, the weights of ML.NET's ConvertToGrayscale.</summary>
    Grayscale = 0,

    /// <summary>Three channels, in the planar order R, G, B, as ML.NET's ExtractPixels writes them.</summary>
    Rgb = 1,
}
