"""PNG figures of the experiments; drawing only, no numerics.

Uses matplotlib's object-oriented API on the Agg canvas (no pyplot, no
display, no global state), so it works in tests and on headless machines.
"""

import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

__all__ = ["plot_trains", "plot_sqnr", "plot_hardware", "plot_accuracy"]

# One colour per reset in every figure.
RESET_COLORS = {"zero": "tab:red", "subtract": "tab:orange", "mod": "tab:blue"}
RESET_NAMES = {"zero": "reset to zero", "subtract": "reset by subtraction",
               "mod": "reset to mod"}
# Sweep colours that cannot be mistaken for the reset colours above.
SWEEP_COLORS = ["tab:purple", "tab:green", "tab:brown", "tab:olive", "tab:cyan", "tab:pink",
                "tab:gray"]
THETA_LINE = dict(color="black", linestyle="--", linewidth=1)
ERROR_LABEL = r"$\|\mathrm{LIF}(\eta)-\eta\|_{A,\alpha}\;/\;\vartheta$"


def _save(figure, path):
    FigureCanvasAgg(figure)
    figure.savefig(path, format="png", dpi=110)


def _alpha_text(alpha):
    return "∞" if math.isinf(alpha) else f"{alpha:g}"


def plot_trains(result, path):
    """Box plots of the random-train errors, as the paper's Figs. 4–5.

    One panel per (α, A); in each, one group of boxes per number of spikes
    with one box per reset.  Whiskers span min to max, so a whisker above the
    θ line is a run that broke the bound.
    """
    rows, columns = len(result.alphas), len(result.amplitudes)
    figure = Figure(figsize=(5.2 * columns, 3.6 * rows + 0.9), layout="constrained")
    axes = np.atleast_2d(figure.subplots(rows, columns, squeeze=False, sharey="row"))
    width = 0.8 / len(result.resets)
    positions = np.arange(len(result.spike_counts))
    for i, alpha in enumerate(result.alphas):
        for j, amplitude in enumerate(result.amplitudes):
            ax = axes[i, j]
            for r, reset in enumerate(result.resets):
                data = [result.runs_of(reset, alpha, amplitude, n) for n in result.spike_counts]
                offset = (r - (len(result.resets) - 1) / 2) * width
                ax.boxplot(data, positions=positions + offset, widths=width * 0.9,
                           whis=(0, 100), patch_artist=True, showfliers=False,
                           boxprops=dict(facecolor=RESET_COLORS[reset], alpha=0.75),
                           medianprops=dict(color="black"))
            ax.axhline(1.0, **THETA_LINE)
            ax.set_xticks(positions, [str(n) for n in result.spike_counts])
            peak = "θ" if amplitude == 1 else f"{amplitude:g}θ"
            ax.set_title(f"α = {_alpha_text(alpha)}, amplitudes in [−{peak}, {peak}]",
                         fontsize=10)
            ax.set_xlabel("input spikes per train")
            ax.set_ylabel(ERROR_LABEL)
            ax.grid(axis="y", alpha=0.3)
    handles = [Patch(facecolor=RESET_COLORS[r], alpha=0.75, label=RESET_NAMES[r])
               for r in result.resets] + [Line2D([], [], label="θ (bound of reset to mod)",
                                                 **THETA_LINE)]
    figure.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    figure.suptitle(f"Quantization error of random spike trains "
                    f"({result.settings['runs']} runs per box, whiskers min–max)")
    _save(figure, path)


def plot_sqnr(result, path):
    """SQNR over the number of steps, and the optimal θ, per reset.

    Solid lines use the optimal θ, dashed ones the fixed θ; the fixed-θ lines
    of subtraction and mod coincide while inputs stay below θ, so their
    dashes differ to keep both visible.
    """
    figure = Figure(figsize=(11, 5.0), layout="constrained")
    left, right = figure.subplots(1, 2)
    steps = result.steps
    dashes = {"zero": (6, 3), "subtract": (6, 3), "mod": (2, 2)}
    for r, reset in enumerate(result.resets):
        color = RESET_COLORS[reset]
        left.plot(steps, result.sqnr_optimal[r], color=color, marker=".",
                  label=f"{RESET_NAMES[reset]}, optimal θ")
        left.plot(steps, result.sqnr_fixed[r], color=color, dashes=dashes[reset],
                  label=f"{RESET_NAMES[reset]}, θ = {result.fixed_theta:g}")
        right.plot(steps, result.optimal_theta[r], color=color, marker=".")
    if "subtract" in result.resets and 4 in steps:
        _annotate_gain_at_four(left, result)
    left.set_title("SQNR of rate decoding θ·Σk/T against ReLU(x)", fontsize=10)
    left.set_xlabel("time steps T")
    left.set_ylabel("SQNR (dB)")
    left.grid(alpha=0.3)
    right.axhline(result.fixed_theta, **THETA_LINE)
    right.set_yscale("log")
    right.set_title("θ that maximises the SQNR (dashed: the fixed θ)", fontsize=10)
    right.set_xlabel("time steps T")
    right.set_ylabel("optimal θ")
    right.grid(alpha=0.3, which="both")
    figure.legend(*left.get_legend_handles_labels(), loc="outside lower center",
                  ncols=len(result.resets), fontsize=9)
    settings = result.settings
    figure.suptitle(f"IF neuron as a uniform quantizer: x ~ N(0, {settings['sigma']:g}²), "
                    f"{settings['samples']} samples; reset to mod emits up to "
                    f"{2 ** settings['spike_bits'] - 1} spikes per step "
                    f"(q = {settings['spike_bits']})")
    _save(figure, path)


