namespace MLNet.DeepClustering.Dac;

/// <summary>
/// The paper's adaptive thresholds: u(lambda) = u0 - lambda, l(lambda) = l0 + 0.1 lambda; done when u &lt;= l. lambda
/// grows by <see cref="Step"/> per <see cref="ImagesPerStep"/> training images (the reference's 1,000 iterations of 128),
/// plus <see cref="LateStepPerEpoch"/> for every finished epoch after the first <see cref="LateStartEpochs"/>.
/// </summary>
internal readonly record struct DacThresholdSchedule(float UpperStart, float LowerStart, float Step, float LateStepPerEpoch = 0, int LateStartEpochs = 0)
{
    public const int ImagesPerStep = 128_000;

    /// <summary>lambda during the epoch that follows <paramref name="epochsDone"/> finished epochs of
    /// <paramref name="imagesTrained"/> images in all.</summary>
    public float Lambda(long imagesTrained, int epochsDone = 0) =>
        (float)(Step * (double)imagesTrained / ImagesPerStep + (double)LateStepPerEpoch * Math.Max(0, epochsDone - LateStartEpochs));

    public float Upper(float lambda) => UpperStart - lambda;

    public float Lower(float lambda) => LowerStart + 0.1f * lambda;

    public bool IsDone(float lambda) => Upper(lambda) <= Lower(lambda);
}
