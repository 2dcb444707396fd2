"""Network configuration: the layers of SPEC §6, validated in one place.

A network is ``inputs`` (N_0), ``input_bits`` and a chain of layers; a layer
is a neuron configuration (:class:`~lifq.spec.LIFConfig`, ``neurons`` = N_ℓ)
plus an integer weight matrix (N_ℓ × N_{ℓ−1}, in ``weight_bits``) and a bias
per neuron (in the layer's ``input_width``).  Like :class:`LIFConfig`, the
classes here validate on construction and every error is an
:class:`~lifq.spec.InputError` naming the layer, the key, the value and the
allowed range, e.g.::

    layers[1].weights[2][0] = 300 is out of range: allowed -128 … 127 for weight_bits = 8

The golden model (``lifq.golden.network``), the file readers
(``lifq.sim.network_files``) and the conversion take these objects; none of
them re-checks a range.
"""

import dataclasses
import numbers

import numpy as np

from .errors import InputError
from .neuron import LIFConfig, _json_type
from .ranges import (INPUT_RANGE, LAYER_RANGES, NETWORK_RANGES, NEURON_RANGES, WEIGHT_RANGE,
                     check_integer, value_text)

__all__ = ["LayerConfig", "NetworkConfig", "WEIGHT_RANGE", "INPUT_RANGE", "integer_array",
           "check_array_range"]


# The keys of a layer object: the neuron parameters (``bias`` is the layer's
# own, per neuron) and those the layer adds.
_NEURON_KEYS = frozenset(f.name for f in dataclasses.fields(LIFConfig))
_LAYER_KEYS = _NEURON_KEYS | {"weight_bits", "weights"}
_NETWORK_KEYS = ("inputs", "input_bits", "layers")


def integer_array(name, value, dimensions, what):
    """``value`` (nested lists or an ndarray) as an int64 array with ``dimensions`` axes.

    Parameters
    ----------
    name : str
        How messages name the value, e.g. ``"layers[0].weights"``.
    value : list or ndarray
    dimensions : int
        Required number of axes, each at least 1 long.
    what : str
        The expected shape in words, e.g. ``"a matrix of 3 rows"``, for messages.

    Returns
    -------
    ndarray of int64, or of Python ints (``object``) for values beyond 64 bits,
    which no range of lifq admits, so :func:`check_array_range` rejects them.

    Raises
    ------
    InputError
        For a wrong number of axes, ragged or empty rows, and the first entry
        that is not an integer (booleans and floats included), by its index.
    """
    if isinstance(value, np.ndarray):
        return _integer_ndarray(name, value, dimensions, what)
    shape = []
    _nested_shape(name, value, dimensions, what, shape, ())
    try:
        return np.array(value, dtype=np.int64)
    except OverflowError:
        return np.array(value, dtype=object)


def _integer_ndarray(name, array, dimensions, what):
    if array.ndim != dimensions:
        raise InputError(f"{name} must be {what}, got {array.ndim} dimension(s)")
    if 0 in array.shape:
        raise InputError(f"{name} must be {what}, got an empty array of shape "
                         f"{'×'.join(map(str, array.shape))}")
    if array.dtype.kind == "i":
        return array.astype(np.int64, copy=False)
    if array.dtype.kind == "u":
        if array.max() > np.iinfo(np.int64).max:
            return array.astype(object)
        return array.astype(np.int64)
    index = tuple(int(i) for i in np.unravel_index(0, array.shape))
    raise InputError(f"{name}{_index_text(index)} = {value_text(array[index].item())} must be "
                     f"an integer ({name} holds {array.dtype.name})")


def _nested_shape(name, value, depth, what, shape, index):
    """Walk nested lists, recording the length of every level in ``shape``."""
    level = len(index)
    if not isinstance(value, (list, tuple)):
        if level == 0:
            raise InputError(f"{name} must be {what}, not {_json_type(value)}")
        raise InputError(f"{name} must be {what}: {_row_text(index)} = {value_text(value)} is "
                         "not a list")
    if not value:
        raise InputError(f"{name} must be {what}, got an empty "
                         + (_row_text(index) if level else "list"))
    if len(shape) == level:
        shape.append(len(value))
    elif shape[level] != len(value):
        raise InputError(f"{name} must be {what} with rows of equal length: "
                         f"{_row_text(index)} has {len(value)} entries, not {shape[level]}")
    for position, item in enumerate(value):
        where = index + (position,)
        if level + 1 < depth:
            _nested_shape(name, item, depth, what, shape, where)
        elif isinstance(item, bool) or not isinstance(item, numbers.Integral):
            if isinstance(item, (list, tuple)):
                raise InputError(f"{name} must be {what}, got more than {depth} dimension(s)")
            raise InputError(f"{name}{_index_text(where)} = {value_text(item)} must be an "
                             "integer")


