"""Neuron updates checked per second by each simulation flow, side by side.

Every flow runs the same core and the same stimulus, with random input gaps
and output back-pressure, and checks every update against the golden model:

* Amaranth's own Python simulator (``sim.amaranth_sim``);
* the cocotb flow on Icarus Verilog (``sim.runner``, generated Verilog);
* the cocotb flow on Verilator (same testbench).

Build time (generating Verilog, compiling the simulator) is measured apart
from the run: a build is made once per configuration and reused.

Run: ``.venv/bin/python -m bench.simulation [--json bench/simulation.json]``
"""

import argparse
import json
import tempfile
import time

import numpy as np

from lifq.golden import simulate
from lifq.sim.amaranth_sim import run_amaranth
from lifq.sim.runner import run_rtl
from lifq.sim.stimuli import random_currents

from . import CONFIG

# Updates per flow: enough for a steady rate, small enough for a short run.
UPDATES = {"amaranth": 20_000, "icarus": 50_000, "verilator": 500_000}


def measure(flow, cfg, currents, build_dir):
    expected = simulate(cfg, currents)
    if flow == "amaranth":
        build = 0.0
        start = time.perf_counter()
        run = run_amaranth(cfg, currents, seed=1, input_gaps=0.1, output_stalls=0.1)
        elapsed = time.perf_counter() - start
    else:
        start = time.perf_counter()
        run_rtl(cfg, currents[:1], flow, seed=1, build_dir=build_dir)  # build once
        build = time.perf_counter() - start
        start = time.perf_counter()
        run = run_rtl(cfg, currents, flow, seed=1, input_gaps=0.1, output_stalls=0.1,
                      build_dir=build_dir)
        elapsed = time.perf_counter() - start
    exact = np.array_equal(run.spikes, expected[0]) and np.array_equal(run.v, expected[1])
    return {"flow": flow, "updates": int(currents.size), "build_s": build, "run_s": elapsed,
            "updates_per_s": currents.size / elapsed, "bit_exact": bool(exact)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE", help="also write the table as JSON")
    parser.add_argument("--neurons", type=int, default=64)
    args = parser.parse_args(argv)
    cfg = CONFIG.replace(neurons=args.neurons)
    rng = np.random.default_rng(0)
    rows = []
    print(f"Updates checked per second, N = {cfg.neurons}, W = {cfg.width}, reset = {cfg.reset}, "
          f"input gaps and output stalls 10 %")
    print(f"{'flow':>10} {'updates':>9} {'build s':>8} {'run s':>7} {'updates/s':>10} "
          f"{'× Amaranth':>10} {'exact':>6}")
    with tempfile.TemporaryDirectory() as build_dir:
        for flow, updates in UPDATES.items():
            currents = random_currents(cfg, updates // cfg.neurons, rng)
            row = measure(flow, cfg, currents, build_dir)
            rows.append(row)
            ratio = row["updates_per_s"] / rows[0]["updates_per_s"]
            row["vs_amaranth"] = ratio
            print(f"{flow:>10} {row['updates']:>9} {row['build_s']:>8.1f} {row['run_s']:>7.1f} "
                  f"{row['updates_per_s']:>10.0f} {ratio:>10.1f} "
                  f"{'yes' if row['bit_exact'] else 'NO':>6}")
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"config": cfg.to_dict(), "rows": rows}, file, indent=1)


if __name__ == "__main__":
    main()
