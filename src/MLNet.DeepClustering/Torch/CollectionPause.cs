using System.Runtime;

namespace MLNet.DeepClustering.Torch;

/// <summary>
/// Keeps the .NET garbage collector from running while a training pass makes its native torch calls.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 passes implicit <c>Scalar</c> temporaries to native code by handle without keeping the managed
/// object alive (for example <c>add_(tensor, alpha)</c> inside its SGD step). If a collection triggered by another thread
/// runs during such a call, the Scalar's finalizer can free the native value while libtorch reads it. Observed once
/// in about a dozen full JULE runs: "Expected false to be true ... toFloat at c10/core/Scalar.h:140" from
/// <c>THSTensor_add_</c> under <c>SGD.step</c>. Inside a no-GC region no collection runs, so no finalizer can free a
/// Scalar that is still in use. The region is (re)entered at batch boundaries, where no native call is in flight, and
/// ended after the pass; a pass that allocates more than the budget just gets a collection and a new region at the
/// next batch.
/// </remarks>
internal static class CollectionPause
{
    private const long Budget = 32L << 20;

    /// <summary>Enters a no-GC region unless one is active (call between batches).</summary>
    public static void AtBatchBoundary()
    {
        if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
            return;
        try
        {
            GC.TryStartNoGCRegion(Budget);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentOutOfRangeException)
        {
            // Another region is active, or the runtime does not allow the budget: train without the pause.
        }
    }

    /// <summary>Ends the region entered by <see cref="AtBatchBoundary"/>, if it is still active.</summary>
    public static void End()
    {
        if (GCSettings.LatencyMode != GCLatencyMode.NoGCRegion)
            return;
        try
        {
            GC.EndNoGCRegion();
        }
        catch (InvalidOperationException)
        {
            // The region ended by itself (a collection ran).
        }
    }
}
