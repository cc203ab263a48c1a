using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.DeepClustering.Images;
using MLNet.DeepClustering.Interop;

namespace MLNet.DeepClustering;

/// <summary>
/// The fitted (stateless) form of <see cref="ImagePixelLoadingEstimator"/>: reads the image file of each row and adds
/// its pixels as a planar <c>Vector&lt;Single, C, H, W&gt;</c> column in [0, 1]. Transform is lazy and reads the
/// source through one cursor; saved and loaded with the model zip like any ML.NET transformer.
/// </summary>
public sealed class ImagePixelLoadingTransformer : ITransformer
{
    private readonly IHost _host;
    private readonly Settings _settings;

    internal ImagePixelLoadingTransformer(IHostEnvironment env, Settings settings)
    {
        _host = env.Register(nameof(ImagePixelLoadingTransformer));
        _settings = settings;
    }

    /// <summary>The text column with the image file paths.</summary>
    public string InputColumnName => _settings.InputColumnName;

    /// <summary>The pixel column this transformer adds.</summary>
    public string OutputColumnName => _settings.OutputColumnName;

    /// <summary>The folder relative paths are resolved against; null for paths used as they are.</summary>
    public string? ImageFolder => _settings.ImageFolder;

    /// <summary>Width of the output images, in pixels.</summary>
    public int ImageWidth => _settings.Width;

    /// <summary>Height of the output images, in pixels.</summary>
    public int ImageHeight => _settings.Height;

    /// <summary>Grayscale (one channel) or RGB (three).</summary>
    public ImagePixelColors Colors => _settings.Colors;

    /// <summary>How images of another size are fitted.</summary>
    public ImageResizing Resizing => _settings.Resizing;

    /// <summary>Always true: one output row per input row.</summary>
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return OutputSchemaFor(inputSchema, out _);
    }

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var schema = OutputSchemaFor(input.Schema, out int pathIndex);
        return new PixelDataView(input, schema, pathIndex, _settings);
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var schema = OutputSchemaFor(inputSchema, out int pathIndex);
        return new PixelRowMapper(inputSchema, schema, pathIndex, _settings);
    }

    private DataViewSchema OutputSchemaFor(DataViewSchema inputSchema, out int pathIndex)
    {
        var column = inputSchema.GetColumnOrNull(_settings.InputColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Image path column '{_settings.InputColumnName}' not found in the input schema.");
        if (column.Type is not TextDataViewType)
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Schema mismatch for image path column '{_settings.InputColumnName}': expected String (text), got {column.Type}.");
        pathIndex = column.Index;
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        builder.AddColumn(_settings.OutputColumnName,
            new VectorDataViewType(NumberDataViewType.Single, _settings.Channels, _settings.Height, _settings.Width));
        return builder.ToSchema();
    }

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        _host.CheckValue(ctx, nameof(ctx));
        ModelPersistence.SavePixelLoader(ctx, _settings.Write);
    }

    /// <summary>Reads a transformer written by <see cref="Settings.Write"/>.</summary>
    internal static ImagePixelLoadingTransformer Load(IHostEnvironment env, BinaryReader reader)
        => new(env, Settings.Read(reader));

    /// <summary>What the transformer does, validated once; also its saved form.</summary>
    /// <remarks>
    /// *** Binary format (model entry of <see cref="ModelPersistence.PixelLoaderSignature"/>, version 0x00010001) ***
    ///   string  input (path) column name
    ///   string  output (pixel) column name
    ///   string  image folder ("" for none)
    ///   int     width, int height
    ///   int     colors (0 = grayscale, 1 = RGB)
    ///   int     resizing (0 = crop centre, 1 = stretch, 2 = pad)
    /// </remarks>
    internal sealed record Settings(string InputColumnName, string OutputColumnName, string? ImageFolder, int Width, int Height,
        ImagePixelColors Colors, ImageResizing Resizing)
    {
        /// <summary>Longest side accepted, in pixels.</summary>
        public const int MaxSide = 4096;

        public int Channels => Colors == ImagePixelColors.Rgb ? 3 : 1;

        public int Size => Channels * Height * Width;

        public Settings Validate()
        {
            if (string.IsNullOrWhiteSpace(InputColumnName))
                throw new ArgumentException("The image path column name must not be empty.", nameof(InputColumnName));
            if (string.IsNullOrWhiteSpace(OutputColumnName))
                throw new ArgumentException("The pixel column name must not be empty.", nameof(OutputColumnName));
            if (Width < 1 || Width > MaxSide)
                throw new ArgumentOutOfRangeException(nameof(Width), Width, $"The image width must be between 1 and {MaxSide} pixels.");
            if (Height < 1 || Height > MaxSide)
                throw new ArgumentOutOfRangeException(nameof(Height), Height, $"The image height must be between 1 and {MaxSide} pixels.");
            if (!Enum.IsDefined(Colors))
                throw new ArgumentOutOfRangeException(nameof(Colors), Colors, "Unknown pixel colors.");
            if (!Enum.IsDefined(Resizing))
                throw new ArgumentOutOfRangeException(nameof(Resizing), Resizing, "Unknown resizing.");
            return this;
        }

        public void Write(BinaryWriter writer)
        {
            writer.Write(InputColumnName);
            writer.Write(OutputColumnName);
            writer.Write(ImageFolder ?? "");
            writer.Write(Width);
            writer.Write(Height);
            writer.Write((int)Colors);
            writer.Write((int)Resizing);
        }

        public static Settings Read(BinaryReader reader)
        {
            string input = reader.ReadString(), output = reader.ReadString(), folder = reader.ReadString();
            int width = reader.ReadInt32(), height = reader.ReadInt32();
            var colors = (ImagePixelColors)reader.ReadInt32();
            var resizing = (ImageResizing)reader.ReadInt32();
            try
            {
                return new Settings(input, output, folder.Length == 0 ? null : folder, width, height, colors, resizing).Validate();
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"Corrupt image pixel loading model: {e.Message}", e);
            }
        }

        /// <summary>Reads and decodes the file of one row into <paramref name="pixels"/>.</summary>
        public void LoadPixels(ReadOnlyMemory<char> path, long row, Span<float> pixels)
        {
            if (path.Span.IsWhiteSpace())
                throw new InvalidDataException($"Image path column '{InputColumnName}' row {row}: the path is empty.");
            string file = path.ToString();
            if (ImageFolder != null)
                file = Path.Combine(ImageFolder, file);
            var image = ImageDecoder.Decode(File.ReadAllBytes(file), Width, Height, file);
            PixelResampler.Extract(image, Colors, Channels, Height, Width, Resizing, pixels);
        }
    }
}
