"""Several cores in one design, so that one simulator build serves many configurations.

:class:`CoreBundle` holds one core (or :class:`~lifq.sim.mutants.OutputMutant`)
per job, each behind a member ``c0``, ``c1``, … with the core's own
signature; in the generated Verilog their ports are ``c0__currents__valid``
and so on, and all cores share the clock and reset.
"""

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import Out

__all__ = ["CoreBundle", "member_prefix"]


def member_prefix(index):
    """The port-name prefix of job ``index`` in a bundle's Verilog."""
    return f"c{index}__"


class CoreBundle(wiring.Component):
    """Cores side by side; member ``c{i}`` is core ``i``'s interface.

    Parameters
    ----------
    cores : list of wiring.Component
    """

    def __init__(self, cores):
        self._cores = list(cores)
        super().__init__({f"c{index}": Out(core.signature)
                          for index, core in enumerate(self._cores)})

    def elaborate(self, platform):
        m = Module()
        for index, core in enumerate(self._cores):
            m.submodules[f"c{index}"] = core
            wiring.connect(m, wiring.flipped(getattr(self, f"c{index}")), core)
        return m
