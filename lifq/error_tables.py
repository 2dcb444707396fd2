"""The tables ``lifq error`` prints, one function per experiment.

Each takes the plain-data result of an experiment of
:mod:`lifq.golden.experiments` and prints it to standard output.
"""

import math

import numpy as np

from lifq.golden.experiments import hardware

__all__ = ["print_trains", "print_sqnr", "print_hardware"]


def _alpha(alpha):
    return "∞" if math.isinf(alpha) else f"{alpha:g}"


def _down(value):
    """Three decimals rounded down, so an error just below θ never prints as 1.000."""
    return f"{math.floor(value * 1000) / 1000:6.3f}"


def _percent(fraction):
    return f"{100 * fraction:.0f}%"


def print_trains(result):
    settings = result.settings
    print(f"Random spike trains: {settings['runs']} runs per setting, gaps uniform in "
          f"[0, {settings['max_gap']:g}], amplitudes uniform in [−Aθ, Aθ], θ = 1")
    print("error = ‖LIF(η) − η‖_{A,α} / θ over the runs (rounded down); "
          "≥θ = fraction of runs that reached θ\n")
    rows = {(row["reset"], row["alpha"], row["amplitude"], row["spikes"]): row
            for row in result.summary()}
    group = f"{'min':>6} {'median':>6} {'max':>6} {'≥θ':>4}"
    for alpha in result.alphas:
        for amplitude in result.amplitudes:
            print(f"α = {_alpha(alpha)}, A = {amplitude:g}")
            print(f"{'':>6}  " + "  ".join(f"{reset:^27}" for reset in result.resets))
            print(f"{'spikes':>6}  " + "  ".join(group for _ in result.resets))
            for spikes in result.spike_counts:
                cells = []
                for reset in result.resets:
                    row = rows[reset, alpha, amplitude, spikes]
                    cells.append(f"{_down(row['min'])} {_down(row['median'])} "
                                 f"{_down(row['max'])} {_percent(row['at_least_theta']):>4}")
                print(f"{spikes:>6}  " + "  ".join(cells))
            print()
    never = all(row["at_least_theta"] == 0 for row in rows.values() if row["reset"] == "mod")
    print("Reset to mod stayed below θ in every run." if never else
          "Reset to mod reached θ in some run: that contradicts Theorem 1, please report it.")


def print_sqnr(result):
    settings = result.settings
    print(f"IF neuron as a uniform quantizer: constant input x ~ N(0, {settings['sigma']:g}²), "
          f"{settings['samples']} samples, x̂ = θ·Σk/T, SQNR against ReLU(x) in dB")
    print(f"θ* = SQNR-optimal threshold; T' = steps θ = {result.fixed_theta:g} needs to "
          f"match θ* at T (— if more than {int(result.steps[-1])}); reset to mod with "
          f"q = {settings['spike_bits']} (|k| ≤ {2 ** settings['spike_bits'] - 1} per step)\n")
    fixed_label, match_label = f"θ={result.fixed_theta:g}", "T'"
    print(f"{'T':>3}  " + "  ".join(f"{reset:^29}" for reset in result.resets))
    print(f"{'':>3}  " + "  ".join(f"{fixed_label:>7} {'θ*':>7} {'at θ*':>7} {match_label:>4}"
                                   for _ in result.resets))
    matching = {reset: result.matching_steps(reset) for reset in result.resets}
    for s, steps in enumerate(result.steps):
        cells = []
        for r, reset in enumerate(result.resets):
            match = matching[reset][s]
            cells.append(f"{result.sqnr_fixed[r, s]:7.2f} {result.optimal_theta[r, s]:7.4f} "
                         f"{result.sqnr_optimal[r, s]:7.2f} "
                         f"{'—' if match is None else match:>4}")
        print(f"{steps:>3}  " + "  ".join(cells))
    if "subtract" in result.resets and 4 in result.steps:
        r, s = result.resets.index("subtract"), int(np.flatnonzero(result.steps == 4)[0])
        gain = result.sqnr_optimal[r, s] - result.sqnr_fixed[r, s]
        match = matching["subtract"][s]
        needs = (f"θ = {result.fixed_theta:g} needs T = {match} ({match / 4:.1f}× the steps) "
                 "to match it" if match is not None else
                 f"θ = {result.fixed_theta:g} does not match it within T = "
                 f"{int(result.steps[-1])}")
        print(f"\nReset by subtraction at T = 4: θ* = {result.optimal_theta[r, s]:.4f} gives "
              f"{result.sqnr_optimal[r, s]:.2f} dB, {gain:+.2f} dB over θ = "
              f"{result.fixed_theta:g}; {needs}.")


