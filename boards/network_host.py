"""The host driver of a network board (SPEC §6): stimuli, data sets, which network.

Built on :class:`boards.host.Board`, so it runs unchanged against a real
board and against the simulated one:

* :func:`check_network` refuses a board that holds another network than the
  host means, naming what differs (a layer parameter, or the weights and
  biases by their hash).
* :func:`run_network_stimulus` runs a network stimulus (T × N_0 inputs, one
  sample) timestep by timestep with RUN_FULL and returns what
  :func:`lifq.golden.simulate_network` returns: every layer's spikes and
  membranes, the scores and the prediction.
* :func:`classify` runs many samples of T timesteps of the same input (a
  data set) with RUN, two requests in flight, and returns the scores,
  predictions and the board's cycle count of every sample.
"""

import dataclasses

import numpy as np

from lifq.golden.network import NetworkResult, validate_inputs
from lifq.spec import RESETS, InputError, NetworkConfig, value_text

from . import network_protocol
from .host import LinkError
from .network_protocol import MAX_STEPS
from .protocol import BoardKind, Command

__all__ = ["check_network", "input_requests", "run_network_stimulus", "classify",
           "Classification", "board_sizes"]

# The order in which INFO fields are compared, and how a message names them.
_LAYER_FIELDS = ("neurons", "width", "input_width", "weight_bits", "reset", "signed",
                 "bias per neuron", "decay_shift", "spike_bits", "threshold", "decay",
                 "initial_membrane", "bias")


def board_sizes(description):
    """``N0-N1-…-NL`` of a network description."""
    return "-".join(str(n) for n in [description["inputs"]]
                    + [layer["neurons"] for layer in description["layers"]])


def _layer_values(record):
    values = dict(record)
    values["reset"] = RESETS[record["reset"]]
    values["signed"] = bool(record["flags"] & 1)
    values["bias per neuron"] = bool(record["flags"] & 2)
    return values


def check_network(board, net, source="the network"):
    """InputError (one line) unless ``board`` holds ``net``.

    The message names the first difference: the inputs, the number of
    layers, a layer's parameter, or — when all of those agree — the
    weights or biases, by the hashes of both networks.

    Parameters
    ----------
    board : boards.host.Board
    net : lifq.spec.NetworkConfig
    source : str
        How the message names the host's network (e.g. its file).
    """
    board.require(BoardKind.NETWORK)
    have, want = board.network, network_protocol.network_description(net)
    advice = "build a bitstream for it (lifq build --board … NET.json)"

    def differs(name, theirs, mine):
        raise InputError(f"{board.name}: the board holds another network: {name} = "
                         f"{value_text(theirs)} on the board, {value_text(mine)} in {source}: "
                         f"{advice}")
    for key in ("inputs", "input_bits"):
        if have[key] != want[key]:
            differs(key, have[key], want[key])
    if len(have["layers"]) != len(want["layers"]):
        differs("the number of layers", len(have["layers"]), len(want["layers"]))
    for number, (theirs, mine) in enumerate(zip(have["layers"], want["layers"])):
        theirs, mine = _layer_values(theirs), _layer_values(mine)
        for key in _LAYER_FIELDS:
            if theirs[key] != mine[key]:
                differs(f"layers[{number}].{key}", theirs[key], mine[key])
    if have["hash"] != want["hash"]:
        raise InputError(f"{board.name}: the board holds another network: the same layers "
                         f"but other weights or biases (hash {have['hash']} on the board, "
                         f"{want['hash']} for {source}): {advice}")


def input_requests(board, network, x):
    """The INPUT (and INPUT_MORE) requests that load the input vector ``x`` into
    ``network`` (a NetworkConfig or the board's description): its non-zero values as
    events, as many to a frame as fit."""
    events = [(int(j), int(x[j])) for j in np.flatnonzero(x)]
    per_frame = board.info["max_payload"] // network_protocol.event_bytes(network)
    requests = []
    for start in range(0, max(1, len(events)), per_frame):
        command = Command.INPUT if start == 0 else Command.INPUT_MORE
        requests.append((command, network_protocol.encode_events(
            network, events[start:start + per_frame])))
    return requests


def _decode(board, decoder, network, payload):
    """``decoder(network, payload)``, a reply that makes no sense being a LinkError."""
    try:
        return decoder(network, payload)
    except ValueError as error:
        raise LinkError(f"{board.name}: {error}") from None


def _expect_empty(board, replies, count, what):
    for _ in range(count):
        reply = next(replies)
        if reply:
            raise LinkError(f"{board.name}: {what} reply of {len(reply)} bytes, expected none")


