"""Running the file-driven harness: stimulus file in, simulator, result file out, numpy check.

:func:`run_harness` is the entry point; :func:`start_harness` starts a run
and returns at once, so that a caller can prepare the next stimulus (or
check the previous run) while the simulator works.  The golden model of a
run is computed while its simulator runs.
"""

import dataclasses

from lifq.golden import simulate, validate_currents
from lifq.hdl.datapath import latency
from lifq.spec import LIFConfig

from .build import build_harness
from .process import (SimulatorProcess, build_root, checked_probability, default_seed,
                      run_folder, run_label)
from .scoreboard import score
from .stream_files import StreamPlan, read_results, write_stimulus
from .top import MAX_CORES

__all__ = ["RESET_CYCLES", "HarnessRun", "start_harness", "run_harness"]

#: Cycles of reset before the first current (as the cocotb testbench).
RESET_CYCLES = 3
#: Cycles without any transfer after which a run counts as hung (beyond the
#: N cycles a core spends clearing its membranes after reset).
STALL_WINDOW = 5000


def _checked(job):
    """A copy of ``job`` with validated currents, probabilities and a seed."""
    job = dataclasses.replace(job)
    if not isinstance(job.cfg, LIFConfig):
        raise TypeError(f"cfg must be a lifq.spec.LIFConfig, not {type(job.cfg).__name__}")
    if job.parameter_writes or job.clears:
        raise ValueError("the harness streams currents only: run parameter writes and clears "
                         "with lifq.sim.runner.run_jobs (cocotb)")
    job.currents = validate_currents(job.cfg, job.currents)
    for name in ("input_gaps", "output_stalls"):
        setattr(job, name, checked_probability(name, getattr(job, name)))
    job.seed = default_seed(job.seed)
    return job


class HarnessRun:
    """A harness run under way; :meth:`finish` waits for it and checks every update.

    Attributes
    ----------
    jobs : list of RtlJob
        The jobs, validated, with their seeds.
    simulator : str
        How the runs are labelled: the simulator, plus the netlist family.
    run_dir : pathlib.Path
        Stimulus, result and log of the run.
    """

    def __init__(self, jobs, build, label, run_dir, keep):
        self.jobs, self.simulator, self.run_dir = jobs, label, run_dir
        self._keep = keep
        self.stall_window = STALL_WINDOW + 2 * max(job.cfg.neurons for job in jobs)
        drain = 4 * (max(latency(job.cfg) for job in jobs) + 8)
        self._stimulus, self._results = run_dir / "stimulus.bin", run_dir / "results.bin"
        write_stimulus(self._stimulus, [StreamPlan(job.currents, job.seed, job.input_gaps,
                                                   job.output_stalls) for job in jobs],
                       reset_cycles=RESET_CYCLES, stall_window=self.stall_window,
                       drain_cycles=drain)
        self._process = SimulatorProcess(build, run_dir, self._stimulus, self._results, label)
        self.log = self._process.log

    def finish(self):
        """Wait for the simulator and compare; one :class:`~lifq.sim.results.RtlRun` per job."""
        try:
            expected = [simulate(job.cfg, job.currents) for job in self.jobs]
        finally:
            self._process.wait()
        try:
            output = read_results(self._results, len(self.jobs))
        except (OSError, ValueError) as error:
            raise self._process.unreadable(error) from None
        runs = [score(self.simulator, job, golden, payloads, sent=sent, last_output=last,
                      stall_window=self.stall_window)
                for job, golden, payloads, sent, last in zip(
                    self.jobs, expected, output.payloads, output.sent, output.last_output)]
        log = self._process.clean_up(self._keep or not all(run.passed for run in runs))
        for run in runs:
            run.log = log                          # failed runs keep their evidence
        return runs


def start_harness(jobs, simulator="verilator", *, netlist=None, build_dir=None, keep=False):
    """Build (or reuse) the harness for ``jobs`` and start it; returns a :class:`HarnessRun`.

    Parameters
    ----------
    jobs : list of lifq.sim.runner.RtlJob
        One core each (at most 64), all in one bundle, simulated together.
        Only ``cfg``, ``currents``, ``seed``, ``input_gaps``,
        ``output_stalls``, ``name`` and ``mutation`` apply: parameter writes
        and clears are the cocotb testbench's (ValueError here).  A seed left
        None is ``$LIFQ_SEED``, else random; each run reports it.
    simulator : ``"verilator"`` or ``"icarus"``
    netlist : ``"ice40"``, ``"ecp5"`` or None
        Simulate the netlist Yosys synthesised for that FPGA family (with
        Yosys's models of its primitives) instead of the RTL.
    build_dir : path, optional
        Root of the build cache (default :func:`lifq.sim.build_cache.default_build_dir`).
    keep : bool
        Keep the run folder (stimulus, result, log) even when every job passed.

    Raises
    ------
    lifq.spec.InputError
        Invalid currents.
    lifq.sim.tools.ToolMissing, lifq.sim.tools.SimulationError
        A missing tool; a build or run that failed (one line naming the log).
    ValueError
        Bad simulator, netlist, probabilities, too many jobs, or parameter
        writes or clears.
    """
    jobs = [_checked(job) for job in jobs]
    if not 1 <= len(jobs) <= MAX_CORES:
        raise ValueError(f"the harness runs 1 … {MAX_CORES} jobs at once, not {len(jobs)}")
    build = build_harness(simulator, [job.cfg for job in jobs], [job.mutation for job in jobs],
                          build_root(build_dir), netlist)
    return HarnessRun(jobs, build, run_label(simulator, netlist), run_folder(build), keep)


def run_harness(jobs, simulator="verilator", *, netlist=None, build_dir=None, keep=False):
    """Run ``jobs`` through the harness and check every update against the golden model.

    Takes the arguments of :func:`start_harness`; returns one
    :class:`lifq.sim.results.RtlRun` per job, in order, like
    :func:`lifq.sim.runner.run_jobs`.  A mismatch is not an exception: see
    ``.passed``, ``.mismatch`` and ``.errors``.
    """
    return start_harness(jobs, simulator, netlist=netlist, build_dir=build_dir,
                         keep=keep).finish()

