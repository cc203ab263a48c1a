using MLNet.DeepClustering.Dac;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.DeepClustering.Torch;

/// <summary>
/// Everything needed to rebuild a network before its weights are loaded: the architecture name, the input shape,
/// the output (embedding) size and the width. Saved in the model; the module's field names are the weight keys.
/// </summary>
internal sealed record NetworkSpec(string Kind, ImageShape Input, int OutputSize, int Width)
{
    /// <summary>
    /// Convolution channel counts must be multiples of this. libtorch 2.10's CPU convolutions with a channel count that is
    /// not a multiple of 16 (measured: 8, 24, 40, 50, 52, 56) read uninitialised memory: the same seed gives different
    /// weights from run to run, even with one thread, and the JULE network at the paper's 50 channels produced NaN losses
    /// within 100 SGD steps. Multiples of 16 (16 to 112 measured) are bit-reproducible and never gave NaN.
    /// </summary>
    public const int ChannelMultiple = 16;

    /// <summary>Whether <paramref name="channels"/> is a convolution width libtorch's CPU kernels handle reliably.</summary>
    public static bool IsReliableWidth(int channels) => channels >= ChannelMultiple && channels % ChannelMultiple == 0;

    /// <summary>Builds a freshly initialised network (torch's global generator decides the initial weights); call it
    /// through <see cref="TorchRuntime.BuildNetwork(NetworkSpec, int, out Generator)"/>.</summary>
    public nn.Module<Tensor, Tensor> Build() => Kind switch
    {
        DacNetwork.KindName => new DacNetwork(this),
        Jule.JuleNetwork.KindName => new Jule.JuleNetwork(this),
        _ => throw new InvalidDataException($"Unknown network kind '{Kind}'."),
    };
}
