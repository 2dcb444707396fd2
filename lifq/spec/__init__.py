"""The contract of lifq as data: the bottom layer every other package imports.

Pure Python, no simulator and no HDL: the neuron configuration of SPEC §1
(:class:`LIFConfig`), the network configuration of SPEC §6
(:class:`NetworkConfig`, :class:`LayerConfig`), the one table of parameter ranges (:mod:`.ranges`), the
run-time register addresses of SPEC §3 (:class:`Register`) and the errors
lifq reports (:mod:`.errors`).  The golden model (``lifq.golden``) and the
hardware (``lifq.hdl``) both build on it and on nothing above it.
"""

from .errors import InputError, LifqError, ToolError
from .network import (INPUT_RANGE, WEIGHT_RANGE, LayerConfig, NetworkConfig, check_array_range,
                      integer_array)
from .neuron import RESETS, LIFConfig
from .ranges import LAYER_RANGES, NETWORK_RANGES, NEURON_RANGES, Range, check_integer, value_text
from .registers import Register

__all__ = [
    "LifqError", "InputError", "ToolError",
    "RESETS", "LIFConfig",
    "LayerConfig", "NetworkConfig", "WEIGHT_RANGE", "INPUT_RANGE", "integer_array",
    "check_array_range",
    "Range", "NEURON_RANGES", "NETWORK_RANGES", "LAYER_RANGES", "check_integer", "value_text",
    "Register",
]
