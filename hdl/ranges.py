"""Range checks in hardware, derived from the one table of :mod:`lifq.spec.ranges`.

The parameter port checks a written value against the range SPEC §1 allows.
A 32-bit comparison with a constant costs a carry chain; the ranges of §1 are
mostly ``0 … 2^k − 1``, ``1 … 2^k − 1``, ``0 … 2^k`` or ``−2^k … 2^k − 1``,
which are tests on a few bits.  :func:`in_range` picks the cheap form when
the ends allow it and compares otherwise, so the numbers stay in the table.
"""

from amaranth.hdl import Cat, Const, Signal, Value

__all__ = ["in_range", "registered_reduce", "REDUCE_CYCLES"]


def _power_of_two(value):
    """k if value == 2^k (k ≥ 0), else None."""
    return value.bit_length() - 1 if value > 0 and value & (value - 1) == 0 else None


def _direct(bits, operation):
    return bits.any() if operation == "any" else bits.all() if operation == "all" else bits


def in_range(value, low, high, reduce=_direct):
    """An expression: ``low ≤ value ≤ high`` for a signed ``value``.

    Parameters
    ----------
    value : Value
        A signed value (the parameter port's 32-bit field).
    low, high : int
        The inclusive range, e.g. ``NEURON_RANGES["threshold"].bounds(cfg)``.
    reduce : callable, optional
        ``reduce(bits, "any")`` and ``reduce(bits, "all")`` build the OR and
        AND of ``bits``, ``reduce(test, "test")`` a comparison's result; by
        default directly.  :func:`registered_reduce` builds them through a
        register stage instead.
    """
    value = Value.cast(value)
    width = len(value)
    if low > high:
        return Const(0)

    def zero_from(bit):                 # value[bit:] == 0: value < 2^bit and not negative
        return ~reduce(value[bit:], "any") if bit < width else Const(1)

    top = _power_of_two(high + 1)
    if low == -(high + 1) and top is not None and top < width:
        # −2^k … 2^k − 1: the bits from k upwards all repeat the sign.
        upper = value[top:]
        return reduce(upper, "all") | ~reduce(upper, "any")
    if low == 0 and top is not None:
        return zero_from(top)                                        # 0 … 2^k − 1
    if low == 1 and top is not None:
        return zero_from(top) & reduce(value[:top], "any")           # 1 … 2^k − 1
    exact = _power_of_two(high)
    if low == 0 and exact is not None and exact + 1 <= width:
        # 0 … 2^k: below 2^(k+1), and bit k only with nothing under it.
        below = reduce(value[:exact], "any") if exact else Const(0)
        return zero_from(exact + 1) & ~(reduce(value[exact], "test") & below)
    return reduce((value >= low) & (value <= high), "test")


#: Cycles a :func:`registered_reduce` check adds: its two register levels.
REDUCE_CYCLES = 2


def registered_reduce(m, name):
    """A ``reduce`` for :func:`in_range` whose check takes :data:`REDUCE_CYCLES`
    more cycles and is at most a LUT or two deep in each: the OR or AND of each
    group of four bits (and a comparison's result) goes into a register, the
    OR or AND of each group of four of those into another, and the check
    combines those (one level of groups left the combination three LUTs and
    their routing deep).  ``name`` names the registers (Amaranth numbers them
    apart)."""
    def reduce(bits, operation):
        combine = "all" if operation == "all" else "any"
        for level in range(REDUCE_CYCLES):
            groups = ([bits] if operation == "test" and level == 0
                      else [bits[start:start + 4] for start in range(0, len(bits), 4)])
            flags = [Signal(name=name, reset_less=True) for _ in groups]
            m.d.sync += [flag.eq(_direct(group, operation if level == 0 else combine))
                         for flag, group in zip(flags, groups)]
            bits = Cat(*flags)
        return _direct(bits, combine)

    return reduce
