using System.Runtime.InteropServices;
using SkiaSharp;

namespace MLNet.DeepClustering.Images;

/// <summary>
/// Decodes an encoded image (PNG, JPEG, BMP, GIF, WebP, ... whatever SkiaSharp's codecs read) into premultiplied
/// RGBA bytes in a managed array.
/// </summary>
/// <remarks>
/// The only native objects are an <see cref="SKData"/> and an <see cref="SKCodec"/>, each referenced by a
/// <c>using</c> local until it is disposed, and the pixels are decoded straight into a pinned managed array. No
/// <see cref="SKBitmap"/> is created: ML.NET's <c>ConvertToGrayscale</c> creates one it never uses, and a garbage
/// collection during that bitmap's constructor lets its finalizer free the native bitmap while
/// <c>sk_bitmap_try_alloc_pixels</c> is still writing it (README, "Images from files").
/// </remarks>
internal static class ImageDecoder
{
    /// <summary>A decoded image: premultiplied RGBA, 4 bytes per pixel, rows without padding.</summary>
    public readonly record struct Decoded(byte[] Rgba, int Width, int Height);

    /// <summary>
    /// Decodes <paramref name="encoded"/>. When the codec can decode at a reduced scale (JPEG), it decodes at the
    /// smallest scale that still covers <paramref name="minWidth"/> x <paramref name="minHeight"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not an image any codec reads, or decoding failed.</exception>
    public static Decoded Decode(byte[] encoded, int minWidth, int minHeight, string source)
    {
        if (encoded.Length == 0)
            throw new InvalidDataException($"Image file '{source}' is empty.");
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data)
            ?? throw new InvalidDataException($"Image file '{source}' is not in an image format that can be decoded.");
        var size = codec.Info.Size;
        if (size.Width <= 0 || size.Height <= 0)
            throw new InvalidDataException($"Image file '{source}' has no pixels ({size.Width} x {size.Height}).");
        float scale = Math.Max((float)minWidth / size.Width, (float)minHeight / size.Height);
        if (scale < 1)
        {
            var scaled = codec.GetScaledDimensions(scale);
            if (scaled.Width >= minWidth && scaled.Height >= minHeight && scaled.Width > 0 && scaled.Height > 0)
                size = scaled;
        }
        long bytes = 4L * size.Width * size.Height;
        if (bytes > Array.MaxLength)
            throw new InvalidDataException($"Image file '{source}' is too large to decode ({size.Width} x {size.Height}).");
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var rgba = new byte[bytes];
        SKCodecResult result;
        var pinned = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            result = codec.GetPixels(info, pinned.AddrOfPinnedObject());
        }
        finally
        {
            pinned.Free();
        }
        // A truncated file still gives its decoded rows (the rest stays zero), as browsers show it.
        if (result != SKCodecResult.Success && result != SKCodecResult.IncompleteInput)
            throw new InvalidDataException($"Image file '{source}' could not be decoded: {result}.");
        return new Decoded(rgba, size.Width, size.Height);
    }
}
