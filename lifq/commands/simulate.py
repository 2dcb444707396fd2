"""``lifq simulate STIM --simulator icarus|verilator|amaranth``: the RTL against the golden model.

On Icarus and Verilator a stimulus — a stream of currents — goes through the
file-driven harness (:mod:`lifq.sim.harness`), which also runs the netlist
Yosys synthesises for a board's FPGA (``--netlist``).  Waveforms come from
the cocotb testbench (:mod:`lifq.sim.runner`), which ``--testbench cocotb``
also picks by hand.

A stimulus with a ``"network"`` key is a network stimulus (SPEC §6), as for
``lifq golden``: the network's hardware (``--lanes P``) runs on Amaranth's
simulator (:mod:`lifq.sim.network_amaranth`) or in the network harness on
Icarus and Verilator, every layer's updates and the output layer's events
compared transfer by transfer with the golden network; a mismatch names
the layer, timestep and neuron.  ``--testbench cocotb`` (the default with
``--waves``) runs the network's cocotb testbench on Icarus or Verilator
instead (:mod:`lifq.sim.network_runner`), with the same checks and messages.
"""

import contextlib
import random
import sys

import numpy as np

from lifq.golden import simulate
from lifq.golden.network import NetworkResult
from lifq.options import PROBABILITY, SEED, parse, range_limit
from lifq.outputs import OutputPlan, stimulus_inputs
from lifq.sim.check import describe_mismatch, first_mismatch
from lifq.sim.files import dump_result, parse_json, read_text, stimulus_from_document
from lifq.sim.network_files import dump_network_result, network_stimulus_from_document
from lifq.spec import NEURON_RANGES, InputError

SIMULATORS = ("icarus", "verilator", "amaranth")
TESTBENCHES = ("harness", "cocotb")
NETLISTS = ("ice40", "ecp5")
#: Lanes P of a network: at most a layer's neurons (more are capped per layer).
LANES = range_limit(NEURON_RANGES["neurons"])


def register(subparsers):
    parser = subparsers.add_parser(
        "simulate", help="run a stimulus through the RTL and compare it with the golden model",
        description="Run a stimulus through the generated core on a simulator (a network "
                    "stimulus, one with a \"network\" key, through the network's hardware); "
                    "exit 0 when every update equals the golden model, 1 with the first "
                    "mismatch.")
    parser.add_argument("stimulus", metavar="STIM", help="stimulus JSON file (a core's or a "
                        "network's)")
    parser.add_argument("--simulator", choices=SIMULATORS, required=True)
    parser.add_argument("-o", "--output", metavar="RESULT",
                        help="result JSON of the RTL (standard output without -o)")
    parser.add_argument("--config", metavar="CONFIG",
                        help="JSON or TOML config whose parameters override the stimulus's")
    parser.add_argument("--waves", metavar="FILE",
                        help="write waveforms (.vcd; .fst too on icarus and verilator)")
    parser.add_argument("--plot", metavar="PNG",
                        help="plot RTL and golden membranes and spike counts")
    parser.add_argument("--seed", help="seed of the random gaps and stalls (printed; random "
                        "by default)")
    parser.add_argument("--testbench", choices=TESTBENCHES,
                        help="icarus and verilator: the file-driven harness (default) or the "
                             "cocotb testbench (the default with --waves)")
    parser.add_argument("--netlist", choices=NETLISTS,
                        help="simulate the netlist Yosys synthesises for this FPGA family "
                             "(ice40: iCEBreaker, ecp5: ULX3S) instead of the RTL")
    parser.add_argument("--input-gaps", default="0.2", metavar="P",
                        help="probability of an idle input cycle (default 0.2)")
    parser.add_argument("--output-stalls", default="0.2", metavar="P",
                        help="probability of a not-ready output cycle (default 0.2)")
    parser.add_argument("--lanes", metavar="P",
                        help="networks: synaptic operations per clock and layer (default 1)")
    parser.set_defaults(run=run)