def _row_text(index):
    """``row 2`` or ``row [0][1]``: a row of a nested list, for messages."""
    return f"row {index[0]}" if len(index) == 1 else "row " + _index_text(index)


def _index_text(index):
    return "".join(f"[{i}]" for i in index)


def check_array_range(name, array, allowed, params):
    """Raise :class:`InputError` for the first entry of ``array`` outside ``allowed``.

    The message names the entry by its index, e.g. ``weights[2][0] = 300``,
    and the range with its context (``for weight_bits = 8``).
    """
    low, high = allowed.bounds(params)
    if array.min() >= low and array.max() <= high:
        return
    index = tuple(int(i) for i in np.argwhere((array < low) | (array > high))[0])
    value = array[index]
    value = value.item() if isinstance(value, np.generic) else value  # object arrays hold ints
    check_integer(name + _index_text(index), value, low, high, allowed.why(params))


def _read_only(array):
    array = np.array(array, dtype=np.int64)  # a private copy the caller cannot change
    array.flags.writeable = False
    return array


@dataclasses.dataclass(frozen=True, eq=False)
class LayerConfig:
    """One layer of SPEC §6: N_ℓ neurons that share a neuron config, their
    weights and biases.

    Constructing a layer validates it; errors name the key (``weights[2][0]``,
    ``bias[1]``, ``weight_bits``) and :class:`NetworkConfig` adds the layer
    (``layers[1].``).

    Parameters
    ----------
    neuron : LIFConfig
        The neurons' parameters: ``neurons`` = N_ℓ and ``bias`` = 0 (the
        layer's bias is per neuron, below).
    weights : array_like of int, shape (N_ℓ, N_{ℓ−1})
        ``weights[n][j]`` is the synapse from input j to neuron n, each in
        ``weight_bits``.  Stored as a read-only int64 array.
    bias : int or array_like of int, shape (N_ℓ,)
        b_ℓ[n], added to the current every step; one integer means the same
        for every neuron.  Each in the layer's ``input_width``.  Stored as a
        read-only int64 vector.
    weight_bits : int
        Signed bits of every weight, 2 … 16.
    """

    neuron: LIFConfig
    weights: np.ndarray
    bias: np.ndarray = 0
    weight_bits: int = 8

    def __post_init__(self):
        if not isinstance(self.neuron, LIFConfig):
            raise TypeError(f"neuron must be a LIFConfig, not {type(self.neuron).__name__}")
        if self.neuron.bias != 0:
            raise InputError(f"neuron.bias = {self.neuron.bias} must be 0: a layer's bias is "
                             "its own bias vector")
        bits = LAYER_RANGES["weight_bits"].check("weight_bits", self.weight_bits)
        object.__setattr__(self, "weight_bits", bits)
        rows = self.neuron.neurons
        weights = integer_array("weights", self.weights, 2,
                                f"a matrix of {rows} row(s) of integers")
        if weights.shape[0] != rows:
            raise InputError(f"weights has {weights.shape[0]} row(s) but neurons = {rows}: "
                             "one row per neuron")
        check_array_range("weights", weights, WEIGHT_RANGE, self)
        object.__setattr__(self, "weights", _read_only(weights))
        object.__setattr__(self, "bias", _read_only(self._bias_vector(rows)))

    def _bias_vector(self, rows):
        if isinstance(self.bias, (list, tuple, np.ndarray)):
            bias = integer_array("bias", self.bias, 1, f"one integer or a list of {rows}")
            if bias.shape[0] != rows:
                raise InputError(f"bias has {bias.shape[0]} value(s) but neurons = {rows}: "
                                 "one integer for all neurons or one per neuron")
            check_array_range("bias", bias, NEURON_RANGES["bias"], self.neuron)
            return bias
        value = NEURON_RANGES["bias"].check("bias", self.bias, self.neuron)
        return np.full(rows, value, dtype=np.int64)

    @classmethod
    def from_dict(cls, mapping, *, where="layer"):
        """A layer from its JSON object: the §1 keys, ``weight_bits``, ``weights``, ``bias``.

        ``neurons`` may be left out (it is the number of weight rows); when
        given it must equal it.  Unknown keys are errors.  ``where`` names the
        layer in messages (``"layers[1]"``).
        """
        if not isinstance(mapping, dict):
            raise InputError(f"{where} must be an object with \"weights\" and neuron "
                             f"parameters, not {_json_type(mapping)}")
        unknown = sorted(set(mapping) - _LAYER_KEYS)
        if unknown:
            raise InputError(f"{where}: unknown key {value_text(unknown[0])}: allowed "
                             + ", ".join(sorted(_LAYER_KEYS)))
        if "weights" not in mapping:
            raise InputError(f"{where}: missing \"weights\" (one row of integers per neuron)")
        parameters = {key: value for key, value in mapping.items() if key in _NEURON_KEYS}
        bias = parameters.pop("bias", 0)
        try:
            if "neurons" not in parameters:
                weights = integer_array("weights", mapping["weights"], 2,
                                        "a matrix of integers, one row per neuron")
                parameters["neurons"] = weights.shape[0]
            optional = {key: mapping[key] for key in ("weight_bits",) if key in mapping}
            return cls(neuron=LIFConfig(**parameters), weights=mapping["weights"], bias=bias,
                       **optional)
        except InputError as error:
            raise InputError(f"{where}.{error}") from None

    def to_dict(self):
        """The layer's JSON object (every neuron parameter, weights as lists)."""
        document = self.neuron.to_dict()
        del document["bias"]  # the neuron's is 0; the layer's follows
        document["weight_bits"] = self.weight_bits
        uniform = bool((self.bias == self.bias[0]).all())
        document["bias"] = int(self.bias[0]) if uniform else self.bias.tolist()
        document["weights"] = self.weights.tolist()
        return document

    def replace(self, **changes):
        """A copy with some fields changed (and validated again)."""
        return dataclasses.replace(self, **changes)

    @property
    def neurons(self):
        """N_ℓ."""
        return self.neuron.neurons

    @property
    def fan_in(self):
        """N_{ℓ−1}, the number of inputs of every neuron."""
        return self.weights.shape[1]

    def __eq__(self, other):
        if not isinstance(other, LayerConfig):
            return NotImplemented
        return (self.neuron == other.neuron and self.weight_bits == other.weight_bits
                and np.array_equal(self.weights, other.weights)
                and np.array_equal(self.bias, other.bias))

    __hash__ = None


