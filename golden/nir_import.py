"""NIR → lifq: a chain ``Input → (Affine|Linear → IF|LIF)… → Output`` becomes a §6 network.

Each Affine (or Linear) node and the IF or LIF node after it become one
layer of SPEC §6.  What NIR stores maps as :mod:`lifq.golden.nir_conventions`
says: IF has no leak (d = 2^F), LIF's leak is β = 1 − dt/τ with
d = round(2^F·β), and each neuron's input gain (r·dt, or r·dt/τ) is folded
into its row of weights and its bias.  Then every weight, bias, threshold
and initial membrane is multiplied by ``scale`` (one number, or one per
layer: the unit of the layer's membrane) and must be an integer; one that
is not is rounded to the nearest, and :attr:`NIRImport.rounding` reports the
largest rounding of each quantity.

NIR has no reset mode, no spike-count cap, no signedness and no widths:
they come from the arguments, from the ``lifq_*`` metadata lifq's export
writes (:mod:`lifq.golden.nir_conventions`), or from the defaults of SPEC §8
— reset-to-mod, unsigned — in that order.  Widths by default are wide enough
that no synaptic current saturates.

Refused, with one line naming the node: thresholds that differ within a
layer, τ that differs within a layer, a non-zero v_leak or v_reset, node
types other than the chain's (convolutions, pooling, subgraphs), graphs
that are not one chain, mismatched shapes and thresholds that round to
less than 1.
"""

import dataclasses
import math
import numbers
import os

import numpy as np

from lifq.spec import (LAYER_RANGES, NETWORK_RANGES, NEURON_RANGES, RESETS, InputError, LayerConfig,
                       LIFConfig, NetworkConfig, value_text)

from .nir_chain import SUPPORTED, graph_chain, node_kind
from .nir_conventions import (GRAPH_METADATA, NEURON_METADATA, WEIGHT_METADATA, decay_from_tau,
                              input_gain)
from .nir_fields import FLOAT_NOISE, fits, lifq_metadata, matrix, per_neuron, shape_text, shared
from .nir_files import read_nir

__all__ = ["from_nir", "NIRImport", "ImportedLayer", "Rounding", "DEFAULT_RESET",
           "DEFAULT_SIGNED", "DEFAULT_INPUT_BITS"]

#: SPEC §8: what NIR does not say is reset-to-mod and unsigned.
DEFAULT_RESET = "mod"
DEFAULT_SIGNED = False
#: Bits of a network input when neither the argument nor the metadata gives them.
DEFAULT_INPUT_BITS = 8

# Beyond 2^53 a float64 no longer holds every integer.
_LARGEST = float(1 << 53)
_MINIMUM_WIDTH = 16


@dataclasses.dataclass(frozen=True)
class Rounding:
    """The largest rounding of one quantity on import.

    Attributes
    ----------
    quantity : str
        ``"weights"``, ``"bias"``, ``"threshold"`` or ``"initial_membrane"``.
    where : str
        The entry, e.g. ``"layers[1].weights[2][0]"``.
    value : float
        Its value after the input gain and the scale.
    integer : int
        What it was rounded to.
    """

    quantity: str
    where: str
    value: float
    integer: int

    @property
    def error(self):
        """|value − integer|, at most 0.5."""
        return abs(self.value - self.integer)


@dataclasses.dataclass(frozen=True)
class ImportedLayer:
    """Where one layer came from and how its neuron was mapped.

    Attributes
    ----------
    weights_node, neuron_node : str
        Names of the Affine/Linear and the IF/LIF node.
    weights_kind : str
        ``"Affine"`` or ``"Linear"``.
    kind : str
        ``"IF"`` or ``"LIF"``.
    beta : float or None
        LIF: β = 1 − dt/τ before rounding to d/2^F; None for IF and for a
        leak taken from lifq metadata.
    gain : tuple of float
        Smallest and largest input gain (r·dt or r·dt/τ) folded into the
        weights.
    metadata : bool
        The neuron node carried lifq metadata.
    """

    weights_node: str
    neuron_node: str
    weights_kind: str
    kind: str
    beta: float
    gain: tuple
    metadata: bool


