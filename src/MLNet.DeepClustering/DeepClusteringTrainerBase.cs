using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.DeepClustering.Torch;
using TorchSharp;

namespace MLNet.DeepClustering;

/// <summary>
/// Shared estimator plumbing of the deep clustering trainers: option and schema checks, reading the images, device,
/// seed and channel set-up, and wrapping the trained network into a <see cref="DeepClusteringTransformer"/>.
/// </summary>
public abstract class DeepClusteringTrainerBase : IEstimator<DeepClusteringTransformer>
{
    private readonly IHost _host;
    private readonly DeepClusteringTrainerOptions _options;

    /// <summary>Checks <paramref name="options"/> and keeps a copy of them: changing the options object after the
    /// trainer was created changes nothing.</summary>
    private protected DeepClusteringTrainerBase(IHostEnvironment env, string name, DeepClusteringTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        _host = env.Register(name);
        _options = options.Snapshot();
        options = _options;
        if (string.IsNullOrWhiteSpace(options.FeatureColumnName))
            throw new ArgumentException("FeatureColumnName must be a column name.", nameof(options));
        var outputs = new[] { options.PredictedLabelColumnName, options.ScoreColumnName, options.EmbeddingColumnName };
        if (outputs.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException("PredictedLabelColumnName, ScoreColumnName and EmbeddingColumnName must be column names.", nameof(options));
        if (outputs.Distinct(StringComparer.Ordinal).Count() != 3)
            throw new ArgumentException($"PredictedLabelColumnName, ScoreColumnName and EmbeddingColumnName must differ; got '{string.Join("', '", outputs)}'.", nameof(options));
        if (options.NumberOfClusters < 2 && options.NumberOfClusters != 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.NumberOfClusters, "NumberOfClusters must be at least 2, or 0 to choose it from the data.");
        if (options.NumberOfClusters == 0 && options.MaxNumberOfClusters < 2)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxNumberOfClusters, "MaxNumberOfClusters must be at least 2 when NumberOfClusters is 0.");
        if (options.ImageChannels <= 0 || options.ImageHeight <= 0 || options.ImageWidth <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), "ImageChannels, ImageHeight and ImageWidth must be positive when set.");
        if (options.SelfLabelingEpochs < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.SelfLabelingEpochs, "SelfLabelingEpochs must be zero or positive.");
        if (!(options.SelfLabelingFraction > 0 && options.SelfLabelingFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(options), options.SelfLabelingFraction, "SelfLabelingFraction must be in (0, 1].");
        if (!(options.SelfLabelingNeighborAgreement >= 0 && options.SelfLabelingNeighborAgreement <= 1))
            throw new ArgumentOutOfRangeException(nameof(options), options.SelfLabelingNeighborAgreement, "SelfLabelingNeighborAgreement must be in [0, 1].");
        if (options.MinimumImagesPerEpoch < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.MinimumImagesPerEpoch, "MinimumImagesPerEpoch must be zero or positive.");
        if (options.NumberOfThreads is < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.NumberOfThreads, "NumberOfThreads must be at least 1 when set.");
        string device = (options.Device ?? "").Trim().ToLowerInvariant();
        if (device != "cpu" && device != "cuda" && !(device.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(device[5..], out _)))
            throw new ArgumentOutOfRangeException(nameof(options), options.Device, "Device must be \"cpu\", \"cuda\" or \"cuda:N\".");
    }

    /// <summary>The trainer's own copy of the options it was created with.</summary>
    private protected DeepClusteringTrainerOptions TrainerOptions => _options;

    private OutputColumnNames Outputs => new(_options.PredictedLabelColumnName, _options.ScoreColumnName, _options.EmbeddingColumnName);

    /// <summary>Option check: throws <see cref="ArgumentOutOfRangeException"/> naming the value when the condition fails.</summary>
    private protected static void Require(bool condition, object value, string message)
    {
        if (!condition)
            throw new ArgumentOutOfRangeException("options", value, message);
    }

    /// <summary>True when the trainer chooses k (NumberOfClusters = 0).</summary>
    private protected bool ChoosesClusterCount => _options.NumberOfClusters == 0;

    /// <summary>The k the network trains for: NumberOfClusters, or with NumberOfClusters = 0 the largest k considered,
    /// MaxNumberOfClusters, at most n - 1 for <paramref name="images"/> images.</summary>
    private protected int TrainingClusterCount(int images)
        => ChoosesClusterCount ? Math.Max(2, Math.Min(_options.MaxNumberOfClusters, images - 1)) : _options.NumberOfClusters;

    /// <summary>The method's name in logs and in saved models ("DAC", "JULE").</summary>
    private protected abstract string MethodName { get; }

