namespace MLNet.DeepClustering;

/// <summary>
/// Version constants of the saved model (ML.NET zip entry written by <see cref="DeepClusteringTransformer"/>).
/// </summary>
/// <remarks>
/// *** Binary format (version 0x00010001) ***
/// Model.key header (ML.NET), then:
///   string  method name ("DAC" or "JULE")
///   string  feature column name
///   NetworkSpec: string kind, int channels, int height, int width, int output size, int width multiplier
///   ScoreHead:   int kind (1 = cosine to prototypes, 2 = squared distance to centroids), int k, int d, float[k * d]
///   string  device the model was trained on ("cpu", "cuda", ...)
/// Binary stream "TorchWeights.bin": int length, then the TorchSharp state dictionary of the network.
///
/// History: 0x00010001 written by 0.1.0 (first version).
/// </remarks>
internal static class ModelFormat
{
    public const uint VersionWritten = 0x00010001;
    public const uint VersionReadable = 0x00010001;
    public const uint VersionWeCanReadBack = 0x00010001;

    public const string WeightsStreamName = "TorchWeights.bin";
}
