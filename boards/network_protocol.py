"""The host-link protocol of a network board (SPEC §6): payloads both ends agree on.

Frames, CRC, command and status codes are those of :mod:`boards.protocol`;
this module adds what only a network board speaks — its INFO and STATUS
layouts, the hash that names the network it holds, input events, the RUN
request and the two replies a run gives.  docs/protocol.md is the prose form.

A network board holds one network, built into the bitstream: weights,
biases and neuron parameters are constants there.  The host loads a
timestep's input (INPUT, INPUT_MORE: the non-zero values as events), runs
T timesteps of it (RUN, RUN_FULL) and reads the output layer's spike-count
sums and membranes (the RUN reply, or RESULT) — the parts of the scores
θ_L·Σk + v_L[T−1] — or, with RUN_FULL, every layer's (k, v') of every step.
"""

import dataclasses
import hashlib
import json

import numpy as np

from lifq.spec import RESETS, InputError, NetworkConfig

from .protocol import (MAX_PAYLOAD, MAX_REPLY, RESET_CODES, VERSION, BoardKind, Command, Field,
                       RequestFormat, bytes_for, info_kind, layout_size, membrane_bytes, pack,
                       spike_bytes, unpack)

__all__ = [
    "HASH_BYTES", "MAX_STEPS", "RUN_BYTES", "CLEAR_FIRST", "COUNT_BYTES",
    "NETWORK_INFO_FIELDS", "LAYER_INFO_FIELDS", "NETWORK_STATUS_FIELDS", "RESULT_FIELDS",
    "network_hash", "network_requests", "network_info_payload", "network_info_size",
    "decode_network_info", "decode_network_status", "network_description",
    "check_board_network", "index_bytes", "value_bytes", "event_bytes", "encode_events", "encode_run",
    "trace_step_bytes", "max_full_steps", "result_record_bytes", "result_size",
    "decode_result", "decode_trace", "signed_bytes", "NetworkShape", "NetworkResultParts",
]

HASH_BYTES = 8              # of SHA-256 over the network's canonical JSON
MAX_STEPS = 0xFFFF          # timesteps one RUN may ask for (two bytes)
RUN_BYTES = 3               # a RUN payload: steps (2 bytes) + flags (1 byte)
CLEAR_FIRST = 0x01          # RUN flag: clear the network first (a new sample)
COUNT_BYTES = 4             # a spike-count sum in a result (signed, mod 2^32)

# (name, bytes, signed) of a network board's INFO reply: this header, then one
# LAYER_INFO_FIELDS record per layer.
NETWORK_INFO_FIELDS = (
    ("version", 1, False),
    ("kind", 1, False),           # BoardKind.NETWORK
    ("layers", 1, False),         # L
    ("input_bits", 1, False),
    ("inputs", 4, False),         # N_0
    ("hash", HASH_BYTES, False),  # network_hash(net), its bytes in order
    ("max_payload", 2, False),
    ("divisor", 2, False),        # UART clocks per bit
    ("clock_hz", 4, False),
)

LAYER_INFO_FIELDS = (
    ("neurons", 4, False),        # N_ℓ
    ("lanes", 4, False),          # P: synaptic operations per clock
    ("width", 1, False),
    ("input_width", 1, False),
    ("weight_bits", 1, False),
    ("reset", 1, False),          # index into lifq.spec.RESETS
    ("flags", 1, False),          # bit 0: signed, bit 1: a bias per neuron
    ("decay_shift", 1, False),
    ("spike_bits", 1, False),
    ("reserved", 1, False),
    ("threshold", 4, False),
    ("decay", 4, False),
    ("initial_membrane", 4, True),
    ("bias", 4, True),            # the bias of every neuron (0 with a bias per neuron)
)

# (name, bytes, signed) of a network board's STATUS reply.
NETWORK_STATUS_FIELDS = (
    ("frames", 2, False),         # good requests executed (mod 2^16)
    ("errors", 2, False),         # error replies sent (mod 2^16)
    ("last_error", 1, False),     # Status code of the latest error reply, 0 if none
    ("steps", 4, False),          # timesteps run since power-up (mod 2^32)
    ("sample_steps", 4, False),   # timesteps run since the last clear (mod 2^32)
    ("cycles", 4, False),         # clock cycles of the last RUN or RUN_FULL (mod 2^32)
)

