"""The binary files between Python and the harness: one stimulus in, one result out.

Both are little-endian.  The **stimulus** file::

    "LIFQSTM1"                                   8 bytes
    u32 cores, u32 reset_cycles, u32 stall_window, u32 drain_cycles
    per core (32 bytes each):
        u64 count            currents of the core (= updates expected)
        u64 offset           byte offset of its currents in this file
        u32 gap_state        xorshift32 state of the input-gap LFSR (non-zero)
        u32 stall_state      xorshift32 state of the output-stall LFSR (non-zero)
        u32 gap_threshold    a draw (16 bits) below it pauses the source: p·2^16
        u32 stall_threshold  a draw below it holds ``ready`` low: p·2^16
    the currents, int32, core after core

The **result** file is ``"LIFQRES1"``, u32 cores, u32 0, then blocks: u32
``kind << 16 | core``, u32 n, n u64 values.  Kinds: :data:`UPDATE` (raw
``updates`` payloads of the core, in arrival order; the Verilator harness
writes up to 65 536 per block, the Icarus testbench one), :data:`SENT`
(currents the core took), :data:`LAST_OUTPUT` (cycle of its last update)
and one final :data:`END` whose core field is 1 when the run stopped
because nothing moved any more, and whose value is the number of cycles
run.  The network harness writes the same file with streams in place of
cores, and two more kinds (:mod:`.event_files`): :data:`SAMPLE_START` and
:data:`SAMPLE_END`.

Each cycle after reset both harnesses do, core by core in order: if the
core's source holds no current and has one left, step the gap LFSR
(xorshift32: x ^= x << 13, x ^= x >> 17, x ^= x << 5; the draw is
x >> 16) and offer the next current unless the draw is below
``gap_threshold``; a current offered stays offered until taken.  Then step
the stall LFSR and drive ``ready`` unless the draw is below
``stall_threshold``.  Transfers happen where valid and ready meet at the
rising edge.  The run ends ``drain_cycles`` after the last core's last
update (anything later is an extra transfer) or after ``stall_window``
cycles without a transfer.  So a seed replays a run cycle for cycle, on
either simulator.
"""

import dataclasses
import hashlib

import numpy as np

__all__ = ["STIMULUS_MAGIC", "RESULTS_MAGIC", "UPDATE", "SENT", "LAST_OUTPUT", "END",
           "SAMPLE_START", "SAMPLE_END", "StreamPlan", "lfsr_states", "lfsr_state", "threshold",
           "write_stimulus", "HarnessOutput", "ResultBlocks", "read_blocks", "read_results"]

STIMULUS_MAGIC = b"LIFQSTM1"
RESULTS_MAGIC = b"LIFQRES1"
UPDATE, SENT, LAST_OUTPUT, END, SAMPLE_START, SAMPLE_END = 0, 1, 2, 3, 4, 5
_HEADER = 24
_ENTRY = 32


@dataclasses.dataclass
class StreamPlan:
    """What the harness streams into one core.

    Attributes
    ----------
    currents : ndarray of int, shape (T, N)
        Sent row by row (``currents[t][n]`` is transfer ``t·N + n``).
    seed : int
        Seeds both LFSRs (:func:`lfsr_states`).
    input_gaps, output_stalls : float in [0, 1)
        Chance per cycle of an idle source or of a sink that is not ready.
    """
    currents: np.ndarray
    seed: int
    input_gaps: float
    output_stalls: float


def lfsr_states(seed):
    """The non-zero xorshift32 states of a seed's gap and stall LFSRs."""
    digest = hashlib.sha256(f"lifq-harness:{int(seed)}".encode()).digest()
    gap = int.from_bytes(digest[:4], "little") or 1
    stall = int.from_bytes(digest[4:8], "little") or 1
    return gap, stall


def lfsr_state(seed, stream):
    """The non-zero xorshift32 state of the stall LFSR of output ``stream`` (a network's
    outputs each stall on their own; the input's gaps use ``lfsr_states(seed)[0]``)."""
    digest = hashlib.sha256(f"lifq-harness:{int(seed)}:stall:{int(stream)}".encode()).digest()
    return int.from_bytes(digest[:4], "little") or 1


def threshold(probability):
    """The 16-bit draw threshold of a pause probability (draws below it pause)."""
    return int(round(float(probability) * (1 << 16)))


def write_stimulus(path, plans, *, reset_cycles, stall_window, drain_cycles):
    """Write the stimulus file of one harness run, one :class:`StreamPlan` per core."""
    header = np.zeros(_HEADER + _ENTRY * len(plans), dtype=np.uint8)
    header[:8] = np.frombuffer(STIMULUS_MAGIC, dtype=np.uint8)
    header[8:24] = np.array([len(plans), reset_cycles, stall_window, drain_cycles],
                            dtype="<u4").view(np.uint8)
    offset = header.size
    blocks = []
    for index, plan in enumerate(plans):
        currents = np.ascontiguousarray(plan.currents, dtype="<i4").reshape(-1)
        gap, stall = lfsr_states(plan.seed)
        entry = np.zeros(_ENTRY, dtype=np.uint8)
        entry[:16] = np.array([currents.size, offset], dtype="<u8").view(np.uint8)
        entry[16:] = np.array([gap, stall, threshold(plan.input_gaps),
                               threshold(plan.output_stalls)], dtype="<u4").view(np.uint8)
        start = _HEADER + _ENTRY * index
        header[start:start + _ENTRY] = entry
        blocks.append(currents)
        offset += currents.nbytes
    with open(path, "wb") as file:
        file.write(header.tobytes())
        for block in blocks:
            file.write(block.tobytes())


