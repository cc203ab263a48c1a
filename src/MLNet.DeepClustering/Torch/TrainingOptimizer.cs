using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.DeepClustering.Torch;

/// <summary>
/// The optimizer step of a Fit: the arithmetic of TorchSharp 0.107's SGD and RMSProp, operation for operation (so the
/// trained weights are the same), with every Scalar held by the optimizer or a <c>using</c> local for as long as the
/// native call runs (see <see cref="Scalars"/>; TorchSharp's own steps pass temporary Scalars). The learning rate of
/// step t (counted from 0) is LearningRate * schedule(t), as a LambdaLR stepped after every optimizer step gives.
/// </summary>
internal abstract class TrainingOptimizer : IDisposable
{
    private readonly Parameter[] _parameters;
    private readonly double _learningRate;
    private readonly Func<int, double> _schedule;
    private int _steps;

    protected TrainingOptimizer(IEnumerable<Parameter> parameters, double learningRate, Func<int, double> schedule)
    {
        _parameters = parameters.ToArray();
        _learningRate = learningRate;
        _schedule = schedule;
    }

    /// <summary>SGD with momentum (dampening 0, not Nesterov) and L2 weight decay added to the gradient.</summary>
    public static TrainingOptimizer Sgd(IEnumerable<Parameter> parameters, double learningRate, double momentum, double weightDecay,
        Func<int, double> schedule) => new SgdOptimizer(parameters, learningRate, momentum, weightDecay, schedule);

    /// <summary>RMSprop with TorchSharp's defaults: alpha 0.99, eps 1e-8, no momentum, not centered.</summary>
    public static TrainingOptimizer RmsProp(IEnumerable<Parameter> parameters, double learningRate, Func<int, double> schedule)
        => new RmsPropOptimizer(parameters, learningRate, schedule);

    /// <summary>Zeroes the gradients that exist.</summary>
    public void ZeroGrad()
    {
        foreach (var parameter in _parameters)
        {
            using var grad = parameter.grad;
            grad?.zero_();
        }
    }

    /// <summary>Updates every parameter that has a gradient, then advances the schedule.</summary>
    public void Step()
    {
        double learningRate = _learningRate * _schedule(_steps);
        using (no_grad())
        using (NewDisposeScope())
        using (var descent = (0.0 - learningRate).ToScalar())
        {
            for (int i = 0; i < _parameters.Length; i++)
            {
                var grad = _parameters[i].grad;
                if (grad is not null)
                    Update(i, _parameters[i], grad, descent);
            }
        }
        _steps++;
    }

    /// <summary>One parameter's update; <paramref name="descent"/> is minus the step's learning rate.</summary>
    protected abstract void Update(int index, Parameter parameter, Tensor grad, Scalar descent);

    public abstract void Dispose();

    private sealed class SgdOptimizer : TrainingOptimizer
    {
        private readonly double _momentumValue, _weightDecayValue;
        private readonly Scalar _momentum, _weightDecay, _oneMinusDampening;
        private readonly Tensor?[] _buffers;

        public SgdOptimizer(IEnumerable<Parameter> parameters, double learningRate, double momentum, double weightDecay, Func<int, double> schedule)
            : base(parameters, learningRate, schedule)
        {
            _momentumValue = momentum;
            _weightDecayValue = weightDecay;
            _momentum = momentum.ToScalar();
            _weightDecay = weightDecay.ToScalar();
            _oneMinusDampening = 1.0.ToScalar();
            _buffers = new Tensor?[_parameters.Length];
        }

        protected override void Update(int index, Parameter parameter, Tensor grad, Scalar descent)
        {
            if (_weightDecayValue != 0)
                grad = grad.add(parameter, _weightDecay);
            if (_momentumValue != 0)
            {
                var buffer = _buffers[index];
                if (buffer is null)
                    buffer = _buffers[index] = grad.clone().detach().DetachFromDisposeScope();
                else
                    buffer.mul_(_momentum).add_(grad, _oneMinusDampening);
                grad = buffer;
            }
            parameter.add_(grad, descent);
        }

        public override void Dispose()
        {
            foreach (var buffer in _buffers)
                buffer?.Dispose();
            _momentum.Dispose();
            _weightDecay.Dispose();
            _oneMinusDampening.Dispose();
        }
    }

    private sealed class RmsPropOptimizer : TrainingOptimizer
    {
        private const double Alpha = 0.99, Epsilon = 1e-8;
        private readonly Scalar _alpha = Alpha.ToScalar(), _oneMinusAlpha = (1.0 - Alpha).ToScalar(), _epsilon = Epsilon.ToScalar();
        private readonly Tensor[] _squareAverages;

        public RmsPropOptimizer(IEnumerable<Parameter> parameters, double learningRate, Func<int, double> schedule)
            : base(parameters, learningRate, schedule)
        {
            _squareAverages = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        }

        protected override void Update(int index, Parameter parameter, Tensor grad, Scalar descent)
        {
            var squareAverage = _squareAverages[index];
            squareAverage.mul_(_alpha).addcmul_(grad, grad, _oneMinusAlpha);
            var average = squareAverage.sqrt().add_(_epsilon, Scalars.One);
            parameter.addcdiv_(grad, average, descent);
        }

        public override void Dispose()
        {
            foreach (var average in _squareAverages)
                average.Dispose();
            _alpha.Dispose();
            _oneMinusAlpha.Dispose();
            _epsilon.Dispose();
        }
    }
}
