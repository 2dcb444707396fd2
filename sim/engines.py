"""The RTL as an integer model, for experiments that compare it with the golden model.

:func:`lifq.golden.experiments.hardware.hardware_vs_real` takes an *engine*:
``"golden"`` or an object like :class:`RtlEngine`, callable like
:func:`lifq.golden.simulate`.  :func:`lifq.golden.accuracy.accuracy_table`
takes a :class:`NetworkRtlEngine`, which runs a whole test set through a
network's hardware.  The golden layer never imports this one; the CLI hands
the engine down.
"""

import dataclasses

import numpy as np

from .runner import SIMULATORS, run_rtl
from .tools import require_simulator

__all__ = ["RtlEngine", "NetworkRtlEngine", "NetworkEngineResult"]


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


class NetworkRtlEngine:
    """Runs a network's hardware on a simulator: the integer model of ``lifq accuracy
    --engine icarus|verilator``.

    Each call sends S samples through one simulation of the network harness
    (:func:`lifq.sim.harness.run_network_harness`, a clear between two
    samples), built once per network and reused while its build is cached, and
    checks every transfer of every layer against the golden network.

    Parameters
    ----------
    simulator : str
        ``"icarus"`` or ``"verilator"``; checked to be installed here, before
        a long sweep starts.
    lanes : int
        P of every layer (at most its neurons).
    seed : int, optional
        Seed of the gaps and stalls (``$LIFQ_SEED`` or random when None).
    input_gaps, output_stalls : float in [0, 1)
        Chance per cycle of an idle input or a stalled output (0: the
        network's own pace, so that the cycles per sample are its own).

    Attributes
    ----------
    name : str
        The simulator, as the tables report it.
    lanes : int
    """

    def __init__(self, simulator, *, lanes=1, seed=None, input_gaps=0.0, output_stalls=0.0):
        from .harness import SIMULATORS as HARNESS_SIMULATORS

        if simulator not in HARNESS_SIMULATORS:
            raise ValueError(f"simulator = {simulator!r} is unknown: allowed "
                             + ", ".join(HARNESS_SIMULATORS))
        require_simulator(simulator)
        self.name, self.lanes = simulator, lanes
        self._options = dict(lanes=lanes, seed=seed, input_gaps=input_gaps,
                             output_stalls=output_stalls)

    def __call__(self, net, inputs):
        """Run S samples (inputs S × T × N_0) through the hardware of ``net``.

        Returns
        -------
        NetworkEngineResult

        Raises
        ------
        lifq.sim.tools.SimulationError
            When the simulation stopped because nothing moved any more.
        """
        from .harness import run_network_harness
        from .tools import SimulationError

        run = run_network_harness(net, inputs, self.name, **self._options)
        if run.hung:
            raise SimulationError(f"{run.simulator}: {run.hung}", run.log)
        scores = np.full((run.samples, net.outputs), np.iinfo(np.int64).min, dtype=np.int64)
        done = run.scores()
        scores[:len(done)] = done
        return NetworkEngineResult(scores=scores, predictions=run.predictions(),
                                   differing=run.differing_samples(),
                                   cycles=run.sample_cycles, run=run)


@dataclasses.dataclass(frozen=True)
class NetworkEngineResult:
    """What a network's hardware gave for S samples.

    Attributes
    ----------
    scores : ndarray of int64, shape (S, N_L)
        The scores of SPEC §6 formed from the output layer's updates (the
        int64 minimum for a sample whose updates did not all arrive).
    predictions : ndarray of int64, shape (S,)
        argmax of the scores; −1 for a sample whose updates did not all arrive.
    differing : ndarray of bool, shape (S,)
        Samples with any transfer, of any layer, unlike the golden network.
    cycles : ndarray of int64
        Clock cycles of every sample, from its first input transfer to its
        last output transfer.
    run : lifq.sim.harness.NetworkRtlRun
        Everything else the run reported.
    """
    scores: np.ndarray
    predictions: np.ndarray
    differing: np.ndarray
    cycles: np.ndarray
    run: object
