using MLNet.DeepClustering.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.DeepClustering.Jule;

/// <summary>
/// The JULE CNN, built from the input size: blocks of [5x5 conv (48 channels), BN, ReLU, 2x2 max-pool (ceil mode)]
/// while the pooled map stays at least 10 pixels on its short side, then a last [5x5 conv, BN, ReLU], a fully
/// connected layer to the embedding size, and L2 normalisation. For 28 x 28 input this is the paper's MNIST network:
/// conv-BN-ReLU-pool (28 to 12), conv-BN-ReLU (12 to 8), fc 3072 to 160. The paper has 50 channels; 48 avoids a
/// libtorch CPU convolution defect at widths that are not multiples of 16 (see <see cref="NetworkSpec.ChannelMultiple"/>).
/// On the CPU the feature maps after the first convolution are channels-last (<see cref="ChannelsLastLayout"/>), which
/// libtorch's CPU convolutions run faster on.
/// </summary>
internal sealed class JuleNetwork : nn.Module<Tensor, Tensor>
{
    public const string KindName = "jule-cnn";

    // Field names are the persisted weight keys.
    private readonly Sequential features;
    private readonly Linear fc;

    public JuleNetwork(NetworkSpec spec) : base(nameof(JuleNetwork))
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        int channels = spec.Input.Channels, height = spec.Input.Height, width = spec.Input.Width, block = 0;
        while (Math.Min(height - 4, width - 4) / 2 >= 10)
        {
            AddConvBlock(layers, block, channels, spec.Width);
            layers.Add(($"pool{block}", nn.MaxPool2d(2, 2, ceil_mode: true)));
            channels = spec.Width;
            height = (height - 4 + 1) / 2;
            width = (width - 4 + 1) / 2;
            block++;
        }
        AddConvBlock(layers, block, channels, spec.Width);
        layers.Add(("flatten", nn.Flatten()));
        features = nn.Sequential(layers);
        fc = nn.Linear(spec.Width * (height - 4) * (width - 4), spec.OutputSize);
        RegisterComponents();
    }

    /// <summary>[5x5 conv, BN, ReLU]; the first block's feature maps go on channels-last.</summary>
    private static void AddConvBlock(List<(string, nn.Module<Tensor, Tensor>)> layers, int block, int inChannels, int width)
    {
        layers.Add(($"conv{block}", nn.Conv2d(inChannels, width, 5)));
        if (block == 0)
            layers.Add(("layout", new ChannelsLastLayout()));
        layers.Add(($"bn{block}", new BatchNormalization(width)));
        layers.Add(($"relu{block}", nn.ReLU()));
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var embedding = nn.functional.normalize(fc.call(features.call(input)), p: 2, dim: 1);
        return embedding.MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            features.Dispose();
            fc.Dispose();
        }
        base.Dispose(disposing);
    }
}
