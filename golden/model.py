"""The bit-exact integer LIF neuron of SPEC §1, vectorised over neurons.

Everything here is exact integer arithmetic: with W ≤ 32 and F ≤ 16 the
largest intermediate, v·d, stays below 2^48, so int64 never overflows, and no
float ever touches the integer path.  :func:`simulate` works in int32 when
every intermediate of the config fits 31 bits (the default 16-bit core does),
which halves the work per step; results are always int64.
"""

import numpy as np

from .config import InputError, LIFConfig

__all__ = ["leak", "leak_operations", "fire", "fire_operations", "step", "simulate",
           "validate_currents", "work_dtype"]


def _run(operations):
    for function, arguments, keywords in operations:
        function(*arguments, **keywords)


def leak_operations(v, decay, decay_shift, out, scratch):
    """The array operations of trunc(v · d / 2^F), as ``(ufunc, arguments, keywords)``.

    An arithmetic shift floors; adding 2^F − 1 to negative products first
    turns the floor into a truncation.  Bound once to fixed buffers, the
    operations run every step of :func:`simulate` with no Python in between.
    """
    dtype = out.dtype.type
    if decay == 1 << decay_shift:
        return [(np.copyto, (out, v), {})]
    sign_bits = dtype(8 * out.dtype.itemsize - 1)
    return [
        (np.multiply, (v, dtype(decay), out), {}),
        (np.right_shift, (out, sign_bits, scratch), {}),        # −1 where negative, else 0
        (np.bitwise_and, (scratch, dtype((1 << decay_shift) - 1), scratch), {}),
        (np.add, (out, scratch, out), {}),
        (np.right_shift, (out, dtype(decay_shift), out), {}),
    ]


def leak(v, decay, decay_shift):
    """trunc(v · d / 2^F): the leak, rounding toward zero as Loihi does."""
    v = np.asarray(v, dtype=np.int64)
    out = np.empty_like(v)
    _run(leak_operations(v, decay, decay_shift, out, np.empty_like(v)))
    return out


def fire_operations(cfg, u, k, v, scratch, flags, bounded=False):
    """The array operations giving spike count k and new membrane v' from u.

    C's remainder rounds toward zero like SPEC §1, so r = fmod(u, θ) and
    k = (u − r)/θ = trunc(u/θ) in three operations.  Unless ``bounded``
    promises |u| < (k_max + 1)·θ for a signed reset-to-mod neuron, k is then
    clipped to ±k_max (0 … k_max when unsigned) with r = u − k·θ,
    reset-to-zero applies, and v' saturates to W bits.

    Parameters
    ----------
    cfg : LIFConfig
    u, k, v, scratch : ndarray of one integer dtype
        Pre-reset membranes, the two outputs and a work array.
    flags : ndarray of bool
        Work array for reset-to-zero.
    bounded : bool
        Only for a signed reset-to-mod core whose |u| stays below
        (k_max + 1)·θ: then no clip and no saturation can occur (see
        :func:`simulate`), and they are left out.
    """
    dtype = u.dtype.type
    theta = dtype(cfg.threshold)
    operations = [
        (np.fmod, (u, theta, v), {}),
        (np.subtract, (u, v, scratch), {}),
        (np.floor_divide, (scratch, theta, k), {}),            # exact: a multiple of θ
    ]
    if bounded:
        return operations
    operations += [
        (np.minimum, (k, dtype(cfg.k_max)), {"out": k}),
        (np.maximum, (k, dtype(-cfg.k_max if cfg.signed else 0)), {"out": k}),
        (np.multiply, (k, theta, scratch), {}),
        (np.subtract, (u, scratch, v), {}),
    ]
    if cfg.reset == "zero":
        operations += [(np.equal, (k, dtype(0), flags), {}),
                       (np.multiply, (v, flags, v), {})]
    operations += [(np.maximum, (v, dtype(cfg.v_min)), {"out": v}),  # saturate, never wrap
                   (np.minimum, (v, dtype(cfg.v_max)), {"out": v})]
    return operations


def fire(cfg, u):
    """Spike counts k and new membranes v' of SPEC §1 for pre-reset membranes u."""
    u = np.asarray(u, dtype=np.int64)
    k, v = np.empty_like(u), np.empty_like(u)
    _run(fire_operations(cfg, u, k, v, np.empty_like(u), np.empty(u.shape, dtype=bool)))
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
    return fire(cfg, leak(v, cfg.decay, cfg.decay_shift) + np.asarray(current) + cfg.bias)


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
    if array.min() < cfg.current_min or array.max() > cfg.current_max:
        outside = (array < cfg.current_min) | (array > cfg.current_max)
        t, n = (int(x) for x in np.argwhere(outside)[0])
        raise InputError(f"currents[{t}][{n}] = {array[t, n]} is outside input_width = "
                         f"{cfg.input_width}: allowed {cfg.current_min} … {cfg.current_max}")
    return array.astype(np.int64, copy=False)


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
    spikes = np.empty((steps, neurons), dtype=np.int64)
    membranes = np.empty((steps, neurons), dtype=np.int64)
    v = np.zeros(neurons, dtype=dtype)
    if v0 is not None:
        v0 = np.asarray(v0, dtype=np.int64)
        if (v0 < cfg.v_min).any() or (v0 > cfg.v_max).any():
            raise InputError(f"v0 must lie in {cfg.v_min} … {cfg.v_max} for width = {cfg.width}")
        v[:] = v0
    # Theorem 1 of Moser & Lunglmayr: a signed reset-to-mod neuron with
    # |i + b| ≤ k_max·θ keeps |v| ≤ θ − 1, so |u| < (k_max + 1)·θ and neither
    # the spike count nor the membrane can saturate.
    drive = np.add(currents, cfg.bias, dtype=dtype)
    bounded = (cfg.reset == "mod" and cfg.signed
               and int(np.abs(drive).max(initial=0)) <= cfg.k_max * cfg.threshold
               and int(np.abs(v).max(initial=0)) < cfg.threshold)
    # Every operation of a step is bound once to fixed buffers: at a thousand
    # neurons a step costs its numpy calls, not its arithmetic.
    u, scratch, k = (np.empty(neurons, dtype=dtype) for _ in range(3))
    flags = np.empty(neurons, dtype=bool)
    leak_step = leak_operations(v, cfg.decay, cfg.decay_shift, u, scratch)
    fire_step = fire_operations(cfg, u, k, v, scratch, flags, bounded)
    for t in range(steps):
        _run(leak_step)
        np.add(u, drive[t], u)
        _run(fire_step)
        spikes[t], membranes[t] = k, v
    return spikes, membranes
