using Microsoft.ML;
using MLNet.DeepClustering.Interop;

namespace MLNet.DeepClustering;

/// <summary>Catalog extension methods: <c>mlContext.Clustering.Trainers.Dac(...)</c> and <c>.Jule(...)</c>.</summary>
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
}
