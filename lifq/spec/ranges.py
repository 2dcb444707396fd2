"""The allowed range of every integer parameter of SPEC §1 and §6, in one table.

Each range is written down once, here.  :class:`~lifq.spec.LIFConfig` and the
network config validate against it, the core's parameter port derives its
range checks from it (:mod:`lifq.hdl.ranges`), and the formal harness and the
expected-result model of parameter writes read it too.

A range's ends may depend on parameters checked before it (the threshold on
the width): such an end is a function of the partly validated parameters.
"""

import dataclasses
import math
import numbers

from .errors import InputError

__all__ = ["Range", "Limit", "NEURON_RANGES", "NETWORK_RANGES", "LAYER_RANGES", "WEIGHT_RANGE",
           "INPUT_RANGE", "SEED_RANGE", "check_integer", "value_text", "number_text"]


def value_text(value, limit=40):
    """A value for an error message: short, in the spelling of JSON where it has one.

    Never longer than ``limit`` characters (a cut ends in "…"), and safe on
    any value a JSON or TOML file can hold: huge integers, deep nesting.
    """
    text = _spell(value, limit + 1, depth=3)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _spell(value, budget, depth):
    """At least the first ``budget`` characters of ``value`` spelled as JSON."""
    if _is_bool(value):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return '"' + value[:budget] + ('"' if len(value) < budget else "")
    if isinstance(value, numbers.Integral):
        value = int(value)
        if value.bit_length() > 4 * budget:     # str() of a huge int is slow, even refused
            return f"{'-' if value < 0 else ''}<a {value.bit_length()}-bit integer>"
        return str(value)
    if isinstance(value, (list, tuple)):
        if depth == 0:
            return "[…]" if value else "[]"
        parts, used = [], 1
        for item in value:
            if used > budget:
                parts.append("…")
                break
            parts.append(_spell(item, budget - used, depth - 1))
            used += len(parts[-1]) + 2
        return "[" + ", ".join(parts) + "]"
    if isinstance(value, dict):
        return "{…}" if value else "{}"
    return str(value)[:budget]


@dataclasses.dataclass(frozen=True)
class Range:
    """An inclusive range of integers.

    Parameters
    ----------
    low, high : int or callable
        The ends, or functions from the parameters validated so far (an
        object with attributes) to the ends.
    context : tuple of str
        Parameters the ends depend on; error messages name them
        ("… for width = 8").
    """

    low: object
    high: object
    context: tuple = ()

    def bounds(self, params=None):
        """``(low, high)`` for ``params``."""
        low = self.low(params) if callable(self.low) else self.low
        high = self.high(params) if callable(self.high) else self.high
        return low, high

    def why(self, params=None):
        """The context part of a message, e.g. ``" for width = 8"``."""
        if not self.context:
            return ""
        return " for " + ", ".join(f"{name} = {getattr(params, name)}"
                                   for name in self.context)

    def admits(self, value, params=None):
        low, high = self.bounds(params)
        return low <= value <= high

    def check(self, name, value, params=None):
        """``value`` as an int, or :class:`InputError` naming ``name``, value and range."""
        low, high = self.bounds(params)
        return check_integer(name, value, low, high, self.why(params))


def check_integer(name, value, low, high, why=""):
    """``value`` as an int if it is an integer in ``low … high``, else :class:`InputError`
    (whose ``key`` is ``name``)."""
    # bool is an int subclass in Python; ``threshold = true`` is a mistake.
    if _is_bool(value) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name} = {value_text(value)} must be an integer in "
                         f"{low} … {high}{why}", key=name)
    if not low <= value <= high:
        raise InputError(f"{name} = {value_text(value)} is out of range: allowed "
                         f"{low} … {high}{why}", key=name)
    return int(value)


def _is_bool(value):
    """Python's and numpy's booleans (both are integers to ``numbers.Integral`` or close)."""
    return isinstance(value, bool) or type(value).__name__ in ("bool", "bool_")


def _signed_min(bits):
    return -(1 << (bits - 1))


def _signed_max(bits):
    return (1 << (bits - 1)) - 1