    /// <summary>Whether training jitters the images (the trainer's Augment option); self-labelling follows it.</summary>
    private protected abstract bool Augments { get; }

    /// <summary>Trains the network on the session's data and returns it with its score head.</summary>
    private protected abstract ClusteringModel TrainCore(TrainingSession session);

    /// <summary>Checks the input schema and adds PredictedLabel, Score and Embedding.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        SchemaChecks.CheckImageColumn(inputSchema, _options.FeatureColumnName);
        var columns = inputSchema.ToDictionary(c => c.Name);
        foreach (var column in OutputSchema.Shape(Outputs))
            columns[column.Name] = column;
        return new SchemaShape(columns.Values);
    }

    /// <summary>Trains on every row of <paramref name="input"/>. Torch's thread count is set for the Fit and put back
    /// when it ends, also when it throws or is canceled.</summary>
    public DeepClusteringTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var column = SchemaChecks.CheckImageColumn(input.Schema, _options.FeatureColumnName);
        var shape = ImageShape.Resolve(column.Name, (VectorDataViewType)column.Type, _options.ImageChannels, _options.ImageHeight, _options.ImageWidth);
        var device = TorchRuntime.ResolveDevice(_options.Device);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int seed = _options.Seed ?? _host.Rand.Next();
        int threadsBefore = TorchRuntime.SetThreads(_options.NumberOfThreads);
        try
        {
            using var channel = _host.Start(MethodName);
            var data = TrainingData.Read(input, column, shape, () => TrainingSession.ThrowIfCanceled(_host));
            if (data.Count < (ChoosesClusterCount ? 3 : _options.NumberOfClusters))
                throw new ArgumentException(ChoosesClusterCount
                    ? $"{MethodName} needs at least 3 images to choose the number of clusters; column '{column.Name}' has {data.Count} rows."
                    : $"{MethodName} needs at least NumberOfClusters = {_options.NumberOfClusters} images; column '{column.Name}' has {data.Count} rows.", nameof(input));
            int clusters = TrainingClusterCount(data.Count);
            if (ChoosesClusterCount && clusters < _options.MaxNumberOfClusters)
                channel.Warning($"{MethodName}: {data.Count} images; k is chosen between 2 and {clusters} instead of MaxNumberOfClusters = {_options.MaxNumberOfClusters}.");
            if (PixelValues.RangeWarning(column.Name, data.Min, data.Max) is { } warning)
                channel.Warning(warning);
            using var session = new TrainingSession(_host, channel, device, seed, data, MethodName, clusters, _options.Progress, _options.NumberOfThreads)
            {
                MinimumImagesPerEpoch = _options.MinimumImagesPerEpoch,
                DataOnDevice = TrainingSession.KeepsDataOnDevice(device, data, _options.KeepDataOnDevice),
            };
            channel.Info($"{MethodName}: {data.Count} images of {shape}, k = {(ChoosesClusterCount ? $"chosen from 2..{clusters}" : clusters.ToString(System.Globalization.CultureInfo.InvariantCulture))}, device {device}, seed {seed}, " +
                         $"{torch.get_num_threads()} torch threads{(TorchRuntime.AllocatorTuned ? ", glibc malloc thresholds raised" : "")}" +
                         $"{(session.DataOnDevice ? $", images kept on the device ({data.Bytes / 1e6:F0} MB)" : "")}.");
            var network = TrainCore(session);
            if (_options.SelfLabelingEpochs > 0)
                network = SelfLabeling.Refine(session, network, _options.SelfLabelingEpochs, _options.SelfLabelingFraction,
                    _options.SelfLabelingNeighborAgreement, Augments,
                    _options.HorizontalFlip, MethodName);
            var statistics = new TrainingStatistics(data.Count, session.EpochsRun, session.ImagesTrained, session.TrainingSeconds,
                session.ClusteringClock.Elapsed.TotalSeconds, clock.Elapsed.TotalSeconds, torch.get_num_threads());
            channel.Info($"{MethodName}: fit {statistics.TotalSeconds:F1} s: network training {statistics.NetworkTrainingSeconds:F1} s " +
                         $"({statistics.Epochs} epochs, {statistics.TrainingImagesPerSecond:F0} images/s), clustering {statistics.ClusteringSeconds:F1} s.");
            var model = new DeepClusteringModelParameters(MethodName, network, device.ToString());
            return new DeepClusteringTransformer(_host, model, column.Name, Outputs) { TrainingStatistics = statistics };
        }
        finally
        {
            TorchRuntime.RestoreThreads(threadsBefore);
        }
    }
}