@dataclasses.dataclass(frozen=True)
class NIRImport:
    """The network a NIR graph imports as, and what the import had to round.

    Attributes
    ----------
    network : NetworkConfig
    layers : tuple of ImportedLayer
    rounding : tuple of Rounding
        The largest rounding of each quantity that was not already an
        integer (within float precision); empty when nothing was rounded.
    """

    network: NetworkConfig
    layers: tuple
    rounding: tuple

    def leak_error(self, number):
        """|β − d/2^F| of a LIF layer imported from τ; None otherwise."""
        layer, neuron = self.layers[number], self.network.layers[number].neuron
        if layer.beta is None:
            return None
        return abs(layer.beta - neuron.decay / (1 << neuron.decay_shift))


def from_nir(graph, *, reset=None, signed=None, spike_bits=None, width=None, weight_bits=None,
             input_bits=None, scale=1.0, dt=1.0):
    """Import a NIR graph as a lifq network (SPEC §8).

    Parameters
    ----------
    graph : nir.NIRGraph, or str or path of a NIR file
    reset : str or None
        ``"zero"``, ``"subtract"`` or ``"mod"`` for every layer; None: the
        node's lifq metadata, else ``"mod"``.
    signed : bool or None
        Also fire negative spikes; None: metadata, else False.
    spike_bits : int or None
        q of every layer; None: metadata, else 4.
    width : int or None
        Membrane bits of every layer; None: metadata, else the larger of 16
        and what θ, v0 and the widest current need (at most 32).
    weight_bits : int or None
        None: metadata, else the fewest bits that hold the layer's weights.
    input_bits : int or None
        Bits of a network input; None: metadata, else 8.
    scale : float or sequence of float
        Multiplies the weights, biases, thresholds and initial membranes of
        every layer (or of each layer, one value per layer) before they are
        rounded to integers.  > 0.
    dt : float
        The framework's time step (SPEC §8; :mod:`lifq.golden.nir_conventions`):
        1 for Sinabs and lifq, 10⁻⁴ for snnTorch, 10⁻³ for Norse.  > 0.

    Returns
    -------
    NIRImport

    Raises
    ------
    InputError
        One line naming the node and what lifq supports, after the file's
        name when ``graph`` is a file.
    """
    options = _Options.checked(reset=reset, signed=signed, spike_bits=spike_bits, width=width,
                               weight_bits=weight_bits, input_bits=input_bits, dt=dt)
    if not isinstance(graph, (str, os.PathLike)):
        return _import(graph, options, scale)
    path = graph
    graph = read_nir(path)
    try:
        return _import(graph, options, scale)
    except InputError as error:
        raise InputError(f"{path}: {error}") from None


def _import(graph, options, scale):
    """:func:`from_nir` on a graph in memory, the arguments checked."""
    chain = graph_chain(graph)
    pairs = _layer_pairs(chain)
    scales = _scales(scale, len(pairs))
    graph_metadata = lifq_metadata("the graph", getattr(graph, "metadata", None), GRAPH_METADATA)
    bits = _first(options.input_bits, graph_metadata.get("input_bits"), DEFAULT_INPUT_BITS)
    bits = NETWORK_RANGES["input_bits"].check("input_bits", bits)
    inputs = matrix(*pairs[0][:2]).shape[1]
    _check_end_shape(chain.input_name, chain.input_shape, inputs, "takes", pairs[0])
    rounding = _Roundings()
    layers, imported = [], []
    largest_input = 1 << (bits - 1)
    for number, (pair, layer_scale) in enumerate(zip(pairs, scales)):
        feeding = inputs if number == 0 else layers[-1].neurons
        builder = _LayerBuilder(number, pair, options, layer_scale, feeding, rounding)
        layer, record = builder.build(largest_input)
        layers.append(layer)
        imported.append(record)
        largest_input = layer.neuron.k_max
    _check_end_shape(chain.output_name, chain.output_shape, layers[-1].neurons, "gives",
                     pairs[-1])
    network = NetworkConfig(inputs=inputs, input_bits=bits, layers=tuple(layers))
    return NIRImport(network=network, layers=tuple(imported), rounding=rounding.worst())


