using MLNet.DeepClustering.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.DeepClustering;

/// <summary>
/// A trained network plus its score head, on one device, in evaluation mode. <see cref="Predict"/> is safe to call
/// from several threads at once (inference only: no gradients, batch-norm running statistics are read, not updated).
/// </summary>
internal sealed class ClusteringModel : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _network;
    private readonly Tensor _headMatrix;
    private bool _disposed;

    public ClusteringModel(NetworkSpec spec, nn.Module<Tensor, Tensor> network, ScoreHead head, Device device)
    {
        if (head.Dimension != spec.OutputSize)
            throw new InvalidDataException($"Score head dimension {head.Dimension} does not match the network output {spec.OutputSize}.");
        Spec = spec;
        Head = head;
        Device = device;
        _network = network;
        _network.to(device);
        _network.eval();
        _headMatrix = tensor(head.Matrix, new long[] { head.ClusterCount, head.Dimension }).to(device);
    }

    public NetworkSpec Spec { get; }

    public ScoreHead Head { get; }

    public Device Device { get; }

    public ImageShape Shape => Spec.Input;

    public int EmbeddingSize => Spec.OutputSize;

    public int ClusterCount => Head.ClusterCount;

    /// <summary>The network, for a training stage that continues after the trainer's (self-labelling).</summary>
    internal nn.Module<Tensor, Tensor> Network => _network;

    /// <summary>A model with the same network and another head; this one is disposed without disposing the network.</summary>
    public ClusteringModel WithHead(ScoreHead head)
    {
        ObjectDisposedException.ThrowIf(_disposed, typeof(DeepClusteringTransformer));
        var model = new ClusteringModel(Spec, _network, head, Device);
        _disposed = true;
        _headMatrix.Dispose();
        return model;
    }

    /// <summary>Rebuilds a model from its spec, head and saved weights.</summary>
    public static ClusteringModel FromWeights(NetworkSpec spec, ScoreHead head, byte[] weights, Device device)
    {
        var network = TorchRuntime.BuildNetwork(spec);
        Load(network, weights);
        return new ClusteringModel(spec, network, head, device);
    }

    /// <summary>Puts back weights from <see cref="SaveWeights"/> (on the model's device, in evaluation mode).</summary>
    public void RestoreWeights(byte[] weights)
    {
        ObjectDisposedException.ThrowIf(_disposed, typeof(DeepClusteringTransformer));
        Load(_network, weights);
        _network.to(Device);
        _network.eval();
    }

    private static void Load(nn.Module network, byte[] weights)
    {
        using var stream = new MemoryStream(weights, writable: false);
        network.load(stream);
    }

    /// <summary>The network weights in TorchSharp's format (moved to the CPU first).</summary>
    public byte[] SaveWeights()
    {
        using var stream = new MemoryStream();
        _network.save(stream);
        return stream.ToArray();
    }

    /// <summary>
    /// Runs one batch: <paramref name="pixels"/> holds <paramref name="rows"/> planar images (row-major, at least
    /// rows * Shape.Size values); writes rows * EmbeddingSize embeddings, rows * ClusterCount scores and rows labels (1..k).
    /// </summary>
    public void Predict(float[] pixels, int rows, float[] embedding, float[] scores, uint[] labels)
    {
        ObjectDisposedException.ThrowIf(_disposed, typeof(DeepClusteringTransformer));
        if (rows <= 0)
            return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // libtorch picks a convolution kernel per call: for a single small image with 3x3 kernels it probes NNPACK, which
        // most x86 CPUs lack, and prints "Could not initialize NNPACK" on every call. Two rows take the oneDNN path, so
        // a lone row (PredictionEngine) is run twice; rows do not interact in evaluation mode and only the first is read.
        int batch = rows == 1 ? 2 : rows;
        var input = empty(new long[] { batch, Shape.Channels, Shape.Height, Shape.Width }, ScalarType.Float32);
        var destination = TensorMemory.FloatSpan(input);
        for (int copy = 0; copy < batch; copy += rows)
            pixels.AsSpan(0, rows * Shape.Size).CopyTo(destination[(copy * Shape.Size)..]);
        var emb = _network.call(input.to(Device));
        var score = Head.Score(emb, _headMatrix);
        var label = score.argmin(1);
        TensorMemory.CopyTo(emb, embedding.AsSpan(0, rows * EmbeddingSize));
        TensorMemory.CopyTo(score, scores.AsSpan(0, rows * ClusterCount));
        Span<long> indexes = rows <= 1024 ? stackalloc long[rows] : new long[rows];
        TensorMemory.CopyTo(label, indexes);
        for (int i = 0; i < rows; i++)
            labels[i] = (uint)(indexes[i] + 1);
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _headMatrix.Dispose();
        _network.Dispose();
    }
}
