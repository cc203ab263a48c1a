using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.DeepClustering.Torch;

/// <summary>
/// Passes [N, C, H, W] feature maps on in the channels-last memory layout on the CPU (the same values, the channels of
/// each pixel side by side in memory); elsewhere unchanged. libtorch's CPU convolutions run faster on channels-last
/// feature maps, and batch normalisation, ReLU, pooling and the convolutions themselves keep the layout of their input,
/// so one copy after the first convolution serves every later layer, forwards and backwards (the speed-up is in README,
/// Performance). Not used on a GPU, where it has not been measured. No parameters or buffers, so the weight keys and
/// saved models are the same with or without it.
/// </summary>
internal sealed class ChannelsLastLayout : nn.Module<Tensor, Tensor>
{
    public ChannelsLastLayout() : base(nameof(ChannelsLastLayout))
    {
    }

    public override Tensor forward(Tensor input)
    {
        if (input.device_type != DeviceType.CPU || input.dim() != 4)
            return input.alias();
        // Permuting to [N, H, W, C], making that contiguous and permuting back gives the [N, C, H, W] tensor whose
        // strides are channels-last.
        using var scope = NewDisposeScope();
        return input.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2).MoveToOuterDisposeScope();
    }
}
