"""The network harness's scoreboard: every transfer against the golden network, in numpy.

It compares what :func:`lifq.sim.network_amaranth.first_mismatch` compares
on Amaranth's simulator — each monitored layer's updates (neuron, k, v'),
then the output layer's events (index, value, end) — but whole arrays at
once, and names the first difference by layer, sample, timestep and neuron.
Layers are checked in order, so a wrong hidden layer is reported as itself
rather than as the output layer it spoils.
"""

import dataclasses

import numpy as np

__all__ = ["Mismatch", "expected_updates", "expected_events", "first_update_mismatch",
           "first_event_mismatch"]


@dataclasses.dataclass(frozen=True)
class Mismatch:
    """The first transfer of a stream that differs from the golden network.

    Attributes
    ----------
    layer : int
    stream : ``"updates"`` or ``"events"``
    transfer : int
        Its position in the stream.
    sample, timestep : int or None
        Where the expected transfer belongs (None for an extra transfer).
    neuron : int or None
        The neuron of the expected transfer (None for an extra one or a marker).
    expected, got : tuple or None
        (neuron, k, v') or (index, value, end), markers as (None, None, 1);
        None for a transfer that is missing on that side.
    received, total : int
        Transfers received and expected on the stream.
    """
    layer: int
    stream: str
    transfer: int
    sample: int
    timestep: int
    neuron: int
    expected: tuple
    got: tuple
    received: int
    total: int

    def __str__(self):
        fields = "(neuron, k, v')" if self.stream == "updates" else "(index, value, end)"
        what = f"{self.stream[:-1]} transfer {self.transfer}"
        if self.expected is None:
            return (f"layer {self.layer}: extra {what} {fields} = {self.got} after the "
                    f"{self.total} expected")
        where = f"layer {self.layer}, sample {self.sample}, timestep {self.timestep}"
        where += f", neuron {self.neuron}" if self.neuron is not None else ", marker"
        if self.got is None:
            return (f"{where} ({what}): lost: received {self.received} of {self.total}, "
                    f"expected {fields} = {self.expected}")
        return f"{where} ({what}): expected {fields} = {self.expected}, got {self.got}"


def expected_updates(spikes, v):
    """(neuron, k, v') rows of a layer's updates: samples, then steps, then neurons.

    Parameters
    ----------
    spikes, v : ndarray of int64, shape (S, T, N)
    """
    index = np.broadcast_to(np.arange(spikes.shape[-1]), spikes.shape)
    return np.stack([index, spikes, v], axis=-1).reshape(-1, 3)


def expected_events(spikes):
    """(index, value, end) rows of the events a layer sends: per step its non-zero
    spike counts in neuron order, then the marker (0, 0, 1).

    Parameters
    ----------
    spikes : ndarray of int64, shape (S, T, N)
    """
    neurons = spikes.shape[-1]
    rows = spikes.reshape(-1, neurons)
    table = np.zeros((rows.shape[0], neurons + 1, 3), dtype=np.int64)
    table[:, :neurons, 0] = np.arange(neurons)
    table[:, :neurons, 1] = rows
    table[:, neurons, 2] = 1
    keep = np.concatenate([rows != 0, np.ones((rows.shape[0], 1), dtype=bool)], axis=1)
    return table[keep]                  # row by row: the step's events, then its marker


def _first_difference(got, expected):
    """The first row at which two (rows, 3) tables differ, or None."""
    common = min(len(got), len(expected))
    differs = (got[:common] != expected[:common]).any(axis=1)
    if differs.any():
        return int(np.argmax(differs))
    return common if len(got) != len(expected) else None


def _row(table, position, marker=False):
    if position >= len(table):
        return None
    row = tuple(int(value) for value in table[position])
    return (None, None, 1) if marker and row[2] else row


def first_update_mismatch(layer, got, expected, steps, neurons):
    """The first differing update transfer of ``layer`` (a :class:`Mismatch`), or None.

    Parameters
    ----------
    got, expected : ndarray of int64, shape (transfers, 3)
    steps, neurons : int
        T and N_ℓ, which place a transfer in its sample and timestep.
    """
    position = _first_difference(got, expected)
    if position is None:
        return None
    sample = timestep = neuron = None
    if position < len(expected):
        sample, rest = divmod(position, steps * neurons)
        timestep, neuron = divmod(rest, neurons)
    return Mismatch(layer, "updates", position, sample, timestep, neuron,
                    _row(expected, position), _row(got, position), len(got), len(expected))


def first_event_mismatch(layer, got, expected, steps):
    """The first differing event transfer of ``layer`` (a :class:`Mismatch`), or None.

    Markers compare by their ``end`` bit alone: their index and value mean nothing.

    Parameters
    ----------
    got, expected : ndarray of int64, shape (transfers, 3)
        (index, value, end) rows.
    steps : int
        T, which places a transfer in its sample and timestep.
    """
    got = got.copy()
    got[got[:, 2] != 0, :2] = 0
    position = _first_difference(got, expected)
    if position is None:
        return None
    sample = timestep = neuron = None
    if position < len(expected):
        # Markers before this transfer: the steps already complete.
        sample, timestep = divmod(int(expected[:position, 2].sum()), steps)
        neuron = None if expected[position, 2] else int(expected[position, 0])
    return Mismatch(layer, "events", position, sample, timestep, neuron,
                    _row(expected, position, True), _row(got, position, True), len(got),
                    len(expected))
