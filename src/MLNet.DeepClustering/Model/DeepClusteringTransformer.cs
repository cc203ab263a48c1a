using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.DeepClustering.Interop;

namespace MLNet.DeepClustering;

/// <summary>
/// The fitted model of every deep clustering trainer (DAC, JULE): an ML.NET transformer around the learned
/// <see cref="DeepClusteringModelParameters"/>. Reads one image column and adds, under the names chosen in the trainer
/// options, <c>PredictedLabel</c> (Key&lt;UInt32, k&gt;, values 1..k), <c>Score</c> (Vector&lt;Single, k&gt;,
/// distance-like: smaller is closer, argmin = PredictedLabel, so <c>mlContext.Clustering.Evaluate</c> works) and
/// <c>Embedding</c> (Vector&lt;Single, d&gt;). Transform is lazy; rows are scored in batches. Save with
/// <c>mlContext.Model.Save</c>; models load on the CPU. Dispose releases the network's native memory, after which
/// every use throws <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed class DeepClusteringTransformer : ITransformer, IDisposable
{
    /// <summary>Rows scored per network call in <see cref="Transform"/> on the CPU.</summary>
    internal const int InferenceBatchSize = 256;

    /// <summary>Rows scored per network call on a GPU, which keeps its kernels busier with larger batches.</summary>
    internal const int DeviceInferenceBatchSize = 2048;

    /// <summary>Rows per network call for a model or training session on <paramref name="device"/>.</summary>
    internal static int InferenceBatchSizeOn(TorchSharp.torch.Device device)
        => device.type == TorchSharp.DeviceType.CPU ? InferenceBatchSize : DeviceInferenceBatchSize;

    private readonly IHost _host;
    private readonly OutputColumnNames _outputs;
    private bool _disposed;

    internal DeepClusteringTransformer(IHostEnvironment env, DeepClusteringModelParameters model, string featureColumnName, OutputColumnNames outputs)
    {
        _host = env.Register(nameof(DeepClusteringTransformer));
        Model = model;
        FeatureColumnName = featureColumnName;
        _outputs = outputs;
    }

    /// <summary>What was learned: the network, the image shape and the cluster centroids.</summary>
    public DeepClusteringModelParameters Model { get; }

    /// <summary>The method that trained the model ("DAC" or "JULE").</summary>
    public string Method => Model.Method;

    /// <summary>The input image column.</summary>
    public string FeatureColumnName { get; }

    /// <summary>The output column with the cluster (Key&lt;UInt32, k&gt;).</summary>
    public string PredictedLabelColumnName => _outputs.PredictedLabel;

    /// <summary>The output column with the k distance-like scores.</summary>
    public string ScoreColumnName => _outputs.Score;

    /// <summary>The output column with the learned representation.</summary>
    public string EmbeddingColumnName => _outputs.Embedding;

    /// <summary>k: the number of clusters (size of Score, key count of PredictedLabel).</summary>
    public int NumberOfClusters => Model.NumberOfClusters;

    /// <summary>d: the size of the Embedding column.</summary>
    public int EmbeddingSize => Model.EmbeddingSize;

    /// <summary>Image channels the network expects.</summary>
    public int ImageChannels => Model.ImageChannels;

    /// <summary>Image height the network expects.</summary>
    public int ImageHeight => Model.ImageHeight;

    /// <summary>Image width the network expects.</summary>
    public int ImageWidth => Model.ImageWidth;

    /// <summary>Times and counts of the Fit that produced this transformer; null for a model loaded from a file.</summary>
    public TrainingStatistics? TrainingStatistics { get; internal init; }

    /// <summary>Always true: the transformer maps rows one to one.</summary>
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ThrowIfDisposed();
        _host.CheckValue(inputSchema, nameof(inputSchema));
        return OutputSchemaFor(inputSchema, out _);
    }

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ThrowIfDisposed();
        _host.CheckValue(input, nameof(input));
        var schema = OutputSchemaFor(input.Schema, out int featureIndex);
        return new ClusteringDataView(input, schema, featureIndex, Model.Network);
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ThrowIfDisposed();
        _host.CheckValue(inputSchema, nameof(inputSchema));
        var schema = OutputSchemaFor(inputSchema, out int featureIndex);
        return new ClusteringRowMapper(inputSchema, schema, featureIndex, Model.Network);
    }

    private DataViewSchema OutputSchemaFor(DataViewSchema inputSchema, out int featureIndex)
    {
        var column = SchemaChecks.CheckImageColumn(inputSchema, FeatureColumnName);
        var vector = (VectorDataViewType)column.Type;
        int size = ImageChannels * ImageHeight * ImageWidth;
        if (vector.Size != size)
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Schema mismatch for feature column '{FeatureColumnName}': expected Vector<Single, {size}> " +
                $"({ImageChannels}x{ImageHeight}x{ImageWidth} images, as trained), got {vector}.");
        featureIndex = column.Index;
        return OutputSchema.Build(inputSchema, _outputs, NumberOfClusters, EmbeddingSize);
    }

    /// <summary>
    /// A copy of this transformer whose network runs on <paramref name="device"/> ("cpu", "cuda" or "cuda:N"), for
    /// scoring a loaded model (models load on the CPU) on a GPU. CUDA needs the application to reference
    /// TorchSharp-cuda-linux (or -windows). The copy owns its own network: dispose both.
    /// </summary>
    /// <exception cref="InvalidOperationException">The device is not available.</exception>
    public DeepClusteringTransformer WithDevice(string device)
    {
        ThrowIfDisposed();
        var target = Torch.TorchRuntime.ResolveDevice(device);
        return new DeepClusteringTransformer(_host, Model.OnDevice(target), FeatureColumnName, _outputs) { TrainingStatistics = TrainingStatistics };
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    // *** Binary format of the model entry (transformer format 0x00020001) ***
    //   string  feature column name
    //   string  PredictedLabel, Score and Embedding column names
    // Binary stream DeepClusteringModelParameters.StreamName: the parameters, with their own version and checksum
    // (documented in DeepClusteringModelParameters).
    // Format 0x00010001 (read only): string method, string feature column, network spec, score head, string device in
    // the entry, and the weights in the stream "TorchWeights.bin"; the output columns had their default names.

    /// <summary>Transformer format written now.</summary>
    internal const uint VersionWritten = 0x00020001;

    /// <summary>Oldest reader version that can read what is written now.</summary>
    internal const uint VersionReadable = 0x00020001;

    /// <summary>Oldest format this version reads.</summary>
    internal const uint VersionWeCanReadBack = 0x00010001;

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ThrowIfDisposed();
        _host.CheckValue(ctx, nameof(ctx));
        ModelPersistence.Save(ctx, writer =>
        {
            writer.Write(FeatureColumnName);
            writer.Write(_outputs.PredictedLabel);
            writer.Write(_outputs.Score);
            writer.Write(_outputs.Embedding);
        }, new[] { (DeepClusteringModelParameters.StreamName, Model.Write()) });
    }

    /// <summary>Reads a model entry of format <paramref name="version"/>; <paramref name="entry"/> names the entry's folder.</summary>
    internal static DeepClusteringTransformer Load(IHostEnvironment env, uint version, BinaryReader reader, Func<string, byte[]> readStream, string entry)
    {
        if (version < VersionWritten)
        {
            var old = DeepClusteringModelParameters.ReadVersion1(reader, out string column, readStream,
                $"{entry}/{DeepClusteringModelParameters.Version1WeightsStream}");
            return new DeepClusteringTransformer(env, old, CheckName(column, entry), OutputColumnNames.Default);
        }
        string feature = CheckName(reader.ReadString(), entry);
        var outputs = new OutputColumnNames(CheckName(reader.ReadString(), entry), CheckName(reader.ReadString(), entry), CheckName(reader.ReadString(), entry));
        string stream = $"{entry}/{DeepClusteringModelParameters.StreamName}";
        var model = DeepClusteringModelParameters.Read(readStream(DeepClusteringModelParameters.StreamName), stream);
        return new DeepClusteringTransformer(env, model, feature, outputs);
    }

    private static string CheckName(string name, string entry)
        => string.IsNullOrWhiteSpace(name) || name.Length > 1024 || name.Any(char.IsControl)
            ? throw new InvalidDataException($"The deep clustering model entry '{entry}' cannot be loaded: it holds an invalid column name.")
            : name;

    /// <summary>Releases the network's native memory; the transformer cannot be used afterwards.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        Model.Dispose();
    }
}
