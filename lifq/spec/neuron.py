"""Neuron-core configuration: the parameters of SPEC §1, validated in one place.

Every other part of lifq (golden model, HDL generator, simulators, board
builds, CLI) takes a :class:`LIFConfig`; none of them re-checks a range.
"""

import dataclasses

from .errors import InputError
from .ranges import NEURON_RANGES, value_text

__all__ = ["LIFConfig", "RESETS"]


RESETS = ("zero", "subtract", "mod")


def _check_bool(name, value):
    if not isinstance(value, bool):
        raise InputError(f"{name} = {value_text(value)} must be true or false", key=name)
    return value


@dataclasses.dataclass(frozen=True)
class LIFConfig:
    """Parameters of one LIF core; all neurons of a core share them.

    Constructing a config validates every range of SPEC §1 (the table
    :data:`lifq.spec.NEURON_RANGES`); out-of-range, mistyped or unknown values
    raise :class:`InputError` (a ``ValueError``) naming the parameter, the
    value and the allowed range.

    Parameters
    ----------
    neurons : int
        N, neurons time-multiplexed in the core, 1 … 65536.
    width : int
        W, bits of the membrane state (two's complement), 4 … 32.
    input_width : int or None
        Bits of the signed input current, 2 … 32; ``None`` means ``width``.
    threshold : int
        θ, 1 … 2^(W−1)−1.
    reset : str
        ``"zero"``, ``"subtract"`` or ``"mod"``.
    signed : bool
        Also fire negative spikes when u ≤ −θ.
    decay_shift : int
        F, fraction bits of the leak factor, 0 … 16.
    decay : int or None
        d, leak factor β = d / 2^F, 0 … 2^F; ``None`` means 2^F (no leak).
    bias : int
        b, constant current added every step; must fit ``input_width``.
    spike_bits : int
        q, |k| ≤ 2^q − 1 under reset-to-mod, 1 … 8.
    initial_membrane : int
        v0, every membrane after reset and after a clear; W-bit range.
    programmable : bool
        Hardware only: threshold, decay and bias are run-time registers.

    Attributes
    ----------
    k_max : int
        Largest |k| the reset can emit: 2^q − 1 for mod, 1 otherwise.
    k_width : int
        Bits of the signed spike count k.
    v_min, v_max : int
        Saturation bounds of the membrane.
    current_min, current_max : int
        Range of an input current (and of the bias).
    """

    neurons: int = 16
    width: int = 16
    input_width: int = None
    threshold: int = 64
    reset: str = "mod"
    signed: bool = True
    decay_shift: int = 12
    decay: int = None
    bias: int = 0
    spike_bits: int = 4
    initial_membrane: int = 0
    programmable: bool = True

    def __post_init__(self):
        defaults = {"input_width": lambda: self.width, "decay": lambda: 1 << self.decay_shift}
        # In the table's order: later ranges depend on earlier values.
        for name, allowed in NEURON_RANGES.items():
            if getattr(self, name) is None and name in defaults:
                object.__setattr__(self, name, defaults[name]())
            object.__setattr__(self, name, allowed.check(name, getattr(self, name), self))
        if not isinstance(self.reset, str) or self.reset not in RESETS:
            raise InputError(f"reset = {value_text(self.reset)} is unknown: allowed "
                             + ", ".join(f'"{r}"' for r in RESETS), key="reset")
        _check_bool("signed", self.signed)
        _check_bool("programmable", self.programmable)

    @classmethod
    def from_dict(cls, mapping, *, where="config"):
        """Build a config from a JSON/TOML mapping, rejecting unknown keys."""
        if not isinstance(mapping, dict):
            raise InputError(f"{where} must be an object of parameters, not "
                             f"{_json_type(mapping)}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise InputError(f"{where}: unknown parameter {value_text(unknown[0])}: allowed "
                             + ", ".join(sorted(known)), key=unknown[0])
        return cls(**mapping)

    def to_dict(self):
        """All parameters, defaults filled in, as a plain dict."""
        return dataclasses.asdict(self)

    def replace(self, **changes):
        """A copy with some parameters changed (and validated again)."""
        return dataclasses.replace(self, **changes)

    @property
    def k_max(self):
        return (1 << self.spike_bits) - 1 if self.reset == "mod" else 1

    @property
    def k_width(self):
        """Bits of the signed spike count k: q + 1 under mod, 2 otherwise."""
        return self.spike_bits + 1 if self.reset == "mod" else 2

    @property
    def v_min(self):
        return -(1 << (self.width - 1))

    @property
    def v_max(self):
        return (1 << (self.width - 1)) - 1

    @property
    def current_min(self):
        return -(1 << (self.input_width - 1))

    @property
    def current_max(self):
        return (1 << (self.input_width - 1)) - 1


def _json_type(value):
    """The JSON name of a Python value's type, for messages."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    if value is None:
        return "null"
    return type(value).__name__
