using System.Security.Cryptography;
using MLNet.DeepClustering.Torch;

namespace MLNet.DeepClustering;

/// <summary>
/// What a deep clustering trainer learned: the network with its weights, the image shape it reads, and the k cluster
/// centroids in embedding space that turn an embedding into <c>Score</c> and <c>PredictedLabel</c>. Immutable; reached
/// as <see cref="DeepClusteringTransformer.Model"/>. It holds the network's native memory until the transformer is
/// disposed.
/// </summary>
public sealed class DeepClusteringModelParameters
{
    internal DeepClusteringModelParameters(string method, ClusteringModel network, string trainedOn)
    {
        Method = method;
        Network = network;
        TrainedOn = trainedOn;
    }

    /// <summary>The method that trained the model: "DAC" or "JULE".</summary>
    public string Method { get; }

    /// <summary>k: the number of clusters (size of Score, key count of PredictedLabel).</summary>
    public int NumberOfClusters => Network.ClusterCount;

    /// <summary>d: the size of the Embedding column.</summary>
    public int EmbeddingSize => Network.EmbeddingSize;

    /// <summary>Image channels the network reads.</summary>
    public int ImageChannels => Network.Shape.Channels;

    /// <summary>Image height the network reads.</summary>
    public int ImageHeight => Network.Shape.Height;

    /// <summary>Image width the network reads.</summary>
    public int ImageWidth => Network.Shape.Width;

    /// <summary>The network architecture ("dac-allconv-gap", "jule-cnn").</summary>
    public string NetworkKind => Network.Spec.Kind;

    /// <summary>The torch device the model was trained on ("cpu", "cuda", ...).</summary>
    public string TrainedOn { get; }

    internal ClusteringModel Network { get; }

    /// <summary>
    /// The k cluster centroids c_1..c_k in Embedding space, each of length <see cref="EmbeddingSize"/> (copies).
    /// </summary>
    /// <remarks>
    /// They define Score for an embedding e: for DAC, Score_j = 1 - &lt;e, c_j&gt;, the cosine distance between the label
    /// feature and cluster j's prototype (the j-th unit vector, or a unit-length prototype after grouping output units or
    /// self-labelling); for JULE, Score_j = ||e - c_j||^2, the squared Euclidean distance to the mean embedding of final
    /// cluster j, or to its unit-length prototype after self-labelling (SelfLabelingEpochs). PredictedLabel =
    /// argmin_j Score_j + 1.
    /// </remarks>
    public IReadOnlyList<float[]> GetClusterCentroids()
    {
        var head = Network.Head;
        return Enumerable.Range(0, head.ClusterCount).Select(j => head.Matrix.AsSpan(j * head.Dimension, head.Dimension).ToArray()).ToArray();
    }

    // *** Binary format of the parameters (the binary stream StreamName beside the transformer's model entry) ***
    //   4 bytes  "DCMP"
    //   int      format version (1)
    //   string   method ("DAC" or "JULE")
    //   network:     string kind, int channels, int height, int width, int output size, int width multiplier
    //   score head:  int kind (1 = cosine to prototypes, 2 = squared distance to centroids), int k, int d, float[k * d]
    //                (row j is centroid c_j)
    //   string   device the model was trained on
    //   int      weights length, then the TorchSharp state dictionary of the network
    //   32 bytes SHA-256 of every byte above
    // Strings are .NET BinaryWriter strings (length-prefixed UTF-8); numbers little-endian. Models written before this
    // stream existed (transformer format 0x00010001) are read by ReadVersion1.

    /// <summary>Name of the binary stream that holds the parameters.</summary>
    internal const string StreamName = "DeepClusteringModel.bin";

    private static ReadOnlySpan<byte> Magic => "DCMP"u8;

    private const int FormatVersion = 1;

    private const int HashSize = 32;

