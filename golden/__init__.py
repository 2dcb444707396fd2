"""Golden model of lifq: the executable contract of SPEC §1–2.

>>> from golden import LIFConfig, simulate
>>> spikes, v = simulate(LIFConfig(neurons=1, threshold=100), [[250]])
>>> int(spikes[0, 0]), int(v[0, 0])
(2, 50)
"""

from lifq.spec import RESETS, InputError, LIFConfig

from .model import fire, leak, simulate, step, validate_currents
from .norms import alexiewicz, decay_factors, sqnr
from .real import decay_from_alpha, lif_real

__all__ = [
    "RESETS", "InputError", "LIFConfig",
    "fire", "leak", "simulate", "step", "validate_currents",
    "alexiewicz", "decay_factors", "sqnr",
    "decay_from_alpha", "lif_real",
]
