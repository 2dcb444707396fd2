"""The allowed range of every integer parameter of SPEC §1 and §6, in one table.

Each range is written down once, here.  :class:`~lifq.spec.LIFConfig` and the
network config validate against it, the core's parameter port derives its
range checks from it (:mod:`lifq.hdl.ranges`), and the formal harness and the
expected-result model of parameter writes read it too.

A range's ends may depend on parameters checked before it (the threshold on
the width): such an end is a function of the partly validated parameters.
"""

import dataclasses
import numbers

from .errors import InputError

__all__ = ["Range", "NEURON_RANGES", "NETWORK_RANGES", "LAYER_RANGES", "check_integer",
           "value_text"]


def value_text(value, limit=40):
    """A value for an error message: short, in the spelling of JSON where it has one."""
    if value is True or value is False:
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif isinstance(value, str):
        text = '"' + value + '"'
    else:
        text = str(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


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
    """``value`` as an int if it is an integer in ``low … high``, else :class:`InputError`."""
    # bool is an int subclass in Python; ``threshold = true`` is a mistake.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name} = {value_text(value)} must be an integer in "
                         f"{low} … {high}{why}")
    if not low <= value <= high:
        raise InputError(f"{name} = {value_text(value)} is out of range: allowed "
                         f"{low} … {high}{why}")
    return int(value)


def _signed_min(bits):
    return -(1 << (bits - 1))


def _signed_max(bits):
    return (1 << (bits - 1)) - 1


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

#: SPEC §6: the keys of a network.
NETWORK_RANGES = {
    "inputs": Range(1, 65536),
    "input_bits": Range(2, 16),
}

#: SPEC §6: the keys a layer adds to the neuron parameters.
LAYER_RANGES = {
    "weight_bits": Range(2, 16),
}