    /// <summary>The parameters in the format above.</summary>
    internal byte[] Write()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(Method);
            WriteSpec(writer, Network.Spec);
            WriteHead(writer, Network.Head);
            writer.Write(TrainedOn);
            var weights = Network.SaveWeights();
            writer.Write(weights.Length);
            writer.Write(weights);
        }
        stream.Write(SHA256.HashData(stream.GetBuffer().AsSpan(0, (int)stream.Length)));
        return stream.ToArray();
    }

    /// <summary>Reads parameters written by <see cref="Write"/>; <paramref name="entry"/> names the stream in messages.</summary>
    /// <exception cref="InvalidDataException">The bytes were altered, truncated, or are not such parameters.</exception>
    internal static DeepClusteringModelParameters Read(byte[] bytes, string entry)
    {
        if (bytes.Length < Magic.Length + HashSize || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw Corrupt(entry, "it does not start with a deep clustering model header");
        var content = bytes.AsSpan(0, bytes.Length - HashSize);
        if (!SHA256.HashData(content).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - HashSize)))
            throw Corrupt(entry, "its checksum does not match its contents: the file was altered or damaged");
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, 0, content.Length, writable: false));
            reader.ReadBytes(Magic.Length);
            int version = reader.ReadInt32();
            if (version != FormatVersion)
                throw Corrupt(entry, $"format version {version} is not one this library reads (it reads {FormatVersion})");
            string method = reader.ReadString();
            var spec = ReadSpec(reader, entry);
            var head = ReadHead(reader, entry);
            string trainedOn = reader.ReadString();
            int length = reader.ReadInt32();
            if (length <= 0 || length != content.Length - reader.BaseStream.Position)
                throw Corrupt(entry, $"its weights length {length} does not match the stream");
            return Create(method, spec, head, reader.ReadBytes(length), trainedOn, entry);
        }
        catch (EndOfStreamException)
        {
            throw Corrupt(entry, "it ends early");
        }
    }

    /// <summary>Reads the first format (0x00010001): payload in the model entry, weights in a stream, no checksum.</summary>
    internal static DeepClusteringModelParameters ReadVersion1(BinaryReader reader, out string featureColumn, Func<string, byte[]> readStream, string entry)
    {
        string method = reader.ReadString();
        featureColumn = reader.ReadString();
        var spec = ReadSpec(reader, entry);
        var head = ReadHead(reader, entry);
        string trainedOn = reader.ReadString();
        return Create(method, spec, head, readStream(Version1WeightsStream), trainedOn, entry);
    }

    private static void WriteSpec(BinaryWriter writer, NetworkSpec spec)
    {
        writer.Write(spec.Kind);
        writer.Write(spec.Input.Channels);
        writer.Write(spec.Input.Height);
        writer.Write(spec.Input.Width);
        writer.Write(spec.OutputSize);
        writer.Write(spec.Width);
    }

    private static NetworkSpec ReadSpec(BinaryReader reader, string entry)
    {
        string kind = reader.ReadString();
        var shape = new ImageShape(reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32());
        if (shape.Channels <= 0 || shape.Height < ImageShape.MinSide || shape.Width < ImageShape.MinSide
            || (long)shape.Channels * shape.Height * shape.Width > int.MaxValue)
            throw Corrupt(entry, $"image shape {shape}");
        var spec = new NetworkSpec(kind, shape, reader.ReadInt32(), reader.ReadInt32());
        if (spec.OutputSize <= 0 || spec.Width <= 0)
            throw Corrupt(entry, $"network output size {spec.OutputSize}, width {spec.Width}");
        return spec;
    }

    private static void WriteHead(BinaryWriter writer, ScoreHead head)
    {
        writer.Write((int)head.Kind);
        writer.Write(head.ClusterCount);
        writer.Write(head.Dimension);
        foreach (float v in head.Matrix)
            writer.Write(v);
    }

    private static ScoreHead ReadHead(BinaryReader reader, string entry)
    {
        var kind = (ScoreKind)reader.ReadInt32();
        int k = reader.ReadInt32(), d = reader.ReadInt32();
        if (!Enum.IsDefined(kind) || k < 2 || d < 1 || (long)k * d > 1 << 26)
            throw Corrupt(entry, $"score head kind {(int)kind}, {k} x {d}");
        var matrix = new float[k * d];
        for (int i = 0; i < matrix.Length; i++)
            matrix[i] = reader.ReadSingle();
        return new ScoreHead(kind, k, d, matrix);
    }

    /// <summary>The weights stream of the first format.</summary>
    internal const string Version1WeightsStream = "TorchWeights.bin";

    private static DeepClusteringModelParameters Create(string method, NetworkSpec spec, ScoreHead head, byte[] weights, string trainedOn, string entry)
    {
        if (method != "DAC" && method != "JULE")
            throw Corrupt(entry, $"unknown method '{Printable(method)}'");
        try
        {
            // Models load on the CPU: the device a model was trained on may be absent where it is loaded.
            var network = ClusteringModel.FromWeights(spec, head, weights, TorchRuntime.ResolveDevice("cpu"));
            return new DeepClusteringModelParameters(method, network, trainedOn);
        }
        catch (Exception e) when (e is not InvalidDataException and not OutOfMemoryException)
        {
            // TorchSharp's own messages on bad weights can hold kilobytes of binary data: keep only the type.
            throw Corrupt(entry, $"its network weights could not be loaded ({e.GetType().Name})");
        }
    }

    private static InvalidDataException Corrupt(string entry, string reason)
        => new($"The deep clustering model entry '{entry}' cannot be loaded: {reason}.");

    private static string Printable(string text)
    {
        var cleaned = new string(text.Take(40).Select(c => char.IsControl(c) || char.IsSurrogate(c) ? '?' : c).ToArray());
        return text.Length > 40 ? cleaned + "..." : cleaned;
    }

    /// <summary>A copy whose network lives on <paramref name="device"/>.</summary>
    internal DeepClusteringModelParameters OnDevice(TorchSharp.torch.Device device)
        => new(Method, ClusteringModel.FromWeights(Network.Spec, Network.Head, Network.SaveWeights(), device), TrainedOn);

    internal void Dispose() => Network.Dispose();
}