@dataclasses.dataclass(frozen=True)
class _Options:
    """The arguments of :func:`from_nir`, checked."""

    reset: str
    signed: bool
    spike_bits: int
    width: int
    weight_bits: int
    input_bits: int
    dt: float

    @classmethod
    def checked(cls, *, reset, signed, spike_bits, width, weight_bits, input_bits, dt):
        if reset is not None and reset not in RESETS:
            raise InputError(f"reset = {value_text(reset)} is unknown: allowed "
                             + ", ".join(f'"{r}"' for r in RESETS))
        if signed is not None and not isinstance(signed, bool):
            raise InputError(f"signed = {value_text(signed)} must be true or false")
        for name, value, allowed in (("spike_bits", spike_bits, NEURON_RANGES["spike_bits"]),
                                     ("width", width, NEURON_RANGES["width"]),
                                     ("weight_bits", weight_bits, LAYER_RANGES["weight_bits"]),
                                     ("input_bits", input_bits, NETWORK_RANGES["input_bits"])):
            if value is not None:
                allowed.check(name, value)
        _positive("dt", dt)
        return cls(reset, signed, spike_bits, width, weight_bits, input_bits, float(dt))


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not math.isfinite(value) or value <= 0:
        raise InputError(f"{name} = {value_text(value)} must be a finite number > 0")
    return float(value)


def _scales(scale, count):
    """One scale per layer from a number or a sequence of ``count`` numbers."""
    if isinstance(scale, (list, tuple, np.ndarray)):
        values = list(scale)
        if len(values) != count:
            raise InputError(f"scale has {len(values)} value(s) but the graph has {count} "
                             "layer(s): one scale, or one per layer")
        return [_positive(f"scale[{n}]", value) for n, value in enumerate(values)]
    return [_positive("scale", scale)] * count


def _first(*values):
    """The first value that is not None."""
    return next(value for value in values if value is not None)


# --- the chain as layers ---------------------------------------------------------

_WEIGHTS = ("Affine", "Linear")
_NEURONS = ("IF", "LIF")


def _layer_pairs(chain):
    """((weights name, node, neuron name, node), …): the chain read as layers."""
    pairs, pending = [], None
    for name, node in chain.nodes:
        kind = node_kind(node)
        if kind == "Flatten":
            continue            # the identity on the flat vectors of SPEC §6
        if kind in _WEIGHTS:
            if pending is not None:
                raise InputError(f"node {value_text(pending[0])} ({node_kind(pending[1])}) is "
                                 f"followed by {value_text(name)} ({kind}): lifq needs an IF or "
                                 f"LIF after every Affine or Linear; {SUPPORTED}")
            pending = (name, node)
        elif pending is None:
            before = f"follows {value_text(pairs[-1][2])}" if pairs else "comes first"
            raise InputError(f"node {value_text(name)} ({kind}) {before}: lifq needs an Affine "
                             f"or Linear before every IF or LIF; {SUPPORTED}")
        else:
            pairs.append(pending + (name, node))
            pending = None
    if pending is not None:
        raise InputError(f"node {value_text(pending[0])} ({node_kind(pending[1])}) ends the "
                         f"chain: lifq needs an IF or LIF after every Affine or Linear; "
                         f"{SUPPORTED}")
    if not pairs:
        raise InputError(f"the graph has no Affine or Linear → IF or LIF layer: {SUPPORTED}")
    return pairs


def _check_end_shape(name, shape, size, verb, pair):
    """The Input (Output) node's shape must hold ``size`` values, leading axes aside."""
    if shape is None or fits(shape, size):
        return
    node, kind = (pair[0], node_kind(pair[1])) if verb == "takes" else (pair[2],
                                                                       node_kind(pair[3]))
    what = "input" if verb == "takes" else "output"
    raise InputError(f"mismatched shapes: {what} {value_text(name)} has shape "
                     f"{shape_text(shape)} but node {value_text(node)} ({kind}) {verb} {size} "
                     "values")


# --- one layer ------------------------------------------------------------------------

class _Roundings:
    """The largest rounding of each quantity over all layers."""

    def __init__(self):
        self._worst = {}

    def integers(self, quantity, where, values):
        """``values`` rounded to int64, the largest rounding remembered."""
        values = np.asarray(values, dtype=np.float64)
        too_large = np.abs(values) >= _LARGEST
        if too_large.any():
            index = tuple(int(i) for i in np.argwhere(too_large)[0])
            raise InputError(f"{where}{_index(index)} = {values[index]:g} is too large for "
                             "lifq's integers: give a smaller --scale")
        integers = np.rint(values)
        error = np.abs(values - integers)
        noise = FLOAT_NOISE * np.maximum(1.0, np.abs(values))
        error = np.where(error > noise, error, 0.0)
        if error.size and error.max() > 0:
            index = tuple(int(i) for i in np.unravel_index(np.argmax(error), error.shape))
            candidate = Rounding(quantity, where + _index(index), float(values[index]),
                                 int(integers[index]))
            best = self._worst.get(quantity)
            if best is None or candidate.error > best.error:
                self._worst[quantity] = candidate
        return integers.astype(np.int64)

    def worst(self):
        order = ("weights", "bias", "threshold", "initial_membrane")
        return tuple(self._worst[q] for q in order if q in self._worst)


