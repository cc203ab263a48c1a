namespace MLNet.DeepClustering.Torch;

/// <summary>What <see cref="Batching.Batches"/> does with a last batch shorter than the batch size.</summary>
internal enum LastBatch
{
    /// <summary>Keep it, whatever its size (inference and scoring: every image gets its output).</summary>
    Keep,

    /// <summary>Keep it when it holds at least two images (training: batch normalisation needs two).</summary>
    KeepIfAtLeastTwo,

    /// <summary>Drop it (batch-norm re-estimation: every batch gets equal weight in the average).</summary>
    Drop,
}

/// <summary>
/// The one mini-batching iterator: training, batch-norm re-estimation, embedding the training set and scoring a data
/// view all cut their input with it, each with its <see cref="LastBatch"/> policy.
/// </summary>
internal static class Batching
{
    /// <summary>
    /// The consecutive runs of <paramref name="batchSize"/> items of <paramref name="items"/>, the last shorter one as
    /// <paramref name="last"/> says. Items are read lazily, one batch ahead at most: a source that fills a buffer
    /// slot per item (the scoring cursor) sees item i of a batch read before item i + 1. Full batches share one
    /// array, valid until the next one is produced.
    /// </summary>
    public static IEnumerable<T[]> Batches<T>(IEnumerable<T> items, int batchSize, LastBatch last)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var full = new T[batchSize];
        int count = 0;
        foreach (var item in items)
        {
            full[count++] = item;
            if (count == batchSize)
            {
                yield return full;
                count = 0;
            }
        }
        if (count == 0 || last == LastBatch.Drop || (last == LastBatch.KeepIfAtLeastTwo && count < 2))
            yield break;
        yield return full.AsSpan(0, count).ToArray();
    }
}
