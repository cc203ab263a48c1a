using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.DeepClustering;

/// <summary>Input schema checks shared by the trainers (Fit, GetOutputSchema) and the transformer.</summary>
internal static class SchemaChecks
{
    /// <summary>The image column must exist and be a known-size Vector&lt;Single&gt;.</summary>
    public static DataViewSchema.Column CheckImageColumn(DataViewSchema schema, string columnName)
    {
        var column = schema.GetColumnOrNull(columnName)
            ?? throw new ArgumentOutOfRangeException(nameof(schema),
                $"Feature column '{columnName}' not found in the input schema (columns: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => $"'{c.Name}'"))}).");
        if (column.Type is not VectorDataViewType vector || vector.ItemType != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Schema mismatch for feature column '{columnName}': expected a known-size Vector<Single> of image pixels, got {column.Type}.");
        if (!vector.IsKnownSize)
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Schema mismatch for feature column '{columnName}': expected a known-size Vector<Single> of image pixels, got a " +
                "variable-size vector. Resize the images (ResizeImages) so every row has the same size.");
        return column;
    }

    /// <summary>The same check on a <see cref="SchemaShape"/> (estimator chains, before any data is read).</summary>
    public static void CheckImageColumn(SchemaShape schema, string columnName)
    {
        var found = schema.Where(c => c.Name == columnName).Select(c => (SchemaShape.Column?)c).LastOrDefault()
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Feature column '{columnName}' not found in the input schema.");
        var column = found;
        if (column.Kind != SchemaShape.Column.VectorKind.Vector || column.ItemType != NumberDataViewType.Single)
        {
            string actual = column.Kind == SchemaShape.Column.VectorKind.Scalar ? $"{column.ItemType}"
                : $"{(column.Kind == SchemaShape.Column.VectorKind.VariableVector ? "variable-size " : "")}Vector<{column.ItemType}>";
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Schema mismatch for feature column '{columnName}': expected a known-size Vector<Single> of image pixels, got {actual}.");
        }
    }
}
