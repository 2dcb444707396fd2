"""``lifq demo``: the main job end to end on a built-in example.

1. the golden model runs one input train through the three resets and prints
   the spike table and the quantization error of each reset;
2. a float ReLU MLP trained on scikit-learn's digits is converted into an
   integer LIF network for each reset and its test accuracy printed at
   T = 1, 2, 4 beside the float ANN's;
3. the core of the example config is generated as Verilog;
4. the Verilog runs on a simulator, every update checked against the golden model;
5. the iCEBreaker bitstream of the core is built and its report printed;
6. a summary of all five.
"""

import time

import numpy as np

from lifq.golden import alexiewicz, simulate, sqnr
from lifq.options import parse
from lifq.outputs import OutputPlan
from lifq.spec import RESETS, InputError, LIFConfig
from lifq.spec.ranges import Limit


def register(subparsers):
    parser = subparsers.add_parser(
        "demo", help="run the built-in example end to end",
        description="Run a built-in example through the golden model and print the spike "
                    "table and the quantization error of each reset, convert a digits "
                    "classifier into an integer LIF network, then generate, simulate and "
                    "build the core.")
    parser.add_argument("--steps", default="48", metavar="T",
                        help="timesteps of the example (default 48)")
    parser.add_argument("--simulator", choices=("icarus", "verilator"), default="icarus",
                        help="RTL simulator (default icarus)")
    parser.add_argument("--build-dir", default="build/demo", metavar="DIR",
                        help="where Verilog and bitstream go (default build/demo)")
    parser.add_argument("--skip-bitstream", action="store_true",
                        help="stop after the RTL simulation")
    parser.set_defaults(run=run)


#: Timesteps of the example train.
STEPS = Limit(1, 10_000, integer=True)


def example_config(reset="mod"):
    """The demo core: 4 leaky neurons, θ = 64, 16-bit membranes."""
    return LIFConfig(neurons=4, width=16, threshold=64, reset=reset, decay=4000,
                     decay_shift=12, spike_bits=3)


def example_currents(steps, seed=2023):
    """Slow sines of amplitude up to 2.5·θ with noise, one phase per neuron."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps)[:, None]
    phase = np.arange(4)[None, :] * np.pi / 4
    wave = 160 * np.sin(2 * np.pi * t / 24 + phase)
    return np.round(wave + rng.normal(0, 12, wave.shape)).astype(np.int64)


def golden_stage(steps):
    currents = example_currents(steps)
    runs = {reset: simulate(example_config(reset), currents) for reset in RESETS}
    cfg = example_config()
    print(f"Golden model: {cfg.neurons} neurons, θ = {cfg.threshold}, "
          f"β = {cfg.decay}/2^{cfg.decay_shift}, |k| ≤ {cfg.k_max} under mod, "
          f"{steps} steps\n")
    print("Neuron 0, first 16 steps: spike count k per reset")
    print(f"{'t':>3} {'current':>8} " + " ".join(f"{r:>9}" for r in RESETS))
    for t in range(min(16, steps)):
        print(f"{t:>3} {currents[t, 0]:>8} "
              + " ".join(f"{runs[r][0][t, 0]:>9}" for r in RESETS))

    print("\nQuantization error over all neurons (x = current, y = θ·k)")
    print(f"{'reset':>9} {'|k| sum':>8} {'max |v|':>8} {'‖x−y‖_A,D':>10} "
          f"{'< θ?':>5} {'SQNR dB':>8}")  # SQNR of x̂ = θ·k per step
    for reset in RESETS:
        spikes, v = runs[reset]
        error = currents + cfg.bias - spikes * cfg.threshold
        norm = alexiewicz(error, decay=cfg.decay, decay_shift=cfg.decay_shift).max()
        decoded = spikes * cfg.threshold
        print(f"{reset:>9} {np.abs(spikes).sum():>8} {np.abs(v).max():>8} {norm:>10} "
              f"{'yes' if norm < cfg.threshold else 'NO':>5} "
              f"{sqnr(currents, decoded):>8.2f}")
    print(f"\nReset-to-mod keeps the error norm below θ = {cfg.threshold} "
          "(|v| ≤ θ − 1); zero and subtract do not once inputs exceed θ.")


def network_stage(steps=(1, 2, 4)):
    """The digits network converted per reset: its accuracy table at a few T."""
    from lifq.golden.accuracy import accuracy_table
    from lifq.golden.datasets import load_digits, train_mlp

    from .accuracy import format_table
    dataset = load_digits()
    table = accuracy_table(train_mlp(dataset, (64,)), dataset, steps=steps)
    print("\nNetwork: a float ReLU MLP trained on scikit-learn's digits (pixels 0 … 16 as "
          "integer inputs), converted into an integer LIF network for each reset\n")
    print(format_table(table, len(dataset.y_train), len(dataset.y_test)))
    return table


def verilog_stage(cfg, build_dir):
    from lifq.hdl import generate
    from lifq.hdl.datapath import full_rate_neurons, latency
    path = build_dir / "lif_core.v"
    path.write_text(generate(cfg, "verilog"))
    print(f"\nVerilog: {path} ({len(path.read_text().splitlines())} lines), latency "
          f"{latency(cfg)} cycles, one update per clock for N ≥ {full_rate_neurons(cfg)}")
    return path


def simulation_stage(cfg, currents, simulator):
    from lifq.sim.runner import run_rtl
    result = run_rtl(cfg, currents, simulator, seed=1)
    spikes, v = simulate(cfg, currents)
    equal = np.array_equal(result.spikes, spikes) and np.array_equal(result.v, v)
    print(f"\nRTL on {simulator}: {currents.size} updates with random input gaps and output "
          f"back-pressure (seed 1): {'all equal the golden model' if equal else 'MISMATCH'}")
    return equal


def bitstream_stage(cfg, build_dir):
    from lifq.boards.build import build_bitstream, format_report
    print("\nBitstream for the iCEBreaker (iCE40UP5K) with the YoWASP tools …", flush=True)
    report = build_bitstream("icebreaker", cfg, build_dir=build_dir / "icebreaker")
    print(format_report(report))
    return report


def run(args):
    args.steps = parse(args.steps, "--steps", STEPS)
    build_dir = OutputPlan().add("--build-dir", args.build_dir, kind="folder")
    try:
        build_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"--build-dir = {args.build_dir}: cannot create it "
                         f"({error.strerror or error})") from None
    started = time.monotonic()
    golden_stage(args.steps)
    table = network_stage()
    cfg = example_config()
    verilog = verilog_stage(cfg, build_dir)
    equal = simulation_stage(cfg, example_currents(args.steps), args.simulator)
    report = None if args.skip_bitstream else bitstream_stage(cfg, build_dir)

    print("\nSummary")
    print(f"  golden model   reset-to-mod error below θ = {cfg.threshold}")
    print(f"  network        digits, reset-to-mod at T = {table.steps[0]}: "
          f"{100 * table.snn['mod'][0]:.2f} % (float ANN {100 * table.ann:.2f} %)")
    print(f"  Verilog        {verilog}")
    print(f"  {'RTL (' + args.simulator + ')':<14} {'bit-exact' if equal else 'MISMATCH'}")
    if report is not None:
        print(f"  bitstream      {report['bitstream']} ({report['fmax_mhz']:.1f} MHz Fmax "
              f"at {report['clock_mhz']:.1f} MHz, {report['logic_cells']} logic cells)")
    print(f"  time           {time.monotonic() - started:.0f} s")
    return 0 if equal else 1
