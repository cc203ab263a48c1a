using System.Diagnostics;
using Microsoft.ML.Runtime;
using MLNet.DeepClustering.Interop;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.DeepClustering.Torch;

/// <summary>What one training epoch produced.</summary>
internal readonly record struct EpochResult(double MeanLoss, int Batches, int Images, double Seconds)
{
    public double ImagesPerSecond => Seconds > 0 ? Images / Seconds : 0;
}

/// <summary>
/// The training infrastructure every deep clustering method shares: the data as tensors, the device, the seeded
/// random order, mini-batching, the optimizer step, cancellation and progress through the MLContext channel.
/// A method supplies only its loss for a batch.
/// </summary>
internal sealed class TrainingSession : IDisposable
{
    private readonly IHost _host;
    private readonly string _method;
    private readonly IProgress<DeepClusteringProgress>? _progress;
    private readonly IProgressChannel _progressChannel;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private Generator? _generator;
    private Tensor? _deviceData;
    private EpochResult _lastEpoch = new(double.NaN, 0, 0, 0);

    public TrainingSession(IHost host, IChannel channel, Device device, int seed, TrainingData data, string method,
        int clusters, IProgress<DeepClusteringProgress>? progress, int? threads = null)
    {
        Threads = threads;
        _host = host;
        Channel = channel;
        Device = device;
        Seed = seed;
        Data = data;
        Random = new Random(seed);
        _method = method;
        Clusters = clusters;
        _progress = progress;
        _progressChannel = host.StartProgressChannel(method);
        _progressChannel.SetHeader(new ProgressHeader(new[] { "Loss" }, new[] { "Epochs", "Images" }), entry =>
        {
            entry.SetProgress(0, EpochsRun, EstimatedTotalEpochs ?? 0);
            entry.SetProgress(1, ImagesTrained);
            entry.SetMetric(0, _lastEpoch.MeanLoss);
        });
    }

    /// <summary>Whether the training images are uploaded to the device once, at the first batch, and every batch is
    /// gathered there (an index_select) instead of being copied from host memory. <see cref="KeepsDataOnDevice"/> gives
    /// the trainers' choice. The batches are the same either way.</summary>
    public bool DataOnDevice { get; init; }

    /// <summary>The most image bytes kept on a GPU for the whole fit: 1 GiB (for example 340,000 images of 28 x 28, or
    /// 87,000 of 3 x 32 x 32); larger sets are copied batch by batch.</summary>
    public const long DeviceDataLimitBytes = 1L << 30;

    /// <summary>The trainers' choice of <see cref="DataOnDevice"/>: <paramref name="requested"/> when set, otherwise on for
    /// a GPU when the images fit in <see cref="DeviceDataLimitBytes"/>. On the CPU the batches are gathered from the
    /// managed array, which costs one copy either way.</summary>
    public static bool KeepsDataOnDevice(Device device, TrainingData data, bool? requested)
        => requested ?? (device.type != DeviceType.CPU && data.Bytes <= DeviceDataLimitBytes);

    /// <summary>The images <paramref name="indices"/> as one [B, C, H, W] tensor on the session's device.</summary>
    public Tensor Batch(ReadOnlySpan<int> indices)
    {
        if (!DataOnDevice)
            return Data.Gather(indices, Device);
        _deviceData ??= Data.Upload(Device);
        return TensorMemory.SelectRows(_deviceData, indices);
    }

    /// <summary>JULE's current period; 0 for methods without periods. Set by the method, reported with progress.</summary>
    public int Period { get; set; }

    /// <summary>The current number of clusters. Set by the method, reported with progress.</summary>
    public int Clusters { get; set; }

    /// <summary>The epochs the Fit is expected to take, when the method can tell. Reported with progress.</summary>
    public int? EstimatedTotalEpochs { get; set; }

    /// <summary>Reports progress after <paramref name="phase"/> to the Progress option and ML.NET's progress channel.</summary>
    public void ReportProgress(DeepClusteringPhase phase)
    {
        _progressChannel.Checkpoint(_lastEpoch.MeanLoss, EpochsRun, ImagesTrained);
        _progress?.Report(new DeepClusteringProgress(_method, phase, Period, Clusters, EpochsRun, EstimatedTotalEpochs, ImagesTrained,
            _lastEpoch.MeanLoss, _lastEpoch.ImagesPerSecond, _clock.Elapsed.TotalSeconds));
    }

    public IChannel Channel { get; }

    public Device Device { get; }

    public int Seed { get; }

    public TrainingData Data { get; }

    /// <summary>Epochs run so far by <see cref="RunEpoch"/>.</summary>
    public int EpochsRun { get; private set; }

    /// <summary>Images that went through a training step so far.</summary>
    public long ImagesTrained { get; private set; }

    /// <summary>Seconds spent in <see cref="RunEpoch"/> so far.</summary>
    public double TrainingSeconds { get; private set; }

    /// <summary>Time a method spends clustering outside the network (JULE's graphs and merging); it starts and stops it.</summary>
    public Stopwatch ClusteringClock { get; } = new();