def _index(index):
    return "".join(f"[{i}]" for i in index)


class _LayerBuilder:
    """One Affine/Linear → IF/LIF pair as a :class:`LayerConfig`."""

    def __init__(self, number, pair, options, scale, feeding, rounding):
        self.number = number
        self.weights_name, self.weights_node, self.neuron_name, self.neuron_node = pair
        self.kind = node_kind(self.neuron_node)
        self.options, self.scale, self.feeding, self.rounding = options, scale, feeding, rounding
        self.where = f"layers[{number}]"

    def build(self, largest_input):
        """(LayerConfig, ImportedLayer); ``largest_input`` is max |a| of the layer's input."""
        weights, bias = self._weights_and_bias()
        count = weights.shape[0]
        name, node = self.neuron_name, self.neuron_node
        neuron_meta = lifq_metadata(f"node {value_text(name)}", node.metadata, NEURON_METADATA)
        weight_meta = lifq_metadata(f"node {value_text(self.weights_name)}",
                                self.weights_node.metadata, WEIGHT_METADATA)
        threshold = shared(name, "v_threshold", per_neuron(name, "v_threshold",
                                                             node.v_threshold, count),
                            "one threshold per layer")
        reset_to = per_neuron(name, "v_reset", node.v_reset, count) \
            if getattr(node, "v_reset", None) is not None else np.zeros(count)
        if (reset_to != 0).any():
            raise InputError(f"node {value_text(name)}: v_reset = {_first_nonzero(reset_to):g}: "
                             "lifq resets to 0 (zero) or keeps the remainder (subtract, mod), "
                             "v_reset must be 0")
        decay_shift = neuron_meta.get("decay_shift", LIFConfig.decay_shift)
        decay_shift = NEURON_RANGES["decay_shift"].check("decay_shift", decay_shift)
        decay, beta, gain = self._leak_and_gain(count, neuron_meta, decay_shift)
        integer_weights = self.rounding.integers(
            "weights", f"{self.where}.weights", self.scale * gain[:, None] * weights)
        integer_bias = self.rounding.integers("bias", f"{self.where}.bias",
                                              self.scale * gain * bias)
        theta = int(self.rounding.integers("threshold", f"{self.where}.threshold",
                                           self.scale * threshold))
        if theta < 1:
            raise InputError(f"node {value_text(name)}: v_threshold = {threshold:g} × scale "
                             f"{self.scale:g} rounds to {theta}: lifq needs a threshold ≥ 1 "
                             "(give a larger --scale)")
        initial = neuron_meta.get("initial_membrane", 0)
        if isinstance(initial, numbers.Real) and not isinstance(initial, bool):
            initial = int(self.rounding.integers(
                "initial_membrane", f"{self.where}.initial_membrane", self.scale * initial))
        options = self.options
        reset = _first(options.reset, neuron_meta.get("reset"), DEFAULT_RESET)
        signed = _first(options.signed, neuron_meta.get("signed"), DEFAULT_SIGNED)
        spike_bits = _first(options.spike_bits, neuron_meta.get("spike_bits"),
                            LIFConfig.spike_bits)
        parameters = dict(neurons=count, threshold=theta, reset=reset, signed=signed,
                          spike_bits=spike_bits, decay_shift=decay_shift, decay=decay,
                          initial_membrane=initial,
                          programmable=neuron_meta.get("programmable", LIFConfig.programmable))
        try:
            input_width = neuron_meta.get("input_width")
            if input_width is None:
                input_width = _current_bits(integer_weights, integer_bias, largest_input)
            width = _first(options.width, neuron_meta.get("width"),
                           _membrane_bits(theta, initial, input_width))
            bits = _first(options.weight_bits, weight_meta.get("weight_bits"),
                          _weight_bits(integer_weights))
            neuron = LIFConfig(width=width, input_width=input_width, **parameters)
            layer = LayerConfig(neuron=neuron, weights=integer_weights, bias=integer_bias,
                                weight_bits=bits)
        except InputError as error:
            raise InputError(f"{self.where} (nodes {value_text(self.weights_name)} → "
                             f"{value_text(name)}): {error}") from None
        record = ImportedLayer(weights_node=self.weights_name, neuron_node=name,
                               weights_kind=node_kind(self.weights_node), kind=self.kind,
                               beta=beta, gain=(float(gain.min()), float(gain.max())),
                               metadata=bool(neuron_meta))
        return layer, record

    def _weights_and_bias(self):
        name, node = self.weights_name, self.weights_node
        weights = matrix(name, node)
        if weights.shape[1] != self.feeding:
            source = "the network has" if self.number == 0 else "the layer before gives"
            raise InputError(f"mismatched shapes: node {value_text(name)} "
                             f"({node_kind(node)}) takes {weights.shape[1]} inputs but "
                             f"{source} {self.feeding}")
        if node_kind(node) == "Affine":
            bias = per_neuron(name, "bias", node.bias, weights.shape[0])
        else:
            bias = np.zeros(weights.shape[0])
        return weights, bias

    def _leak_and_gain(self, count, neuron_meta, decay_shift):
        """(d, β or None, input gain per neuron) of the neuron node."""
        name, node, dt = self.neuron_name, self.neuron_node, self.options.dt
        r = per_neuron(name, "r", node.r, count)
        if (r <= 0).any():
            raise InputError(f"node {value_text(name)}: r = {float(r.min()):g} must be > 0")
        if self.kind == "IF":
            decay = neuron_meta.get("decay", 1 << decay_shift)
            return decay, None, input_gain("IF", r, dt)
        leak_to = per_neuron(name, "v_leak", node.v_leak, count)
        if (leak_to != 0).any():
            raise InputError(f"node {value_text(name)}: v_leak = {_first_nonzero(leak_to):g}: "
                             "lifq's neurons leak toward 0, v_leak must be 0")
        tau = shared(name, "tau", per_neuron(name, "tau", node.tau, count),
                      "one time constant per layer (the leak d is shared)")
        if tau <= 0:
            raise InputError(f"node {value_text(name)}: tau = {tau:g} must be > 0")
        gain = input_gain("LIF", r, dt, tau)
        if "decay" in neuron_meta:
            return neuron_meta["decay"], None, gain
        if dt > tau * (1 + FLOAT_NOISE):
            raise InputError(f"node {value_text(name)}: dt/tau = {dt:g}/{tau:g} > 1 gives a "
                             "leak factor 1 − dt/τ below 0: give the framework's --dt "
                             "(snnTorch 1e-4, Norse 1e-3, Sinabs 1)")
        beta, decay = decay_from_tau(tau, dt, decay_shift)
        return max(decay, 0), max(beta, 0.0), gain


