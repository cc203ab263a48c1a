using Microsoft.ML;

namespace MLNet.DeepClustering;

/// <summary>
/// Which output columns a cursor or mapped row serves, and where each getter comes from: input columns pass through
/// from the input row, added columns come from a <see cref="ScoredBatch"/>. Shared by <see cref="ClusteringDataView"/>
/// and <see cref="ClusteringRowMapper"/>.
/// </summary>
internal sealed class ScoredColumns
{
    private readonly DataViewSchema _inputSchema;
    private readonly bool[] _active;
    private DataViewRow? _input;
    private Delegate?[] _getters = new Delegate?[OutputSchema.AddedColumnCount];

    public ScoredColumns(DataViewSchema inputSchema, DataViewSchema outputSchema, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        _inputSchema = inputSchema;
        _active = new bool[outputSchema.Count];
        foreach (var column in activeColumns)
            _active[column.Index] = true;
        AnyOutputActive = Enumerable.Range(inputSchema.Count, OutputSchema.AddedColumnCount).Any(i => _active[i]);
    }

    /// <summary>True when PredictedLabel, Score or Embedding is requested (the model must run).</summary>
    public bool AnyOutputActive { get; }

    /// <summary>The active input columns, for opening the pass-through cursor.</summary>
    public IEnumerable<DataViewSchema.Column> ActiveInputs => _inputSchema.Where(c => _active[c.Index]);

    public bool IsActive(DataViewSchema.Column column) => _active[column.Index];

    /// <summary>Sets the pass-through row and, when outputs are active, the batch whose current row the getters read.</summary>
    public void Bind(DataViewRow input, ScoredBatch? batch, Action ensure)
    {
        _input = input;
        if (batch != null)
            _getters = Enumerable.Range(0, OutputSchema.AddedColumnCount).Select(i => (Delegate?)batch.MakeGetter(i, ensure)).ToArray();
    }

    public ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!_active[column.Index])
            throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
        if (column.Index < _inputSchema.Count)
            return _input!.GetGetter<TValue>(_inputSchema[column.Index]);
        return ScoredBatch.Cast<TValue>(_getters[column.Index - _inputSchema.Count]!, column);
    }
}
