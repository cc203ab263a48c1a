using Microsoft.ML.Data;

namespace MLNet.DeepClustering;

/// <summary>The (channels, height, width) layout of one image in a flat, planar feature vector.</summary>
internal readonly record struct ImageShape(int Channels, int Height, int Width)
{
    /// <summary>Smallest height or width the networks accept.</summary>
    public const int MinSide = 8;

    public int Size => Channels * Height * Width;

    public override string ToString() => $"{Channels}x{Height}x{Width}";

    /// <summary>
    /// Resolves the image shape of <paramref name="columnName"/>: from the column type's dimensions when it carries
    /// (C, H, W), else from the options, else 1 x s x s for a flat vector of perfect-square size s*s.
    /// </summary>
    public static ImageShape Resolve(string columnName, VectorDataViewType type, int? channels, int? height, int? width)
    {
        int size = type.Size;
        bool anyOption = channels.HasValue || height.HasValue || width.HasValue;
        bool allOptions = channels.HasValue && height.HasValue && width.HasValue;
        if (anyOption && !allOptions)
            throw new ArgumentException(
                $"ImageChannels, ImageHeight and ImageWidth must be set together (column '{columnName}'); got " +
                $"channels={channels?.ToString() ?? "null"}, height={height?.ToString() ?? "null"}, width={width?.ToString() ?? "null"}.");

        ImageShape shape;
        if (type.Dimensions.Length == 3)
        {
            shape = new ImageShape(type.Dimensions[0], type.Dimensions[1], type.Dimensions[2]);
            if (allOptions && shape != new ImageShape(channels!.Value, height!.Value, width!.Value))
                throw new ArgumentOutOfRangeException(columnName,
                    $"Column '{columnName}' has image dimensions {shape} but the options say {channels}x{height}x{width}.");
        }
        else if (allOptions)
        {
            shape = new ImageShape(channels!.Value, height!.Value, width!.Value);
            if (shape.Channels <= 0 || shape.Height <= 0 || shape.Width <= 0)
                throw new ArgumentOutOfRangeException(columnName, $"Image dimensions must be positive; got {shape}.");
            if (shape.Size != size)
                throw new ArgumentOutOfRangeException(columnName,
                    $"Column '{columnName}' has vector size {size}, but ImageChannels x ImageHeight x ImageWidth = {shape} = {shape.Size}.");
        }
        else
        {
            int side = (int)Math.Round(Math.Sqrt(size));
            if (side * side != size)
                throw new ArgumentOutOfRangeException(columnName,
                    $"Cannot infer the image shape of column '{columnName}': vector size {size} is not a perfect square and the " +
                    "column carries no (channels, height, width) dimensions. Set ImageChannels, ImageHeight and ImageWidth.");
            shape = new ImageShape(1, side, side);
        }
        if (shape.Height < MinSide || shape.Width < MinSide)
            throw new ArgumentOutOfRangeException(columnName,
                $"Images in column '{columnName}' are {shape}; height and width must be at least {MinSide}.");
        return shape;
    }
}
