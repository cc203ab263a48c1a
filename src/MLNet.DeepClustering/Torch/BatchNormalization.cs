using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.DeepClustering.Torch;

/// <summary>
/// Batch normalisation over the channel dimension of [N, C] or [N, C, H, W] input: TorchSharp's BatchNorm1d /
/// BatchNorm2d (affine, tracking running statistics, momentum 0.1, eps 1e-5) with the same parameters, buffers and
/// state-dict keys, and the same computation. TorchSharp's own module counts batches with <c>add_(1)</c>, a Scalar
/// made for the call that a garbage collection can free while libtorch reads it (see <see cref="Scalars"/>); this one
/// counts with a Scalar it holds.
/// </summary>
internal sealed class BatchNormalization : nn.Module<Tensor, Tensor>
{
    private const double Epsilon = 1e-5;
    private static readonly Scalar OneBatch = 1L.ToScalar();

    // The field names are the state-dict keys, as in TorchSharp's BatchNorm modules.
    private Parameter weight;
    private Parameter bias;
    private Tensor running_mean;
    private Tensor running_var;
    private Tensor num_batches_tracked;

    public BatchNormalization(long features) : base(nameof(BatchNormalization))
    {
        weight = new Parameter(ones(features));
        bias = new Parameter(zeros(features));
        running_mean = zeros(features);
        running_var = ones(features);
        num_batches_tracked = tensor(0L);
        RegisterComponents();
    }

    /// <summary>Weight of the newest batch in the running statistics; null averages every batch since the last
    /// <see cref="ResetRunningStatistics"/> with equal weight.</summary>
    public double? Momentum { get; set; } = 0.1;

    /// <summary>The running mean of each channel.</summary>
    public Tensor RunningMean => running_mean;

    /// <summary>The running variance of each channel.</summary>
    public Tensor RunningVariance => running_var;

    /// <summary>Running mean 0, running variance 1, no batch counted.</summary>
    public void ResetRunningStatistics()
    {
        nn.init.zeros_(running_mean);
        nn.init.ones_(running_var);
        nn.init.zeros_(num_batches_tracked);
    }

    public override Tensor forward(Tensor input)
    {
        double momentum = Momentum ?? 0.0;
        if (training)
        {
            num_batches_tracked.add_(OneBatch, OneBatch);
            momentum = Momentum ?? 1.0 / num_batches_tracked.item<long>();
        }
        return nn.functional.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, Epsilon);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            weight.Dispose();
            bias.Dispose();
            running_mean.Dispose();
            running_var.Dispose();
            num_batches_tracked.Dispose();
        }
        base.Dispose(disposing);
    }
}
