using Microsoft.ML;
using MLNet.DeepClustering.Interop;

namespace MLNet.DeepClustering;

/// <summary>Cancellation of long-running work started from an <see cref="MLContext"/>.</summary>
public static class MLContextCancellation
{
    /// <summary>
    /// Cancels the context's running operations: a deep clustering Fit in progress stops at its next mini-batch with
    /// <see cref="OperationCanceledException"/>; ML.NET's own components stop as they do for ML.NET's cancellation.
    /// Microsoft.ML 5.0.1 keeps <c>MLContext.CancelExecution</c> non-public (its public form ships in the
    /// Microsoft.ML.Experimental package); this extension calls the same mechanism. A canceled context stays canceled:
    /// create a new <see cref="MLContext"/> for further work.
    /// </summary>
    /// <param name="mlContext">The context to cancel.</param>
    public static void CancelExecution(this MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        MLNetInternals.CancelExecution(mlContext);
    }
}
