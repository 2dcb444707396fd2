"""Amaranth components of the lifq neuron core."""

from .core import LIFCore
from .generate import FORMATS, generate
from .interfaces import ParameterAddress

__all__ = ["LIFCore", "ParameterAddress", "FORMATS", "generate"]
