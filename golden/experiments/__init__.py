"""Quantization-error experiments of SPEC §5, built on the golden model.

One module per experiment, each returning plain data (numpy arrays and
dicts); :mod:`.plots` draws them and ``lifq error`` prints them.

* :mod:`.trains` — random spike trains through the real-valued LIF neuron
  (Moser & Lunglmayr 2023, Figs. 4–5).
* :mod:`.sqnr` — the IF neuron as a uniform quantizer of a constant input
  (Castagnetti et al. 2023).
* :mod:`.hardware` — the bit-exact integer neuron against the real-valued one.

The submodules are not imported here, so that ``golden`` stays light; import
the one you need, e.g. ``from golden.experiments import trains``.

Every experiment checks its parameters against a table of :class:`Limit` s
with :func:`check_parameters`, which the CLI calls too (with its option
spellings), so a range is written down once.
"""

import dataclasses
import math
import numbers

from lifq.spec import InputError

__all__ = ["Limit", "check_parameters"]


@dataclasses.dataclass(frozen=True)
class Limit:
    """Allowed range of one experiment parameter (a number or a list of numbers).

    Attributes
    ----------
    low, high : float
        Bounds; ``math.inf`` for an open-ended range.
    integer : bool
        The value must be an integer.
    above_low : bool
        ``low`` itself is excluded (e.g. an amplitude must be > 0).
    """

    low: float
    high: float = math.inf
    integer: bool = False
    above_low: bool = False

    def describe(self):
        """The allowed range as the error messages print it."""
        kind = "integers " if self.integer else ""
        if self.above_low and self.high == math.inf:
            return f"{kind}> {_number(self.low)}"
        low = f"{_number(self.low)} (excluded)" if self.above_low else _number(self.low)
        return f"{kind}{low} … {_number(self.high)}"

    def admits(self, value):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
        if self.integer and not isinstance(value, numbers.Integral):
            return False
        # Written so that NaN fails every comparison and is rejected.
        above = value > self.low if self.above_low else value >= self.low
        return bool(above and value <= self.high)


def check_parameters(values, limits, spell=str):
    """Raise :class:`InputError` for the first value outside its limit.

    Parameters
    ----------
    values : dict
        Parameter name → value, or → sequence of values (each is checked; an
        empty sequence is an error too).
    limits : dict
        Parameter name → :class:`Limit`; names without a limit are not checked.
    spell : callable
        Turns a parameter name into the name the message uses, e.g. the CLI's
        ``spike_counts`` → ``--spikes``.
    """
    for name, limit in limits.items():
        if name not in values:
            continue
        value = values[name]
        items = value if isinstance(value, (list, tuple)) else [value]
        if not items:
            raise InputError(f"{spell(name)} needs at least one value: allowed "
                             f"{limit.describe()}")
        for item in items:
            if not limit.admits(item):
                raise InputError(f"{spell(name)} = {_number(item)} is out of range: "
                                 f"allowed {limit.describe()}")


def _number(value):
    """A number as a user typed it: 1.5, not 1.5000; inf, not Infinity."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return repr(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{float(value):g}"
