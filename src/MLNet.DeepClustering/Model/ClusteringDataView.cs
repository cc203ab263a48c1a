using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.DeepClustering.Torch;

namespace MLNet.DeepClustering;

/// <summary>
/// The lazy result of <see cref="DeepClusteringTransformer.Transform"/>. Each cursor reads the source through one
/// cursor: when the model's outputs are requested it reads up to one batch of rows ahead, scores their images in one
/// network call, and serves the passed-through columns from copies (<see cref="BufferedRow"/>). When a requested
/// pass-through column holds values that cannot be copied (an image object), it scores one row at a time instead.
/// The source is read in its own (unshuffled) order.
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
        private readonly ValueGetter<VBuffer<float>>? _imageGetter;
        private readonly ScoredBatch? _batch;
        private readonly BufferedRow? _buffered;
        private readonly IEnumerator<int[]>? _batches;
        private VBuffer<float> _image;
        private long _position = -1;
        private bool _disposed;

        public Cursor(ClusteringDataView parent, IEnumerable<DataViewSchema.Column> columnsNeeded)
        {
            _parent = parent;
            _columns = new ScoredColumns(parent._source.Schema, parent.Schema, columnsNeeded);
            if (!_columns.AnyOutputActive)
            {
                _input = parent._source.GetRowCursor(_columns.ActiveInputs);
                _columns.Bind(_input, null, static () => { });
                return;
            }
            var feature = parent._source.Schema[parent._featureIndex];
            _input = parent._source.GetRowCursor(_columns.ActiveInputs.Append(feature).Distinct());
            _imageGetter = _input.GetGetter<VBuffer<float>>(feature);
            int rows = DeepClusteringTransformer.InferenceBatchSizeOn(parent._model.Device);
            _buffered = BufferedRow.TryCreate(_input, _columns.ActiveInputs, rows);
            int capacity = _buffered == null ? 1 : rows;
            _batch = new ScoredBatch(parent._model, feature.Name, capacity) { Current = -1 };
            _columns.Bind(_buffered ?? (DataViewRow)_input, _batch, static () => { });
            _batches = Batching.Batches(ReadRows(), capacity, LastBatch.Keep).GetEnumerator();
        }

        public override DataViewSchema Schema => _parent.Schema;

        public override long Position => _batch == null ? _input.Position : _position;

        public override long Batch => _input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _buffered?.GetIdGetter() ?? _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => _columns.IsActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _columns.GetGetter<TValue>(column);

        public override bool MoveNext()
        {
            if (_disposed)
                return false;
            if (_batch == null)
                return _input.MoveNext();
            _batch.Current++;
            if (_batch.Current >= _batch.Count && !FillBatch())
                return false;
            _position++;
            if (_buffered != null)
            {
                _buffered.Slot = _batch.Current;
                _buffered.RowPosition = _position;
            }
            return true;
        }

        /// <summary>Reads and scores the next batch of rows; false at the end of the source.</summary>
        private bool FillBatch()
        {
            if (!_batches!.MoveNext())
                return false;
            _batch!.Score(_batches.Current.Length);
            return true;
        }

        /// <summary>
        /// The source's rows as batch slots: each row's image (and its buffered pass-through values) is copied into the
        /// next slot before the cursor moves on; slots restart at 0 with each batch <see cref="Batching"/> cuts.
        /// </summary>
        private IEnumerable<int> ReadRows()
        {
            int slot = 0;
            while (_input.MoveNext())
            {
                _imageGetter!(ref _image);
                _batch!.SetPixels(slot, _image, _input.Position);
                _buffered?.Fill(slot);
                yield return slot;
                slot = (slot + 1) % _batch.Capacity;
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (_disposed)
                return;
            if (disposing)
            {
                _batches?.Dispose();
                _input.Dispose();
            }
            _disposed = true;
            base.Dispose(disposing);
        }
    }
}
