"""The bit-exact integer LIF neuron of SPEC §1, vectorised over neurons.

Everything here is exact int64 arithmetic: with W ≤ 32 and F ≤ 16 the
largest intermediate, v·d, stays below 2^48, so nothing can overflow, and no
float ever touches the integer path.
"""

import numpy as np

from .config import InputError, LIFConfig

__all__ = ["leak", "spike_count", "step", "simulate", "validate_currents"]


def leak(v, decay, decay_shift):
    """trunc(v · d / 2^F): the leak, rounding toward zero as Loihi does.

    An arithmetic shift floors; adding 2^F − 1 to negative products first
    turns the floor into a truncation.
    """
    v = np.asarray(v, dtype=np.int64)
    if decay == 1 << decay_shift:
        return v.copy()
    product = v * decay
    return (product + ((product >> 63) & ((1 << decay_shift) - 1))) >> decay_shift


def spike_count(cfg, u):
    """Signed spike count k of SPEC §1 for pre-reset membranes u.

    min(⌊|u|/θ⌋, k_max) is 0 below θ, 1 from θ on for zero/subtract
    (k_max = 1), and the saturated multi-spike count for mod.
    """
    u = np.asarray(u, dtype=np.int64)
    magnitude = np.minimum(np.abs(u) // cfg.threshold, cfg.k_max)
    k = np.sign(u) * magnitude
    if not cfg.signed:
        k = np.maximum(k, 0)
    return k


def step(cfg, v, current):
    """One timestep of every neuron: returns (k, v') for membranes v.

    Parameters
    ----------
    cfg : LIFConfig
    v : array of int64
        Membranes before the step.
    current : array of int64
        Input currents i, one per neuron, already validated.
    """
    u = leak(v, cfg.decay, cfg.decay_shift) + current + cfg.bias
    k = spike_count(cfg, u)
    remainder = u - k * cfg.threshold
    if cfg.reset == "zero":
        remainder = np.where(k != 0, 0, remainder)
    return k, np.clip(remainder, cfg.v_min, cfg.v_max)


def validate_currents(cfg, currents):
    """Check a T×N current matrix against ``cfg``; return it as int64.

    Raises :class:`InputError` for ragged or mis-shaped matrices, non-integer
    entries and currents outside ``input_width``, naming the first offender.
    """
    array = currents if isinstance(currents, np.ndarray) else _matrix_of_integers(currents)
    if array.ndim != 2:
        raise InputError(f"currents must be a T×N matrix, got {array.ndim} dimension(s)")
    if array.shape[0] < 1:
        raise InputError("currents must be a T×N matrix with at least one timestep")
    if array.shape[1] != cfg.neurons:
        raise InputError(f"currents have {array.shape[1]} column(s) per timestep but "
                         f"neurons = {cfg.neurons}")
    if array.dtype.kind not in "iuO":
        raise InputError(f"currents must be integers, not {array.dtype.name}")
    outside = (array < cfg.current_min) | (array > cfg.current_max)
    if outside.any():
        t, n = (int(x) for x in np.argwhere(outside)[0])
        raise InputError(f"currents[{t}][{n}] = {array[t, n]} is outside input_width = "
                         f"{cfg.input_width}: allowed {cfg.current_min} … {cfg.current_max}")
    return array.astype(np.int64)


def _matrix_of_integers(rows):
    """A nested list as an integer array, naming the first non-integer entry."""
    if not isinstance(rows, (list, tuple)):
        raise InputError(f"currents must be a T×N matrix of integers, not {type(rows).__name__}")
    if not rows:
        raise InputError("currents must be a T×N matrix with at least one timestep")
    lengths = {len(row) if isinstance(row, (list, tuple)) else None for row in rows}
    if None in lengths:
        return np.asarray(rows, dtype=object)  # 1-D: reported by the caller
    if len(lengths) > 1:
        raise InputError("currents must be a T×N matrix with rows of equal length")
    for t, row in enumerate(rows):
        for n, value in enumerate(row):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise InputError(f"currents[{t}][{n}] = {value!r} must be an integer")
    # Python ints beyond int64 become objects and fail the range check.
    try:
        return np.array(rows, dtype=np.int64).reshape(len(rows), -1)
    except OverflowError:
        return np.array(rows, dtype=object)


def simulate(cfg, currents, v0=None):
    """Run every neuron of a core over a current matrix.

    Parameters
    ----------
    cfg : LIFConfig
    currents : array_like of int, shape (T, N)
        ``currents[t][n]`` is the current of neuron n at timestep t.
    v0 : array_like of int, shape (N,), optional
        Initial membranes; SPEC §1 starts every neuron at 0.

    Returns
    -------
    spikes, v : ndarray of int64, shape (T, N)
        Signed spike counts k and membranes v' after each step.
    """
    if not isinstance(cfg, LIFConfig):
        raise TypeError(f"cfg must be a LIFConfig, not {type(cfg).__name__}")
    currents = validate_currents(cfg, currents)
    steps, neurons = currents.shape
    spikes = np.empty((steps, neurons), dtype=np.int64)
    membranes = np.empty((steps, neurons), dtype=np.int64)
    v = np.zeros(neurons, dtype=np.int64)
    if v0 is not None:
        v[:] = v0
        if (v < cfg.v_min).any() or (v > cfg.v_max).any():
            raise InputError(f"v0 must lie in {cfg.v_min} … {cfg.v_max} for width = {cfg.width}")
    for t in range(steps):
        spikes[t], v = step(cfg, v, currents[t])
        membranes[t] = v
    return spikes, membranes
