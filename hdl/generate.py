"""Verilog and RTLIL of a core or a network, for `lifq generate` and the simulators."""

import re

from amaranth.back import rtlil, verilog

from lifq.spec import InputError, LIFConfig, NetworkConfig, value_text

from .core import LIFCore
from .network import Network

__all__ = ["FORMATS", "generate", "check_module_name"]

FORMATS = ("verilog", "rtlil")

# A Verilog identifier that is no keyword of the few that could collide.
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,1023}")
_KEYWORDS = {"module", "endmodule", "input", "output", "inout", "wire", "reg", "assign",
             "always", "begin", "end", "if", "else", "case", "endcase", "initial"}


def check_module_name(name, option="name"):
    """``name`` if it is a Verilog module name, else :class:`InputError`."""
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name) or name in _KEYWORDS:
        raise InputError(f"{option} = {value_text(name)} must be a Verilog identifier "
                         "(a letter or _, then letters, digits, _ or $; no keyword)")
    return name


def generate(config, format="verilog", name="lif_core", *, lanes=1):
    """Text of the hardware for ``config`` as Verilog or RTLIL, top module ``name``.

    Parameters
    ----------
    config : lifq.spec.LIFConfig or lifq.spec.NetworkConfig
        A core, or a network (:class:`lifq.hdl.Network`, its output layer's
        events and updates out).
    format : ``"verilog"`` or ``"rtlil"``
    name : str
        Top module name, a Verilog identifier.
    lanes : int
        Networks only: P, synaptic operations per clock and layer.
    """
    if format not in FORMATS:
        raise InputError(f"format = {value_text(format)} is unknown: allowed "
                         + ", ".join(FORMATS))
    check_module_name(name)
    if isinstance(config, NetworkConfig):
        design = Network(config, lanes=lanes)
    elif isinstance(config, LIFConfig):
        design = LIFCore(config)
    else:
        raise InputError(f"config must be a lifq.spec.LIFConfig or NetworkConfig, not "
                         f"{type(config).__name__}")
    backend = verilog if format == "verilog" else rtlil
    return backend.convert(design, name=name, emit_src=False)
