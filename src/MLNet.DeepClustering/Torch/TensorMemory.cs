using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MLNet.DeepClustering.Torch;

/// <summary>
/// Bulk copies between managed arrays and CPU tensor memory. TorchSharp's <c>torch.tensor(array)</c> clones the array
/// and its <c>data&lt;T&gt;()</c> accessor copies element by element; these helpers do one memcpy-speed copy instead.
/// </summary>
internal static class TensorMemory
{
    /// <summary>A new CPU float tensor of <paramref name="shape"/>, filled by <paramref name="fill"/> in place.</summary>
    public static Tensor NewFloat(ReadOnlySpan<long> shape, SpanAction fill)
    {
        var result = empty(shape.ToArray(), ScalarType.Float32);
        fill(MemoryMarshal.Cast<byte, float>(result.bytes));
        return result;
    }

    /// <summary>Fills the destination span of a freshly allocated tensor.</summary>
    public delegate void SpanAction(Span<float> destination);

    /// <summary>Copies the first <paramref name="destination"/>.Length values of <paramref name="source"/> (any device).</summary>
    public static void CopyTo<T>(Tensor source, Span<T> destination) where T : unmanaged
    {
        using var cpu = source.device_type == TorchSharp.DeviceType.CPU ? source.contiguous() : source.cpu().contiguous();
        MemoryMarshal.Cast<byte, T>(cpu.bytes)[..destination.Length].CopyTo(destination);
    }
}
