"""``lifq simulate STIM --simulator icarus|verilator|amaranth``: the RTL against the golden model.

On Icarus and Verilator a stimulus — a stream of currents — goes through the
file-driven harness (:mod:`lifq.sim.harness`), which also runs the netlist
Yosys synthesises for a board's FPGA (``--netlist``).  Waveforms come from
the cocotb testbench (:mod:`lifq.sim.runner`), which ``--testbench cocotb``
also picks by hand.
"""

import contextlib
import random
import sys

from lifq.golden import simulate
from lifq.options import PROBABILITY, SEED, parse
from lifq.outputs import OutputPlan
from lifq.sim.check import describe_mismatch, first_mismatch
from lifq.sim.files import dump_result, load_stimulus
from lifq.spec import InputError

SIMULATORS = ("icarus", "verilator", "amaranth")
TESTBENCHES = ("harness", "cocotb")
NETLISTS = ("ice40", "ecp5")


def register(subparsers):
    parser = subparsers.add_parser(
        "simulate", help="run a stimulus through the RTL and compare it with the golden model",
        description="Run a stimulus through the generated core on a simulator; exit 0 when "
                    "every update equals the golden model, 1 with the first mismatch.")
    parser.add_argument("stimulus", metavar="STIM", help="stimulus JSON file")
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
    testbench = _testbench(args)
    plan, output, waves, plot = _outputs(args)
    if seed is None:
        seed = random.randrange(SEED.high + 1)
    stimulus = load_stimulus(args.stimulus, args.config)
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