def _annotate_gain_at_four(ax, result):
    """The headline of Castagnetti et al.: the gain at T = 4 and the steps θ = 1 needs."""
    r = result.resets.index("subtract")
    s = int(np.flatnonzero(result.steps == 4)[0])
    fixed, best = result.sqnr_fixed[r, s], result.sqnr_optimal[r, s]
    ax.annotate("", xy=(4, best), xytext=(4, fixed),
                arrowprops=dict(arrowstyle="->", color="black"))
    match = result.matching_steps("subtract")[s]
    needs = "more steps than shown" if match is None else f"T = {match}"
    if match is not None:
        ax.hlines(best, 4, match, colors="gray", linestyles=":")
    # The band between the mod and subtraction curves is empty: put the note there.
    ax.text(0.97, 0.67, f"reset by subtraction at T = 4:\n"
            f"optimal θ gains {best - fixed:+.1f} dB (arrow);\n"
            f"θ = {result.fixed_theta:g} needs {needs} (dotted)",
            transform=ax.transAxes, ha="right", va="center", fontsize=9,
            bbox=dict(facecolor="white", edgecolor="gray", alpha=0.9))


def plot_hardware(result, path):
    """One panel per sweep that ran: leak rounding, spike-count cap, width."""
    panels = [name for name in ("leak", "spike_bits", "width") if getattr(result, name)]
    if not panels:
        raise ValueError("no sweep to plot")
    figure = Figure(figsize=(5.0 * len(panels), 4.6), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(panels)))
    theta = result.settings["theta"]
    draw = {"leak": _leak_panel, "spike_bits": _spike_bits_panel, "width": _width_panel}
    for ax, name in zip(axes, panels):
        draw[name](ax, getattr(result, name), theta, result.settings)
    figure.suptitle(f"Integer hardware neuron vs real-valued LIF: θ = {theta} LSB, "
                    f"{result.settings['runs']} runs of {result.settings['steps']} steps, "
                    f"engine {result.settings['engine']}")
    _save(figure, path)


def _leak_panel(ax, rows, theta, settings):
    markers = ["o", "s", "^", "D", "v"]
    for n, alpha in enumerate(dict.fromkeys(row["alpha"] for row in rows)):
        mine = [row for row in rows if row["alpha"] == alpha]
        shifts = [row["decay_shift"] for row in mine]
        color = SWEEP_COLORS[n % len(SWEEP_COLORS)]
        ax.plot(shifts, [row["exact_leak_max"] / theta for row in mine], color=color,
                marker=markers[n % len(markers)],
                label=f"α = {_alpha_text(alpha)}: exact leak " + r"$e^{-\alpha}$")
        bound = [row["exact_leak_bound"] / theta for row in mine]
        if all(math.isfinite(b) for b in bound):
            ax.plot(shifts, bound, color=color, linestyle=":",
                    label=f"α = {_alpha_text(alpha)}: drift bound")
        ax.plot(shifts, [row["integer_leak_max"] / theta for row in mine], color=color,
                linestyle="-.", alpha=0.7,
                label=f"α = {_alpha_text(alpha)}: hardware leak D")
    ax.axhline(1.0, **THETA_LINE, label="θ")
    ax.set_title(f"Leak rounding d = round(2^F·e^(−α)), reset to mod, "
                 f"A = {settings['amplitude']:g}", fontsize=9)
    ax.set_xlabel("leak fraction bits F")
    ax.set_ylabel(r"max $\|x-\vartheta k\|\;/\;\vartheta$ over the runs")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)