    /// <summary>The seeded .NET generator for shuffles and sampling.</summary>
    public Random Random { get; }

    /// <summary>The Fit's own torch generator (CPU), for random tensors such as augmentation; set by <see cref="BuildNetwork"/>.</summary>
    public Generator Generator => _generator ?? throw new InvalidOperationException("The network must be built before random tensors are drawn.");

    /// <summary>Builds the network from the session's seed, on the session's device, and starts the session's torch
    /// generator where network initialisation left the seed's stream.</summary>
    public nn.Module<Tensor, Tensor> BuildNetwork(NetworkSpec spec)
    {
        var network = TorchRuntime.BuildNetwork(spec, Seed, out var generator);
        _generator?.Dispose();
        _generator = generator;
        network.to(Device);
        return network;
    }

    public void Dispose()
    {
        _deviceData?.Dispose();
        _generator?.Dispose();
        _progressChannel.Dispose();
    }

    /// <summary>Throws <see cref="OperationCanceledException"/> once <c>MLContext.CancelExecution()</c> was called.</summary>
    public void CheckCanceled() => ThrowIfCanceled(_host);

    /// <summary>The trainer's NumberOfThreads: null for one per core.</summary>
    public int? Threads { get; }

    /// <summary>The exact kNN graph of <paramref name="rows"/> (row-major, <paramref name="dimension"/> wide), checking
    /// cancellation between blocks: on the CPU by the register-tiled kernel on the Fit's threads, on a GPU by blocked
    /// matrix products and top-k there (<see cref="DeviceKnn"/>).</summary>
    public Jule.KnnGraph BuildKnnGraph(float[] rows, int dimension, int neighbors)
        => Device.type == DeviceType.CPU
            ? Jule.KnnGraph.Build(rows, dimension, neighbors, CheckCanceled, Threads)
            : DeviceKnn.Build(rows, dimension, neighbors, Device, CheckCanceled);

    private Jule.KnnGraph? _pixelGraph;

    /// <summary>The kNN graph of the training images in pixel space (L2-normalised rows, <paramref name="normalizedRows"/>
    /// when the caller has them), with min(<paramref name="neighbors"/>, n - 1) neighbours. It is built once per Fit and
    /// shared (JULE's initial graph, DAC's neighbour partners, self-labelling's neighbour agreement): a request for fewer
    /// neighbours than the graph holds takes the nearest of each list, a request for more builds it again.</summary>
    public Jule.KnnGraph PixelKnnGraph(int neighbors, float[]? normalizedRows = null)
    {
        neighbors = Math.Min(neighbors, Data.Count - 1);
        if (_pixelGraph is null || _pixelGraph.NeighborCount < neighbors)
            _pixelGraph = BuildKnnGraph(normalizedRows ?? Data.NormalizedRows(), Data.Shape.Size, neighbors);
        return _pixelGraph.Nearest(neighbors);
    }

    /// <summary>Throws <see cref="OperationCanceledException"/> once the host's environment was canceled.</summary>
    public static void ThrowIfCanceled(IHost host)
    {
        if (MLNetInternals.IsCanceled(host))
            throw new OperationCanceledException("Training was canceled through MLContext.CancelExecution().");
    }

    /// <summary>Images an epoch draws at the least (the trainer's MinimumImagesPerEpoch); 0 for single passes.</summary>
    public int MinimumImagesPerEpoch { get; init; }

    /// <summary>Images one epoch of <paramref name="passLength"/>-image passes draws: the pass, or
    /// <see cref="MinimumImagesPerEpoch"/> when that is more (and the pass is not empty).</summary>
    public int EpochLength(int passLength) => passLength == 0 ? 0 : Math.Max(passLength, MinimumImagesPerEpoch);

    /// <summary>
    /// One epoch's training order: <paramref name="pass"/> (a fresh ordering of the images each call) repeated until
    /// <see cref="EpochLength"/> images are drawn, the last pass cut short. With as many images as MinimumImagesPerEpoch
    /// or more, this is a single pass.
    /// </summary>
    public int[] EpochOrder(Func<int[]> pass)
    {
        var first = pass();
        int length = EpochLength(first.Length);
        if (length == first.Length)
            return first;
        var order = new int[length];
        first.CopyTo(order, 0);
        for (int filled = first.Length; filled < length;)
        {
            var next = pass();
            if (next.Length == 0)
                throw new InvalidOperationException("An epoch's pass over the images came back empty.");
            int take = Math.Min(next.Length, length - filled);
            Array.Copy(next, 0, order, filled, take);
            filled += take;
        }
        return order;
    }

    /// <summary>A random permutation of 0..n-1 from the session's generator.</summary>
    public int[] Shuffled(int n)
    {
        var order = Enumerable.Range(0, n).ToArray();
        Random.Shuffle(order);
        return order;
    }

