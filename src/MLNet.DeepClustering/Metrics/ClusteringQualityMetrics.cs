namespace MLNet.DeepClustering;

/// <summary>External clustering quality against ground-truth classes.</summary>
/// <param name="Accuracy">ACC: the fraction of rows whose cluster maps to their class under the best one-to-one
/// cluster-to-class matching (Hungarian algorithm); clusters left without a class count as wrong.</param>
/// <param name="NormalizedMutualInformation">NMI = I(C; K) / ((H(C) + H(K)) / 2) (arithmetic normalisation, as
/// scikit-learn's default); 1 when both partitions are equal up to renaming.</param>
/// <param name="AdjustedRandIndex">ARI (Hubert and Arabie): pair-counting agreement corrected for chance; 1 for equal
/// partitions, about 0 for random ones.</param>
/// <param name="Count">Rows compared.</param>
/// <param name="NumberOfClasses">Distinct ground-truth classes.</param>
/// <param name="NumberOfClusters">Distinct predicted clusters.</param>
public sealed record ClusteringQualityMetrics(
    double Accuracy,
    double NormalizedMutualInformation,
    double AdjustedRandIndex,
    int Count,
    int NumberOfClasses,
    int NumberOfClusters);
