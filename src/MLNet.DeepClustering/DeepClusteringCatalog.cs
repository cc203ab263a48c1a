using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.DeepClustering.Interop;

namespace MLNet.DeepClustering;

/// <summary>Catalog extension methods: <c>mlContext.Clustering.Trainers.Dac(...)</c> and <c>.Jule(...)</c>, and
/// <c>mlContext.Transforms.LoadImagePixels(...)</c> to feed them from image files.</summary>
public static class DeepClusteringCatalog
{
    /// <summary>Creates a <see cref="DacTrainer"/> (Deep Adaptive Clustering) with default options.</summary>
    /// <param name="catalog">The clustering trainer catalog.</param>
    /// <param name="featureColumnName">The image column, Vector&lt;Single&gt; of planar pixels in [0, 1].</param>
    /// <param name="numberOfClusters">k, the number of clusters.</param>
    /// <returns>The estimator; Fit returns a <see cref="DeepClusteringTransformer"/>.</returns>
    public static DacTrainer Dac(this ClusteringCatalog.ClusteringTrainers catalog,
        string featureColumnName = DeepClusteringColumnNames.Features, int numberOfClusters = 10)
        => Dac(catalog, new DacTrainer.Options { FeatureColumnName = featureColumnName, NumberOfClusters = numberOfClusters });

    /// <summary>Creates a <see cref="DacTrainer"/> (Deep Adaptive Clustering) with the given options.</summary>
    /// <param name="catalog">The clustering trainer catalog.</param>
    /// <param name="options">Trainer options; see <see cref="DacTrainer.Options"/> for the defaults.</param>
    /// <returns>The estimator; Fit returns a <see cref="DeepClusteringTransformer"/>.</returns>
    public static DacTrainer Dac(this ClusteringCatalog.ClusteringTrainers catalog, DacTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new DacTrainer(MLNetInternals.GetEnvironment(catalog), options);
    }

    /// <summary>Creates a <see cref="JuleTrainer"/> (Joint Unsupervised LEarning) with default options.</summary>
    /// <param name="catalog">The clustering trainer catalog.</param>
    /// <param name="featureColumnName">The image column, Vector&lt;Single&gt; of planar pixels in [0, 1].</param>
    /// <param name="numberOfClusters">k, the number of clusters.</param>
    /// <returns>The estimator; Fit returns a <see cref="DeepClusteringTransformer"/>.</returns>
    public static JuleTrainer Jule(this ClusteringCatalog.ClusteringTrainers catalog,
        string featureColumnName = DeepClusteringColumnNames.Features, int numberOfClusters = 10)
        => Jule(catalog, new JuleTrainer.Options { FeatureColumnName = featureColumnName, NumberOfClusters = numberOfClusters });

    /// <summary>Creates a <see cref="JuleTrainer"/> (Joint Unsupervised LEarning) with the given options.</summary>
    /// <param name="catalog">The clustering trainer catalog.</param>
    /// <param name="options">Trainer options; see <see cref="JuleTrainer.Options"/> for the defaults.</param>
    /// <returns>The estimator; Fit returns a <see cref="DeepClusteringTransformer"/>.</returns>
    public static JuleTrainer Jule(this ClusteringCatalog.ClusteringTrainers catalog, JuleTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new JuleTrainer(MLNetInternals.GetEnvironment(catalog), options);
    }

    /// <summary>
    /// Creates an <see cref="ImagePixelLoadingEstimator"/>: reads the image file named in <paramref name="inputColumnName"/>
    /// and outputs its pixels as planar <c>Vector&lt;Single, C, H, W&gt;</c> in [0, 1], ready for <see cref="Dac(ClusteringCatalog.ClusteringTrainers, DacTrainer.Options)"/>
    /// and <see cref="Jule(ClusteringCatalog.ClusteringTrainers, JuleTrainer.Options)"/>. It replaces LoadImages, ResizeImages,
    /// ConvertToGrayscale and ExtractPixels(scaleImage: 1/255), which can corrupt native memory under garbage collection
    /// (README, "Images from files").
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The pixel column to add.</param>
    /// <param name="imageWidth">Output width in pixels (1 to 4096).</param>
    /// <param name="imageHeight">Output height in pixels (1 to 4096).</param>
    /// <param name="inputColumnName">The text column with the file paths; defaults to <paramref name="outputColumnName"/>.</param>
    /// <param name="imageFolder">A folder relative paths are resolved against; null uses the paths as they are.</param>
    /// <param name="colors">Grayscale (1 channel, the default) or RGB (3 channels).</param>
    /// <param name="resizing">How an image of another size is fitted; the default crops the centre, as ResizeImages does.</param>
    /// <returns>The estimator.</returns>
    public static ImagePixelLoadingEstimator LoadImagePixels(this TransformsCatalog catalog, string outputColumnName,
        int imageWidth, int imageHeight, string? inputColumnName = null, string? imageFolder = null,
        ImagePixelColors colors = ImagePixelColors.Grayscale, ImageResizing resizing = ImageResizing.CropCenter)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var settings = new ImagePixelLoadingTransformer.Settings(inputColumnName ?? outputColumnName, outputColumnName,
            imageFolder, imageWidth, imageHeight, colors, resizing).Validate();
        return new ImagePixelLoadingEstimator(MLNetInternals.GetEnvironment(catalog), settings);
    }

    /// <summary>
    /// The same model with every <see cref="DeepClusteringTransformer"/> in it, at any depth of its transformer chains,
    /// replaced by a copy that scores on <paramref name="device"/> (<see cref="DeepClusteringTransformer.WithDevice"/>);
    /// other transformers are kept. For a model loaded with <c>mlContext.Model.Load</c>, which loads on the CPU:
    /// <c>var gpu = mlContext.Model.Load("clusters.zip", out _).ToDevice("cuda");</c>
    /// </summary>
    /// <param name="model">A transformer or transformer chain.</param>
    /// <param name="device">"cpu", "cuda" or "cuda:N".</param>
    /// <returns>A new chain (or transformer); the copies own their networks.</returns>
    public static ITransformer ToDevice(this ITransformer model, string device)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model switch
        {
            DeepClusteringTransformer clustering => clustering.WithDevice(device),
            IEnumerable<ITransformer> chain => new TransformerChain<ITransformer>(chain.Select(t => t.ToDevice(device)).ToArray()),
            _ => model,
        };
    }
}
