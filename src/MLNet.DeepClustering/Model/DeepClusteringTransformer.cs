using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.DeepClustering.Interop;
using MLNet.DeepClustering.Torch;

namespace MLNet.DeepClustering;

/// <summary>
/// The fitted model of every deep clustering trainer (DAC, JULE). Reads one image column and adds
/// <c>PredictedLabel</c> (Key&lt;UInt32, k&gt;, values 1..k), <c>Score</c> (Vector&lt;Single, k&gt;, distance-like: smaller
/// is closer, argmin = PredictedLabel, so <c>mlContext.Clustering.Evaluate</c> works) and <c>Embedding</c>
/// (Vector&lt;Single, d&gt;). Transform is lazy; rows are scored in batches. Save with <c>mlContext.Model.Save</c>.
/// </summary>
public sealed class DeepClusteringTransformer : ITransformer, IDisposable
{
    /// <summary>Rows scored per network call in <see cref="Transform"/>.</summary>
    internal const int InferenceBatchSize = 256;

    private readonly IHost _host;
    private readonly string _trainedOn;

    internal DeepClusteringTransformer(IHostEnvironment env, string method, string featureColumnName, ClusteringModel model, string trainedOn)
    {
        _host = env.Register(nameof(DeepClusteringTransformer));
        Method = method;
        FeatureColumnName = featureColumnName;
        Model = model;
        _trainedOn = trainedOn;
    }

    /// <summary>The method that trained the model ("DAC" or "JULE").</summary>
    public string Method { get; }

    /// <summary>The input image column.</summary>
    public string FeatureColumnName { get; }

    /// <summary>k: the number of clusters (size of Score, key count of PredictedLabel).</summary>
    public int NumberOfClusters => Model.ClusterCount;

    /// <summary>d: the size of the Embedding column.</summary>
    public int EmbeddingSize => Model.EmbeddingSize;

    /// <summary>Image channels the network expects.</summary>
    public int ImageChannels => Model.Shape.Channels;

    /// <summary>Image height the network expects.</summary>
    public int ImageHeight => Model.Shape.Height;

    /// <summary>Image width the network expects.</summary>
    public int ImageWidth => Model.Shape.Width;

    /// <summary>Times and counts of the Fit that produced this transformer; null for a model loaded from a file.</summary>
    public TrainingStatistics? TrainingStatistics { get; internal init; }

    /// <summary>Always true: the transformer maps rows one to one.</summary>
    public bool IsRowToRowMapper => true;

    internal ClusteringModel Model { get; }

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        _host.CheckValue(inputSchema, nameof(inputSchema));
        return OutputSchemaFor(inputSchema, out _);
    }

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        _host.CheckValue(input, nameof(input));
        var schema = OutputSchemaFor(input.Schema, out int featureIndex);
        return new ClusteringDataView(input, schema, featureIndex, Model);
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        _host.CheckValue(inputSchema, nameof(inputSchema));
        var schema = OutputSchemaFor(inputSchema, out int featureIndex);
        return new ClusteringRowMapper(inputSchema, schema, featureIndex, Model);
    }

    private DataViewSchema OutputSchemaFor(DataViewSchema inputSchema, out int featureIndex)
    {
        var column = SchemaChecks.CheckImageColumn(inputSchema, FeatureColumnName);
        var vector = (VectorDataViewType)column.Type;
        if (vector.Size != Model.Shape.Size)
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Schema mismatch for feature column '{FeatureColumnName}': expected Vector<Single, {Model.Shape.Size}> " +
                $"({Model.Shape} images, as trained), got {vector}.");
        featureIndex = column.Index;
        return OutputSchema.Build(inputSchema, NumberOfClusters, EmbeddingSize);
    }

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        _host.CheckValue(ctx, nameof(ctx));
        ModelPersistence.Save(ctx, WritePayload, new[] { (ModelFormat.WeightsStreamName, Model.SaveWeights()) });
    }

    private void WritePayload(BinaryWriter writer)
    {
        writer.Write(Method);
        writer.Write(FeatureColumnName);
        Model.Spec.Write(writer);
        Model.Head.Write(writer);
        writer.Write(_trainedOn);
    }

    /// <summary>Reads a model written by <see cref="WritePayload"/> (see <see cref="ModelFormat"/>).</summary>
    internal static DeepClusteringTransformer Load(IHostEnvironment env, uint version, BinaryReader reader, Func<string, byte[]> readStream)
    {
        string method = reader.ReadString();
        string featureColumn = reader.ReadString();
        if (string.IsNullOrWhiteSpace(featureColumn))
            throw new InvalidDataException("Corrupt deep clustering model: empty feature column name.");
        var spec = NetworkSpec.Read(reader);
        var head = ScoreHead.Read(reader);
        string trainedOn = reader.ReadString();
        var weights = readStream(ModelFormat.WeightsStreamName);
        // Models load on the CPU: the device a model was trained on may be absent where it is loaded.
        var model = ClusteringModel.FromWeights(spec, head, weights, TorchRuntime.ResolveDevice("cpu"));
        return new DeepClusteringTransformer(env, method, featureColumn, model, trainedOn);
    }

    /// <summary>Releases the network's native memory.</summary>
    public void Dispose() => Model.Dispose();
}
