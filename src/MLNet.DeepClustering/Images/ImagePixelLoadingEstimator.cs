using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.DeepClustering.Interop;

namespace MLNet.DeepClustering;

/// <summary>
/// Reads image files named by a text column and outputs their pixels as one planar
/// <c>Vector&lt;Single, C, H, W&gt;</c> column in [0, 1]: what LoadImages, ResizeImages, ConvertToGrayscale and
/// ExtractPixels(scaleImage: 1/255) give together, in one step that keeps no native image object between rows.
/// Create it with <see cref="DeepClusteringCatalog.LoadImagePixels"/>.
/// </summary>
/// <remarks>
/// Files are decoded by SkiaSharp's codecs (PNG, JPEG, BMP, GIF, WebP, ICO, WBMP). Transparent pixels count as black
/// (colours are premultiplied by alpha). A row whose path is empty, whose file is missing, or whose file cannot be
/// decoded throws when it is read, naming the file; a file that ends early keeps the rows it has.
/// </remarks>
public sealed class ImagePixelLoadingEstimator : IEstimator<ImagePixelLoadingTransformer>
{
    private readonly IHostEnvironment _env;
    private readonly ImagePixelLoadingTransformer.Settings _settings;

    internal ImagePixelLoadingEstimator(IHostEnvironment env, ImagePixelLoadingTransformer.Settings settings)
    {
        _env = env;
        _settings = settings;
    }

    /// <inheritdoc />
    public ImagePixelLoadingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = new ImagePixelLoadingTransformer(_env, _settings);
        transformer.GetOutputSchema(input.Schema);
        return transformer;
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var input = inputSchema.Where(c => c.Name == _settings.InputColumnName).Select(c => (SchemaShape.Column?)c).LastOrDefault()
            ?? throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Image path column '{_settings.InputColumnName}' not found in the input schema.");
        if (input.Kind != SchemaShape.Column.VectorKind.Scalar || input.ItemType is not TextDataViewType)
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Schema mismatch for image path column '{_settings.InputColumnName}': expected String (text), got {Describe(input)}.");
        var columns = inputSchema.ToDictionary(c => c.Name);
        columns[_settings.OutputColumnName] = MLNetInternals.MakeColumn(_settings.OutputColumnName,
            SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, isKey: false);
        return new SchemaShape(columns.Values);
    }

    private static string Describe(SchemaShape.Column column) => column.Kind switch
    {
        SchemaShape.Column.VectorKind.Scalar => column.ItemType.ToString() ?? "?",
        _ => $"Vector<{column.ItemType}>",
    };
}
