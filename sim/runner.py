"""Run the generated Verilog of a core under cocotb on Icarus Verilog or Verilator.

:func:`run_rtl` is the one entry point for one core and one stimulus::

    from lifq.sim.runner import run_rtl
    spikes, v = run_rtl(cfg, currents, simulator="verilator")

It generates the Verilog of ``cfg``'s core (a :class:`lifq.hdl.LIFCore`, or an
:class:`~lifq.sim.mutants.OutputMutant` of it), builds it once per design
and simulator (:mod:`lifq.sim.build_cache`), and runs the cocotb test of
:mod:`lifq.cocotb_tests` on it: a current source with random input gaps, an
update sink with random back-pressure, a passive monitor, a parameter source
for writes, clears between timesteps and a scoreboard that compares every
output transfer with :func:`lifq.golden.simulate`.

:func:`run_jobs` runs several cores at once: one
:class:`~lifq.sim.bundle.CoreBundle` holding one core per job, driven in one
simulation.  The tests use it to cover many configurations with one (slow)
Verilator build.

Builds live under ``build_dir`` (default :func:`default_build_dir`: the
current directory's ``build/rtl``), one folder per simulator and design.  The
simulator's output goes to log files there, never to standard output.

Importing this module is cheap: Amaranth and cocotb are imported on first use.
"""

import dataclasses
import json
import os
import pathlib
import random
import shutil
import tempfile

import numpy as np

from lifq.golden import validate_currents
from lifq.spec import LIFConfig

from .build_cache import build_key, cached_build, default_build_dir
from .check import normalize_clears, normalize_parameter_writes
from .mutation import Mutation
from .results import RtlRun, rtl_run
from .tools import (VERILATOR_MAKE_VARIABLES, SimulationError, ToolMissing, cocotb_runner,
                    log_tail, tool_environment)

__all__ = ["SIMULATORS", "RtlRun", "RtlJob", "Mutation", "run_rtl", "run_jobs",
           "default_build_dir"]

SIMULATORS = ("icarus", "verilator")
TEST_MODULE = "lifq.cocotb_tests.test_lif_core"
TOPLEVEL = "lif_core"
BUNDLE_TOPLEVEL = "lif_bundle"
CLOCK_PERIOD_NS = 10


@dataclasses.dataclass
class RtlJob:
    """One core and its stimulus, for :func:`run_jobs`.

    The fields mean what :func:`run_rtl`'s arguments of the same name mean.
    """
    cfg: LIFConfig
    currents: np.ndarray
    seed: int = None
    input_gaps: float = 0.1
    output_stalls: float = 0.1
    parameter_writes: object = None
    clears: object = None
    name: str = None
    mutation: Mutation = None


def run_rtl(cfg, currents, simulator="icarus", *, seed=None, input_gaps=0.1, output_stalls=0.1,
            parameter_writes=None, clears=None, waves=None, build_dir=None, mutation=None,
            keep=False):
    """Simulate ``cfg``'s generated Verilog on a T×N current matrix.

    Parameters
    ----------
    cfg : lifq.spec.LIFConfig
    currents : array_like of int, shape (T, N)
        Checked with :func:`lifq.golden.validate_currents` (raises ``InputError``).
    simulator : ``"icarus"`` or ``"verilator"``
    seed : int, optional
        Seed of the random input gaps and output stalls; default ``$LIFQ_SEED``,
        else a random one.  It is logged and returned for replay.
    input_gaps, output_stalls : float in [0, 1)
        Chance per cycle that the source withholds its next current, or that
        the sink is not ready.
    parameter_writes : dict, optional
        ``{t: {"threshold": …, "decay": …, "bias": …}}``: written through the
        parameter port before timestep t (programmable cores only).  Values
        the core rejects leave the expected result unchanged too.
    clears : iterable of int, optional
        Timesteps before which the core is cleared (membranes back to
        ``initial_membrane``, parameters kept).
    waves : path, optional
        Write a waveform file there: FST when it ends in ``.fst``, else VCD.
        (Verilator's FST writer needs the lz4 headers, ``liblz4-dev``; without
        them a ``.fst`` request raises :class:`lifq.sim.tools.ToolMissing`.)
    build_dir : path, optional
        Root of the build cache (default :func:`default_build_dir`).
    mutation : Mutation, optional
        Break the RTL on purpose (testing the testbench).
    keep : bool
        Keep the run folder (job file, results, log) even when the run passed.

    Returns
    -------
    RtlRun
        Unpacks as ``spikes, v``.  A mismatch with the golden model is *not*
        an exception: see ``.passed``, ``.mismatch`` and ``.errors``.

    Raises
    ------
    lifq.spec.InputError
        Invalid currents.
    lifq.sim.tools.ToolMissing
        The simulator is not installed.
    lifq.sim.tools.SimulationError
        The build or the simulator failed (one line naming the log).
    ValueError
        Bad simulator name, probabilities, parameter writes or clears.
    """
    job = RtlJob(cfg, currents, seed=seed, input_gaps=input_gaps, output_stalls=output_stalls,
                 parameter_writes=parameter_writes, clears=clears, name="core",
                 mutation=mutation)
    return _run(simulator, [job], bundle=False, waves=waves, build_dir=build_dir, keep=keep)[0]


