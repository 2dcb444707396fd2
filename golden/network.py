"""The bit-exact network of SPEC §6, built on the neuron model of SPEC §1.

Per timestep, for every layer in order: the synaptic sum of the previous
layer's spike counts (the network input for the first layer), saturated to
the layer's ``input_width``, then one step of the neuron model with that
current plus the layer's bias.  Nothing here re-implements the leak or the
firing rule: :func:`layer_step` calls :func:`lifq.golden.model.step` (the
int64 reference), and :func:`simulate_network` runs the same step on
float64 buffers with :func:`lifq.golden.model.float_stepper` (the step of
:func:`lifq.golden.simulate`), which is exact and several times faster.

Everything is vectorised over a batch of samples: inputs of shape (T, N_0)
are one sample, (S, T, N_0) are S samples (a data set) that share nothing
but the network; each starts from ``initial_membrane``.
"""

import dataclasses

import numpy as np

from lifq.spec import INPUT_RANGE, InputError, NetworkConfig, check_array_range, integer_array

from .model import float_stepper, step

__all__ = ["simulate_network", "layer_step", "layer_drive", "synaptic_current", "validate_inputs",
           "NetworkResult", "BatchResult"]


@dataclasses.dataclass(frozen=True)
class NetworkResult:
    """The run of one sample (inputs of shape T × N_0).

    Attributes
    ----------
    layers : list of (spikes, v), or None
        Per layer, the signed spike counts k and membranes v' after each
        step, int64 arrays of shape (T, N_ℓ); None when not recorded.
    scores : ndarray of int64, shape (N_L,)
        score[n] = θ_L·Σ_t k_L[t][n] + v_L[T−1][n].
    prediction : int
        argmax of the scores, the lowest n on ties.
    events : int
        Spike events: the non-zero spike counts of every layer and step.
    """

    layers: list
    scores: np.ndarray
    prediction: int
    events: int


@dataclasses.dataclass(frozen=True)
class BatchResult:
    """The runs of S samples (inputs of shape S × T × N_0).

    Attributes
    ----------
    layers : list of (spikes, v), or None
        Per layer, int64 arrays of shape (S, T, N_ℓ); None when not recorded.
    scores : ndarray of int64, shape (S, N_L)
    predictions : ndarray of int64, shape (S,)
    events : ndarray of int64, shape (S,)
        Non-zero spike counts per sample, all layers and steps.
    """

    layers: list
    scores: np.ndarray
    predictions: np.ndarray
    events: np.ndarray

    def sample(self, index):
        """The :class:`NetworkResult` of one sample."""
        layers = None if self.layers is None else [
            (spikes[index], v[index]) for spikes, v in self.layers]
        return NetworkResult(layers=layers, scores=self.scores[index],
                             prediction=int(self.predictions[index]),
                             events=int(self.events[index]))


def validate_inputs(net, inputs):
    """Check network inputs against ``net``; return them as int64.

    Parameters
    ----------
    net : NetworkConfig
    inputs : array_like of int, shape (T, N_0) or (S, T, N_0)

    Raises
    ------
    InputError
        For a wrong shape, a non-integer entry or a value outside
        ``input_bits``, naming the first offender, e.g.
        ``inputs[1][0] = 300 is out of range: allowed -128 … 127 for input_bits = 8``.
    """
    dimensions = 3 if _depth(inputs) == 3 else 2
    what = (f"a T×N0 matrix of integers (N0 = {net.inputs})" if dimensions == 2
            else f"an S×T×N0 array of integers (N0 = {net.inputs})")
    array = integer_array("inputs", inputs, dimensions, what)
    if array.shape[-1] != net.inputs:
        raise InputError(f"inputs have {array.shape[-1]} column(s) per timestep but the network "
                         f"has inputs = {net.inputs}")
    check_array_range("inputs", array, INPUT_RANGE, net)
    return array


def _depth(value):
    """Axes of an ndarray, or nesting depth of lists judged by their first entries."""
    if isinstance(value, np.ndarray):
        return value.ndim
    depth = 0
    while isinstance(value, (list, tuple)) and value:
        depth, value = depth + 1, value[0]
    return depth


def synaptic_current(layer, a):
    """clamp(W_ℓ · a, input_width): the currents of a layer, without its bias.

    Parameters
    ----------
    layer : LayerConfig
    a : ndarray of int64, shape (..., N_{ℓ−1})
        Spike counts of the previous layer (or network inputs).

    Notes
    -----
    The int64 product is exact: |a| ≤ 2^15 (inputs have at most 16 bits,
    |k| ≤ 255), |W| ≤ 2^15 and N_{ℓ−1} ≤ 2^16, so every partial sum is at
    most 2^46 in magnitude.
    """
    neuron = layer.neuron
    total = np.matmul(a, layer.weights.T)
    return np.clip(total, neuron.current_min, neuron.current_max, out=total)


def layer_drive(layer, a):
    """i + b of every neuron of a layer: clamp(Σ_j W[n][j]·a[j], input_width) + b[n]."""
    return synaptic_current(layer, a) + layer.bias


