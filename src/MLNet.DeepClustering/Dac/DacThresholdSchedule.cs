namespace MLNet.DeepClustering.Dac;

/// <summary>
/// The paper's adaptive thresholds: u(lambda) = u0 - lambda, l(lambda) = l0 + 0.1 lambda; done when u &lt;= l. lambda
/// grows by <see cref="Step"/> per <see cref="ImagesPerStep"/> training images (the reference's 1,000 iterations of 128).
/// </summary>
internal readonly record struct DacThresholdSchedule(float UpperStart, float LowerStart, float Step)
{
    public const int ImagesPerStep = 128_000;

    public float Lambda(long imagesTrained) => (float)(Step * (double)imagesTrained / ImagesPerStep);

    public float Upper(float lambda) => UpperStart - lambda;

    public float Lower(float lambda) => LowerStart + 0.1f * lambda;

    public bool IsDone(float lambda) => Upper(lambda) <= Lower(lambda);
}
