"""Golden model of lifq: the executable contract of SPEC §1–2 and §6–7.

The neuron (:mod:`.model`), networks of neurons (:mod:`.network`), the
conversion of float ReLU networks (:mod:`.convert`) and the exchange of
networks as NIR graphs (:mod:`.nir_import`, :mod:`.nir_export`).  The data sets
(:mod:`.datasets`, which trains with scikit-learn) and the accuracy tables
(:mod:`.accuracy`) are not imported here: import them when needed.

>>> from golden import LIFConfig, simulate
>>> spikes, v = simulate(LIFConfig(neurons=1, threshold=100), [[250]])
>>> int(spikes[0, 0]), int(v[0, 0])
(2, 50)
"""

from lifq.spec import RESETS, InputError, LayerConfig, LIFConfig, NetworkConfig

from .convert import Conversion, FloatMLP, LayerScale, convert
from .model import fire, leak, simulate, step, validate_currents
from .nir_export import to_nir
from .nir_files import read_nir, write_nir
from .nir_import import NIRImport, from_nir
from .network import (BatchResult, NetworkResult, layer_step, simulate_network, synaptic_current,
                      validate_inputs)
from .norms import alexiewicz, decay_factors, sqnr
from .real import decay_from_alpha, lif_real

__all__ = [
    "RESETS", "InputError", "LIFConfig", "LayerConfig", "NetworkConfig",
    "fire", "leak", "simulate", "step", "validate_currents",
    "simulate_network", "layer_step", "synaptic_current", "validate_inputs", "NetworkResult",
    "BatchResult",
    "convert", "Conversion", "FloatMLP", "LayerScale",
    "from_nir", "to_nir", "read_nir", "write_nir", "NIRImport",
    "alexiewicz", "decay_factors", "sqnr",
    "decay_from_alpha", "lif_real",
]
