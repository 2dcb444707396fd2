"""The bit-exact integer LIF neuron of SPEC §1, vectorised over neurons.

One step exists in two forms:

* :func:`leak`, :func:`fire` and :func:`step` are SPEC §1 line by line on
  int64 arrays: the reference, easy to read against the contract.
* :func:`simulate` runs T steps as a fixed sequence of numpy calls into
  preallocated rows, because at a thousand neurons a step costs its calls,
  not its arithmetic.  It computes the two roundings of §1 — trunc(v·d/2^F)
  and trunc(u/θ) — as one float64 multiply or divide each, written into int64
  with C's conversion, which truncates toward zero.  Both are exact
  (:func:`simulate` gives the argument), and property tests check the two
  forms bit-exact against each other over the whole parameter space.
  :func:`float_stepper` is the same sequence of calls one step at a time,
  for callers whose currents depend on the step before (the networks of
  :mod:`lifq.golden.network`).
"""

import numpy as np

from lifq.spec import InputError, LIFConfig, value_text
from lifq.spec.limits import check_fits

__all__ = ["leak", "fire", "step", "float_stepper", "simulate", "validate_currents"]


def leak(v, decay, decay_shift):
    """trunc(v · d / 2^F): the leak, rounding toward zero as Loihi does."""
    product = np.asarray(v, dtype=np.int64) * np.int64(decay)
    # An arithmetic shift floors; shifting the magnitude rounds toward zero.
    return np.where(product < 0, -(-product >> decay_shift), product >> decay_shift)


