"""cocotb test: the generated LIF core against the golden model.

The stimulus reaches the test through a JSON *job file* whose path is given
by the plusarg ``+lifq_job=PATH`` (what :mod:`sim.runner` passes) or the
environment variable ``LIFQ_JOB`` (for running this module by hand)::

    {"clock_period_ns": 10,
     "jobs": [{"name": "core", "prefix": "", "config": {...},
               "currents": [[...], ...], "parameter_writes": [[t, address, value], ...],
               "seed": 1234, "input_gaps": 0.1, "output_stalls": 0.1,
               "result": "/abs/path/result.json"}]}

Every job drives one core: the top level itself (``prefix`` ``""``) or one
core of a bundle (ports ``c0_currents__valid`` …).  All jobs run at once on
the shared clock and reset.  A job's seed is taken from the job file, else
from ``LIFQ_SEED``, else drawn at random; it is logged for replay.  Each job
writes its transfers and scoreboard errors to its ``result`` file; the test
fails if any job saw a mismatch, a lost, extra or reordered transfer or a hang.
"""

import json

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge

from .jobs import job_file, job_seed
from .lifq_tb import CoreTestbench


@cocotb.test()
async def lif_core_matches_golden(dut):
    """Every output transfer equals the golden model, none lost, extra or reordered."""
    with open(job_file(), encoding="utf-8") as file:
        spec = json.load(file)
    period = int(spec.get("clock_period_ns", 10))
    jobs = spec["jobs"]
    for job in jobs:
        job["seed"] = job_seed(job)

    dut.rst.value = 1
    Clock(dut.clk, period, unit="ns").start()
    benches = [CoreTestbench(dut, job, prefix=job.get("prefix", ""), clock_period_ns=period)
               for job in jobs]
    for _ in range(3):
        await RisingEdge(dut.clk)
    dut.rst.value = 0

    tasks = [cocotb.start_soon(bench.run()) for bench in benches]
    for task in tasks:
        await task

    failures = []
    for job, bench in zip(jobs, benches):
        summary = bench.summary()
        if job.get("result"):
            with open(job["result"], "w", encoding="utf-8") as file:
                json.dump(summary, file)
        if not summary["passed"]:
            first = summary["errors"][0]["message"] if summary["errors"] else summary["hung"]
            failures.append(f"{bench.name} (seed {bench.seed}): {summary['error_count']} "
                            f"error(s), first: {first}")
    assert not failures, "core differs from the golden model:\n  " + "\n  ".join(failures)
