"""Verilog and RTLIL of a core, for `lifq generate` and the simulators."""

from amaranth.back import rtlil, verilog

from .core import LIFCore

__all__ = ["FORMATS", "generate"]

FORMATS = ("verilog", "rtlil")


def generate(config, format="verilog", name="lif_core"):
    """Text of the core for ``config`` as Verilog or RTLIL, top module ``name``."""
    if format not in FORMATS:
        raise ValueError(f"format = {format!r} is unknown: allowed " + ", ".join(FORMATS))
    core = LIFCore(config)
    backend = verilog if format == "verilog" else rtlil
    return backend.convert(core, name=name, emit_src=False)