def fire(cfg, u):
    """Spike counts k and new membranes v' of SPEC §1 for pre-reset membranes u."""
    u = np.asarray(u, dtype=np.int64)
    theta = cfg.threshold
    kpos = np.minimum(np.abs(u) // theta, cfg.k_max)
    k = np.where(u >= theta, kpos, 0)
    if cfg.signed:
        k = np.where(u <= -theta, -kpos, k)
    r = u - k * theta
    if cfg.reset == "zero":
        r = np.where(k != 0, 0, r)
    return k, np.clip(r, cfg.v_min, cfg.v_max)  # saturate, never wrap


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


def float_stepper(cfg, shape):
    """:func:`step` on float64 arrays of a fixed shape, for one step at a time.

    Returns ``advance(v, current, k, v_next)``, which reads membranes ``v``
    and currents ``current`` and writes the spike counts into ``k`` and the
    new membranes into ``v_next``: float64, C-contiguous arrays of ``shape``
    holding integers, ``v_next`` not the same array as ``v``.  The bias of
    ``cfg`` is added as :func:`step` adds it.

    It runs the step of :func:`simulate` (the same block runner, with every
    clip applied), so it is exact for the same reasons (see the Notes of
    :func:`simulate`) as long as ``v`` lies in the W-bit range and
    ``current`` in ``input_width`` — and then bit-exact with :func:`step`.
    Its buffers are allocated once, here.
    """
    shape = tuple(shape)
    size = int(np.prod(shape))
    run = _block_runner(cfg, size, bounded=False)
    drive = np.empty((1, size))

    def advance(v, current, k, v_next):
        for array in (v, current, k, v_next):
            if array.shape != shape or not array.flags.c_contiguous:
                raise ValueError(f"float_stepper arrays must be C-contiguous of shape {shape}")
        if cfg.bias:
            np.add(current.reshape(1, size), cfg.bias, out=drive)    # i + b
            run(v.reshape(size), drive, k.reshape(1, size), v_next.reshape(1, size))
        else:
            run(v.reshape(size), current.reshape(1, size), k.reshape(1, size),
                v_next.reshape(1, size))
    return advance


def validate_currents(cfg, currents):
    """Check a T×N current matrix against ``cfg``; return it as int64.

    Raises :class:`InputError` for ragged or mis-shaped matrices, non-integer
    entries and currents outside ``input_width``, naming the first offender.
    """
    return _checked_currents(cfg, currents)[0]


def _checked_currents(cfg, currents):
    """:func:`validate_currents`, also returning the lowest and highest current."""
    array = currents if isinstance(currents, np.ndarray) else _matrix_of_integers(currents)
    if array.dtype.kind == "O":
        _check_integer_objects("currents", array)
    if array.ndim != 2:
        raise InputError(f"currents must be a T×N matrix, got {array.ndim} dimension(s)")
    if array.shape[0] < 1:
        raise InputError("currents must be a T×N matrix with at least one timestep")
    if array.shape[1] != cfg.neurons:
        raise InputError(f"currents have {array.shape[1]} column(s) per timestep but "
                         f"neurons = {cfg.neurons}")
    if array.dtype.kind not in "iuO":
        raise InputError(f"currents must be integers, not {array.dtype.name}")
    lowest, highest = int(array.min()), int(array.max())
    if lowest < cfg.current_min or highest > cfg.current_max:
        outside = (array < cfg.current_min) | (array > cfg.current_max)
        t, n = (int(x) for x in np.argwhere(outside)[0])
        raise InputError(f"currents[{t}][{n}] = {array[t, n]} is outside input_width = "
                         f"{cfg.input_width}: allowed {cfg.current_min} … {cfg.current_max}")
    return array.astype(np.int64, copy=False), lowest, highest


def _check_integer_objects(name, array):
    """An object array must hold integers only (no floats, no booleans): name the first other."""
    for index, value in np.ndenumerate(array):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            where = "".join(f"[{i}]" for i in index)
            raise InputError(f"{name}{where} = {value_text(value)} must be an integer")


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
                raise InputError(f"currents[{t}][{n}] = {value_text(value)} must be an integer")
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
        Initial membranes; SPEC §1 starts every neuron at ``initial_membrane``.

    Returns
    -------
    spikes, v : ndarray of int64, shape (T, N)
        Signed spike counts k and membranes v' after each step.

    Notes
    -----
    The steps run on float64 buffers: numpy's float64 calls are the fastest
    it has, and here they are exact.  For every config of SPEC §1 (W ≤ 32,
    input_width ≤ 32, F ≤ 16, q ≤ 8) every value of a step is an integer
    below 2^40 in magnitude, so it is held exactly and every sum, difference
    and product of two of them is exact.  The two roundings:

    * Leak: d·2^−F is a dyadic fraction of at most 17 significant bits, so
      v·(d·2^−F) has at most 49 and is exact; ``trunc`` gives trunc(v·d/2^F).
    * Spike count: division rounds u/θ to the nearest double, an error of at
      most |u/θ|·2^−53 < 2^−19/θ.  A quotient that is not an integer lies at
      least 1/θ from every integer, so the rounding never reaches or crosses
      one and ``trunc`` gives trunc(u/θ), k before its clip to ±(2^q − 1).
    """
    if not isinstance(cfg, LIFConfig):
        raise InputError(f"cfg must be a lifq.spec.LIFConfig, not {type(cfg).__name__}")
    currents, lowest, highest = _checked_currents(cfg, currents)
    steps, neurons = currents.shape
    # The spikes and membranes returned: two int64 matrices of the currents' shape.
    check_fits(2 * 8 * steps * neurons, f"T × N = {steps} × {neurons} updates")
    v = np.full(neurons, float(cfg.initial_membrane))
    if v0 is not None:
        v[:] = _checked_membranes(cfg, v0, neurons)
    # One allocation for both results: measurably faster to fill than two.
    spikes, membranes = np.empty((2, steps, neurons), dtype=np.int64)
    # Blocks of timesteps: currents go to float64, and results back to int64,
    # a block at a time, in one call each and in bounded memory.
    block = max(1, _BLOCK_ELEMENTS // neurons)
    drive, k_rows, v_rows = (np.empty((min(block, steps), neurons)) for _ in range(3))
    run = _block_runner(cfg, neurons, bounded=_theorem_1_holds(cfg, lowest, highest, v))
    for start in range(0, steps, block):
        rows = min(block, steps - start)
        np.copyto(drive[:rows], currents[start:start + rows])
        if cfg.bias:
            np.add(drive[:rows], cfg.bias, out=drive[:rows])    # i + b
        run(v, drive[:rows], k_rows, v_rows)
        spikes[start:start + rows] = k_rows[:rows]           # exact integers: no rounding
        membranes[start:start + rows] = v_rows[:rows]
        v = v_rows[rows - 1].copy()                          # the rows are reused
    return spikes, membranes


_BLOCK_ELEMENTS = 1 << 16


def _checked_membranes(cfg, v0, neurons):
    """Initial membranes: N integers in the W-bit range (floats and booleans refused)."""
    if isinstance(v0, (list, tuple)):
        array = np.empty(len(v0), dtype=object)
        array[:] = list(v0)             # element by element: True stays a bool here
    else:
        array = np.asarray(v0)
    if array.shape != (neurons,):
        got = array.size if array.ndim == 1 else "shape " + ("×".join(map(str, array.shape))
                                                             or "scalar")
        raise InputError(f"v0 must hold one membrane per neuron: {neurons}, not {got}")
    if array.dtype.kind == "O":
        _check_integer_objects("v0", array)
    elif array.dtype.kind not in "iu":
        raise InputError(f"v0[0] = {value_text(array[0].item())} must be an integer "
                         f"(v0 holds {array.dtype.name})")
    for n, value in enumerate(array.tolist()):
        if not cfg.v_min <= value <= cfg.v_max:
            raise InputError(f"v0[{n}] = {value_text(value)} is out of range: allowed "
                             f"{cfg.v_min} … {cfg.v_max} for width = {cfg.width}")
    return np.asarray(array, dtype=np.int64)


def _block_runner(cfg, neurons, bounded):
    """A function that runs the steps of one block: from membranes ``v`` and
    drives ``i + b`` (one row per step) it fills ``k_rows`` and ``v_rows``.

    Its buffers are allocated once; each step is a handful of numpy calls.
    """
    leaks = cfg.decay != 1 << cfg.decay_shift
    factor = cfg.decay / (1 << cfg.decay_shift)              # exact: a dyadic fraction
    theta = float(cfg.threshold)
    u, product = np.empty(neurons), np.empty(neurons)
    flags = np.empty(neurons, dtype=bool)
    multiply, add, subtract, divide, trunc = np.multiply, np.add, np.subtract, np.divide, np.trunc

    def run(v, drive, k_rows, v_rows):
        for row, current in enumerate(drive):
            k, v_next = k_rows[row], v_rows[row]
            if leaks:
                multiply(v, factor, out=u)
                trunc(u, out=u)                              # trunc(v·d/2^F)
                add(u, current, out=u)
            else:
                add(v, current, out=u)
            divide(u, theta, out=k)
            trunc(k, out=k)                                  # trunc(u/θ)
            if not bounded:
                _clip_spike_counts(cfg, k)
            multiply(k, theta, out=product)
            subtract(u, product, out=v_next)
            if not bounded:
                _reset_and_saturate(cfg, k, v_next, flags)
            v = v_next
    return run


def _theorem_1_holds(cfg, lowest, highest, v0):
    """Whether no clip of SPEC §1 can act in this run, so :func:`simulate` may skip them.

    Theorem 1 of Moser & Lunglmayr: a signed reset-to-mod neuron with
    |i + b| ≤ k_max·θ and |v0| < θ keeps |v| ≤ θ − 1, so |u| < (k_max + 1)·θ
    and neither the spike count nor the membrane can saturate.  ``lowest``
    and ``highest`` are the extreme currents of the run.
    """
    return (cfg.reset == "mod" and cfg.signed
            and max(abs(lowest + cfg.bias), abs(highest + cfg.bias)) <= cfg.k_max * cfg.threshold
            and int(np.abs(v0).max(initial=0)) < cfg.threshold)


def _clip_spike_counts(cfg, k):
    """k = clip(trunc(u/θ), ±k_max) in place (0 … k_max when unsigned)."""
    np.minimum(k, cfg.k_max, out=k)
    np.maximum(k, -cfg.k_max if cfg.signed else 0, out=k)


def _reset_and_saturate(cfg, k, v, flags):
    """Reset-to-zero where k ≠ 0, then saturate v to W bits, in place."""
    if cfg.reset == "zero":
        # v·[k = 0]: a multiply is several times faster than a masked copy (it may
        # leave −0.0, which is 0 once the row is written back as integers).
        np.equal(k, 0, out=flags)
        np.multiply(v, flags, out=v)
    np.maximum(v, cfg.v_min, out=v)
    np.minimum(v, cfg.v_max, out=v)