def run_network_stimulus(board, net, inputs, source="the network"):
    """Run one sample on a network board from a clean start, as the golden model would.

    The board is cleared, then every run of equal input vectors is loaded
    once (INPUT) and run with RUN_FULL, which returns every layer's
    (k, v') of every step.  At the end the board's own spike-count sums
    and membranes (RESULT) must agree with the trace.

    Parameters
    ----------
    board : boards.host.Board
    net : lifq.spec.NetworkConfig
        Must be the network the board holds (:func:`check_network`).
    inputs : array_like of int, shape (T, N_0)
    source : str
        How a refusal names the network (:func:`check_network`).

    Returns
    -------
    lifq.golden.network.NetworkResult
    """
    if not isinstance(net, NetworkConfig):
        raise TypeError(f"net must be a lifq.spec.NetworkConfig, not {type(net).__name__}")
    inputs = validate_inputs(net, inputs)
    if inputs.ndim != 2:
        raise InputError("inputs must be one sample: a T×N0 matrix")
    check_network(board, net, source)
    most = network_protocol.max_full_steps(net)
    if most == 0:
        raise InputError(f"one timestep of every layer's spikes and membranes takes "
                         f"{network_protocol.trace_step_bytes(net)} bytes, more than a reply "
                         "holds: this network cannot be traced over the link")
    requests = [(Command.RESET, b"")]
    runs = []
    t, steps = 0, len(inputs)
    while t < steps:
        span = 1
        while t + span < steps and span < most and np.array_equal(inputs[t + span], inputs[t]):
            span += 1
        loads = input_requests(board, net, inputs[t])
        requests += loads + [(Command.RUN_FULL, network_protocol.encode_run(span))]
        runs.append((len(loads), span))
        t += span
    requests.append((Command.RESULT, b""))
    replies = board.pipeline(requests)
    _expect_empty(board, replies, 1, "RESET")
    traces = []
    for loads, span in runs:
        _expect_empty(board, replies, loads, "INPUT")
        trace = _decode(board, network_protocol.decode_trace, net, next(replies))
        if len(trace[0][0]) != span:
            raise LinkError(f"{board.name}: {len(trace[0][0])} timesteps for a RUN_FULL of "
                            f"{span}")
        traces.append(trace)
    parts = _decode(board, network_protocol.decode_result, net, next(replies))
    layers = [(np.concatenate([trace[n][0] for trace in traces]),
               np.concatenate([trace[n][1] for trace in traces]))
              for n in range(len(net.layers))]
    _check_parts(board, net, layers, parts)
    return _result(net, layers, parts)


def _check_parts(board, net, layers, parts):
    """The board's sums and last membranes must be those of its own trace."""
    spikes, v = layers[-1]
    if (parts.steps != len(spikes) or not np.array_equal(parts.counts, spikes.sum(axis=0))
            or not np.array_equal(parts.membranes, v[-1])):
        raise LinkError(f"{board.name}: the board's result (Σk = {parts.counts.tolist()}, "
                        f"v = {parts.membranes.tolist()} after {parts.steps} steps) does not "
                        "match the spikes and membranes it sent")


def _result(net, layers, parts):
    scores = parts.scores(net.layers[-1].neuron.threshold)
    events = int(sum(np.count_nonzero(spikes) for spikes, _ in layers))
    return NetworkResult(layers=layers, scores=scores, prediction=int(np.argmax(scores)),
                         events=events)


@dataclasses.dataclass(frozen=True)
class Classification:
    """The runs of a data set on a board.

    Attributes
    ----------
    scores : ndarray of int64, shape (S, N_L)
        θ_L·Σk + v_L[T−1] per sample, from the board's sums and membranes.
    predictions : ndarray of int64, shape (S,)
        argmax of the scores, the lowest n on ties.
    cycles : ndarray of int64, shape (S,)
        Clock cycles the board counted for each sample's RUN.
    steps : int
        T.
    """

    scores: np.ndarray
    predictions: np.ndarray
    cycles: np.ndarray
    steps: int


def classify(board, samples, steps, *, progress=None):
    """Run every sample for ``steps`` timesteps of the same input on a network board.

    Per sample: INPUT (its non-zero values), then RUN with a clear first;
    two requests in flight.

    Parameters
    ----------
    board : boards.host.Board
    samples : array_like of int, shape (S, N_0)
        One input vector per sample, in the board's ``input_bits``.
    steps : int
        T, 1 … 65535.
    progress : callable, optional
        Called as ``progress(done, total)`` after each sample.

    Returns
    -------
    Classification
    """
    board.require(BoardKind.NETWORK)
    description = board.network
    net_inputs = description["inputs"]
    samples = np.asarray(samples)
    if samples.ndim != 2 or samples.shape[1] != net_inputs:
        raise InputError(f"samples have {samples.shape[-1]} value(s) each but the board's "
                         f"network has {net_inputs} inputs")
    low, high = -(1 << (description["input_bits"] - 1)), (1 << (description["input_bits"] - 1)) - 1
    if samples.size and (samples.min() < low or samples.max() > high):
        raise InputError(f"sample values {samples.min()} … {samples.max()} do not fit the "
                         f"board's input_bits = {description['input_bits']} ({low} … {high})")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) \
            or not 1 <= steps <= MAX_STEPS:
        raise InputError(f"steps = {value_text(steps)} is out of range: allowed 1 … {MAX_STEPS}")
    per_sample = []
    requests = []
    for x in samples:
        loads = input_requests(board, description, x)
        per_sample.append(len(loads))
        requests += loads + [(Command.RUN, network_protocol.encode_run(steps, clear_first=True))]
    replies = board.pipeline(requests)
    threshold = description["layers"][-1]["threshold"]
    scores, cycles = [], []
    for done, loads in enumerate(per_sample, start=1):
        _expect_empty(board, replies, loads, "INPUT")
        parts = _decode(board, network_protocol.decode_result, description, next(replies))
        if parts.steps != steps:
            raise LinkError(f"{board.name}: the board ran {parts.steps} steps, not {steps}")
        scores.append(parts.scores(threshold))
        cycles.append(parts.cycles)
        if progress is not None:
            progress(done, len(per_sample))
    scores = np.array(scores, dtype=np.int64).reshape(len(per_sample), -1)
    return Classification(scores=scores, predictions=np.argmax(scores, axis=1),
                          cycles=np.array(cycles, dtype=np.int64), steps=steps)
