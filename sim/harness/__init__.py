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

Networks (SPEC §6) have a harness of their own built from the same pieces
(:mod:`.network_run`): :mod:`.network_top` puts a network behind
fixed-width buses, ``lifq_network_harness.cpp`` and
``lifq_network_harness_tb.sv`` send every sample's input events (a clear
between samples) with seeded gaps and take the output layer's events and
every layer's updates with seeded stalls (:mod:`.event_files`), and
:mod:`.network_scoreboard` compares every transfer with
:func:`lifq.golden.simulate_network`, naming the first difference by layer,
sample, timestep and neuron::

    from lifq.sim.harness import run_network_harness
    run = run_network_harness(net, inputs, "verilator", lanes=4, seed=7,
                              input_gaps=0.2, output_stalls=0.2)
    run.passed, run.mismatch, run.predictions(), run.sample_cycles
"""

from .build import SIMULATORS
from .netlist import FAMILIES as NETLISTS
from .network_result import NetworkRtlRun
from .network_run import NetworkHarnessRun, run_network_harness, start_network_harness
from .run import HarnessRun, run_harness, start_harness
from .top import MAX_CORES

__all__ = ["SIMULATORS", "NETLISTS", "MAX_CORES", "HarnessRun", "run_harness", "start_harness",
           "NetworkHarnessRun", "NetworkRtlRun", "run_network_harness", "start_network_harness"]
