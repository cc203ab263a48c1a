using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.DeepClustering;

/// <summary>Reads a scalar label column of any common type into integer ids (equal values, equal ids).</summary>
internal static class LabelReader
{
    public static int[] Read(IDataView data, string columnName, string role)
    {
        var column = data.Schema.GetColumnOrNull(columnName)
            ?? throw new ArgumentOutOfRangeException(nameof(columnName), $"The {role} column '{columnName}' was not found in the data.");
        var type = column.Type;
        return type switch
        {
            KeyDataViewType when type.RawType == typeof(uint) => Keys<uint>(data, column, role, v => v),
            KeyDataViewType when type.RawType == typeof(ushort) => Keys<ushort>(data, column, role, v => v),
            KeyDataViewType when type.RawType == typeof(byte) => Keys<byte>(data, column, role, v => v),
            KeyDataViewType when type.RawType == typeof(ulong) => Keys<ulong>(data, column, role, v => v),
            _ when type.RawType == typeof(int) => Values<int>(data, column, v => v),
            _ when type.RawType == typeof(uint) => Values<uint>(data, column, v => checked((int)v)),
            _ when type.RawType == typeof(long) => Values<long>(data, column, v => checked((int)v)),
            _ when type.RawType == typeof(short) => Values<short>(data, column, v => v),
            _ when type.RawType == typeof(ushort) => Values<ushort>(data, column, v => v),
            _ when type.RawType == typeof(byte) => Values<byte>(data, column, v => v),
            _ when type.RawType == typeof(sbyte) => Values<sbyte>(data, column, v => v),
            _ when type.RawType == typeof(bool) => Values<bool>(data, column, v => v ? 1 : 0),
            _ when type.RawType == typeof(float) => Values<float>(data, column, v => Whole(v, column, role)),
            _ when type.RawType == typeof(double) => Values<double>(data, column, v => Whole(v, column, role)),
            _ when type.RawType == typeof(ReadOnlyMemory<char>) => Text(data, column),
            _ => throw new ArgumentOutOfRangeException(nameof(columnName),
                $"Schema mismatch for {role} column '{columnName}': expected a key, number, Boolean or text scalar, got {type}."),
        };
    }

    private static int Whole(double value, DataViewSchema.Column column, string role)
    {
        if (double.IsNaN(value))
            throw new InvalidOperationException($"The {role} column '{column.Name}' has a missing (NaN) value.");
        if (value != Math.Floor(value) || Math.Abs(value) > int.MaxValue)
            throw new InvalidOperationException($"The {role} column '{column.Name}' has the non-integer value {value}; labels must be whole numbers.");
        return (int)value;
    }

    private static int[] Keys<T>(IDataView data, DataViewSchema.Column column, string role, Func<T, ulong> toULong)
        => data.GetColumn<T>(column).Select(v =>
        {
            ulong key = toULong(v);
            if (key == 0)
                throw new InvalidOperationException($"The {role} column '{column.Name}' has a missing key value (0).");
            return checked((int)key);
        }).ToArray();

    private static int[] Values<T>(IDataView data, DataViewSchema.Column column, Func<T, int> convert)
        => data.GetColumn<T>(column).Select(convert).ToArray();

    private static int[] Text(IDataView data, DataViewSchema.Column column)
    {
        var ids = new Dictionary<string, int>();
        return data.GetColumn<ReadOnlyMemory<char>>(column).Select(v =>
        {
            string s = v.ToString();
            if (!ids.TryGetValue(s, out int id))
                ids[s] = id = ids.Count;
            return id;
        }).ToArray();
    }
}