@dataclasses.dataclass
class HarnessOutput:
    """What one harness run reported.

    Attributes
    ----------
    payloads : list of ndarray of uint64
        Per core, every ``updates`` payload in arrival order.
    sent : list of int
        Per core, the currents it took.
    last_output : list of int
        Per core, the cycle of its last update.
    cycles : int
        Cycles run after reset.
    stalled : bool
        The run ended because nothing moved for ``stall_window`` cycles
        while some core still owed updates.
    """
    payloads: list
    sent: list
    last_output: list
    cycles: int
    stalled: bool


@dataclasses.dataclass
class ResultBlocks:
    """The blocks of a result file, merged per kind and stream.

    Attributes
    ----------
    values : dict of {(kind, stream): ndarray of uint64}
        Every value of that kind and stream, in the order written.
    cycles : int
        Cycles run after reset (the END block).
    stalled : bool
        The run ended because nothing moved for its stall window.
    """
    values: dict
    cycles: int
    stalled: bool

    def get(self, kind, stream):
        """The values of ``kind`` for ``stream`` (an empty array when none)."""
        return self.values.get((kind, stream), np.zeros(0, dtype=np.uint64))

    def first(self, kind, stream):
        """The first value of ``kind`` for ``stream`` as an int (0 when none)."""
        values = self.get(kind, stream)
        return int(values[0]) if values.size else 0


def read_blocks(path, streams):
    """Read a result file written for ``streams`` cores (or network streams).

    Raises
    ------
    ValueError
        When the file is not a complete result file of that many streams
        (a harness that crashed half-way leaves one without its END record).
    """
    with open(path, "rb") as file:
        head = file.read(16)
        if len(head) < 16 or head[:8] != RESULTS_MAGIC:
            raise ValueError(f"{path}: not a lifq harness result file")
        count = int.from_bytes(head[8:12], "little")
        if count != streams:
            raise ValueError(f"{path}: a result file of {count} cores, expected {streams}")
        words = np.fromfile(file, dtype="<u4")
    kinds, owners, values = _blocks(words)
    if not kinds or kinds[-1] != END:
        raise ValueError(f"{path}: the harness stopped before the end of the run")
    if max(owners[:-1], default=0) >= streams:
        raise ValueError(f"{path}: a block of core {max(owners[:-1])}, expected {streams} cores")
    merged = {}
    for kind, owner, block in zip(kinds[:-1], owners[:-1], values[:-1]):
        merged.setdefault((kind, owner), []).append(block)
    merged = {key: parts[0] if len(parts) == 1 else np.concatenate(parts)
              for key, parts in merged.items()}
    return ResultBlocks(values=merged, cycles=int(values[-1][0]), stalled=bool(owners[-1]))


def read_results(path, cores):
    """Read a result file written for ``cores`` cores.

    Raises
    ------
    ValueError
        When the file is not a complete result file of that many cores
        (a harness that crashed half-way leaves one without its END record).
    """
    blocks = read_blocks(path, cores)
    return HarnessOutput(payloads=[blocks.get(UPDATE, core) for core in range(cores)],
                         sent=[blocks.first(SENT, core) for core in range(cores)],
                         last_output=[blocks.first(LAST_OUTPUT, core) for core in range(cores)],
                         cycles=blocks.cycles, stalled=blocks.stalled)


def _blocks(words):
    """Kinds, cores and value arrays of the result blocks in ``words`` (u32).

    Single-value blocks (the Icarus testbench's) are merged into one block
    per kind and core, in order, without a Python loop per value.
    """
    if words.size and words.size % 4 == 0 and (words[1::4] == 1).all():
        rows = words.reshape(-1, 4)
        tags = rows[:-1, 0]                      # all but the END block
        values = rows[:-1, 2:].copy().view("<u8").reshape(-1)
        order = np.argsort(tags, kind="stable")  # keeps each core's arrival order
        tags, values = tags[order], values[order]
        starts = np.flatnonzero(np.diff(tags, prepend=np.int64(-1)) != 0)
        ends = [*starts[1:].tolist(), tags.size]
        kinds = [int(tags[i]) >> 16 for i in starts] + [int(rows[-1, 0]) >> 16]
        owners = [int(tags[i]) & 0xFFFF for i in starts] + [int(rows[-1, 0]) & 0xFFFF]
        blocks = [values[i:j] for i, j in zip(starts.tolist(), ends)]
        return kinds, owners, blocks + [rows[-1:, 2:].copy().view("<u8").reshape(-1)]
    kinds, owners, blocks, position = [], [], [], 0
    while position + 2 <= words.size:
        tag, n = int(words[position]), int(words[position + 1])
        end = position + 2 + 2 * n
        if end > words.size:
            raise ValueError("a result block runs past the end of the file")
        kinds.append(tag >> 16)
        owners.append(tag & 0xFFFF)
        blocks.append(words[position + 2:end].view("<u8"))
        position = end
    return kinds, owners, blocks
