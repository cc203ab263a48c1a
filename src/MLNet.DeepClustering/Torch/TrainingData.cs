using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace MLNet.DeepClustering.Torch;

/// <summary>The training images, read once from the feature column into one planar float array (n x C x H x W).</summary>
internal sealed class TrainingData
{
    private TrainingData(float[] pixels, int count, ImageShape shape, float min, float max)
    {
        Pixels = pixels;
        Count = count;
        Shape = shape;
        Min = min;
        Max = max;
    }

    /// <summary>Smallest pixel value read.</summary>
    public float Min { get; }

    /// <summary>Largest pixel value read.</summary>
    public float Max { get; }

    public float[] Pixels { get; }

    /// <summary>A copy of the images as rows of unit length (n x C*H*W): what the pixel-space kNN graphs are built on.</summary>
    public float[] NormalizedRows()
    {
        var rows = Pixels.AsSpan(0, Count * Shape.Size).ToArray();
        Jule.KnnGraph.NormalizeRows(rows, Shape.Size);
        return rows;
    }

    public int Count { get; }

    public ImageShape Shape { get; }

    /// <summary>Reads every row of <paramref name="column"/>, checking size and values (<see cref="PixelValues"/>), honouring cancellation.</summary>
    public static TrainingData Read(IDataView data, DataViewSchema.Column column, ImageShape shape, Action checkCanceled)
    {
        long? known = data.GetRowCount();
        var pixels = new float[checked((int)Math.Max(1, Math.Min(known ?? 1024, int.MaxValue / shape.Size)) * shape.Size)];
        int count = 0;
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        var buffer = default(VBuffer<float>);
        using (var cursor = data.GetRowCursor(new[] { column }))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            while (cursor.MoveNext())
            {
                if ((count & 1023) == 0)
                    checkCanceled();
                getter(ref buffer);
                if (buffer.Length != shape.Size)
                    throw new InvalidOperationException(
                        $"Feature column '{column.Name}' row {cursor.Position}: expected {shape.Size} values ({shape} image), got {buffer.Length}.");
                if ((long)(count + 1) * shape.Size > pixels.Length)
                {
                    long grown = Math.Min((long)pixels.Length * 2, (long)(int.MaxValue / shape.Size) * shape.Size);
                    if (grown <= pixels.Length)
                        throw new InvalidOperationException($"Too many images in column '{column.Name}' to hold in one array.");
                    Array.Resize(ref pixels, (int)grown);
                }
                var row = pixels.AsSpan(count * shape.Size, shape.Size);
                buffer.CopyTo(row);
                PixelValues.Check(row, column.Name, cursor.Position);
                PixelValues.Extend(row, ref min, ref max);
                count++;
            }
        }
        return new TrainingData(pixels, count, shape, min, max);
    }

    /// <summary>Bytes the images take as 32-bit floats.</summary>
    public long Bytes => (long)Count * Shape.Size * sizeof(float);

    /// <summary>All the images as one [n, C, H, W] tensor on <paramref name="device"/>, not owned by any dispose scope.</summary>
    public Tensor Upload(Device device)
    {
        using var scope = NewDisposeScope();
        var all = empty(new long[] { Count, Shape.Channels, Shape.Height, Shape.Width }, ScalarType.Float32);
        Pixels.AsSpan(0, Count * Shape.Size).CopyTo(TensorMemory.FloatSpan(all));
        return (device.type == TorchSharp.DeviceType.CPU ? all : all.to(device)).DetachFromDisposeScope();
    }

    /// <summary>Gathers the rows <paramref name="indices"/> into one [B, C, H, W] tensor on <paramref name="device"/>.</summary>
    public Tensor Gather(ReadOnlySpan<int> indices, Device device)
    {
        int size = Shape.Size;
        var batch = empty(new long[] { indices.Length, Shape.Channels, Shape.Height, Shape.Width }, ScalarType.Float32);
        var destination = TensorMemory.FloatSpan(batch);
        for (int i = 0; i < indices.Length; i++)
            Pixels.AsSpan(indices[i] * size, size).CopyTo(destination.Slice(i * size, size));
        return device.type == TorchSharp.DeviceType.CPU ? batch : batch.to(device);
    }
}
