"""Network files of SPEC §6: networks, network stimuli and results, and the
float models and calibration data a network is converted from (SPEC §7).

Every problem with a file becomes an :class:`lifq.spec.InputError` whose
one-line message names the file and what is wrong with it.  Files are
written atomically: complete or not at all.

Formats
-------
Network, ``.json``
    ``{"inputs": N0, "input_bits": B, "layers": [{§1 keys…, "weight_bits": …,
    "weights": [[…], …], "bias": …}, …]}``.
Network, ``.npz`` (large networks)
    ``network``: a string holding that JSON object without the layers'
    ``weights`` (and, optionally, ``bias``); ``weights_0``, ``weights_1``, …:
    integer arrays N_ℓ × N_{ℓ−1}; ``bias_0``, …: integer vectors N_ℓ (a
    layer without one takes the ``bias`` of its JSON object, default 0).
Network stimulus, ``.json``
    ``{"network": <network object or a path relative to the stimulus file>,
    "inputs": [[x(t=0)…], …]}``, T × N0 integers in ``input_bits``.
Network result, ``.json``
    ``{"layers": [{"spikes": T×N_ℓ, "v": T×N_ℓ}, …], "scores": [N_L],
    "prediction": n}``, one timestep per line.
Float model, ``.npz``
    ``W0, b0, W1, b1, …``: float weights of shape (outputs, inputs) (as
    ``torch.nn.Linear``) and biases, ReLU between layers; optionally
    ``input_scale``, a scalar: the model sees ``input_scale · x`` for the
    integer network input x (default 1).
Calibration data, ``.npz``
    ``x``: integer network inputs, S × N0 (one sample per row).
"""

import dataclasses
import io
import json
import pathlib
import re
import zipfile

import numpy as np

from lifq.golden.convert import FloatMLP
from lifq.golden.network import validate_inputs
from lifq.spec import InputError, NetworkConfig, integer_array, value_text

from .files import parse_json, read_text, replacing, write_text

__all__ = ["NetworkStimulus", "load_network", "write_network", "dump_network",
           "network_stimulus_from_document", "load_network_stimulus", "dump_network_result",
           "write_network_result", "load_float_model", "load_calibration"]

STIMULUS_KEYS = ("network", "inputs")
_NPZ_ARRAY = re.compile(r"(weights|bias)_(\d+)")


@dataclasses.dataclass(frozen=True)
class NetworkStimulus:
    """A validated network stimulus.

    Attributes
    ----------
    network : NetworkConfig
    inputs : ndarray of int64, shape (T, N_0)
    """

    network: NetworkConfig
    inputs: np.ndarray

    @property
    def steps(self):
        return self.inputs.shape[0]


# --- networks ---------------------------------------------------------------

def load_network(path):
    """Read a network file: ``.npz`` by its extension, JSON otherwise."""
    path = pathlib.Path(path)
    mapping = _read_npz_network(path) if path.suffix.lower() == ".npz" else \
        parse_json(path, read_text(path))
    try:
        return NetworkConfig.from_dict(mapping)
    except InputError as error:
        raise InputError(f"{path}: {error}") from None


def _read_npz_network(path):
    """The network object of an ``.npz`` file, its arrays put into the layers."""
    arrays = _read_npz(path)
    if "network" not in arrays:
        raise InputError(f"{path}: missing \"network\" (the network's JSON without its "
                         "weights)")
    text = arrays.pop("network")
    if text.ndim != 0 or text.dtype.kind != "U":
        raise InputError(f"{path}: \"network\" must be a string holding the network's JSON")
    mapping = parse_json(path, str(text))
    layers = mapping.get("layers") if isinstance(mapping, dict) else None
    if not isinstance(layers, list) or not all(isinstance(layer, dict) for layer in layers):
        return mapping  # NetworkConfig.from_dict names what is wrong
    for key in sorted(arrays):
        match = _NPZ_ARRAY.fullmatch(key)
        if match is None or int(match[2]) >= len(layers):
            raise InputError(f"{path}: unknown array {value_text(key)}: allowed \"network\", "
                             f"weights_ℓ and bias_ℓ for ℓ = 0 … {len(layers) - 1}")
        name, number = match[1], int(match[2])
        if name in layers[number]:
            raise InputError(f"{path}: layers[{number}].{name} is given twice, in \"network\" "
                             f"and as {key!r}")
        layers[number][name] = arrays[key]
    return mapping


