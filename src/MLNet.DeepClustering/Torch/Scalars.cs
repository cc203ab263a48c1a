using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.DeepClustering.Torch;

/// <summary>
/// Scalars that live as long as the process. TorchSharp 0.107 passes a Scalar to native code by handle without keeping
/// the managed object alive, and its finalizer frees the native value: a Scalar made implicitly for one call (a float
/// argument, or the alpha of 1 that <c>add(Tensor)</c> and <c>add_(Scalar)</c> pass) can be freed by a garbage
/// collection while libtorch reads it ("Unknown scalar type", "Expected false to be true ... Scalar.h"). Every tensor
/// operation of this library therefore passes a Scalar that something references: one of these, or a local that a
/// <c>using</c> keeps until the operation has returned.
/// </summary>
internal static class Scalars
{
    public static readonly Scalar Zero = 0f.ToScalar();
    public static readonly Scalar One = 1f.ToScalar();
    public static readonly Scalar Two = 2f.ToScalar();
    public static readonly Scalar Half = 0.5f.ToScalar();
}
