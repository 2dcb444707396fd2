"""Data-set throughput of the network golden model against a plain per-neuron Python loop.

Side by side, in one process, on the digits network (a 64-64-10 float MLP
converted with the default recipe, one network per reset) and the whole test
set (540 samples) at T = 32, the same input every step:

* ``simulate_network`` — bit-exact, vectorised over the batch of samples,
  ``record=False`` as data-set evaluation runs it;
* a plain per-neuron Python loop of the same integer maths (SPEC §6 and §1
  in Python integers), checked bit-exact against ``simulate_network`` here,
  so it is a fair baseline; it is slow, so it is timed on a slice of the
  samples and its rate scaled to the whole set.  It runs twice: computing
  every synaptic sum every step, and computing the first layer's once (the
  input is the same every step), as ``simulate_network`` does.

Run: ``.venv/bin/python -m bench.network [--json bench/results/network.json]``
"""

import argparse
import json
import platform
import sys
import time

import numpy as np

from lifq.golden import convert, simulate_network
from lifq.golden.datasets import load_digits, train_mlp
from lifq.spec import RESETS


def plain_loop(net, x, steps, constant_first_layer=False):
    """Scores of one sample held for ``steps`` steps, one neuron and one step at a
    time in plain Python integers.

    With ``constant_first_layer`` the first layer's synaptic sums are computed
    once, as ``simulate_network`` does for an input that is the same every
    step; otherwise every step computes them again.
    """
    layers = [(layer.neuron, layer.weights.tolist(), layer.bias.tolist())
              for layer in net.layers]
    membranes = [[cfg.initial_membrane] * cfg.neurons for cfg, _, _ in layers]
    output_spikes = [0] * net.outputs
    x = [int(value) for value in x]
    first_totals = (_synaptic_sums(layers[0][1], x) if constant_first_layer else None)
    for _ in range(steps):
        a = x
        for number, (cfg, weights, bias) in enumerate(layers):
            totals = (first_totals if number == 0 and constant_first_layer
                      else _synaptic_sums(weights, a))
            v = membranes[number]
            scale, theta, k_max = 1 << cfg.decay_shift, cfg.threshold, cfg.k_max
            counts = []
            for n in range(cfg.neurons):
                current = min(max(totals[n], cfg.current_min), cfg.current_max)
                product = v[n] * cfg.decay
                leaked = product // scale if product >= 0 else -((-product) // scale)
                u = leaked + current + bias[n]
                if u >= theta:
                    k = min(u // theta, k_max)
                elif cfg.signed and u <= -theta:
                    k = -min((-u) // theta, k_max)
                else:
                    k = 0
                r = 0 if cfg.reset == "zero" and k else u - k * theta
                v[n] = min(max(r, cfg.v_min), cfg.v_max)
                counts.append(k)
            a = counts
        output_spikes = [s + k for s, k in zip(output_spikes, a)]
    theta = net.layers[-1].neuron.threshold
    return [theta * s + v for s, v in zip(output_spikes, membranes[-1])]


def _synaptic_sums(weights, a):
    """Σ_j W[n][j]·a[j] for every neuron n, one multiply-add at a time."""
    totals = []
    for row in weights:
        total = 0
        for w, value in zip(row, a):
            total += w * value
        totals.append(total)
    return totals


def best_seconds(function, repeats):
    """The fastest of ``repeats`` runs (the least disturbed on a shared machine)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE", help="also write the table as JSON")
    parser.add_argument("--steps", type=int, default=32, help="timesteps T (default 32)")
    parser.add_argument("--loop-samples", type=int, default=20,
                        help="samples the plain loop runs (default 20)")
    args = parser.parse_args(argv)

    digits = load_digits()
    model = train_mlp(digits, (64,))
    x = digits.x_test
    samples = len(x)
    batch = np.broadcast_to(x[:, None, :], (samples, args.steps, x.shape[1]))
    rows = []
    print(f"digits test set: {samples} samples × T = {args.steps} steps, network "
          f"{'-'.join(map(str, model.sizes))}; simulate_network vs a plain per-neuron loop "
          "(seconds for the whole set; the loop's scaled from "
          f"{args.loop_samples} samples)")
    print(f"{'reset':>9} {'golden s':>9} {'loop s':>7} {'× loop':>7} {'loop¹ s':>8} "
          f"{'× loop¹':>8} {'samples/s':>10} {'accuracy':>9}")
    subset = x[:args.loop_samples]
    for reset in RESETS:
        net = convert(model, digits.x_train, reset=reset, steps=args.steps).network
        result = simulate_network(net, batch, record=False)
        golden = best_seconds(lambda: simulate_network(net, batch, record=False), 7)
        loops = {}
        for constant in (False, True):
            scores = [plain_loop(net, sample, args.steps, constant) for sample in subset]
            assert scores == result.scores[:len(subset)].tolist(), "loop != golden"
            seconds = best_seconds(
                lambda: [plain_loop(net, s, args.steps, constant) for s in subset], 2)
            loops[constant] = seconds * samples / len(subset)
        accuracy = float(np.mean(result.predictions == digits.y_test))
        rows.append({"reset": reset, "samples": samples, "steps": args.steps,
                     "sizes": list(net.sizes), "golden_seconds": golden,
                     "plain_loop_seconds": loops[False],
                     "plain_loop_first_layer_once_seconds": loops[True],
                     "plain_loop_samples_timed": len(subset),
                     "speedup_vs_loop": loops[False] / golden,
                     "speedup_vs_loop_first_layer_once": loops[True] / golden,
                     "accuracy": accuracy})
        print(f"{reset:>9} {golden:>9.3f} {loops[False]:>7.2f} {loops[False] / golden:>7.0f} "
              f"{loops[True]:>8.2f} {loops[True] / golden:>8.0f} {samples / golden:>10.0f} "
              f"{100 * accuracy:>8.2f}%")
    print("loop¹: the plain loop computing the first layer's sums once, as simulate_network "
          "does for an input that is the same every step")
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"machine": platform.processor() or platform.machine(),
                       "python": sys.version.split()[0], "numpy": np.__version__,
                       "rows": rows}, file, indent=1)


if __name__ == "__main__":
    main()