# The head of a result (the RUN reply, RESULT), before one (Σk, v') record per output neuron.
RESULT_FIELDS = (
    ("cycles", 4, False),         # clock cycles of the last RUN or RUN_FULL
    ("sample_steps", 4, False),   # timesteps since the last clear: the T of the sums
)


# --- what the board holds -----------------------------------------------------------------

def _hardware_document(net):
    """The network's JSON object without what the hardware ignores (``programmable``)."""
    document = net.to_dict()
    for layer in document["layers"]:
        layer.pop("programmable", None)
    return document


def network_hash(net):
    """The first :data:`HASH_BYTES` bytes of SHA-256 over the network's canonical JSON
    (keys sorted, no spaces; ``programmable`` left out): what tells networks apart."""
    text = json.dumps(_hardware_document(net), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).digest()[:HASH_BYTES]


def _layer_record(layer, lanes):
    neuron = layer.neuron
    uniform = bool((layer.bias == layer.bias[0]).all())
    return {
        "neurons": neuron.neurons, "lanes": lanes, "width": neuron.width,
        "input_width": neuron.input_width, "weight_bits": layer.weight_bits,
        "reset": RESET_CODES[neuron.reset], "flags": int(neuron.signed) | int(not uniform) << 1,
        "decay_shift": neuron.decay_shift, "spike_bits": neuron.spike_bits, "reserved": 0,
        "threshold": neuron.threshold, "decay": neuron.decay,
        "initial_membrane": neuron.initial_membrane,
        "bias": int(layer.bias[0]) if uniform else 0,
    }


def network_description(net, lanes=None):
    """What a network board's INFO says about ``net``: ``{"inputs", "input_bits", "hash",
    "layers": [record, …]}``, records as LAYER_INFO_FIELDS (``lanes`` left out when None)."""
    lanes = [None] * len(net.layers) if lanes is None else list(lanes)
    records = []
    for layer, count in zip(net.layers, lanes):
        record = _layer_record(layer, count)
        if count is None:
            del record["lanes"]
        records.append(record)
    return {"inputs": net.inputs, "input_bits": net.input_bits,
            "hash": network_hash(net).hex(), "layers": records}


def network_info_size(layers):
    return layout_size(NETWORK_INFO_FIELDS) + layers * layout_size(LAYER_INFO_FIELDS)


def network_info_payload(net, lanes, *, clock_hz, divisor, max_payload=MAX_PAYLOAD):
    """The INFO reply payload of a board built for ``net`` with ``lanes`` per layer."""
    check_board_network(net)
    head = pack(NETWORK_INFO_FIELDS, {
        "version": VERSION, "kind": BoardKind.NETWORK, "layers": len(net.layers),
        "input_bits": net.input_bits, "inputs": net.inputs,
        "hash": int.from_bytes(network_hash(net), "little"), "max_payload": max_payload,
        "divisor": divisor, "clock_hz": int(clock_hz)})
    return head + b"".join(pack(LAYER_INFO_FIELDS, _layer_record(layer, count))
                           for layer, count in zip(net.layers, lanes))


def decode_network_info(payload):
    """A network board's INFO reply payload as a description (see
    :func:`network_description`, with lanes) and extras (version, max_payload, divisor,
    clock_hz).  ValueError for a payload that is no network board's INFO."""
    if info_kind(payload) != BoardKind.NETWORK:
        raise ValueError("INFO reply is a core board's")
    size = layout_size(NETWORK_INFO_FIELDS)
    head = unpack(NETWORK_INFO_FIELDS, payload[:size], "INFO")
    if len(payload) != network_info_size(head["layers"]) or not head["layers"]:
        raise ValueError(f"INFO reply has {len(payload)} bytes for {head['layers']} layer(s)")
    record = layout_size(LAYER_INFO_FIELDS)
    layers = []
    for at in range(size, len(payload), record):
        layer = unpack(LAYER_INFO_FIELDS, payload[at:at + record], "INFO")
        if layer["reset"] >= len(RESETS):
            raise ValueError(f"INFO reply names reset code {layer['reset']}")
        layers.append(layer)
    description = {"inputs": head["inputs"], "input_bits": head["input_bits"],
                   "hash": head["hash"].to_bytes(HASH_BYTES, "little").hex(), "layers": layers}
    extras = {key: head[key] for key in ("version", "max_payload", "divisor", "clock_hz")}
    return description, extras


