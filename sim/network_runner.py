"""Run a network's generated Verilog under the cocotb testbench on Icarus or Verilator.

:func:`run_network_cocotb` is the entry point::

    from lifq.sim.network_runner import run_network_cocotb
    run = run_network_cocotb(net, inputs, "icarus", lanes=2, seed=7, waves="net.vcd")
    assert run.passed, run.report()

It generates the Verilog of the network's hardware (the
:class:`lifq.hdl.Network` of :func:`lifq.sim.harness.network_top.network_design`,
optionally with a broken core), builds it once per design and simulator
(:mod:`lifq.sim.build_cache`, under ``build_dir/<simulator>/network``), and
runs :mod:`lifq.cocotb_tests.test_lif_network` on it: an event source with
random gaps on the inputs, sinks with random back-pressure and passive
monitors on the output events and every layer's updates, and a scoreboard
comparing each transfer with :func:`lifq.golden.simulate_network`.

The result is the file-driven harness's
:class:`~lifq.sim.harness.network_result.NetworkRtlRun`, its first mismatch
the harness's :class:`~lifq.sim.harness.network_scoreboard.Mismatch` (layer,
sample, timestep, neuron): callers treat both runs alike.  What the
cocotb testbench adds is Python in the loop — waveforms, and a place to
grow checks — at the price of speed (one coroutine step per clock and
stream).
"""

import json
import pathlib
import re
import shutil
import tempfile

import numpy as np

from lifq.golden import simulate_network

from .build_cache import build_key, cached_build
from .harness.network_result import NetworkRtlRun
from .harness.network_run import (lanes_per_layer, network_build_description, network_samples,
                                  quiet_windows)
from .harness.network_scoreboard import Mismatch
from .harness.network_top import NETWORK, monitored_layers, network_design
from .harness.process import build_root, checked_probability, default_seed
from .runner import compile_verilog, run_cocotb_test, waves_format_of
from .tools import VERILATOR_MAKE_VARIABLES, SimulationError, cocotb_runner

__all__ = ["SIMULATORS", "TEST_MODULE", "run_network_cocotb"]

SIMULATORS = ("icarus", "verilator")
TEST_MODULE = "lifq.cocotb_tests.test_lif_network"
TOPLEVEL = NETWORK
CLOCK_PERIOD_NS = 10
#: Yosys's Verilog makes every ``always @*`` block sensitive to one register
#: per module, ``reg \$auto$verilog_backend.cc:…:dump_module$N = 0;``, so
#: that each block runs once at time 0.  On Icarus under cocotb the
#: initialiser's event can come before the blocks wait for it; a block whose
#: inputs then do not change (a read enable that depends on a bank bit alone)
#: stays X for a whole step.  A second assignment at ``#0``, once every block
#: waits, runs them all.
_TIME_ZERO = re.compile(r"^(\s*)reg (\\\S*dump_module\S*)\s+= 0;$", re.MULTILINE)


def icarus_time_zero(text):
    """Verilog text with every ``dump_module`` register set again at ``#0`` (see
    :data:`_TIME_ZERO`); Verilator needs nothing of the kind."""
    return _TIME_ZERO.sub(lambda match: f"{match[0]}\n{match[1]}initial #0 {match[2]} = 1'h1;",
                          text)


def _build(simulator, design, description, waves_format, root):
    """Generate and compile the network's Verilog unless a build of it exists
    (``design()`` makes the :class:`lifq.hdl.Network`)."""
    from amaranth.back import verilog

    key = build_key(kind="network-cocotb", version=2, simulator=simulator, waves=waves_format,
                    make=VERILATOR_MAKE_VARIABLES if simulator == "verilator" else None,
                    **description)
    runner = cocotb_runner(simulator, waves_format)

    def make(folder):
        source = folder / f"{TOPLEVEL}.v"
        text = verilog.convert(design(), name=TOPLEVEL, emit_src=False)
        source.write_text(icarus_time_zero(text) if simulator == "icarus" else text)
        (folder / "design.json").write_text(json.dumps(description, indent=1) + "\n")
        compile_verilog(runner, simulator, source, TOPLEVEL, folder, waves_format)
        return TOPLEVEL

    folder, _ = cached_build(root / simulator / "network", key, make)
    return folder, folder / "sim_build", runner


def _mismatch(record):
    if record is None:
        return None
    record = dict(record)
    for name in ("expected", "got"):
        if record[name] is not None:
            record[name] = tuple(record[name])
    return Mismatch(**record)