@dataclasses.dataclass(frozen=True)
class Limit:
    """Allowed range of one experiment parameter (a number or a list of numbers).

    Attributes
    ----------
    low, high : float
        Bounds; ``high`` is ``math.inf`` only for a parameter that may be
        infinite itself (``infinite``).  NaN is never allowed.
    integer : bool
        The value must be an integer.
    above_low : bool
        ``low`` itself is excluded (e.g. an amplitude must be > 0).
    infinite : bool
        ``math.inf`` is a value (e.g. α = ∞ forgets everything).
    below_high : bool
        ``high`` itself is excluded (e.g. a probability below 1).
    """

    low: float
    high: float
    integer: bool = False
    above_low: bool = False
    infinite: bool = False
    below_high: bool = False

    def describe(self, kind=True):
        """The allowed range as the error messages print it (``kind``: say "integers")."""
        kind = "integers " if self.integer and kind else ""
        low = f"{number_text(self.low)} (excluded)" if self.above_low else number_text(self.low)
        high = number_text(self.high) + (" (excluded)" if self.below_high else "")
        return f"{kind}{low} … {high}"

    def admits(self, value):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
        if self.integer and not isinstance(value, numbers.Integral):
            return False
        if isinstance(value, numbers.Integral):
            value = int(value)          # compared exactly, however large
            if not self.integer and abs(value) >= 2 ** 1023:
                return False            # no float holds it: the maths would overflow
        elif not math.isfinite(value) and not (self.infinite and value == math.inf):
            return False                # NaN, −inf, and inf where it is no value
        above = value > self.low if self.above_low else value >= self.low
        below = value < self.high if self.below_high else value <= self.high
        return bool(above and below)

    def check(self, value, name):
        """``value`` if it lies in this limit, else :class:`InputError` naming ``name``."""
        if not self.admits(value):
            if _is_bool(value) or not isinstance(value, numbers.Real) or (
                    self.integer and not isinstance(value, numbers.Integral)):
                kind = "an integer" if self.integer else "a number"
                raise InputError(f"{name} = {value_text(value)} must be {kind} in "
                                 f"{self.describe(kind=False)}", key=name)
            raise InputError(f"{name} = {number_text(value)} is out of range: allowed "
                             f"{self.describe()}", key=name)
        return value

    def parse(self, text, name):
        """A command-line value for this limit, or :class:`InputError` naming ``name``."""
        shown = value_text(str(text))[1:].rstrip('"')      # the text as typed, shortened
        try:
            value = int(text) if self.integer else float(text)
        except (TypeError, ValueError):
            kind = "an integer" if self.integer else "a number"
            raise InputError(f"{name} = {shown} must be {kind} in "
                             f"{self.describe(kind=False)}", key=name) from None
        if not self.admits(value):
            raise InputError(f"{name} = {shown} is out of range: allowed "
                             f"{self.describe()}", key=name)
        return value


def number_text(value):
    """A number as a user typed it: 1.5, not 1.5000; inf, not Infinity."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return value_text(value)
    if isinstance(value, numbers.Integral):
        return value_text(int(value))
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{float(value):g}"


#: SPEC §1: the parameters of one core, in the order they are validated.
NEURON_RANGES = {
    "neurons": Range(1, 65536),
    "width": Range(4, 32),
    "input_width": Range(2, 32),
    "threshold": Range(1, lambda p: _signed_max(p.width), ("width",)),
    "decay_shift": Range(0, 16),
    "decay": Range(0, lambda p: 1 << p.decay_shift, ("decay_shift",)),
    "bias": Range(lambda p: _signed_min(p.input_width), lambda p: _signed_max(p.input_width),
                  ("input_width",)),
    "spike_bits": Range(1, 8),
    "initial_membrane": Range(lambda p: _signed_min(p.width), lambda p: _signed_max(p.width),
                              ("width",)),
}

#: Seeds of every random choice lifq makes (stimuli, gaps and stalls, experiments,
#: placement): one range, so that every command takes the same seeds.
SEED_RANGE = Range(0, 2 ** 32 - 1)

#: SPEC §6: the keys of a network.
NETWORK_RANGES = {
    "inputs": Range(1, 65536),
    "input_bits": Range(2, 16),
}

#: SPEC §6: one synaptic weight, a signed ``weight_bits``-bit integer.
WEIGHT_RANGE = Range(lambda p: _signed_min(p.weight_bits), lambda p: _signed_max(p.weight_bits),
                     ("weight_bits",))

#: SPEC §6: one network input value x, a signed ``input_bits``-bit integer.
INPUT_RANGE = Range(lambda p: _signed_min(p.input_bits), lambda p: _signed_max(p.input_bits),
                    ("input_bits",))

#: SPEC §6: the keys a layer adds to the neuron parameters.
LAYER_RANGES = {
    "weight_bits": Range(2, 16),
}
