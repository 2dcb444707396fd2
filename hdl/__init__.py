"""Amaranth components of the lifq neuron core.

Builds on :mod:`lifq.spec` only: the golden model is a sibling, not a
dependency.
"""

from .core import MUTATIONS, LIFCore
from .generate import FORMATS, generate
from .interfaces import ParameterAddress

__all__ = ["LIFCore", "MUTATIONS", "ParameterAddress", "FORMATS", "generate"]
