"""Comparing a core's outputs with the golden model.

Two helpers shared by the CLI, the RTL runners and the tests:

* :func:`expected_outputs` — what the core must produce for a stimulus,
  including parameter writes between timesteps.  It only strings
  :func:`lifq.golden.simulate` calls together (one per segment between writes,
  each continuing from the membranes of the last); it never re-implements
  the neuron.
* :func:`first_mismatch` — the first (timestep, neuron) at which two
  results differ.

Importing this module is cheap: numpy and the golden model only.
"""

import numpy as np

from lifq.golden import simulate
from lifq.spec import Register
from lifq.spec import InputError

__all__ = ["MISSING", "PARAMETER_NAMES", "expected_outputs", "first_mismatch",
           "describe_mismatch", "normalize_parameter_writes", "normalize_clears",
           "apply_parameter_write"]

#: Placeholder in a T×N result for an output transfer the core never made.
#: :func:`first_mismatch` reports it as ``got = None``.
MISSING = np.iinfo(np.int64).min

#: Register names of the parameter port, by address (:class:`lifq.spec.Register`).
PARAMETER_NAMES = {int(register): register.parameter for register in Register}
_ADDRESSES = {name: address for address, name in PARAMETER_NAMES.items()}


def normalize_parameter_writes(writes, steps=None):
    """Parameter writes as a sorted list of ``(t, address, value)`` tuples.

    Parameters
    ----------
    writes : dict or iterable or None
        ``{t: {"threshold": …, "decay": …, "bias": …}}`` (as
        :func:`sim.amaranth_sim.run_amaranth` takes them) or an iterable of
        ``(t, register, value)``.  A register is a name or an address 0 … 3
        (address 3 is no register: the core ignores it).  Each write happens
        before timestep ``t``; writes of one timestep keep their order.
    steps : int, optional
        T; when given, ``t`` must lie in 0 … T−1.

    Raises
    ------
    ValueError
        For an unknown register name, an address outside 0 … 3, a value that
        does not fit the 32-bit signed ``value`` field, or a bad timestep.
    """
    if not writes:
        return []
    items = []
    if isinstance(writes, dict):
        for t, registers in writes.items():
            for register, value in registers.items():
                items.append((t, register, value))
    else:
        items = [tuple(item) for item in writes]
    result = []
    for order, (t, register, value) in enumerate(items):
        if isinstance(register, str):
            if register.lower() not in _ADDRESSES:
                raise ValueError(f"parameter write: unknown register {register!r}: allowed "
                                 + ", ".join(_ADDRESSES))
            address = _ADDRESSES[register.lower()]
        else:
            address = int(register)
            if not 0 <= address <= 3:
                raise ValueError(f"parameter write: address {address} is outside 0 … 3")
        t, value = int(t), int(value)
        if not -(1 << 31) <= value < (1 << 31):
            raise ValueError(f"parameter write: value {value} does not fit 32 signed bits")
        if t < 0 or (steps is not None and t >= steps):
            raise ValueError(f"parameter write before timestep {t}: allowed 0 … "
                             f"{'' if steps is None else steps - 1}")
        result.append((t, order, address, value))
    result.sort()
    return [(t, address, value) for t, _, address, value in result]


def apply_parameter_write(cfg, address, value):
    """The config after the core takes a write: out-of-range values and unknown
    addresses leave it unchanged, exactly as the core ignores them (the ranges
    are those :class:`lifq.spec.LIFConfig` validates)."""
    name = PARAMETER_NAMES.get(address)
    if name is None:
        return cfg
    try:
        return cfg.replace(**{name: value})
    except InputError:
        return cfg