def _table(rows):
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def run_network_cocotb(net, inputs, simulator="icarus", *, lanes=1, fifo_depth=None,
                       debug=True, seed=None, input_gaps=0.1, output_stalls=0.1, waves=None,
                       build_dir=None, mutation=None, keep=False):
    """Simulate a network's generated Verilog in the cocotb testbench.

    Parameters
    ----------
    net : lifq.spec.NetworkConfig
    inputs : array_like of int, shape (T, N_0) or (S, T, N_0)
        One sample, or S samples with a clear between two.
    simulator : ``"icarus"`` or ``"verilator"``
    lanes, fifo_depth
        As for :class:`lifq.hdl.Network`.
    debug : bool
        Take (and check) every hidden layer's updates too; without, only the
        output layer's updates and events.
    seed : int, optional
        Seed of the gaps and stalls; None is ``$LIFQ_SEED``, else random.  It
        is logged and kept in the result for replay.
    input_gaps, output_stalls : float in [0, 1)
        Chance per cycle of an idle input, or of an output stream not ready.
    waves : path, optional
        Write a waveform file there: FST when it ends in ``.fst``, else VCD.
    build_dir : path, optional
        Root of the build cache (default ``$LIFQ_BUILD_DIR`` or ``build/rtl``).
    mutation : (int, lifq.sim.mutation.Mutation), optional
        Break one output transfer of that layer's core (testing the testbench).
    keep : bool
        Keep the run folder (job file, result, log) even when the run passed.

    Returns
    -------
    lifq.sim.harness.network_result.NetworkRtlRun
        A mismatch is not an exception: see ``.passed``, ``.mismatch``
        (layer, sample, timestep, neuron), ``.hung`` and ``.report()``.

    Raises
    ------
    lifq.spec.InputError
        Inputs that do not fit the network, a layer the hardware cannot build.
    lifq.sim.tools.ToolMissing, lifq.sim.tools.SimulationError
        A missing tool; a build or run that failed (one line naming the log).
    ValueError
        Bad simulator, probabilities or lanes.
    """
    if simulator not in SIMULATORS:
        raise ValueError(f"simulator = {simulator!r} is unknown: allowed "
                         + ", ".join(SIMULATORS))
    inputs = network_samples(net, inputs)
    input_gaps = checked_probability("input_gaps", input_gaps)
    output_stalls = checked_probability("output_stalls", output_stalls)
    seed = default_seed(seed)
    # Built only when no build of it is cached (building checks what every layer can
    # build; a cached build was checked when it was made).
    def design():
        return network_design(net, lanes=lanes, fifo_depth=fifo_depth, debug=debug,
                              mutation=mutation)

    layers = monitored_layers(net, debug)
    description = network_build_description(net, lanes=lanes, fifo_depth=fifo_depth,
                                            debug=debug, mutation=mutation)
    waves_format = waves_format_of(waves)
    waves_path = pathlib.Path(waves).resolve() if waves is not None else None
    folder, sim_build, runner = _build(simulator, design, description, waves_format,
                                       build_root(build_dir))

    runs = folder / "runs"
    runs.mkdir(exist_ok=True)
    run_dir = pathlib.Path(tempfile.mkdtemp(prefix="run-", dir=runs))
    stall_window, drain = quiet_windows(net, lanes_per_layer(net, lanes))
    result_path = run_dir / "result.json"
    job_file = run_dir / "job.json"
    job_file.write_text(json.dumps({
        "clock_period_ns": CLOCK_PERIOD_NS, "network": net.to_dict(),
        "inputs": inputs.tolist(), "layers": layers, "seed": seed, "input_gaps": input_gaps,
        "output_stalls": output_stalls, "stall_window": stall_window, "drain_cycles": drain,
        "result": str(result_path)}))
    log = run_cocotb_test(runner, simulator, TEST_MODULE, TOPLEVEL, sim_build, run_dir,
                          job_file, waves_path, waves_format)
    if not result_path.exists():
        raise SimulationError(f"{simulator} run wrote no result (the simulator or the "
                              "testbench crashed)", log)
    summary = json.loads(result_path.read_text())
    samples, steps, _ = inputs.shape
    run = NetworkRtlRun(
        net=net, samples=samples, steps=steps, lanes=lanes_per_layer(net, lanes),
        updates=[None if rows is None else _table(rows) for rows in summary["updates"]],
        events=_table(summary["events"]), expected=simulate_network(net, inputs),
        mismatch=_mismatch(summary["mismatch"]), hung=summary["hung"],
        passed=bool(summary["passed"]), seed=int(summary["seed"]), simulator=simulator,
        cycles=int(summary["cycles"]),
        sample_cycles=np.array(summary["sample_cycles"], dtype=np.int64),
        sent=int(summary["sent"]), log=log)
    if not keep and run.passed:
        shutil.rmtree(run_dir, ignore_errors=True)  # failed runs keep their evidence
        run.log = None
    return run