def decode_network_status(payload):
    """A network board's STATUS reply payload as a dict of NETWORK_STATUS_FIELDS."""
    return unpack(NETWORK_STATUS_FIELDS, payload, "STATUS")


# --- payload sizes ------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class NetworkShape:
    """What the payload sizes of a network board depend on.

    A host can take them from the network's file or from the board's INFO
    (:meth:`of` takes either), so it needs no file to run a data set.

    Attributes
    ----------
    inputs, input_bits : int
    layers : tuple of (neurons, spike bytes, membrane bytes)
        Per layer: N_ℓ and the bytes of its k and v' in a reply.
    """

    inputs: int
    input_bits: int
    layers: tuple

    @classmethod
    def of(cls, network):
        """The shape of a NetworkConfig, of a description (:func:`network_description`,
        :func:`decode_network_info`), or a shape itself."""
        if isinstance(network, cls):
            return network
        if isinstance(network, NetworkConfig):
            return cls(network.inputs, network.input_bits, tuple(
                (layer.neurons, spike_bytes(layer.neuron), membrane_bytes(layer.neuron))
                for layer in network.layers))
        layers = []
        for record in network["layers"]:
            k_width = record["spike_bits"] + 1 if RESETS[record["reset"]] == "mod" else 2
            layers.append((record["neurons"], bytes_for(k_width), bytes_for(record["width"])))
        return cls(network["inputs"], network["input_bits"], tuple(layers))

    @property
    def outputs(self):
        return self.layers[-1][0]


def index_bytes(network):
    """Bytes of an input index j in an input event: 1 up to 256 inputs, else 2."""
    return max(1, bytes_for((NetworkShape.of(network).inputs - 1).bit_length()))


def value_bytes(network):
    """Bytes of an input value x in an input event: ceil(input_bits / 8)."""
    return bytes_for(NetworkShape.of(network).input_bits)


def event_bytes(network):
    return index_bytes(network) + value_bytes(network)


def trace_step_bytes(network):
    """Bytes of one timestep in a RUN_FULL reply: every layer's (k, v') of every neuron."""
    return sum(neurons * (kb + vb) for neurons, kb, vb in NetworkShape.of(network).layers)


