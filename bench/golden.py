"""Neuron updates per second of the golden model against what a user would pick instead.

Side by side, in one process, on the same currents:

* ``golden.simulate`` — bit-exact, vectorised over neurons;
* a plain per-neuron Python loop of the same integer maths (checked bit-exact
  against the golden model here, so it is a fair baseline);
* snnTorch's ``Leaky`` neuron on CPU PyTorch (float32, subtract reset), the
  usual choice for LIF simulation in Python — when snnTorch is installed.

Run: ``.venv/bin/python -m bench.golden [--json bench/golden.json]``
(``pip install torch==2.13.0 snntorch`` for the snnTorch column).
"""

import argparse
import json
import platform
import sys
import time

import numpy as np

from lifq.golden import simulate

from . import CONFIG

SIZES = (64, 1024, 16384)
STEPS = 1000


def plain_loop(cfg, currents):
    """SPEC §1 one neuron and one step at a time, in plain Python integers."""
    steps, neurons = len(currents), len(currents[0])
    spikes = [[0] * neurons for _ in range(steps)]
    membranes = [[0] * neurons for _ in range(steps)]
    theta, k_max, scale = cfg.threshold, cfg.k_max, 1 << cfg.decay_shift
    for n in range(neurons):
        v = 0
        for t in range(steps):
            product = v * cfg.decay
            leaked = product // scale if product >= 0 else -((-product) // scale)
            u = leaked + currents[t][n] + cfg.bias
            if u >= theta:
                k = min(u // theta, k_max)
            elif cfg.signed and u <= -theta:
                k = -min((-u) // theta, k_max)
            else:
                k = 0
            r = 0 if cfg.reset == "zero" and k else u - k * theta
            v = min(max(r, cfg.v_min), cfg.v_max)
            spikes[t][n], membranes[t][n] = k, v
    return spikes, membranes


def snntorch_leaky(cfg, currents):
    """snnTorch ``Leaky`` with β = d/2^F and θ, on float32 CPU tensors; None if absent."""
    try:
        import snntorch
        import torch
    except ImportError:
        return None
    torch.set_grad_enabled(False)
    neuron = snntorch.Leaky(beta=cfg.decay / (1 << cfg.decay_shift),
                            threshold=float(cfg.threshold), reset_mechanism="subtract")
    inputs = torch.from_numpy(currents.astype(np.float32))
    membrane = neuron.init_leaky()
    spikes = torch.empty_like(inputs)
    for t in range(inputs.shape[0]):
        spikes[t], membrane = neuron(inputs[t], membrane)
    return spikes


def best_rate(function, updates, repeats):
    """Neuron updates per second, best of ``repeats`` runs (least disturbed)."""
    best = min(_timed(function) for _ in range(repeats))
    return updates / best


def _timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE", help="also write the table as JSON")
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args(argv)

    cfg = CONFIG
    rng = np.random.default_rng(0)
    rows = []
    print(f"golden.simulate vs plain Python loop vs snnTorch Leaky, T = {args.steps} steps, "
          f"W = {cfg.width}, reset = {cfg.reset}, β = {cfg.decay}/2^{cfg.decay_shift}")
    print(f"{'N':>6} {'golden upd/s':>13} {'loop upd/s':>11} {'snnTorch upd/s':>15} "
          f"{'×loop':>7} {'×snnTorch':>10}")
    for neurons in SIZES:
        cfg = cfg.replace(neurons=neurons)
        currents = rng.integers(-200, 201, (args.steps, neurons))
        updates = args.steps * neurons
        # Best of several runs for each contender: this machine is a shared VM.
        golden_rate = best_rate(lambda: simulate(cfg, currents), updates, 9)

        # The plain loop is slow: time it on a slice of the neurons.
        loop_neurons = min(neurons, 64)
        loop_currents = currents[:, :loop_neurons].tolist()
        loop_cfg = cfg.replace(neurons=loop_neurons)
        spikes, v = simulate(loop_cfg, currents[:, :loop_neurons])
        assert plain_loop(loop_cfg, loop_currents) == (spikes.tolist(), v.tolist())
        loop_rate = best_rate(lambda: plain_loop(loop_cfg, loop_currents),
                              args.steps * loop_neurons, 5)

        torch_rate = None
        if snntorch_leaky(cfg, currents[:2]) is not None:
            torch_rate = best_rate(lambda: snntorch_leaky(cfg, currents), updates, 5)
        rows.append({"neurons": neurons, "steps": args.steps, "golden_updates_per_s": golden_rate,
                     "plain_loop_updates_per_s": loop_rate,
                     "snntorch_updates_per_s": torch_rate,
                     "speedup_vs_loop": golden_rate / loop_rate,
                     "speedup_vs_snntorch": golden_rate / torch_rate if torch_rate else None})
        torch_text = f"{torch_rate:>15.3e}" if torch_rate else f"{'not installed':>15}"
        ratio_text = f"{golden_rate / torch_rate:>10.2f}" if torch_rate else f"{'–':>10}"
        print(f"{neurons:>6} {golden_rate:>13.3e} {loop_rate:>11.3e} {torch_text} "
              f"{golden_rate / loop_rate:>7.0f} {ratio_text}")
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"machine": platform.processor() or platform.machine(),
                       "python": sys.version.split()[0], "rows": rows}, file, indent=1)


if __name__ == "__main__":
    main()
