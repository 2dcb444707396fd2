"""The RTL as an integer model, for experiments that compare it with the golden model.

:func:`lifq.golden.experiments.hardware.hardware_vs_real` takes an *engine*:
``"golden"`` or an object like :class:`RtlEngine`, callable like
:func:`lifq.golden.simulate`.  The golden layer never imports this one; the
CLI hands the engine down.
"""

from .runner import SIMULATORS, run_rtl
from .tools import require_simulator

__all__ = ["RtlEngine"]


class RtlEngine:
    """Runs each configuration's generated Verilog on a simulator.

    Parameters
    ----------
    simulator : str
        ``"icarus"`` or ``"verilator"``; checked to be installed here, before
        a long sweep starts.

    Attributes
    ----------
    name : str
        The simulator, as experiments report it.
    """

    def __init__(self, simulator):
        if simulator not in SIMULATORS:
            raise ValueError(f"simulator = {simulator!r} is unknown: allowed "
                             + ", ".join(SIMULATORS))
        require_simulator(simulator)
        self.name = simulator

    def __call__(self, cfg, currents):
        """``(spikes, v)`` of the RTL, as :func:`lifq.golden.simulate` returns them."""
        spikes, v = run_rtl(cfg, currents, simulator=self.name)
        return spikes, v
