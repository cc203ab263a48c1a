using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.DeepClustering;

/// <summary><c>mlContext.Clustering.EvaluateQuality(...)</c>: ACC, NMI and ARI against a label column.</summary>
public static class ClusteringQualityCatalog
{
    /// <summary>
    /// Compares the predicted clusters of <paramref name="data"/> with its ground-truth labels: accuracy under the best
    /// cluster-to-class matching (Hungarian), NMI and ARI. Labels may be a key, any integer or floating-point number,
    /// a Boolean or text; predictions a key or an integer column.
    /// </summary>
    /// <param name="catalog">The clustering catalog.</param>
    /// <param name="data">Scored data, e.g. the output of a deep clustering transformer.</param>
    /// <param name="labelColumnName">The ground-truth column.</param>
    /// <param name="predictedLabelColumnName">The predicted cluster column.</param>
    public static ClusteringQualityMetrics EvaluateQuality(this ClusteringCatalog catalog, IDataView data,
        string labelColumnName = "Label", string predictedLabelColumnName = DeepClusteringColumnNames.PredictedLabel)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(data);
        var classes = LabelReader.Read(data, labelColumnName, "label");
        var clusters = LabelReader.Read(data, predictedLabelColumnName, "predicted label");
        return ClusteringQuality.Compute(classes, clusters);
    }
}
