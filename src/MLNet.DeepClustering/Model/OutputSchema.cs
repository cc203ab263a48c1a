using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.DeepClustering;

/// <summary>The output columns shared by every deep clustering transformer, following ML.NET's KMeans convention.</summary>
internal static class OutputSchema
{
    /// <summary>Number of columns appended after the input's columns.</summary>
    public const int AddedColumnCount = 3;

    // Offsets of the added columns after the input columns.
    public const int PredictedLabelOffset = 0;
    public const int ScoreOffset = 1;
    public const int EmbeddingOffset = 2;

    public static DataViewType PredictedLabelType(int clusters) => new KeyDataViewType(typeof(uint), clusters);

    public static DataViewType ScoreType(int clusters) => new VectorDataViewType(NumberDataViewType.Single, clusters);

    public static DataViewType EmbeddingType(int dimension) => new VectorDataViewType(NumberDataViewType.Single, dimension);

    /// <summary>The input schema plus the PredictedLabel, Score and Embedding columns (hiding input columns of the same names).</summary>
    public static DataViewSchema Build(DataViewSchema input, OutputColumnNames names, int clusters, int dimension)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        builder.AddColumn(names.PredictedLabel, PredictedLabelType(clusters), ScoreAnnotations("PredictedLabel"));
        builder.AddColumn(names.Score, ScoreType(clusters), ScoreAnnotations("Score"));
        builder.AddColumn(names.Embedding, EmbeddingType(dimension));
        return builder.ToSchema();
    }

    /// <summary>The same columns as <see cref="SchemaShape"/> entries, for <c>GetOutputSchema(SchemaShape)</c>.</summary>
    public static IEnumerable<SchemaShape.Column> Shape(OutputColumnNames names)
    {
        yield return Interop.MLNetInternals.MakeColumn(names.PredictedLabel, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, isKey: true);
        yield return Interop.MLNetInternals.MakeColumn(names.Score, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, isKey: false);
        yield return Interop.MLNetInternals.MakeColumn(names.Embedding, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, isKey: false);
    }

    // The same score annotations ML.NET's clustering scorer writes, so evaluators recognise the columns.
    private static DataViewSchema.Annotations ScoreAnnotations(string valueKind)
    {
        var annotations = new DataViewSchema.Annotations.Builder();
        annotations.Add("ScoreColumnKind", TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = "Clustering".AsMemory());
        annotations.Add("ScoreValueKind", TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = valueKind.AsMemory());
        return annotations.ToAnnotations();
    }
}
