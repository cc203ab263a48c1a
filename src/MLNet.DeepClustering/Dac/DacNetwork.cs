using MLNet.DeepClustering.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.DeepClustering.Dac;

/// <summary>
/// The All-ConvNet of the DAC reference code, scaled to the input: stages of [3x3 conv, BN, ReLU] x 3, 2x2 max-pool and
/// BN, doubling the width each stage until the feature map is at most 4 pixels on its short side; then a 1x1
/// projection to k channels, BN, ReLU, global average pooling, BN, and two [dense k, BN, ReLU] layers initialised to
/// the identity. The output is the "label feature": softmax, then L2 normalisation, so the dot product of two outputs
/// is their cosine similarity. On the CPU the feature maps after the first convolution are channels-last
/// (<see cref="ChannelsLastLayout"/>), which libtorch's CPU convolutions run faster on.
/// </summary>
/// <remarks>
/// Convolutions are unpadded as in the reference while the map stays large enough (28 -&gt; 22 -&gt; 11 -&gt; 5 -&gt; 2
/// for digits) and padded on small maps. The 1x1 projection to k channels is a per-pixel linear layer rather than a
/// convolution: libtorch's CPU convolutions are unreliable for channel counts that are not multiples of 16 (see
/// <see cref="NetworkSpec.ChannelMultiple"/>), and k usually is not.
/// </remarks>
internal sealed class DacNetwork : nn.Module<Tensor, Tensor>
{
    public const string KindName = "dac-allconv-gap";
    private const int ConvsPerStage = 3;
    private const int StopSide = 4;

    // Field names are the persisted weight keys: renaming one changes the model format.
    private readonly Sequential features;
    private readonly Linear toClusters;
    private readonly Sequential head;

    public DacNetwork(NetworkSpec spec) : base(nameof(DacNetwork))
    {
        int k = spec.OutputSize;
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        int channels = spec.Input.Channels, width = spec.Width;
        int side = Math.Min(spec.Input.Height, spec.Input.Width);
        int stage = 0;
        do
        {
            bool unpadded = side - 2 * ConvsPerStage >= StopSide;
            for (int i = 0; i < ConvsPerStage; i++)
            {
                var conv = nn.Conv2d(channels, width, 3, padding: unpadded ? 0 : 1, bias: false);
                using (no_grad())
                    conv.weight!.normal_(0, Math.Sqrt(2.0 / (width * 9)));   // He initialisation (fan out), as the reference
                layers.Add(($"s{stage}conv{i}", conv));
                if (stage == 0 && i == 0)
                    layers.Add(("layout", new ChannelsLastLayout()));
                layers.Add(($"s{stage}bn{i}", new BatchNormalization(width)));
                layers.Add(($"s{stage}relu{i}", nn.ReLU()));
                channels = width;
            }
            if (unpadded)
                side -= 2 * ConvsPerStage;
            layers.Add(($"s{stage}pool", nn.MaxPool2d(2)));
            layers.Add(($"s{stage}bn", new BatchNormalization(channels)));
            side /= 2;
            width *= 2;
            stage++;
        }
        while (side > StopSide);
        features = nn.Sequential(layers);
        toClusters = nn.Linear(channels, k, hasBias: false);
        head = nn.Sequential(
            ("bnk", new BatchNormalization(k)),
            ("reluk", nn.ReLU()),
            ("gap", nn.AdaptiveAvgPool2d(1)),
            ("bngap", new BatchNormalization(k)),
            ("flatten", nn.Flatten()),
            ("fc1", IdentityLinear(k)),
            ("bn1", new BatchNormalization(k)),
            ("relu1", nn.ReLU()),
            ("fc2", IdentityLinear(k)),
            ("bn2", new BatchNormalization(k)),
            ("relu2", nn.ReLU()));
        RegisterComponents();
    }

    private static Linear IdentityLinear(int k)
    {
        var layer = nn.Linear(k, k);
        using (no_grad())
        {
            layer.weight!.copy_(eye(k));
            layer.bias!.zero_();
        }
        return layer;
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = features.call(input);
        x = toClusters.call(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2);
        var labelFeatures = nn.functional.normalize(nn.functional.softmax(head.call(x), 1), p: 2, dim: 1);
        return labelFeatures.MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            features.Dispose();
            toClusters.Dispose();
            head.Dispose();
        }
        base.Dispose(disposing);
    }
}
