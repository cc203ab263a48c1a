using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.DeepClustering.Images;

/// <summary>The lazy output of <see cref="ImagePixelLoadingTransformer.Transform"/>: one source cursor per cursor.</summary>
internal sealed class PixelDataView : IDataView
{
    private readonly IDataView _source;
    private readonly int _pathIndex;
    private readonly ImagePixelLoadingTransformer.Settings _settings;

    public PixelDataView(IDataView source, DataViewSchema schema, int pathIndex, ImagePixelLoadingTransformer.Settings settings)
    {
        _source = source;
        Schema = schema;
        _pathIndex = pathIndex;
        _settings = settings;
    }

    public bool CanShuffle => _source.CanShuffle;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _source.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var columns = new PixelColumns(_source.Schema, _pathIndex, _settings, columnsNeeded);
        return new Cursor(this, columns, _source.GetRowCursor(columns.InputsNeeded, rand));
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => new[] { GetRowCursor(columnsNeeded, rand) };

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly PixelDataView _parent;
        private readonly PixelColumns _columns;
        private readonly DataViewRowCursor _input;

        public Cursor(PixelDataView parent, PixelColumns columns, DataViewRowCursor input)
        {
            _parent = parent;
            _columns = columns;
            _input = input;
            columns.Bind(input);
        }

        public override DataViewSchema Schema => _parent.Schema;

        public override long Position => _input.Position;

        public override long Batch => _input.Batch;

        public override bool MoveNext() => _input.MoveNext();

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => _columns.IsActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _columns.GetGetter<TValue>(column);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                _input.Dispose();
            base.Dispose(disposing);
        }
    }
}