def _testbench(args):
    """The testbench the options ask for (None for the amaranth simulator)."""
    if args.simulator == "amaranth":
        for option, value in (("--testbench", args.testbench), ("--netlist", args.netlist)):
            if value is not None:
                raise InputError(f"{option} = {value}: the amaranth simulator runs the RTL in "
                                 "Python; use --simulator icarus or verilator")
        return None
    testbench = args.testbench or ("cocotb" if args.waves else "harness")
    if testbench == "harness" and args.waves:
        raise InputError(f"--waves = {args.waves}: the harness writes no waveforms; "
                         "use --testbench cocotb")
    if testbench == "cocotb" and args.netlist:
        raise InputError(f"--netlist = {args.netlist}: netlists run in the harness; "
                         "leave out --testbench cocotb")
    return testbench


def _outputs(args):
    """Every output path and format, checked before the simulation starts."""
    plan = OutputPlan(inputs=[args.stimulus, args.config])
    output = plan.add("-o", args.output)
    waves_formats = (".vcd",) if args.simulator == "amaranth" else (".vcd", ".fst")
    waves = plan.add("--waves", args.waves, suffixes=waves_formats)
    plot = plan.add("--plot", args.plot, suffixes=(".png",))
    if plot is not None:
        try:
            import matplotlib  # noqa: F401  (the plot extra)
        except ModuleNotFoundError:
            raise InputError("--plot needs matplotlib: pip install 'lifq[plot]'") from None
    return plan, output, waves, plot


def run(args):
    input_gaps = parse(args.input_gaps, "--input-gaps", PROBABILITY)
    output_stalls = parse(args.output_stalls, "--output-stalls", PROBABILITY)
    seed = parse(args.seed, "--seed", SEED)
    lanes = parse(args.lanes, "--lanes", LANES)
    document = parse_json(args.stimulus, read_text(args.stimulus))
    if isinstance(document, dict) and "network" in document:
        return _run_network(args, document, lanes=lanes or 1, seed=seed, input_gaps=input_gaps,
                            output_stalls=output_stalls)
    if lanes is not None:
        raise InputError(f"--lanes = {lanes}: lanes are a network's; {args.stimulus} is a "
                         "core's stimulus (no \"network\" key)")
    testbench = _testbench(args)
    plan, output, waves, plot = _outputs(args)
    if seed is None:
        seed = random.randrange(SEED.high + 1)
    stimulus = stimulus_from_document(args.stimulus, document, args.config)
    cfg, currents = stimulus.config, stimulus.currents
    expected = simulate(cfg, currents)
    with contextlib.ExitStack() as files:
        waves_file = None
        if waves is not None:   # the simulators take a path name (Amaranth: a str)
            waves_file = str(files.enter_context(plan.writing(waves)))
        result, label = _simulate(args, testbench, cfg, currents, seed, input_gaps,
                                  output_stalls, waves_file)
        got = (result.spikes, result.v)
        plan.write_text(output, dump_result(*got))
        if plot is not None:
            from lifq.sim.plot import plot_traces
            with plan.writing(plot) as plot_file:
                plot_traces(plot_file, cfg, currents, rtl=got, golden=expected)

    mismatch = first_mismatch(*expected, *got)
    steps, neurons = currents.shape
    if mismatch is not None:
        print(f"lifq simulate: {label}: MISMATCH at {describe_mismatch(mismatch)} "
              f"(seed {seed})", file=sys.stderr)
        return 1
    print(f"lifq simulate: {label}: all {steps * neurons} updates ({steps} steps × "
          f"{neurons} neurons) equal the golden model (seed {seed})", file=sys.stderr)
    return 0


def _simulate(args, testbench, cfg, currents, seed, input_gaps, output_stalls, waves):
    """Run the RTL (or netlist) on the chosen engine; returns (result, label)."""
    if testbench is None:
        from lifq.sim.amaranth_sim import run_amaranth
        return run_amaranth(cfg, currents, seed=seed, input_gaps=input_gaps,
                            output_stalls=output_stalls, waves=waves), args.simulator
    if testbench == "harness":
        from lifq.sim import harness
        from lifq.sim.runner import RtlJob
        job = RtlJob(cfg, currents, seed=seed, input_gaps=input_gaps,
                     output_stalls=output_stalls)
        (result,) = harness.run_harness([job], args.simulator, netlist=args.netlist)
        return result, result.simulator
    from lifq.sim.runner import run_rtl
    return run_rtl(cfg, currents, args.simulator, seed=seed, input_gaps=input_gaps,
                   output_stalls=output_stalls, waves=waves), args.simulator