@dataclasses.dataclass(frozen=True)
class NetworkConfig:
    """A network of SPEC §6: N_0 inputs in ``input_bits`` and a chain of layers.

    Parameters
    ----------
    inputs : int
        N_0, 1 … 65536.
    layers : sequence of LayerConfig
        At least one; layer ℓ has N_{ℓ−1} weight columns.  Stored as a tuple.
    input_bits : int
        Signed bits of an input value x, 2 … 16.
    """

    inputs: int
    layers: tuple
    input_bits: int = 8

    def __post_init__(self):
        for name, allowed in NETWORK_RANGES.items():
            object.__setattr__(self, name, allowed.check(name, getattr(self, name)))
        if not isinstance(self.layers, (list, tuple)) or not self.layers:
            raise InputError("layers must be a non-empty list of layers")
        object.__setattr__(self, "layers", tuple(self.layers))
        for number, layer in enumerate(self.layers):
            if not isinstance(layer, LayerConfig):
                raise TypeError(f"layers[{number}] must be a LayerConfig, not "
                                f"{type(layer).__name__}")
            feeding = self.inputs if number == 0 else self.layers[number - 1].neurons
            if layer.fan_in != feeding:
                source = "inputs" if number == 0 else f"layers[{number - 1}].neurons"
                raise InputError(f"layers[{number}].weights has {layer.fan_in} column(s) but "
                                 f"{source} = {feeding}: one column per input of the layer")

    @classmethod
    def from_dict(cls, mapping):
        """A network from its JSON object ``{"inputs", "input_bits", "layers"}``."""
        if not isinstance(mapping, dict):
            raise InputError("a network must be an object with \"inputs\" and \"layers\", not "
                             f"{_json_type(mapping)}")
        unknown = sorted(set(mapping) - set(_NETWORK_KEYS))
        if unknown:
            raise InputError(f"unknown network key {value_text(unknown[0])}: allowed "
                             + ", ".join(f'"{key}"' for key in _NETWORK_KEYS))
        for key in ("inputs", "layers"):
            if key not in mapping:
                raise InputError(f"a network needs \"{key}\"")
        layers = mapping["layers"]
        if not isinstance(layers, list) or not layers:
            raise InputError(f"layers = {value_text(layers)} must be a non-empty list of "
                             "layer objects")
        # Network keys first: a bad input_bits is reported before any layer.
        for name, allowed in NETWORK_RANGES.items():
            if name in mapping:
                allowed.check(name, mapping[name])
        optional = {key: mapping[key] for key in ("input_bits",) if key in mapping}
        return cls(inputs=mapping["inputs"], **optional,
                   layers=tuple(LayerConfig.from_dict(layer, where=f"layers[{number}]")
                                for number, layer in enumerate(layers)))

    def to_dict(self):
        """The network's JSON object."""
        return {"inputs": self.inputs, "input_bits": self.input_bits,
                "layers": [layer.to_dict() for layer in self.layers]}

    @property
    def outputs(self):
        """N_L, the neurons of the output layer (one score each)."""
        return self.layers[-1].neurons

    @property
    def sizes(self):
        """(N_0, N_1, …, N_L)."""
        return (self.inputs,) + tuple(layer.neurons for layer in self.layers)

    @property
    def input_min(self):
        return INPUT_RANGE.bounds(self)[0]

    @property
    def input_max(self):
        return INPUT_RANGE.bounds(self)[1]