def max_full_steps(network):
    """The most timesteps one RUN_FULL may ask for (its reply holds at most MAX_REPLY
    bytes); 0 when not even one step fits."""
    return min(MAX_STEPS, MAX_REPLY // trace_step_bytes(network))


def result_record_bytes(network):
    """Bytes of one output neuron's (Σk, v') in a result."""
    return COUNT_BYTES + NetworkShape.of(network).layers[-1][2]


def result_size(network):
    """Bytes of a result: RESULT_FIELDS, then (Σk, v') per output neuron."""
    shape = NetworkShape.of(network)
    return layout_size(RESULT_FIELDS) + shape.outputs * result_record_bytes(shape)


# --- requests -------------------------------------------------------------------------------

def check_board_network(net):
    """InputError (one line) unless a network board can hold ``net``: at most 255 layers
    (INFO counts them in a byte) and a result that fits a reply."""
    if len(net.layers) > 255:
        raise InputError(f"a network board holds at most 255 layers, not {len(net.layers)}")
    if result_size(net) > MAX_REPLY:
        most = (MAX_REPLY - layout_size(RESULT_FIELDS)) // result_record_bytes(net)
        raise InputError(f"the output layer's {net.outputs} neurons need a result of "
                         f"{result_size(net)} bytes, more than a reply holds ({MAX_REPLY}): "
                         f"allowed up to {most} output neurons")
    return net


def network_requests(net):
    """The requests a network board takes (its frame parser's table)."""
    index = Field("index", 0, index_bytes(net), 0, net.inputs - 1)
    value = Field("value", index_bytes(net), value_bytes(net), net.input_min, net.input_max)
    flags = Field("flags", 2, 1, 0, CLEAR_FIRST)

    def run(command, most):
        return RequestFormat(command, RUN_BYTES, 1, 1,
                             fields=(Field("steps", 0, 2, 1, most), flags))
    return (
        RequestFormat(Command.INFO),
        RequestFormat(Command.STATUS),
        RequestFormat(Command.RESET),
        RequestFormat(Command.RESULT),
        RequestFormat(Command.WRITE, 5, 1, 1, supported=False),
        RequestFormat(Command.INPUT, event_bytes(net), 0, fields=(index, value)),
        RequestFormat(Command.INPUT_MORE, event_bytes(net), 0, fields=(index, value)),
        run(Command.RUN, MAX_STEPS),
        run(Command.RUN_FULL, max_full_steps(net)),
    )


def encode_events(network, events):
    """Input events ``[(j, x), …]`` as an INPUT payload."""
    ib, vb = index_bytes(network), value_bytes(network)
    return b"".join(int(j).to_bytes(ib, "little") + int(x).to_bytes(vb, "little", signed=True)
                    for j, x in events)


def encode_run(steps, clear_first=False):
    """A RUN / RUN_FULL payload."""
    return int(steps).to_bytes(2, "little") + bytes([CLEAR_FIRST if clear_first else 0])


# --- replies --------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class NetworkResultParts:
    """A decoded result: what the board keeps of a sample.

    Attributes
    ----------
    cycles : int
        Clock cycles of the last RUN or RUN_FULL.
    steps : int
        Timesteps since the last clear.
    counts : ndarray of int64, shape (N_L,)
        Σ_t k_L[t][n] over those steps (mod 2^32, signed).
    membranes : ndarray of int64, shape (N_L,)
        v_L of the last step.
    """

    cycles: int
    steps: int
    counts: np.ndarray
    membranes: np.ndarray

    def scores(self, threshold):
        """score[n] = θ_L·Σk + v (SPEC §6)."""
        return threshold * self.counts + self.membranes


def decode_result(network, payload):
    """A RUN or RESULT reply payload as :class:`NetworkResultParts`."""
    size = result_size(network)
    if len(payload) != size:
        raise ValueError(f"result of {len(payload)} bytes, expected {size}")
    head_size = layout_size(RESULT_FIELDS)
    head = unpack(RESULT_FIELDS, payload[:head_size], "result")
    records = np.frombuffer(bytes(payload[head_size:]), dtype=np.uint8).reshape(
        NetworkShape.of(network).outputs, result_record_bytes(network))
    return NetworkResultParts(head["cycles"], head["sample_steps"],
                              signed_bytes(records[:, :COUNT_BYTES]),
                              signed_bytes(records[:, COUNT_BYTES:]))


def decode_trace(network, payload):
    """A RUN_FULL reply payload as per-layer ``(spikes, v)``, int64 arrays (T, N_ℓ)."""
    per_step = trace_step_bytes(network)
    if len(payload) % per_step:
        raise ValueError(f"trace of {len(payload)} bytes is not a whole number of "
                         f"{per_step}-byte timesteps")
    steps = len(payload) // per_step
    raw = np.frombuffer(bytes(payload), dtype=np.uint8).reshape(steps, per_step)
    layers, at = [], 0
    for neurons, kb, vb in NetworkShape.of(network).layers:
        block = raw[:, at:at + neurons * (kb + vb)].reshape(steps, neurons, kb + vb)
        layers.append((signed_bytes(block[..., :kb]), signed_bytes(block[..., kb:])))
        at += neurons * (kb + vb)
    return layers


def signed_bytes(little):
    """Little-endian two's-complement byte groups (the last axis of a uint8 array) as
    int64."""
    value = np.zeros(little.shape[:-1], dtype=np.int64)
    for position in range(little.shape[-1]):
        value |= little[..., position].astype(np.int64) << (8 * position)
    bits = 8 * little.shape[-1]
    return np.where(value >= 1 << (bits - 1), value - (1 << bits), value)