def _first_nonzero(values):
    return float(values[np.flatnonzero(values)[0]])


def _current_bits(weights, bias, largest_input):
    """Bits of an input current that never saturates: max Σ_j |W[n][j]|·max|a| and |b|."""
    low, high = NEURON_RANGES["input_width"].bounds()
    current = int((np.abs(weights).astype(object).sum(axis=1) * largest_input).max())
    largest = max(current, int(np.abs(bias).max()))
    return min(max(largest.bit_length() + 1, low), high)


def _membrane_bits(threshold, initial, input_width):
    """Membrane bits: at least 16, and enough for θ, v0 and one step's current."""
    low, high = NEURON_RANGES["width"].bounds()
    initial = initial if isinstance(initial, int) else 0
    input_width = input_width if isinstance(input_width, int) else 0
    needed = max(threshold.bit_length() + 1, abs(initial).bit_length() + 1, input_width,
                 _MINIMUM_WIDTH)
    return min(max(needed, low), high)


def _weight_bits(weights):
    """The fewest signed bits that hold every weight (at least 2; beyond 16 the layer's
    check reports the weight)."""
    low, high = LAYER_RANGES["weight_bits"].bounds()
    largest = max(int(weights.max()), -int(weights.min()) - 1, 0)
    return min(max(largest.bit_length() + 1, low), high)
