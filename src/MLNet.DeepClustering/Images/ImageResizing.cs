namespace MLNet.DeepClustering;

/// <summary>How <see cref="ImagePixelLoadingEstimator"/> fits an image of another size to the requested size.</summary>
public enum ImageResizing
{
    /// <summary>Scale the central part of the image that has the requested aspect ratio (no distortion, edges cut);
    /// the same as ML.NET's ResizeImages default (IsoCrop, centre anchor).</summary>
    CropCenter = 0,

    /// <summary>Scale the whole image to the requested size, changing its aspect ratio.</summary>
    Stretch = 1,

    /// <summary>Scale the whole image to fit inside the requested size, keeping its aspect ratio, and fill the rest
    /// with black (zero).</summary>
    Pad = 2,
}