    /// <summary>
    /// One pass over <paramref name="order"/> in mini-batches: zero the gradients, loss, backward, optimizer step (which
    /// also advances its learning-rate schedule). The last batch is kept
    /// when it holds two images or more (batch normalisation needs two). <paramref name="loss"/> may return null to skip
    /// a batch.
    /// </summary>
    public EpochResult RunEpoch(nn.Module model, TrainingOptimizer optimizer, IReadOnlyList<int> order, int batchSize,
        Func<Tensor, int[], Tensor?> loss)
    {
        var clock = Stopwatch.StartNew();
        model.train();
        using var total = zeros(1, dtype: ScalarType.Float64, device: Device);
        int batches = 0, images = 0;
        foreach (var batchIndices in Batching.Batches(order, batchSize, LastBatch.KeepIfAtLeastTwo))
        {
            CheckCanceled();
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            var x = Batch(batchIndices);
            var value = loss(x, batchIndices);
            if (value is null)
                continue;
            value.backward();
            optimizer.Step();
            total.add_(value.detach().to(ScalarType.Float64), Scalars.One);
            batches++;
            images += batchIndices.Length;
        }
        double mean = batches > 0 ? total.item<double>() / batches : double.NaN;
        EpochsRun++;
        ImagesTrained += images;
        TrainingSeconds += clock.Elapsed.TotalSeconds;
        if (batches > 0 && !double.IsFinite(mean))
            throw new InvalidOperationException(
                $"Training diverged: the loss became {mean}. Lower the LearningRate, or check the input pixels are scaled to [0, 1].");
        _lastEpoch = new EpochResult(mean, batches, images, clock.Elapsed.TotalSeconds);
        ReportProgress(DeepClusteringPhase.Training);
        return _lastEpoch;
    }

    /// <summary>
    /// Re-estimates every batch normalisation's running statistics on the training data, so evaluation mode matches the
    /// final weights rather than a trail of past batches: the statistics are reset and averaged, with equal weight, over
    /// one pass of forward passes in training mode without gradients (the last partial batch is dropped). Batches hold
    /// <paramref name="batchSize"/> images, by default <see cref="RecalibrationBatchSize"/> or all of them if fewer.
    /// </summary>
    public void RecalibrateBatchNorm(nn.Module<Tensor, Tensor> model, int? batchSize = null)
    {
        int size = batchSize ?? Math.Min(RecalibrationBatchSize, Data.Count);
        var norms = model.modules().OfType<BatchNormalization>().ToArray();
        var momenta = norms.Select(norm => norm.Momentum).ToArray();
        foreach (var norm in norms)
        {
            norm.ResetRunningStatistics();
            norm.Momentum = null;   // cumulative average over the batches that follow
        }
        try
        {
            model.train();
            using var noGrad = no_grad();
            foreach (var indices in Batching.Batches(Shuffled(Data.Count), size, LastBatch.Drop))
            {
                CheckCanceled();
                using var scope = NewDisposeScope();
                model.call(Batch(indices));
            }
        }
        finally
        {
            for (int i = 0; i < norms.Length; i++)
                norms[i].Momentum = momenta[i];
            model.eval();
        }
    }

    /// <summary>Images per batch when batch-norm statistics are re-estimated.</summary>
    public const int RecalibrationBatchSize = 500;

    /// <summary>One label per training image, on the session's device, to gather a batch's labels from.</summary>
    public Tensor PerImageLabels(int[] labels) => tensor(labels.Select(l => (long)l).ToArray(), device: Device);

    /// <summary>Images per forward pass when the network embeds the training images: as many as Transform scores per
    /// call on the session's device (<see cref="DeepClusteringTransformer.InferenceBatchSizeOn"/>).</summary>
    public int InferenceBatchSize => DeepClusteringTransformer.InferenceBatchSizeOn(Device);

    /// <summary>The network's output for every training image, in order, as one n x d array (evaluation mode).</summary>
    public float[] Embed(nn.Module<Tensor, Tensor> model, int outputSize)
        => Embed(model, model.call, outputSize);

    /// <summary><paramref name="forward"/>'s output for every training image, in order, as one n x d array, with
    /// <paramref name="model"/> in evaluation mode. The outputs gather on the device and come to the host in one copy.</summary>
    public float[] Embed(nn.Module model, Func<Tensor, Tensor> forward, int outputSize)
    {
        int batchSize = InferenceBatchSize;
        model.eval();
        var result = new float[(long)Data.Count * outputSize];
        using var noGrad = no_grad();
        using var all = empty(new long[] { Data.Count, outputSize }, ScalarType.Float32, device: Device);
        int start = 0;
        foreach (var indices in Batching.Batches(Enumerable.Range(0, Data.Count), batchSize, LastBatch.Keep))
        {
            CheckCanceled();
            using var scope = NewDisposeScope();
            all.narrow(0, start, indices.Length).copy_(forward(Batch(indices)).reshape(indices.Length, outputSize));
            start += indices.Length;
        }
        TensorMemory.CopyTo(all, result.AsSpan());
        return result;
    }
}
