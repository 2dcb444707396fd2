"""Amaranth components of the lifq neuron core and of networks of cores (SPEC §3, §6).

Builds on :mod:`lifq.spec` only: the golden model is a sibling, not a
dependency.
"""

from .core import MUTATIONS, LIFCore
from .encoder import SpikeEncoder
from .events import EventFormat
from .generate import FORMATS, generate
from .interfaces import ParameterAddress
from .layer import Layer
from .network import Network
from .synapses import SynapseUnit

__all__ = ["LIFCore", "MUTATIONS", "ParameterAddress", "FORMATS", "generate",
           "EventFormat", "SynapseUnit", "SpikeEncoder", "Layer", "Network"]
