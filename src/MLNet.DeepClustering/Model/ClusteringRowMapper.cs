using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.DeepClustering;

/// <summary>
/// Row-to-row mapping for PredictionEngine: scores one row at a time, once per input position. Each mapped row owns
/// its buffers, so PredictionEngines on different threads do not share state.
/// </summary>
internal sealed class ClusteringRowMapper : IRowToRowMapper
{
    private readonly int _featureIndex;
    private readonly ClusteringModel _model;

    public ClusteringRowMapper(DataViewSchema inputSchema, DataViewSchema outputSchema, int featureIndex, ClusteringModel model)
    {
        InputSchema = inputSchema;
        OutputSchema = outputSchema;
        _featureIndex = featureIndex;
        _model = model;
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var needed = new SortedSet<int>();
        foreach (var column in dependingColumns)
            needed.Add(column.Index < InputSchema.Count ? column.Index : _featureIndex);
        return needed.Select(i => InputSchema[i]).ToArray();
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
        => new MappedRow(this, input, activeColumns);

    private sealed class MappedRow : DataViewRow
    {
        private readonly ClusteringRowMapper _parent;
        private readonly DataViewRow _input;
        private readonly ScoredColumns _columns;
        private readonly ScoredBatch _batch;
        private readonly ValueGetter<VBuffer<float>>? _imageGetter;
        private VBuffer<float> _image;
        private long _scoredPosition = -1;

        public MappedRow(ClusteringRowMapper parent, DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
        {
            _parent = parent;
            _input = input;
            _columns = new ScoredColumns(parent.InputSchema, parent.OutputSchema, activeColumns);
            var feature = parent.InputSchema[parent._featureIndex];
            if (_columns.AnyOutputActive)
                _imageGetter = input.GetGetter<VBuffer<float>>(feature);
            _batch = new ScoredBatch(parent._model, feature.Name, capacity: 1);
            _columns.Bind(input, _batch, EnsureScored);
        }

        public override DataViewSchema Schema => _parent.OutputSchema;

        public override long Position => _input.Position;

        public override long Batch => _input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => _columns.IsActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _columns.GetGetter<TValue>(column);

        private void EnsureScored()
        {
            long position = _input.Position;
            if (position == _scoredPosition && position >= 0)
                return;
            _imageGetter!(ref _image);
            _batch.SetPixels(0, _image, position);
            _batch.Score(1);
            _scoredPosition = position;
        }
    }
}
