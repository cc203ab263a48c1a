using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.DeepClustering;

/// <summary>
/// Pixel input and model output buffers for up to <see cref="Capacity"/> rows, shared by the batching cursor
/// (<see cref="ClusteringDataView"/>) and the one-row mapper used by PredictionEngine (<see cref="ClusteringRowMapper"/>).
/// </summary>
internal sealed class ScoredBatch
{
    private readonly ClusteringModel _model;
    private readonly string _featureColumn;
    private readonly float[] _pixels;
    private readonly float[] _embedding;
    private readonly float[] _scores;
    private readonly uint[] _labels;

    public ScoredBatch(ClusteringModel model, string featureColumn, int capacity)
    {
        _model = model;
        _featureColumn = featureColumn;
        Capacity = capacity;
        _pixels = new float[capacity * model.Shape.Size];
        _embedding = new float[capacity * model.EmbeddingSize];
        _scores = new float[capacity * model.ClusterCount];
        _labels = new uint[capacity];
    }

    public int Capacity { get; }

    /// <summary>Rows scored by the last <see cref="Score"/>.</summary>
    public int Count { get; private set; }

    /// <summary>Index of the current row inside the batch; the getters read this row.</summary>
    public int Current { get; set; }

    /// <summary>Copies one image into slot <paramref name="slot"/>, rejecting a wrong size or a value <see cref="PixelValues"/> refuses.</summary>
    public void SetPixels(int slot, in VBuffer<float> image, long position)
    {
        int size = _model.Shape.Size;
        if (image.Length != size)
            throw new InvalidOperationException(
                $"Feature column '{_featureColumn}' row {position}: expected {size} values ({_model.Shape} image), got {image.Length}.");
        var destination = _pixels.AsSpan(slot * size, size);
        image.CopyTo(destination);
        PixelValues.Check(destination, _featureColumn, position);
    }

    /// <summary>Runs the model on slots 0..count-1.</summary>
    public void Score(int count)
    {
        Count = count;
        Current = 0;
        _model.Predict(_pixels, count, _embedding, _scores, _labels);
    }

    /// <summary>A getter for added column <paramref name="offset"/> (see <see cref="OutputSchema"/>) that first calls <paramref name="ensure"/>.</summary>
    public Delegate MakeGetter(int offset, Action ensure) => offset switch
    {
        OutputSchema.PredictedLabelOffset => (ValueGetter<uint>)((ref uint value) =>
        {
            ensure();
            value = _labels[Current];
        }),
        OutputSchema.ScoreOffset => MakeVectorGetter(_scores, _model.ClusterCount, ensure),
        OutputSchema.EmbeddingOffset => MakeVectorGetter(_embedding, _model.EmbeddingSize, ensure),
        _ => throw new ArgumentOutOfRangeException(nameof(offset)),
    };

    private ValueGetter<VBuffer<float>> MakeVectorGetter(float[] source, int length, Action ensure)
        => (ref VBuffer<float> value) =>
        {
            ensure();
            var editor = VBufferEditor.Create(ref value, length);
            source.AsSpan(Current * length, length).CopyTo(editor.Values);
            value = editor.Commit();
        };

    public static ValueGetter<TValue> Cast<TValue>(Delegate getter, DataViewSchema.Column column)
        => getter as ValueGetter<TValue>
           ?? throw new InvalidOperationException($"Invalid TValue '{typeof(TValue)}' for column '{column.Name}' of type {column.Type}.");
}
