"""Neuron-core configuration: the parameters of SPEC §1, validated in one place.

Every other part of lifq (golden model, HDL generator, simulators, board
builds, CLI) takes a :class:`LIFConfig`; none of them re-checks a range.
"""

import dataclasses
import numbers

__all__ = ["InputError", "LIFConfig", "RESETS"]


RESETS = ("zero", "subtract", "mod")


class InputError(ValueError):
    """Bad user input: a parameter, a current or a file that breaks the contract.

    The message is one line that names what is wrong and the allowed range.
    The CLI turns it into exit status 2 without a traceback.
    """


def _check_int(name, value, low, high, why=""):
    # bool is an int subclass in Python; ``threshold = true`` is a mistake.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name} = {value!r} must be an integer in {low} … {high}{why}")
    if not low <= value <= high:
        raise InputError(f"{name} = {value} is out of range: allowed {low} … {high}{why}")
    return int(value)


def _check_bool(name, value):
    if not isinstance(value, bool):
        raise InputError(f"{name} = {value!r} must be true or false")
    return value


@dataclasses.dataclass(frozen=True)
class LIFConfig:
    """Parameters of one LIF core; all neurons of a core share them.

    Constructing a config validates every range of SPEC §1; out-of-range,
    mistyped or unknown values raise :class:`InputError` (a ``ValueError``)
    naming the parameter, the value and the allowed range.

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
    programmable : bool
        Hardware only: threshold, decay and bias are run-time registers.

    Attributes
    ----------
    k_max : int
        Largest |k| the reset can emit: 2^q − 1 for mod, 1 otherwise.
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
    programmable: bool = True

    def __post_init__(self):
        # The order matters: later ranges depend on earlier values.
        set_ = lambda name, value: object.__setattr__(self, name, value)
        set_("neurons", _check_int("neurons", self.neurons, 1, 65536))
        set_("width", _check_int("width", self.width, 4, 32))
        if self.input_width is None:
            set_("input_width", self.width)
        set_("input_width", _check_int("input_width", self.input_width, 2, 32))
        set_("threshold", _check_int("threshold", self.threshold, 1, 2 ** (self.width - 1) - 1,
                                     f" for width = {self.width}"))
        if not isinstance(self.reset, str) or self.reset not in RESETS:
            raise InputError(f"reset = {self.reset!r} is unknown: allowed "
                             + ", ".join(f'"{r}"' for r in RESETS))
        set_("signed", _check_bool("signed", self.signed))
        set_("decay_shift", _check_int("decay_shift", self.decay_shift, 0, 16))
        if self.decay is None:
            set_("decay", 1 << self.decay_shift)
        set_("decay", _check_int("decay", self.decay, 0, 1 << self.decay_shift,
                                 f" for decay_shift = {self.decay_shift}"))
        set_("bias", _check_int("bias", self.bias, self.current_min, self.current_max,
                                f" for input_width = {self.input_width}"))
        set_("spike_bits", _check_int("spike_bits", self.spike_bits, 1, 8))
        set_("programmable", _check_bool("programmable", self.programmable))

    @classmethod
    def from_dict(cls, mapping, *, where="config"):
        """Build a config from a JSON/TOML mapping, rejecting unknown keys."""
        if not isinstance(mapping, dict):
            raise InputError(f"{where} must be an object of parameters, not {type(mapping).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise InputError(f"{where}: unknown parameter {unknown[0]!r}: allowed "
                             + ", ".join(sorted(known)))
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
