"""cocotb test: a generated network (SPEC §6) against the golden network.

The stimulus reaches the test through a JSON *job file* whose path is given
by the plusarg ``+lifq_job=PATH`` (what :mod:`lifq.sim.network_runner`
passes) or the environment variable ``LIFQ_JOB`` (for running this module
by hand)::

    {"clock_period_ns": 10,
     "network": {...},                 # lifq.spec.NetworkConfig.to_dict()
     "inputs": [[[...], ...], ...],    # S × T × N_0
     "layers": [0, 1],                 # the layers whose updates are taken
     "seed": 1234, "input_gaps": 0.2, "output_stalls": 0.2,
     "stall_window": 5200, "drain_cycles": 120,
     "result": "/abs/path/result.json"}

The seed is taken from the job file, else from ``LIFQ_SEED``, else drawn at
random; it is logged for replay.  The test writes every transfer it took and
the first mismatch (layer, sample, timestep, neuron) to the ``result`` file,
and fails on a mismatch, a lost or extra transfer, or a hang.
"""

import json

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge

from .jobs import job_file, job_seed
from .network_tb import NetworkTestbench

RESET_CYCLES = 3


@cocotb.test()
async def lif_network_matches_golden(dut):
    """Every layer's updates and the output events equal the golden network, none lost,
    extra or reordered."""
    with open(job_file(), encoding="utf-8") as file:
        job = json.load(file)
    period = int(job.get("clock_period_ns", 10))
    job["seed"] = job_seed(job)

    dut.rst.value = 1
    Clock(dut.clk, period, unit="ns").start(start_high=False)
    bench = NetworkTestbench(dut, job, clock_period_ns=period)
    for _ in range(RESET_CYCLES):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    await bench.run()

    summary = bench.summary()
    if job.get("result"):
        with open(job["result"], "w", encoding="utf-8") as file:
            json.dump(summary, file)
    if not summary["passed"]:
        what = bench.scoreboard.mismatch or summary["hung"]
        raise AssertionError(f"network differs from the golden network (seed {bench.seed}, "
                             f"replay with LIFQ_SEED={bench.seed}): MISMATCH at {what}")