def run_jobs(jobs, simulator="icarus", *, build_dir=None, keep=False):
    """Simulate several cores at once, one :class:`RtlJob` each, in one bundle.

    One build (per simulator and set of configs) and one simulator process
    serve all jobs; each job has its own seed and stimulus and its own
    scoreboard.  Returns one :class:`RtlRun` per job, in order.
    """
    jobs = list(jobs)
    if not jobs:
        return []
    return _run(simulator, jobs, bundle=True, waves=None, build_dir=build_dir, keep=keep)


# ---------------------------------------------------------------------------
# Building

def _design(jobs, bundle):
    """The Amaranth design of the jobs: one core, or a bundle of cores."""
    from lifq.hdl import LIFCore

    from .bundle import CoreBundle
    from .mutants import OutputMutant

    cores = [LIFCore(job.cfg) if job.mutation is None else OutputMutant(job.cfg, job.mutation)
             for job in jobs]
    return CoreBundle(cores) if bundle else cores[0]


def _build(simulator, jobs, bundle, waves_format, build_root):
    """Generate and compile the Verilog unless a build of this design exists."""
    from amaranth.back import verilog

    key = build_key(simulator=simulator, configs=[job.cfg.to_dict() for job in jobs],
                    mutations=[None if job.mutation is None else dataclasses.asdict(job.mutation)
                               for job in jobs],
                    bundle=bundle, waves=waves_format,
                    make=VERILATOR_MAKE_VARIABLES if simulator == "verilator" else None)
    toplevel = BUNDLE_TOPLEVEL if bundle else TOPLEVEL
    runner = cocotb_runner(simulator, waves_format)

    def make(folder):
        source = folder / f"{toplevel}.v"
        source.write_text(verilog.convert(_design(jobs, bundle), name=toplevel, emit_src=False))
        (folder / "configs.json").write_text(json.dumps(
            [job.cfg.to_dict() for job in jobs], indent=1) + "\n")
        compile_verilog(runner, simulator, source, toplevel, folder, waves_format)
        return toplevel

    folder, _ = cached_build(build_root / simulator, key, make)
    return folder, folder / "sim_build", runner


def compile_verilog(runner, simulator, source, toplevel, folder, waves_format):
    """Compile ``source`` (top module ``toplevel``) with cocotb's ``runner`` into
    ``folder/sim_build``, its log in ``folder/build.log``.

    Raises
    ------
    ToolMissing
        Verilator asked for FST waves without the lz4 headers.
    SimulationError
        A failed build (one line naming the log).
    """
    sim_build = folder / "sim_build"
    if sim_build.exists():
        shutil.rmtree(sim_build)
    build_args = []
    if simulator == "verilator":
        # Small C++ files compile faster in parallel and no slower at run time.
        build_args = ["-Wno-fatal", "-Wno-lint", "-Wno-style", "--output-split", "1000"]
        if waves_format == "fst":
            build_args.append("--trace-fst")
    log = folder / "build.log"
    try:
        with tool_environment(simulator):
            runner.build(sources=[source], hdl_toplevel=toplevel, build_dir=sim_build,
                         timescale=("1ns", "1ps"), build_args=build_args,
                         waves=waves_format is not None, log_file=log)
    except (RuntimeError, SystemExit, OSError) as error:
        if waves_format == "fst" and "lz4.h" in log_tail(log, 200):
            raise ToolMissing("verilator: writing FST needs the lz4 headers (Debian: "
                              "apt-get install liblz4-dev); or ask for a .vcd file") from None
        raise SimulationError(f"{simulator} build of {source} failed "
                              f"({one_line(error)})", log) from None
    for header in sim_build.glob("*.gch"):  # Verilator's 2×80 MB precompiled headers
        header.unlink()


