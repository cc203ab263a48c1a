using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.DeepClustering;

/// <summary>
/// The lazy result of <see cref="DeepClusteringTransformer.Transform"/>. A cursor scores rows in batches: a second,
/// feature-only cursor over the source reads ahead up to one batch of images, while the main cursor serves the
/// passed-through columns of the current row. The source is read in its own (unshuffled) order by both.
/// </summary>
internal sealed class ClusteringDataView : IDataView
{
    private readonly IDataView _source;
    private readonly int _featureIndex;
    private readonly ClusteringModel _model;

    public ClusteringDataView(IDataView source, DataViewSchema schema, int featureIndex, ClusteringModel model)
    {
        _source = source;
        Schema = schema;
        _featureIndex = featureIndex;
        _model = model;
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _source.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        => new Cursor(this, columnsNeeded);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => new[] { GetRowCursor(columnsNeeded, rand) };

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly ClusteringDataView _parent;
        private readonly ScoredColumns _columns;
        private readonly DataViewRowCursor _input;
        private readonly DataViewRowCursor? _lookahead;
        private readonly ValueGetter<VBuffer<float>>? _imageGetter;
        private readonly ScoredBatch? _batch;
        private VBuffer<float> _image;
        private bool _disposed;

        public Cursor(ClusteringDataView parent, IEnumerable<DataViewSchema.Column> columnsNeeded)
        {
            _parent = parent;
            _columns = new ScoredColumns(parent._source.Schema, parent.Schema, columnsNeeded);
            _input = parent._source.GetRowCursor(_columns.ActiveInputs);
            if (_columns.AnyOutputActive)
            {
                var feature = parent._source.Schema[parent._featureIndex];
                _lookahead = parent._source.GetRowCursor(new[] { feature });
                _imageGetter = _lookahead.GetGetter<VBuffer<float>>(feature);
                _batch = new ScoredBatch(parent._model, feature.Name, DeepClusteringTransformer.InferenceBatchSize) { Current = -1 };
            }
            _columns.Bind(_input, _batch, static () => { });
        }

        public override DataViewSchema Schema => _parent.Schema;

        public override long Position => _input.Position;

        public override long Batch => _input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => _columns.IsActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _columns.GetGetter<TValue>(column);

        public override bool MoveNext()
        {
            if (_disposed || !_input.MoveNext())
                return false;
            if (_batch != null)
            {
                _batch.Current++;
                if (_batch.Current >= _batch.Count)
                    FillBatch();
            }
            return true;
        }

        private void FillBatch()
        {
            int count = 0;
            while (count < _batch!.Capacity && _lookahead!.MoveNext())
            {
                _imageGetter!(ref _image);
                _batch.SetPixels(count, _image, _lookahead.Position);
                count++;
            }
            if (count == 0)
                throw new InvalidOperationException("The source data view returned fewer rows to the feature cursor than to the main cursor.");
            _batch.Score(count);
        }

        protected override void Dispose(bool disposing)
        {
            if (_disposed)
                return;
            if (disposing)
            {
                _input.Dispose();
                _lookahead?.Dispose();
            }
            _disposed = true;
            base.Dispose(disposing);
        }
    }
}
