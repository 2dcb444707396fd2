"""The job file a cocotb test reads, and its seed (shared by the core's and the network's test).

The runners (:mod:`lifq.sim.runner`, :mod:`lifq.sim.network_runner`) pass the
job file's path as the plusarg ``+lifq_job=PATH``; ``LIFQ_JOB`` names it when
a test module is run by hand.
"""

import os
import random

import cocotb

__all__ = ["job_file", "job_seed"]


def job_file():
    """The path of the job file."""
    path = cocotb.plusargs.get("lifq_job") or os.environ.get("LIFQ_JOB")
    if not path:
        raise RuntimeError("no job file: pass +lifq_job=PATH or set LIFQ_JOB")
    return path


def job_seed(job):
    """The seed of a run: the job's, else ``LIFQ_SEED``, else drawn at random (and logged
    by the testbench for replay)."""
    if job.get("seed") is not None:
        return int(job["seed"])
    if os.environ.get("LIFQ_SEED"):
        return int(os.environ["LIFQ_SEED"])
    return random.SystemRandom().randrange(1 << 31)
