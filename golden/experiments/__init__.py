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

Every experiment checks its parameters against a table of
:class:`lifq.spec.ranges.Limit` s with :func:`check_parameters`; the CLI parses
its options with the same limits (``Limit.parse``), so a range is written
down once.
"""

from lifq.spec import InputError
from lifq.spec.ranges import Limit, number_text as _number

__all__ = ["Limit", "check_parameters"]


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
                                 f"allowed {limit.describe()}", key=name)