def run_cocotb_test(runner, simulator, test_module, toplevel, sim_build, run_dir, job_file,
                    waves_path, waves_format):
    """Run cocotb ``test_module`` on a build, its job file passed as ``+lifq_job``;
    returns the log's path.  A failing test is not an error here (its result files say
    what happened); a simulator that could not run is.

    Raises
    ------
    SimulationError
        The simulator did not run (one line naming the log).
    """
    log = run_dir / "sim.log"
    plusargs, test_args = [f"+lifq_job={job_file}"], []
    if waves_path is not None:
        waves_path.parent.mkdir(parents=True, exist_ok=True)
        if simulator == "icarus":
            plusargs.append(f"+dumpfile_path={waves_path}")
        else:
            test_args = ["--trace-file", str(waves_path)]
    try:
        with tool_environment(simulator):
            runner.test(test_module=test_module, hdl_toplevel=toplevel,
                        hdl_toplevel_lang="verilog", build_dir=sim_build, test_dir=run_dir,
                        plusargs=plusargs, test_args=test_args,
                        extra_env={"LIFQ_JOB": str(job_file)},
                        waves=waves_format is not None, timescale=("1ns", "1ps"),
                        results_xml=str(run_dir / "results.xml"), log_file=log)
    except SystemExit:
        pass  # a failing cocotb test
    except (RuntimeError, OSError) as error:
        raise SimulationError(f"{simulator} run failed ({one_line(error)})", log) from None
    return log


def one_line(error):
    """The first line of an exception's text (its type when it has none)."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


# ---------------------------------------------------------------------------
# Running

def _check_job(job):
    if not isinstance(job.cfg, LIFConfig):
        raise TypeError(f"cfg must be a lifq.spec.LIFConfig, not {type(job.cfg).__name__}")
    job.currents = validate_currents(job.cfg, job.currents)
    for name in ("input_gaps", "output_stalls"):
        value = float(getattr(job, name))
        if not 0.0 <= value < 1.0:
            raise ValueError(f"{name} = {value} must lie in [0, 1)")
        setattr(job, name, value)
    steps = job.currents.shape[0]
    job.parameter_writes = normalize_parameter_writes(job.parameter_writes, steps)
    job.clears = normalize_clears(job.clears, steps)
    if job.parameter_writes and not job.cfg.programmable:
        raise ValueError("parameter writes need a programmable core (programmable = true)")
    if job.seed is None:
        job.seed = (int(os.environ["LIFQ_SEED"]) if os.environ.get("LIFQ_SEED")
                    else random.SystemRandom().randrange(1 << 31))
    job.seed = int(job.seed)


def waves_format_of(waves):
    """``"fst"`` for a .fst path, ``"vcd"`` for any other, None for no waves."""
    if waves is None:
        return None
    return "fst" if str(waves).lower().endswith(".fst") else "vcd"


def _job_file(jobs, bundle, run_dir):
    """The job file the cocotb test reads (see :mod:`lifq.cocotb_tests.test_lif_core`)."""
    from .bundle import member_prefix

    spec = {"clock_period_ns": CLOCK_PERIOD_NS, "jobs": []}
    for index, job in enumerate(jobs):
        spec["jobs"].append({
            "name": job.name or (f"c{index}" if bundle else "core"),
            "prefix": member_prefix(index) if bundle else "",
            "config": job.cfg.to_dict(),
            "currents": job.currents.tolist(),
            "parameter_writes": [list(w) for w in job.parameter_writes],
            "clears": list(job.clears),
            "seed": job.seed,
            "input_gaps": job.input_gaps,
            "output_stalls": job.output_stalls,
            "result": str(run_dir / f"result_{index}.json"),
        })
    path = run_dir / "job.json"
    path.write_text(json.dumps(spec))
    return path


def _run(simulator, jobs, *, bundle, waves, build_dir, keep):
    if simulator not in SIMULATORS:
        raise ValueError(f"simulator = {simulator!r} is unknown: allowed "
                         + ", ".join(SIMULATORS))
    jobs = [dataclasses.replace(job) for job in jobs]
    for job in jobs:
        _check_job(job)
    build_root = pathlib.Path(build_dir if build_dir is not None else default_build_dir())
    build_root = build_root.resolve()
    waves_format = waves_format_of(waves)
    waves_path = pathlib.Path(waves).resolve() if waves is not None else None
    folder, sim_build, runner = _build(simulator, jobs, bundle, waves_format, build_root)
    toplevel = BUNDLE_TOPLEVEL if bundle else TOPLEVEL

    runs = folder / "runs"
    runs.mkdir(exist_ok=True)
    run_dir = pathlib.Path(tempfile.mkdtemp(prefix="run-", dir=runs))
    job_file = _job_file(jobs, bundle, run_dir)
    log = run_cocotb_test(runner, simulator, TEST_MODULE, toplevel, sim_build, run_dir,
                          job_file, waves_path, waves_format)

    results = []
    for index, job in enumerate(jobs):
        path = run_dir / f"result_{index}.json"
        if not path.exists():
            raise SimulationError(f"{simulator} run wrote no result for job {index} (the "
                                  "simulator or the testbench crashed)", log)
        results.append(rtl_run(simulator, job, json.loads(path.read_text()), log, waves_path))
    if not keep and all(r.passed for r in results):
        shutil.rmtree(run_dir, ignore_errors=True)  # failed runs keep their evidence
        for r in results:
            r.log = None
    return results
