namespace MLNet.DeepClustering.Dac;

/// <summary>The paper's adaptive thresholds: u(lambda) = u0 - lambda, l(lambda) = l0 + 0.1 lambda; done when u &lt;= l.</summary>
internal readonly record struct DacThresholdSchedule(float UpperStart, float LowerStart, float Step)
{
    public float Upper(float lambda) => UpperStart - lambda;

    public float Lower(float lambda) => LowerStart + 0.1f * lambda;

    public bool IsDone(float lambda) => Upper(lambda) <= Lower(lambda);

    /// <summary>Epochs until u &lt;= l (the schedule's own length).</summary>
    public int EpochsToConverge => (int)Math.Ceiling((UpperStart - LowerStart) / (1.1f * Step));
}
