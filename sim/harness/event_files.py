"""The binary files between Python and the network harness: input events in, transfers out.

Both are little-endian.  The **stimulus** file::

    "LIFQNET1"                                    8 bytes
    u32 streams, u32 reset_cycles, u32 stall_window, u32 drain_cycles
    u32 samples, u32 steps, u32 gap_state, u32 gap_threshold
    u32 end_bit, u32 0, u64 words
    per output stream (16 bytes each):
        u32 stall_state      xorshift32 state of its stall LFSR (non-zero)
        u32 stall_threshold  a draw (16 bits) below it holds ``ready`` low: p·2^16
        u32 per_step         transfers per timestep: N_ℓ for updates, 0 for events
                             (their steps are counted by markers)
        u32 0
    the beats, ``words`` u32: per sample, per step, the count c of the step's
    events, then c words ``index | value << 16`` (value: 16-bit two's complement)

Stream 0 is the output layer's ``events``, whose payload bit ``end_bit``
is the end-of-step marker; streams 1, 2, … are update streams (see
:mod:`.network_top`).  The **result** file is the core harness's
(:mod:`.stream_files`) with a stream in place of a core: :data:`UPDATE`
blocks hold each stream's raw payloads, :data:`SENT` (stream 0) the beats
taken, :data:`LAST_OUTPUT` each stream's last transfer cycle,
:data:`SAMPLE_START` (stream 0) the cycle of each sample's first input
transfer, :data:`SAMPLE_END` (stream 0) the cycle at which each sample's
last output arrived, and :data:`END` as there.

Each cycle after reset both harnesses do, in this order: if the last
sample's inputs are all sent and the outputs of every sample sent so far
have arrived, and another sample follows, hold ``clear`` high for this cycle
and offer nothing; otherwise, if no beat is offered and one is left, step
the gap LFSR and offer the next beat (an event, or the marker after a
step's events) unless the draw is below ``gap_threshold``; a beat offered
stays offered until taken.  Then step every output stream's stall LFSR in
stream order and drive its ``ready`` unless the draw is below its
threshold.  Transfers happen where valid and ready meet at the rising edge.
A sample's outputs have arrived when the events stream has delivered its
steps' markers and every update stream ``per_step`` transfers per step.
The run ends ``drain_cycles`` after the last sample's outputs arrived
(anything later is an extra transfer) or after ``stall_window`` cycles
without a transfer or clear.  So a seed replays a run cycle for cycle, on
either simulator.
"""

import dataclasses

import numpy as np

from .network_top import INDEX_BITS
from .stream_files import (LAST_OUTPUT, SAMPLE_END, SAMPLE_START, SENT, UPDATE, lfsr_state,
                           lfsr_states, read_blocks, threshold)

__all__ = ["STIMULUS_MAGIC", "EventPlan", "beat_words", "write_event_stimulus", "NetworkOutput",
           "read_network_results"]

STIMULUS_MAGIC = b"LIFQNET1"
_HEADER = 56
_ENTRY = 16


@dataclasses.dataclass
class EventPlan:
    """What the network harness sends and how it paces the streams.

    Attributes
    ----------
    inputs : ndarray of int, shape (S, T, N_0)
        The samples; each step's non-zero values become events.
    per_step : list of int
        Per output stream: transfers per step (0 for the events stream).
    end_bit : int
        The marker's bit in an events payload.
    seed : int
        Seeds the gap LFSR (:func:`~.stream_files.lfsr_states`) and each
        stream's stall LFSR (:func:`~.stream_files.lfsr_state`).
    input_gaps, output_stalls : float in [0, 1)
        Chance per cycle of an idle input or of a stream that is not ready.
    """
    inputs: np.ndarray
    per_step: list
    end_bit: int
    seed: int
    input_gaps: float
    output_stalls: float


def beat_words(inputs):
    """The beat section of a stimulus: per step, its event count, then its events.

    Parameters
    ----------
    inputs : ndarray of int, shape (S, T, N_0)

    Returns
    -------
    ndarray of uint32
    """
    rows = np.asarray(inputs, dtype=np.int64).reshape(-1, inputs.shape[-1])
    nonzero = rows != 0
    index = np.arange(rows.shape[1], dtype=np.uint32)
    events = index | ((rows.astype(np.uint32) & np.uint32(0xFFFF)) << np.uint32(INDEX_BITS))
    table = np.concatenate([nonzero.sum(axis=1, dtype=np.uint32)[:, None], events], axis=1)
    keep = np.concatenate([np.ones((rows.shape[0], 1), dtype=bool), nonzero], axis=1)
    return table[keep]            # row by row: the count, then that step's events


def write_event_stimulus(path, plan, *, reset_cycles, stall_window, drain_cycles):
    """Write the stimulus file of one network harness run."""
    samples, steps, _ = plan.inputs.shape
    words = beat_words(plan.inputs)
    gap, _ = lfsr_states(plan.seed)
    entries = [[lfsr_state(plan.seed, stream), threshold(plan.output_stalls), per, 0]
               for stream, per in enumerate(plan.per_step)]
    parts = [np.frombuffer(STIMULUS_MAGIC, dtype=np.uint8),
             np.array([len(plan.per_step), reset_cycles, stall_window, drain_cycles, samples,
                       steps, gap, threshold(plan.input_gaps), plan.end_bit, 0], dtype="<u4"),
             np.array([words.size], dtype="<u8"),
             np.array(entries, dtype="<u4").reshape(-1)]
    header = b"".join(part.tobytes() for part in parts)
    assert len(header) == _HEADER + _ENTRY * len(plan.per_step)
    with open(path, "wb") as file:
        file.write(header)
        file.write(words.astype("<u4").tobytes())


@dataclasses.dataclass
class NetworkOutput:
    """What one network harness run reported.

    Attributes
    ----------
    payloads : list of ndarray of uint64
        Per output stream, every payload in arrival order.
    sent : int
        Input beats taken (events and markers).
    last_output : list of int
        Per stream, the cycle of its last transfer.
    sample_start, sample_end : ndarray of int64
        Per sample whose outputs all arrived: the cycle of its first input
        transfer and the cycle its last output arrived.
    cycles : int
        Cycles run after reset.
    stalled : bool
        The run ended because nothing moved for ``stall_window`` cycles.
    """
    payloads: list
    sent: int
    last_output: list
    sample_start: np.ndarray
    sample_end: np.ndarray
    cycles: int
    stalled: bool


def read_network_results(path, streams):
    """Read the result file of a network harness run with ``streams`` output streams.

    Raises
    ------
    ValueError
        When the file is not a complete result file of that many streams.
    """
    blocks = read_blocks(path, streams)
    ends = blocks.get(SAMPLE_END, 0).astype(np.int64)
    return NetworkOutput(
        payloads=[blocks.get(UPDATE, stream) for stream in range(streams)],
        sent=blocks.first(SENT, 0),
        last_output=[blocks.first(LAST_OUTPUT, stream) for stream in range(streams)],
        sample_start=blocks.get(SAMPLE_START, 0).astype(np.int64)[:ends.size], sample_end=ends,
        cycles=blocks.cycles, stalled=blocks.stalled)
