namespace MLNet.DeepClustering;

/// <summary>Default input and output column names of the deep clustering trainers.</summary>
public static class DeepClusteringColumnNames
{
    /// <summary>Default input column: one image as a planar Vector&lt;Single&gt; (channels x height x width).</summary>
    public const string Features = "Features";

    /// <summary>Output: the cluster, Key&lt;UInt32, k&gt; with values 1..k.</summary>
    public const string PredictedLabel = "PredictedLabel";

    /// <summary>Output: Vector&lt;Single, k&gt;, distance-like (smaller = closer); its argmin is the predicted cluster.</summary>
    public const string Score = "Score";

    /// <summary>Output: Vector&lt;Single, d&gt;, the learned representation of the image.</summary>
    public const string Embedding = "Embedding";
}
