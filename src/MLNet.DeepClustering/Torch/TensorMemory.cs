using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MLNet.DeepClustering.Torch;

/// <summary>
/// Bulk copies between managed arrays and CPU tensor memory. TorchSharp's <c>torch.tensor(array)</c> clones the array
/// and its <c>data&lt;T&gt;()</c> accessor copies element by element; these helpers do one memcpy-speed copy instead.
/// </summary>
internal static class TensorMemory
{
    /// <summary>The memory of a contiguous CPU float tensor, to fill or read in place.</summary>
    public static Span<float> FloatSpan(Tensor tensor) => MemoryMarshal.Cast<byte, float>(tensor.bytes);

    /// <summary>The rows <paramref name="indices"/> of <paramref name="source"/> (index_select on its device).</summary>
    public static Tensor SelectRows(Tensor source, ReadOnlySpan<int> indices)
    {
        var rows = new long[indices.Length];
        for (int i = 0; i < rows.Length; i++)
            rows[i] = indices[i];
        using var index = tensor(rows, device: source.device);
        return source.index_select(0, index);
    }

    /// <summary>Copies the first <paramref name="destination"/>.Length values of <paramref name="source"/> (any device).</summary>
    public static void CopyTo<T>(Tensor source, Span<T> destination) where T : unmanaged
    {
        using var cpu = source.device_type == TorchSharp.DeviceType.CPU ? source.contiguous() : source.cpu().contiguous();
        MemoryMarshal.Cast<byte, T>(cpu.bytes)[..destination.Length].CopyTo(destination);
    }
}
