"""``lifq demo``: the main job end to end on a built-in example.

The golden model runs one input train through the three resets and prints
the spike table and the quantization error of each reset; later stages
(Verilog, RTL simulation, bitstream) print their own summaries.
"""

import numpy as np

from golden import RESETS, InputError, LIFConfig, alexiewicz, simulate, sqnr


def register(subparsers):
    parser = subparsers.add_parser(
        "demo", help="run the built-in example end to end",
        description="Run a built-in example through the golden model and print the spike "
                    "table and the quantization error of each reset.")
    parser.add_argument("--steps", type=int, default=48, metavar="T",
                        help="timesteps of the example (default 48)")
    parser.set_defaults(run=run)


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


def run(args):
    if not 1 <= args.steps <= 10000:
        raise InputError(f"--steps = {args.steps} is out of range: allowed 1 … 10000")
    golden_stage(args.steps)