# --- networks -----------------------------------------------------------------

def _network_outputs(args, document):
    """The outputs of a network run, checked (with the options that do not apply)."""
    plan = OutputPlan(inputs=stimulus_inputs(args.stimulus, document, args.config))
    output = plan.add("-o", args.output)
    waves_formats = (".vcd",) if args.simulator == "amaranth" else (".vcd", ".fst")
    waves = plan.add("--waves", args.waves, suffixes=waves_formats)
    if args.config is not None:
        raise InputError(f"--config = {args.config}: --config overrides a core's parameters; "
                         "a network stimulus sets them per layer")
    if args.plot is not None:
        raise InputError(f"--plot = {args.plot}: plots draw a core's traces; use lifq golden "
                         "or -o for a network's")
    if args.simulator == "amaranth":
        if args.testbench == "cocotb":
            raise InputError("--testbench = cocotb: the amaranth simulator runs the RTL in "
                             "Python; use --simulator icarus or verilator")
        if args.netlist is not None:
            raise InputError(f"--netlist = {args.netlist}: the amaranth simulator runs the RTL "
                             "in Python; use --simulator icarus or verilator")
        return plan, output, waves, None
    return plan, output, waves, _testbench(args)


def _run_network(args, document, *, lanes, seed, input_gaps, output_stalls):
    plan, output, waves, testbench = _network_outputs(args, document)
    stimulus = network_stimulus_from_document(args.stimulus, document)
    net, inputs = stimulus.network, stimulus.inputs
    if seed is None:
        seed = random.randrange(SEED.high + 1)
    options = dict(lanes=lanes, seed=seed, input_gaps=input_gaps, output_stalls=output_stalls)
    with contextlib.ExitStack() as files:
        if args.simulator == "amaranth":
            from lifq.sim.network_amaranth import first_mismatch as network_mismatch
            from lifq.sim.network_amaranth import run_network

            waves_file = str(files.enter_context(plan.writing(waves))) if waves else None
            run = run_network(net, inputs, waves=waves_file, **options)
            mismatch, label = network_mismatch(net, inputs, run), "amaranth"
            updates = sum(len(table) for table in run.updates)
            events = len(run.events[-1])
            layers = [run.layer(n) for n in range(len(net.layers))] if mismatch is None else None
        else:
            if testbench == "cocotb":
                from lifq.sim.network_runner import run_network_cocotb

                waves_file = str(files.enter_context(plan.writing(waves))) if waves else None
                run = run_network_cocotb(net, inputs, args.simulator, waves=waves_file,
                                         **options)
            else:
                from lifq.sim.harness import run_network_harness

                run = run_network_harness(net, inputs, args.simulator, netlist=args.netlist,
                                          **options)
            mismatch = run.mismatch or run.hung
            label = run.simulator
            updates, events = sum(len(table) for table in run.updates), len(run.events)
            layers = ([run.layer(n) for n in range(len(net.layers))]
                      if run.complete_samples() == 1 and not run.hung else None)
        if layers is not None:
            plan.write_text(output, dump_network_result(_network_result(net, layers)))
    if mismatch is not None:
        print(f"lifq simulate: {label}: MISMATCH at {mismatch} (seed {seed})", file=sys.stderr)
        return 1
    sizes = "-".join(map(str, net.sizes))
    print(f"lifq simulate: {label}: all {updates} updates and {events} output events of network "
          f"{sizes} ({stimulus.steps} steps) equal the golden network (seed {seed})",
          file=sys.stderr)
    return 0


def _network_result(net, layers):
    """The network result of SPEC §6 of what the hardware sent: ``layers`` are every layer's
    (spikes, v) of one sample, (1, T, N_ℓ) each."""
    layers = [(spikes[0], v[0]) for spikes, v in layers]
    spikes, v = layers[-1]
    scores = net.layers[-1].neuron.threshold * spikes.sum(axis=0) + v[-1]
    return NetworkResult(layers=layers, scores=scores, prediction=int(np.argmax(scores)),
                         events=int(sum(np.count_nonzero(k) for k, _ in layers)))