def _spike_bits_panel(ax, rows, theta, settings):
    for n, bits in enumerate(dict.fromkeys(row["spike_bits"] for row in rows)):
        mine = [row for row in rows if row["spike_bits"] == bits]
        k_max = mine[0]["k_max"]
        ax.plot([row["amplitude"] for row in mine],
                [100 * row["integer_leak_at_least_theta"] for row in mine],
                color=SWEEP_COLORS[n % len(SWEEP_COLORS)], marker="o",
                label=f"q = {bits} (|k| ≤ {k_max})")
        ax.axvline(k_max, color=SWEEP_COLORS[n % len(SWEEP_COLORS)], linestyle=":",
                   linewidth=1)
    ax.set_xscale("log", base=2)
    ax.set_title(f"Spike-count cap, reset to mod, α = {_alpha_text(settings['slow_alpha'])} "
                 "(dotted: A = 2^q − 1)", fontsize=9)
    ax.set_xlabel("input amplitude A (currents in [−Aθ, Aθ])")
    ax.set_ylabel(r"runs with $\|x-\vartheta k\|_{A,D} \geq \vartheta$ (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def _width_panel(ax, rows, theta, settings):
    for reset in dict.fromkeys(row["reset"] for row in rows):
        mine = [row for row in rows if row["reset"] == reset]
        widths = [row["width"] for row in mine]
        errors = [row["integer_leak_max"] / theta for row in mine]
        ax.plot(widths, errors, color=RESET_COLORS[reset], marker="o",
                label=RESET_NAMES[reset])
        clamped = [(w, e) for w, e, row in zip(widths, errors, mine) if row["saturated"] > 0]
        if clamped:
            ax.scatter(*zip(*clamped), s=160, facecolors="none", edgecolors="black",
                       linewidths=1.5, zorder=3)
    ax.scatter([], [], s=160, facecolors="none", edgecolors="black", linewidths=1.5,
               label="membrane hit the W-bit clamp")
    ax.axhline(1.0, **THETA_LINE, label="θ")
    ax.set_yscale("log")
    ax.set_title(f"Membrane width, A = {settings['width_amplitude']:g}, "
                 f"α = {_alpha_text(settings['slow_alpha'])}", fontsize=9)
    ax.set_xlabel("membrane width W (bits)")
    ax.set_ylabel(r"max $\|x-\vartheta k\|_{A,D}\;/\;\vartheta$")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)


def plot_accuracy(table, path):
    """Test accuracy and spike events over the number of timesteps T, per reset.

    ``table`` is a :class:`lifq.golden.accuracy.AccuracyTable`.  Left: the
    accuracy, with the float ANN as a line, the band within one point of it
    shaded and the integer-weight ANN dotted.  Right: the mean spike events
    per sample.  Where two resets coincide, the hollow marker of one rings
    the filled marker of the other.
    """
    figure = Figure(figsize=(11, 4.6), layout="constrained")
    left, right = figure.subplots(1, 2)
    ann = 100 * table.ann
    left.axhspan(ann - 1, ann, color="gray", alpha=0.15, label="within 1 point of the float ANN")
    left.axhline(ann, color="black", linewidth=1.5, label=f"float ANN ({ann:.2f} %)")
    left.axhline(100 * table.ann_int, color="black", linestyle=":", linewidth=1.5,
                 label=f"integer weights, float activations ({100 * table.ann_int:.2f} %)")
    styles = {"zero": dict(marker="v", markersize=6),
              "subtract": dict(marker="s", markersize=9, markerfacecolor="none"),
              "mod": dict(marker="o", markersize=5)}
    for reset in table.resets:
        style = dict(color=RESET_COLORS[reset], label=RESET_NAMES[reset], **styles[reset])
        left.plot(table.steps, [100 * a for a in table.snn[reset]], **style)
        right.plot(table.steps, table.events[reset], **style)
    low = min(min(table.snn[r]) for r in table.resets)
    left.set_ylim(max(0.0, min(100 * low, ann - 1) - 1), min(100.0, ann + 1.5))
    left.set_ylabel("test accuracy (%)")
    left.legend(fontsize=8, loc="lower right")
    right.set_yscale("log")
    right.set_ylabel("mean spike events per sample")
    right.legend(fontsize=8, loc="upper left")
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_xticks(table.steps, [str(t) for t in table.steps])
        ax.set_xlabel("timesteps T (the same input every step)")
        ax.grid(alpha=0.3, which="both")
    settings = table.settings
    figure.suptitle(f"{table.dataset}: float ReLU MLP {'-'.join(map(str, table.sizes))} → "
                    f"integer LIF network (q = {settings['spike_bits']}, "
                    f"{settings['weight_bits']}-bit weights, threshold at the "
                    + ("SQNR optimum" if settings["threshold"] == "sqnr" else
                       f"{settings['percentile']:g}th percentile") + ")", fontsize=10)
    _save(figure, path)
