"""The file-driven harness: streaming stimuli checked at the simulator's own speed.

The cocotb testbench (:mod:`lifq.sim.runner`) drives a core from Python,
one coroutine step per clock, which sets the pace of a run (about 40 k
checked updates per second on Verilator).  For stimuli that are only
streams of currents this package does without Python in the loop:

* :mod:`.top` wraps a bundle of cores (:class:`lifq.sim.bundle.CoreBundle`)
  in a top with fixed-width buses, ``clear`` low and the parameter port idle;
* ``lifq_harness.cpp`` (Verilator) and ``lifq_harness_tb.sv`` (Icarus) read
  the currents of every core from one binary file, offer them with input
  gaps and take updates with output stalls decided by seeded xorshift32
  LFSRs — the same draws in the same order on both — and write every
  update to a binary file (:mod:`.stream_files`);
* :mod:`.build` compiles them once per design (cached like the cocotb
  builds), for the generated RTL or for the netlist Yosys synthesises for
  an iCE40 or ECP5 with Yosys's models of the device primitives
  (:mod:`.netlist`);
* :mod:`.scoreboard` compares every update with :func:`lifq.golden.simulate`
  in numpy and reports as the cocotb scoreboard does (value, order, lost,
  extra, with timestep and neuron).

::

    from lifq.sim.harness import run_harness
    from lifq.sim.runner import RtlJob
    runs = run_harness([RtlJob(cfg, currents, seed=7)], "verilator")
    runs = run_harness([RtlJob(cfg, currents)], "icarus", netlist="ice40")

Parameter writes, clears and waveforms stay with the cocotb testbench.
"""

from .build import SIMULATORS
from .netlist import FAMILIES as NETLISTS
from .run import HarnessRun, run_harness, start_harness
from .top import MAX_CORES

__all__ = ["SIMULATORS", "NETLISTS", "MAX_CORES", "HarnessRun", "run_harness", "start_harness"]