def layer_step(layer, v, a):
    """One timestep of a layer: returns (k, v') for membranes v and inputs a.

    The layer's neuron config has bias 0, so :func:`lifq.golden.model.step`
    given the drive i + b forms u = vl + i + b exactly as SPEC §1.
    """
    return step(layer.neuron, v, layer_drive(layer, a))


class _BatchLayer:
    """One layer of a batch run on float64 buffers: the fast form of :func:`layer_step`.

    Each step is the same maths as :func:`layer_step` and bit-exact with it:

    * the synaptic sums are float64 dot products (``np.einsum``, which uses
      no BLAS threads).  Every product and every partial sum is an integer
      of at most 2^46 in magnitude (see :func:`synaptic_current`), so each
      is held exactly whatever the order of summation;
    * the neuron step is :func:`lifq.golden.model.float_stepper`, exact for
      membranes in W bits and currents in ``input_width``, which the clamp
      and the step itself guarantee.
    """

    def __init__(self, layer, samples):
        shape = (samples, layer.neurons)
        neuron = layer.neuron
        self.weights = layer.weights.astype(np.float64)
        self.bias = layer.bias.astype(np.float64)
        self.low, self.high = float(neuron.current_min), float(neuron.current_max)
        self.advance = float_stepper(neuron, shape)
        self.v = np.full(shape, float(neuron.initial_membrane))
        self.v_next, self.k, self.drive = np.empty(shape), np.empty(shape), np.empty(shape)
        self.fired = np.empty(shape, dtype=bool)
        self.events = np.zeros(shape, dtype=np.int64)   # non-zero k per neuron so far

    def set_drive(self, a):
        """drive = clamp(W·a, input_width) + b for inputs a (S × N_{ℓ−1})."""
        np.einsum("sj,nj->sn", a, self.weights, out=self.drive)
        np.clip(self.drive, self.low, self.high, out=self.drive)
        np.add(self.drive, self.bias, out=self.drive)

    def step(self):
        """One step on the drive set last; the spike counts, valid until the next step."""
        self.advance(self.v, self.drive, self.k, self.v_next)
        self.v, self.v_next = self.v_next, self.v
        np.not_equal(self.k, 0, out=self.fired)
        np.add(self.events, self.fired, out=self.events)
        return self.k


def simulate_network(net, inputs, *, record=True):
    """Run a network over T timesteps, for one sample or a batch.

    Parameters
    ----------
    net : NetworkConfig
    inputs : array_like of int, shape (T, N_0) or (S, T, N_0)
        ``inputs[t]`` (or ``inputs[s, t]``) is the input vector x of timestep
        t, integers in ``input_bits``.  A batch may be a read-only broadcast
        view, e.g. ``np.broadcast_to(x[:, None], (S, T, N_0))`` for the same
        x every timestep (direct encoding); the first layer's drive is then
        computed once instead of every step, as it cannot change.
    record : bool
        Keep every layer's spikes and membranes; with False only the
        scores, predictions and events are kept (data-set evaluation).

    Returns
    -------
    NetworkResult
        For inputs of shape (T, N_0).
    BatchResult
        For inputs of shape (S, T, N_0).

    Notes
    -----
    Each layer step is :func:`layer_step` (SPEC §6 on int64 arrays with
    :func:`lifq.golden.model.step`) computed on float64 buffers, which is
    exact and bit-exact with it (see ``_BatchLayer``); the tests check the
    two against each other and against a literal per-neuron loop.
    """
    if not isinstance(net, NetworkConfig):
        raise TypeError(f"net must be a NetworkConfig, not {type(net).__name__}")
    inputs = validate_inputs(net, inputs)
    batched = inputs.ndim == 3
    x = inputs if batched else inputs[None]
    samples, steps, _ = x.shape
    layers = [_BatchLayer(layer, samples) for layer in net.layers]
    trace = [np.empty((2, samples, steps, layer.neurons), dtype=np.int64)
             for layer in net.layers] if record else None
    output_spikes = np.zeros((samples, net.outputs))
    # A time stride of 0 is the same input vector at every step.
    constant = steps > 1 and x.strides[1] == 0
    for t in range(steps):
        if t == 0 or not constant:
            layers[0].set_drive(x[:, t].astype(np.float64))
        for number, layer in enumerate(layers):
            a = layer.step()
            if record:
                trace[number][0, :, t] = a          # exact integers: no rounding
                trace[number][1, :, t] = layer.v
            if number + 1 < len(layers):
                layers[number + 1].set_drive(a)
        np.add(output_spikes, a, out=output_spikes)
    scores = (net.layers[-1].neuron.threshold * output_spikes.astype(np.int64)
              + layers[-1].v.astype(np.int64))
    predictions = np.argmax(scores, axis=1)  # the first maximum: lowest n on ties
    events = sum(layer.events.sum(axis=1) for layer in layers)
    recorded = None if trace is None else [(spikes, v) for spikes, v in trace]
    result = BatchResult(layers=recorded, scores=scores, predictions=predictions, events=events)
    return result if batched else result.sample(0)
