using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.DeepClustering;

/// <summary>
/// Copies of the pass-through column values of up to <c>capacity</c> rows read ahead from one source cursor, served
/// as the row at <see cref="Slot"/>. This lets <see cref="ClusteringDataView"/> score a batch of images while reading
/// the source through a single cursor.
/// </summary>
internal sealed class BufferedRow : DataViewRow
{
    // Value types whose copies share nothing mutable with the source cursor.
    private static readonly HashSet<Type> CopyableTypes = new()
    {
        typeof(float), typeof(double), typeof(sbyte), typeof(short), typeof(int), typeof(long), typeof(byte),
        typeof(ushort), typeof(uint), typeof(ulong), typeof(bool), typeof(ReadOnlyMemory<char>), typeof(DateTime),
        typeof(DateTimeOffset), typeof(TimeSpan), typeof(DataViewRowId),
    };

    private readonly DataViewRowCursor _input;
    private readonly Dictionary<int, ColumnBuffer> _columns;
    private readonly ColumnBuffer _ids;

    private BufferedRow(DataViewRowCursor input, Dictionary<int, ColumnBuffer> columns, int capacity)
    {
        _input = input;
        _columns = columns;
        _ids = new ValueBuffer<DataViewRowId>(input.GetIdGetter(), capacity);
    }

    /// <summary>The buffered row of <paramref name="columns"/>, or null when one of them has a type whose values
    /// cannot be copied safely (for example an image object): then the caller reads the source row by row.</summary>
    public static BufferedRow? TryCreate(DataViewRowCursor input, IEnumerable<DataViewSchema.Column> columns, int capacity)
    {
        var buffers = new Dictionary<int, ColumnBuffer>();
        foreach (var column in columns)
        {
            var buffer = ColumnBuffer.TryCreate(input, column, capacity);
            if (buffer == null)
                return null;
            buffers[column.Index] = buffer;
        }
        return new BufferedRow(input, buffers, capacity);
    }

    /// <summary>The slot the getters read.</summary>
    public int Slot { get; set; }

    /// <summary>Set by the owning cursor.</summary>
    public long RowPosition { get; set; } = -1;

    public override DataViewSchema Schema => _input.Schema;

    public override long Position => RowPosition;

    public override long Batch => _input.Batch;

    /// <summary>Copies the source cursor's current values into <paramref name="slot"/>.</summary>
    public void Fill(int slot)
    {
        _ids.Fill(slot);
        foreach (var buffer in _columns.Values)
            buffer.Fill(slot);
    }

    public override bool IsColumnActive(DataViewSchema.Column column) => _columns.ContainsKey(column.Index);

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ValueGetter<DataViewRowId>)_ids.MakeGetter(this);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!_columns.TryGetValue(column.Index, out var buffer))
            throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
        return buffer.MakeGetter(this) as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"Invalid TValue '{typeof(TValue)}' for column '{column.Name}' of type {column.Type}.");
    }

    private abstract class ColumnBuffer
    {
        public static ColumnBuffer? TryCreate(DataViewRowCursor input, DataViewSchema.Column column, int capacity)
        {
            var raw = column.Type.RawType;
            if (CopyableTypes.Contains(raw))
                return (ColumnBuffer)Activator.CreateInstance(typeof(ValueBuffer<>).MakeGenericType(raw), GetterOf(input, column, raw), capacity)!;
            if (raw.IsGenericType && raw.GetGenericTypeDefinition() == typeof(VBuffer<>) && CopyableTypes.Contains(raw.GetGenericArguments()[0]))
            {
                var item = raw.GetGenericArguments()[0];
                return (ColumnBuffer)Activator.CreateInstance(typeof(VectorBuffer<>).MakeGenericType(item), GetterOf(input, column, raw), capacity)!;
            }
            return null;
        }

        private static Delegate GetterOf(DataViewRowCursor input, DataViewSchema.Column column, Type raw)
            => (Delegate)typeof(DataViewRow).GetMethod(nameof(DataViewRow.GetGetter))!.MakeGenericMethod(raw).Invoke(input, new object[] { column })!;

        public abstract void Fill(int slot);

        public abstract Delegate MakeGetter(BufferedRow row);
    }

    private sealed class ValueBuffer<T> : ColumnBuffer
    {
        private readonly ValueGetter<T> _getter;
        private readonly T[] _values;

        public ValueBuffer(Delegate getter, int capacity)
        {
            _getter = (ValueGetter<T>)getter;
            _values = new T[capacity];
        }

        public override void Fill(int slot) => _getter(ref _values[slot]);

        public override Delegate MakeGetter(BufferedRow row) => (ValueGetter<T>)((ref T value) => value = _values[row.Slot]);
    }

    private sealed class VectorBuffer<T> : ColumnBuffer
    {
        private readonly ValueGetter<VBuffer<T>> _getter;
        private readonly VBuffer<T>[] _values;

        public VectorBuffer(Delegate getter, int capacity)
        {
            _getter = (ValueGetter<VBuffer<T>>)getter;
            _values = new VBuffer<T>[capacity];
        }

        public override void Fill(int slot) => _getter(ref _values[slot]);

        public override Delegate MakeGetter(BufferedRow row) => (ValueGetter<VBuffer<T>>)((ref VBuffer<T> value) => _values[row.Slot].CopyTo(ref value));
    }
}
