using Microsoft.ML;

namespace MLNet.DeepClustering.Tests;

/// <summary>Collects what an MLContext logs, for tests that check a trainer's messages.</summary>
internal static class LogMessages
{
    /// <summary>Every raw message <paramref name="mlContext"/> logs from now on (a fit may log from other threads; the
    /// list is locked while a message is added).</summary>
    public static List<string> Capture(MLContext mlContext)
    {
        var messages = new List<string>();
        mlContext.Log += (_, e) => { lock (messages) messages.Add(e.RawMessage); };
        return messages;
    }
}
