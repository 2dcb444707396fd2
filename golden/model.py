"""The bit-exact integer LIF neuron of SPEC §1, vectorised over neurons.

Everything here is exact integer arithmetic: with W ≤ 32 and F ≤ 16 the
largest intermediate, v·d, stays below 2^48, so int64 never overflows, and no
float ever touches the integer path.  :func:`simulate` works in int32 when
every intermediate of the config fits 31 bits (the default 16-bit core does),
which halves the work per step; results are always int64.
"""

import numpy as np

from .config import InputError, LIFConfig

__all__ = ["leak", "fire", "step", "simulate", "validate_currents", "work_dtype"]


def leak(v, decay, decay_shift, out=None, scratch=None):
    """trunc(v · d / 2^F): the leak, rounding toward zero as Loihi does.

    An arithmetic shift floors; adding 2^F − 1 to negative products first
    turns the floor into a truncation.  ``out`` and ``scratch`` (arrays of
    v's shape and integer dtype) let the simulation loop run without
    allocating.
    """
    v = np.asarray(v) if isinstance(v, np.ndarray) else np.asarray(v, dtype=np.int64)
    out = np.empty_like(v) if out is None else out
    if decay == 1 << decay_shift:
        np.copyto(out, v)
        return out
    dtype = out.dtype.type
    np.multiply(v, dtype(decay), out=out)
    sign_bits = dtype(8 * out.dtype.itemsize - 1)
    negative_fix = np.right_shift(out, sign_bits, out=scratch)  # −1 where negative, else 0
    np.bitwise_and(negative_fix, dtype((1 << decay_shift) - 1), out=negative_fix)
    np.add(out, negative_fix, out=out)
    return np.right_shift(out, dtype(decay_shift), out=out)


def fire(cfg, u, k=None, v=None, scratch=None, bounded=False):
    """Spike count k and new membrane v' of SPEC §1 for pre-reset membranes u.

    C's remainder rounds toward zero like SPEC §1, so r = fmod(u, θ) and
    k = (u − r)/θ = trunc(u/θ) in three array operations.  Unless
    ``bounded`` promises |u| < (k_max + 1)·θ for a signed reset-to-mod
    neuron, k is then clipped to ±k_max (to 0 … k_max when unsigned) with
    r = u − k·θ, reset-to-zero applies, and v' saturates to W bits.

    Parameters
    ----------
    cfg : LIFConfig
    u : ndarray of int
    k, v, scratch : ndarray, optional
        Outputs and a work array of u's shape and dtype (allocated if omitted).
    bounded : bool
        Only for a signed reset-to-mod core whose |u| stays below
        (k_max + 1)·θ: then no clip and no saturation can occur (see
        :func:`simulate`), and they are skipped.

    Returns
    -------
    k, v : ndarray
    """
    k = np.empty_like(u) if k is None else k
    v = np.empty_like(u) if v is None else v
    scratch = np.empty_like(u) if scratch is None else scratch
    dtype = u.dtype.type
    theta = dtype(cfg.threshold)
    np.fmod(u, theta, out=v)
    np.subtract(u, v, out=scratch)
    np.floor_divide(scratch, theta, out=k)           # exact: a multiple of θ
    if bounded:
        return k, v
    np.minimum(k, dtype(cfg.k_max), out=k)
    np.maximum(k, dtype(-cfg.k_max if cfg.signed else 0), out=k)
    np.subtract(u, np.multiply(k, theta, out=scratch), out=v)
    if cfg.reset == "zero":
        np.copyto(v, 0, where=k != 0)
    np.maximum(v, dtype(cfg.v_min), out=v)   # saturate, never wrap
    np.minimum(v, dtype(cfg.v_max), out=v)
    return k, v


def work_dtype(cfg):
    """int32 when v·d, u and u − k·θ all fit 31 bits for ``cfg``, else int64."""
    product_bits = cfg.width + cfg.decay_shift + 1
    sum_bits = max(cfg.width, cfg.input_width + 1) + 2
    return np.int32 if max(product_bits, sum_bits) <= 31 else np.int64


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
    u = leak(v, cfg.decay, cfg.decay_shift)
    np.add(u, np.asarray(current, dtype=np.int64) + cfg.bias, out=u)
    return fire(cfg, u)


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
    dtype = work_dtype(cfg)
    spikes = np.empty((steps, neurons), dtype=dtype)
    membranes = np.empty((steps, neurons), dtype=dtype)
    v = np.zeros(neurons, dtype=dtype)
    if v0 is not None:
        v0 = np.asarray(v0, dtype=np.int64)
        if (v0 < cfg.v_min).any() or (v0 > cfg.v_max).any():
            raise InputError(f"v0 must lie in {cfg.v_min} … {cfg.v_max} for width = {cfg.width}")
        v[:] = v0
    # Theorem 1 of Moser & Lunglmayr: a signed reset-to-mod neuron with
    # |i + b| ≤ k_max·θ keeps |v| ≤ θ − 1, so |u| < (k_max + 1)·θ and neither
    # the spike count nor the membrane can saturate.
    drive = (currents + cfg.bias).astype(dtype)
    bounded = (cfg.reset == "mod" and cfg.signed
               and int(np.abs(drive).max(initial=0)) <= cfg.k_max * cfg.threshold
               and int(np.abs(v).max(initial=0)) < cfg.threshold)
    # The loop writes into preallocated rows: at a thousand neurons the cost of
    # a step is the number of numpy calls, not the arithmetic.
    u, scratch = np.empty(neurons, dtype=dtype), np.empty(neurons, dtype=dtype)
    for t in range(steps):
        leak(v, cfg.decay, cfg.decay_shift, out=u, scratch=scratch)
        np.add(u, drive[t], out=u)
        v = fire(cfg, u, spikes[t], membranes[t], scratch, bounded)[1]
    return spikes.astype(np.int64, copy=False), membranes.astype(np.int64, copy=False)
