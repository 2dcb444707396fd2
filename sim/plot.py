"""Plot RTL and golden traces of a few neurons, for ``lifq simulate --plot``.

Uses matplotlib's Agg canvas directly (no pyplot, no global backend switch),
so it works headless and inside other programs.
"""

import numpy as np

from .check import MISSING, first_mismatch

__all__ = ["plot_traces"]


def _masked(array):
    """Float copy with :data:`sim.check.MISSING` as NaN (not drawn)."""
    array = np.asarray(array, dtype=np.int64)
    result = array.astype(float)
    result[array == MISSING] = np.nan
    return result


def plot_traces(path, cfg, currents, rtl, golden, neurons=None, *, max_steps=400, title=None):
    """Draw membranes and spike counts of the RTL and the golden model over time.

    Parameters
    ----------
    path : str or path
        PNG (or any format matplotlib knows by the extension) to write.
    cfg : lifq.spec.LIFConfig
    currents : array_like of int, shape (T, N)
        Drawn faintly behind the membranes.
    rtl, golden : pair of arrays ``(spikes, v)``, shape (T, N)
        E.g. a :class:`sim.runner.RtlRun` and :func:`lifq.golden.simulate`'s return.
    neurons : iterable of int, optional
        Which neurons; default the neuron of the first mismatch (if any) and
        the first neurons, four in all at most.
    max_steps : int
        At most this many timesteps are drawn: a window around the first
        mismatch, or the start.
    title : str, optional
        Replaces the default title.

    Returns
    -------
    tuple or None
        The first mismatch (see :func:`sim.check.first_mismatch`).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rtl_spikes, rtl_v = (np.asarray(a, dtype=np.int64) for a in rtl)
    gold_spikes, gold_v = (np.asarray(a, dtype=np.int64) for a in golden)
    currents = np.asarray(currents, dtype=np.int64)
    steps, count = gold_v.shape
    mismatch = first_mismatch(gold_spikes, gold_v, rtl_spikes, rtl_v)

    if neurons is None:
        neurons = [] if mismatch is None else [mismatch[1]]
        neurons += [n for n in range(count) if n not in neurons][:4 - len(neurons)]
    neurons = [int(n) for n in neurons]
    for n in neurons:
        if not 0 <= n < count:
            raise ValueError(f"neuron {n} is outside 0 … {count - 1}")

    start = 0
    if steps > max_steps and mismatch is not None:
        start = min(max(0, mismatch[0] - max_steps // 2), steps - max_steps)
    stop = min(steps, start + max_steps)
    t = np.arange(start, stop)

    figure = Figure(figsize=(10, 1.2 + 3.4 * len(neurons)), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(2 * len(neurons), 1, sharex=True, squeeze=False,
                           gridspec_kw={"height_ratios": [2, 1] * len(neurons)})[:, 0]
    for row, n in enumerate(neurons):
        membrane, spikes = axes[2 * row], axes[2 * row + 1]
        membrane.step(t, currents[start:stop, n], where="mid", color="0.8", linewidth=0.8,
                      label="input current i")
        membrane.plot(t, gold_v[start:stop, n], color="tab:blue", linewidth=1.6,
                      label="golden v'")
        membrane.plot(t, _masked(rtl_v[start:stop, n]), color="tab:orange", linestyle="--",
                      marker=".", markersize=3, linewidth=1.0, label="RTL v'")
        membrane.axhline(cfg.threshold, color="tab:green", linestyle=":", linewidth=1,
                         label="±θ" if cfg.signed else "θ")
        if cfg.signed:
            membrane.axhline(-cfg.threshold, color="tab:green", linestyle=":", linewidth=1)
        membrane.set_ylabel(f"neuron {n}\nmembrane")
        spikes.bar(t, gold_spikes[start:stop, n], width=0.8, color="tab:blue", alpha=0.5,
                   label="golden k")
        spikes.plot(t, _masked(rtl_spikes[start:stop, n]), linestyle="none", marker="x",
                    markersize=4, color="tab:orange", label="RTL k")
        spikes.set_ylabel("spike count k")
        if mismatch is not None and start <= mismatch[0] < stop:
            for axis in (membrane, spikes):
                axis.axvline(mismatch[0], color="tab:red", linewidth=1, alpha=0.7,
                             label="first mismatch" if axis is membrane else None)
    axes[-1].set_xlabel("timestep")
    handles, labels = [], []
    for axis in axes[:2]:
        for handle, label in zip(*axis.get_legend_handles_labels()):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    figure.legend(handles, labels, loc="outside lower center", ncols=len(labels),
                  fontsize="small")

    if title is None:
        verdict = ("RTL equals the golden model" if mismatch is None else
                   f"first mismatch at timestep {mismatch[0]}, neuron {mismatch[1]} "
                   f"({mismatch[2]}: expected {mismatch[3]}, got {mismatch[4]})")
        title = (f"LIF core, reset={cfg.reset}, N={cfg.neurons}, W={cfg.width}, "
                 f"θ={cfg.threshold}, d={cfg.decay}/2^{cfg.decay_shift}: {verdict}")
    figure.suptitle(title, fontsize="medium")
    figure.savefig(path, dpi=110)
    return mismatch