def print_hardware(result):
    settings = result.settings
    theta = settings["theta"]
    print(f"Integer hardware neuron vs real-valued LIF: θ = {theta} LSB, {settings['runs']} "
          f"runs of {settings['steps']} steps, engine {settings['engine']}")
    print(f"‖e‖_D: error norm with the hardware leak D(v) = trunc(v·d/2^F) (bound: θ − 1 = "
          f"{theta - 1}); ‖e‖_α: with the exact leak e^(−α); errors in LSB;")
    print("k≠real: steps whose output differs from the real-valued neuron's\n")
    # Only another engine than golden has something to compare with the golden model.
    engine = settings["engine"] != "golden"
    head = f" {'≠golden':>7}" if engine else ""

    def tail(row):
        return (f" {100 * row['steps_differ']:6.1f}%"
                + (f" {row['engine_mismatches']:>7}" if engine else ""))

    if result.leak:
        _print_leak_sweep(result.leak, settings, head, tail)
    if result.spike_bits:
        _print_spike_bits_sweep(result.spike_bits, settings, head, tail)
    if result.width:
        _print_width_sweep(result.width, settings, head, tail)


def _print_leak_sweep(rows, settings, head, tail):
    print(f"Leak rounding d = round(2^F·e^(−α)): reset to mod, A = {settings['amplitude']:g}, "
          f"q = {hardware.SPIKE_BITS}, W = {hardware.FULL_WIDTH}; bound: drift bound on "
          "‖e‖_α; ≥θ: runs with ‖e‖_α ≥ θ")
    print(f"{'α':>5} {'F':>3} {'d':>6} {'d/2^F':>7} {'max‖e‖_D':>9} {'med‖e‖_α':>9} "
          f"{'max‖e‖_α':>9} {'bound':>7} {'≥θ':>5} {'k≠real':>7}" + head)
    for row in rows:
        print(f"{_alpha(row['alpha']):>5} {row['decay_shift']:>3} {row['decay']:>6} "
              f"{row['beta_hardware']:7.4f} {row['integer_leak_max']:>9} "
              f"{row['exact_leak_median']:9.2f} {row['exact_leak_max']:9.2f} "
              f"{row['exact_leak_bound']:7.2f} "
              f"{_percent(row['exact_leak_at_least_theta']):>5}" + tail(row))
    print()


def _print_spike_bits_sweep(rows, settings, head, tail):
    print(f"Spike-count cap |k| ≤ 2^q − 1: reset to mod, α = {_alpha(settings['slow_alpha'])}, "
          f"F = {hardware.DECAY_SHIFT}, W = {hardware.FULL_WIDTH}; ≥θ: runs with ‖e‖_D ≥ θ; "
          "the bound needs A ≤ 2^q − 1")
    print(f"{'q':>3} {'2^q−1':>5} {'A':>5} {'med‖e‖_D':>9} {'max‖e‖_D':>9} {'≥θ':>5} "
          f"{'holds':>6} {'k≠real':>7}" + head)
    for row in rows:
        holds = "yes" if row["integer_leak_at_least_theta"] == 0 else "NO"
        print(f"{row['spike_bits']:>3} {row['k_max']:>5} {row['amplitude']:>5g} "
              f"{row['integer_leak_median']:9.1f} {row['integer_leak_max']:>9} "
              f"{_percent(row['integer_leak_at_least_theta']):>5} {holds:>6}" + tail(row))
    print()


def _print_width_sweep(rows, settings, head, tail):
    print(f"Membrane width W (saturating): A = {settings['width_amplitude']:g}, "
          f"α = {_alpha(settings['slow_alpha'])}, F = {hardware.DECAY_SHIFT}, "
          f"q = {hardware.SPIKE_BITS}; clamped: runs whose membrane hit the W-bit clamp; "
          "≥θ: runs with ‖e‖_D ≥ θ")
    print(f"{'reset':>9} {'W':>3} {'max|v|':>7} {'clamped':>8} {'med‖e‖_D':>9} "
          f"{'max‖e‖_D':>9} {'≥θ':>5} {'k≠real':>7}" + head)
    for row in rows:
        print(f"{row['reset']:>9} {row['width']:>3} {row['max_abs_v']:>7} "
              f"{_percent(row['saturated']):>8} {row['integer_leak_median']:9.1f} "
              f"{row['integer_leak_max']:>9} "
              f"{_percent(row['integer_leak_at_least_theta']):>5}" + tail(row))
