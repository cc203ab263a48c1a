using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.DeepClustering.Images;

/// <summary>
/// The getters of one row of <see cref="ImagePixelLoadingTransformer"/>'s output: input columns pass through from
/// the input row; the pixel column (the last one) decodes the row's file when first read, once per input position.
/// Shared by the data view's cursor and the PredictionEngine row mapper.
/// </summary>
internal sealed class PixelColumns
{
    private readonly DataViewSchema _inputSchema;
    private readonly ImagePixelLoadingTransformer.Settings _settings;
    private readonly bool[] _active;
    private readonly float[] _pixels;
    private DataViewRow? _input;
    private ValueGetter<ReadOnlyMemory<char>>? _pathGetter;
    private ReadOnlyMemory<char> _path;
    private long _loadedPosition = -1;

    public PixelColumns(DataViewSchema inputSchema, int pathIndex, ImagePixelLoadingTransformer.Settings settings,
        IEnumerable<DataViewSchema.Column> activeColumns)
    {
        _inputSchema = inputSchema;
        _settings = settings;
        PathIndex = pathIndex;
        _active = new bool[inputSchema.Count + 1];
        foreach (var column in activeColumns)
            _active[column.Index] = true;
        _pixels = PixelsActive ? new float[settings.Size] : Array.Empty<float>();
    }

    public int PathIndex { get; }

    private bool PixelsActive => _active[_inputSchema.Count];

    /// <summary>The input columns the row needs: the active pass-through ones, and the path when pixels are read.</summary>
    public IEnumerable<DataViewSchema.Column> InputsNeeded
        => _inputSchema.Where(c => _active[c.Index] || (PixelsActive && c.Index == PathIndex));

    public bool IsActive(DataViewSchema.Column column) => _active[column.Index];

    public void Bind(DataViewRow input)
    {
        _input = input;
        if (PixelsActive)
            _pathGetter = input.GetGetter<ReadOnlyMemory<char>>(_inputSchema[PathIndex]);
    }

    public ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!_active[column.Index])
            throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
        if (column.Index < _inputSchema.Count)
            return _input!.GetGetter<TValue>(_inputSchema[column.Index]);
        ValueGetter<VBuffer<float>> getter = GetPixels;
        return getter as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"Invalid TValue '{typeof(TValue)}' for column '{column.Name}' of type {column.Type}.");
    }

    private void GetPixels(ref VBuffer<float> value)
    {
        long position = _input!.Position;
        if (position != _loadedPosition || position < 0)
        {
            _pathGetter!(ref _path);
            _settings.LoadPixels(_path, position, _pixels);
            _loadedPosition = position;
        }
        var editor = VBufferEditor.Create(ref value, _pixels.Length);
        _pixels.CopyTo(editor.Values);
        value = editor.Commit();
    }
}