def _read_npz(path):
    """All arrays of an ``.npz`` file, read eagerly (no pickles)."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a file")
    if not zipfile.is_zipfile(path):
        raise InputError(f"{path}: not an .npz file (a zip archive of numpy arrays)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise InputError(f"{path}: cannot read the .npz file: {error}") from None


def dump_network(net):
    """The JSON text of a network: one weight row per line."""
    layers = []
    for layer in net.to_dict()["layers"]:
        weights = layer.pop("weights")
        head = json.dumps(layer)[:-1]
        rows = ",\n    ".join(json.dumps(row) for row in weights)
        layers.append(f'{head}, "weights": [\n    {rows}]}}')
    return (f'{{"inputs": {net.inputs}, "input_bits": {net.input_bits}, "layers": [\n  '
            + ",\n  ".join(layers) + "]}\n")


def write_network(path, net):
    """Write a network file, ``.npz`` by the extension of ``path``, JSON otherwise."""
    path = pathlib.Path(path)
    if path.suffix.lower() != ".npz":
        write_text(path, dump_network(net))
        return
    document = net.to_dict()
    arrays = {}
    for number, layer in enumerate(document["layers"]):
        del layer["weights"], layer["bias"]
        arrays[f"weights_{number}"] = net.layers[number].weights.astype(np.int16)  # ≤ 16 bits
        arrays[f"bias_{number}"] = net.layers[number].bias
    buffer = io.BytesIO()
    np.savez_compressed(buffer, network=np.array(json.dumps(document)), **arrays)
    _write_bytes(path, buffer.getvalue())


def _write_bytes(path, data):
    """Write ``data`` to ``path`` whole or not at all."""
    with replacing(path) as temporary:
        temporary.write_bytes(data)


# --- stimuli and results ----------------------------------------------------

def network_stimulus_from_document(path, document):
    """A :class:`NetworkStimulus` from the parsed JSON of the stimulus file ``path``.

    ``"network"`` is a network object or the path of a network file,
    relative to the stimulus file; errors in that file name it.
    """
    path = pathlib.Path(path)
    unknown = sorted(set(document) - set(STIMULUS_KEYS))
    if unknown:
        raise InputError(f"{path}: unknown key {value_text(unknown[0])} in a network stimulus: allowed "
                         + ", ".join(f'"{key}"' for key in STIMULUS_KEYS))
    if "inputs" not in document:
        raise InputError(f"{path}: missing \"inputs\" (a T×N0 matrix of integers)")
    network = document["network"]
    if isinstance(network, str):
        net = load_network(path.parent / network)
    elif isinstance(network, dict):
        try:
            net = NetworkConfig.from_dict(network)
        except InputError as error:
            raise InputError(f"{path}: {error}") from None
    else:
        raise InputError(f"{path}: \"network\" must be a network object or the path of a "
                         "network file")
    try:
        return NetworkStimulus(net, validate_inputs(net, document["inputs"]))
    except InputError as error:
        raise InputError(f"{path}: {error}") from None


def load_network_stimulus(path):
    """Read a network stimulus file."""
    document = parse_json(path, read_text(path))
    if not isinstance(document, dict) or "network" not in document:
        raise InputError(f"{path}: a network stimulus must be a JSON object with \"network\" "
                         "and \"inputs\"")
    return network_stimulus_from_document(path, document)


def dump_network_result(result):
    """The network result file text: one JSON object, one timestep per line."""
    def matrix(rows):
        return "[" + ",\n   ".join(json.dumps([int(x) for x in row]) for row in rows) + "]"
    layers = ",\n ".join(f'{{"spikes": {matrix(spikes)},\n  "v": {matrix(v)}}}'
                         for spikes, v in result.layers)
    return (f'{{"layers": [{layers}],\n "scores": {json.dumps(result.scores.tolist())},\n'
            f' "prediction": {int(result.prediction)}}}\n')


def write_network_result(path, result):
    """Write a network result, or to standard output when ``path`` is None or "-"."""
    write_text(path, dump_network_result(result))


# --- conversion inputs --------------------------------------------------------

def load_float_model(path):
    """Read a float ReLU MLP from an ``.npz`` of ``W0, b0, W1, b1, …`` (SPEC §7)."""
    arrays = _read_npz(pathlib.Path(path))
    try:
        return FloatMLP.from_arrays(arrays)
    except InputError as error:
        raise InputError(f"{path}: {error}") from None


def load_calibration(path, inputs):
    """Calibration inputs from an ``.npz`` with ``x``: S × ``inputs`` integers, as int64."""
    arrays = _read_npz(pathlib.Path(path))
    if "x" not in arrays:
        raise InputError(f"{path}: missing \"x\" (S × N0 integer network inputs)")
    try:
        x = integer_array("x", arrays["x"], 2, f"an S×N0 array of integers with N0 = {inputs}")
        if x.dtype == object:
            raise InputError("x holds integers beyond 64 bits")
        if x.shape[1] != inputs:
            raise InputError(f"x has {x.shape[1]} column(s) but the model has {inputs} inputs")
    except InputError as error:
        raise InputError(f"{path}: {error}") from None
    return x
