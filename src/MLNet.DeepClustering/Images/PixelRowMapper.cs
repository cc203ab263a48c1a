using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.DeepClustering.Images;

/// <summary>Row-to-row form of <see cref="ImagePixelLoadingTransformer"/> for PredictionEngine; each row owns its buffers.</summary>
internal sealed class PixelRowMapper : IRowToRowMapper
{
    private readonly int _pathIndex;
    private readonly ImagePixelLoadingTransformer.Settings _settings;

    public PixelRowMapper(DataViewSchema inputSchema, DataViewSchema outputSchema, int pathIndex, ImagePixelLoadingTransformer.Settings settings)
    {
        InputSchema = inputSchema;
        OutputSchema = outputSchema;
        _pathIndex = pathIndex;
        _settings = settings;
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
        => new PixelColumns(InputSchema, _pathIndex, _settings, dependingColumns).InputsNeeded.ToArray();

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        var columns = new PixelColumns(InputSchema, _pathIndex, _settings, activeColumns);
        columns.Bind(input);
        return new MappedRow(OutputSchema, input, columns);
    }

    private sealed class MappedRow : DataViewRow
    {
        private readonly DataViewRow _input;
        private readonly PixelColumns _columns;

        public MappedRow(DataViewSchema schema, DataViewRow input, PixelColumns columns)
        {
            Schema = schema;
            _input = input;
            _columns = columns;
        }

        public override DataViewSchema Schema { get; }

        public override long Position => _input.Position;

        public override long Batch => _input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => _columns.IsActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _columns.GetGetter<TValue>(column);
    }
}
