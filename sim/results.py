"""What an RTL run produced, next to what it should have produced."""

import dataclasses
import pathlib

import numpy as np

from lifq.spec import LIFConfig

from .check import MISSING, expected_outputs, first_mismatch

__all__ = ["RtlRun", "rtl_run"]


@dataclasses.dataclass
class RtlRun:
    """What the RTL produced for one stimulus, next to what it should have.

    Unpacks as ``spikes, v = run`` like :func:`lifq.golden.simulate`'s return.

    Attributes
    ----------
    spikes, v : ndarray of int64, shape (T, N)
        Spike count and membrane of output transfer ``t·N + n``;
        :data:`lifq.sim.check.MISSING` where the core made no such transfer.
    neurons : ndarray of int64, shape (T, N)
        The ``neuron`` field of each output transfer.
    expected_spikes, expected_v : ndarray of int64, shape (T, N)
        The golden model (with the parameter writes and clears applied
        between timesteps).
    mismatch : tuple or None
        :func:`lifq.sim.check.first_mismatch` of expected against got.
    errors : list of dict
        The scoreboard's first reports: ``kind`` (``"value"``, ``"order"``,
        ``"lost"``, ``"extra"``), ``timestep``, ``neuron``, ``field``,
        ``expected``, ``got``, ``message``.
    error_count : int
        All scoreboard reports, also those not kept.
    error_kinds : dict of {str: int}
        All scoreboard reports counted by kind.
    hung : str or None
        Set when the core stopped making progress.
    passed : bool
        No scoreboard error, no hang, no mismatch.
    seed : int
        Seed of the random gaps and stalls: pass it (or ``LIFQ_SEED``) to replay.
    cycles : int
        Clock cycles from the end of reset to the last update.
    simulator : str
    config : lifq.spec.LIFConfig
    waves : pathlib.Path or None
    log : pathlib.Path or None
        The simulator's log (kept only when the run failed or ``keep`` was set).
    """
    spikes: np.ndarray
    v: np.ndarray
    neurons: np.ndarray
    expected_spikes: np.ndarray
    expected_v: np.ndarray
    mismatch: tuple
    errors: list
    error_count: int
    error_kinds: dict
    hung: str
    passed: bool
    seed: int
    cycles: int
    simulator: str
    config: LIFConfig
    waves: pathlib.Path = None
    log: pathlib.Path = None

    def __iter__(self):
        yield self.spikes
        yield self.v

    def report(self):
        """A few lines on what went wrong (or that nothing did)."""
        if self.passed:
            return (f"{self.simulator}: {self.spikes.size} updates equal the golden model "
                    f"(seed {self.seed})")
        lines = [f"{self.simulator}: {self.error_count} error(s) (seed {self.seed}, replay with "
                 f"LIFQ_SEED={self.seed}; log {self.log})"]
        lines += [f"  {error['message']}" for error in self.errors[:5]]
        if self.hung:
            lines.append(f"  {self.hung}")
        return "\n".join(lines)


def rtl_run(simulator, job, summary, log, waves_path):
    """An :class:`RtlRun` from a job and the summary its testbench wrote."""
    shape = job.currents.shape
    size = shape[0] * shape[1]

    def matrix(values):
        array = np.full(size, MISSING, dtype=np.int64)
        values = values[:size]
        array[:len(values)] = values
        return array.reshape(shape)

    spikes, v = matrix(summary["spike_count"]), matrix(summary["membrane"])
    expected_spikes, expected_v = expected_outputs(job.cfg, job.currents, job.parameter_writes,
                                                   job.clears)
    mismatch = first_mismatch(expected_spikes, expected_v, spikes, v)
    return RtlRun(
        spikes=spikes, v=v, neurons=matrix(summary["neuron"]),
        expected_spikes=expected_spikes, expected_v=expected_v, mismatch=mismatch,
        errors=summary["errors"], error_count=summary["error_count"],
        error_kinds=summary["error_kinds"], hung=summary["hung"],
        passed=bool(summary["passed"]) and mismatch is None,
        seed=summary["seed"], cycles=summary["cycles"], simulator=simulator, config=job.cfg,
        waves=waves_path if waves_path is not None and waves_path.exists() else None,
        log=log)