def normalize_clears(clears, steps=None):
    """Clears as a sorted list of distinct timesteps (each clear happens before its t).

    Raises
    ------
    ValueError
        For a timestep outside 0 … T−1 (when ``steps`` is given) or below 0.
    """
    result = sorted({int(t) for t in (clears or ())})
    for t in result:
        if t < 0 or (steps is not None and t >= steps):
            raise ValueError(f"clear before timestep {t}: allowed 0 … "
                             f"{'' if steps is None else steps - 1}")
    return result


def expected_outputs(cfg, currents, parameter_writes=None, clears=None):
    """Golden spike counts and membranes for a stimulus with parameter writes and clears.

    Without either this is ``golden.simulate(cfg, currents)``.  Otherwise the
    timesteps are cut into segments at each write and each clear; every
    segment is one ``golden.simulate`` call with the config as written so
    far, starting from the membranes the previous segment ended with — or
    from ``initial_membrane`` after a clear, which leaves the parameters as
    they are.

    Returns
    -------
    spikes, v : ndarray of int64, shape (T, N)
    """
    currents = np.asarray(currents, dtype=np.int64)
    steps = currents.shape[0]
    writes = normalize_parameter_writes(parameter_writes, steps)
    clears = normalize_clears(clears, steps)
    if not writes and not clears:
        return simulate(cfg, currents)
    spikes = np.empty(currents.shape, dtype=np.int64)
    v = np.empty(currents.shape, dtype=np.int64)
    boundaries = sorted({t for t, _, _ in writes} | set(clears) | {steps})
    start, membranes, config = 0, None, cfg
    for end in boundaries:
        if end > start:
            spikes[start:end], v[start:end] = simulate(config, currents[start:end], v0=membranes)
            membranes = v[end - 1]
            start = end
        if end in clears:
            membranes = None          # simulate starts from initial_membrane
        for t, address, value in writes:
            if t == end:
                config = apply_parameter_write(config, address, value)
    return spikes, v


def first_mismatch(expected_spikes, expected_v, got_spikes, got_v):
    """The first place where a result differs from the expected one.

    Timesteps are scanned in order, the neurons of a timestep in order, and
    at one (timestep, neuron) the spike count before the membrane.

    Parameters
    ----------
    expected_spikes, expected_v, got_spikes, got_v : array_like of int, shape (T, N)

    Returns
    -------
    None or tuple
        ``None`` when equal, else ``(timestep, neuron, field, expected, got)``
        with ``field`` ``"spikes"`` or ``"v"`` (the keys of a result file)
        and Python ints; ``got`` is ``None`` where the core made no output
        transfer (:data:`MISSING`).

    Raises
    ------
    ValueError
        When the four arrays do not all have the same shape.
    """
    arrays = [np.asarray(a, dtype=np.int64) for a in
              (expected_spikes, expected_v, got_spikes, got_v)]
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise ValueError("first_mismatch: shapes differ: " + ", ".join(
            f"{name} {a.shape}" for name, a in
            zip(("expected spikes", "expected v", "got spikes", "got v"), arrays)))
    e_spikes, e_v, g_spikes, g_v = arrays
    if e_spikes.ndim != 2:
        raise ValueError(f"first_mismatch: expected T×N arrays, got shape {e_spikes.shape}")
    differs = (e_spikes != g_spikes) | (e_v != g_v)
    if not differs.any():
        return None
    t, n = (int(x) for x in np.argwhere(differs)[0])
    field, expected, got = ("spikes", e_spikes, g_spikes) if e_spikes[t, n] != g_spikes[t, n] \
        else ("v", e_v, g_v)
    value = int(got[t, n])
    return t, n, field, int(expected[t, n]), None if value == MISSING else value


def describe_mismatch(mismatch):
    """One line for a :func:`first_mismatch` result, e.g.
    ``timestep 3, neuron 1: v expected 17, got 16``."""
    if mismatch is None:
        return "no mismatch"
    t, n, field, expected, got = mismatch
    got_text = "no output transfer" if got is None else str(got)
    return f"timestep {t}, neuron {n}: {field} expected {expected}, got {got_text}"
