"""Neuron updates checked per second by every simulation engine, side by side.

Every engine runs the same core on (a prefix of) the same stimulus, with
random input gaps and output back-pressure, and checks every update against
the golden model:

* Amaranth's own Python simulator (``lifq.sim.amaranth_sim``);
* the cocotb testbench on Icarus Verilog and on Verilator (``lifq.sim.runner``);
* the file-driven harness on Icarus and on Verilator (``lifq.sim.harness``),
  on the generated RTL and on the netlists Yosys synthesises for the iCE40
  (iCEBreaker) and the ECP5 (ULX3S).

Build time (generating Verilog, synthesis, compiling the simulator) is
measured apart from the run: a build is made once per design and reused.
A run's time is end to end — stimulus file, simulator, golden model,
comparison — as ``lifq simulate`` spends it; each row is the best of
``--repeat`` runs (the machine is shared).

Run: ``.venv/bin/python -m bench.simulation [--json bench/results/simulation.json]``
"""

import argparse
import json
import tempfile
import time

import numpy as np

from lifq.golden import simulate
from lifq.sim.amaranth_sim import run_amaranth
from lifq.sim.harness import run_harness
from lifq.sim.runner import RtlJob, run_rtl
from lifq.sim.stimuli import random_currents

from . import CONFIG

#: (engine, simulator, design, updates): enough for a steady rate, small enough
#: for a run of a few seconds each.
ROWS = [
    ("amaranth", "amaranth", "rtl", 20_000),
    ("cocotb", "icarus", "rtl", 50_000),
    ("cocotb", "verilator", "rtl", 500_000),
    ("harness", "icarus", "rtl", 200_000),
    ("harness", "verilator", "rtl", 10_000_000),
    ("harness", "icarus", "ice40", 20_000),
    ("harness", "verilator", "ice40", 2_000_000),
    ("harness", "verilator", "ecp5", 2_000_000),
]
GAPS = STALLS = 0.1
SEED = 1


def _run(engine, simulator, design, cfg, currents, build_dir):
    """One run; returns (spikes, v)."""
    if engine == "amaranth":
        return run_amaranth(cfg, currents, seed=SEED, input_gaps=GAPS, output_stalls=STALLS)
    if engine == "cocotb":
        return run_rtl(cfg, currents, simulator, seed=SEED, input_gaps=GAPS,
                       output_stalls=STALLS, build_dir=build_dir)
    job = RtlJob(cfg, currents, seed=SEED, input_gaps=GAPS, output_stalls=STALLS)
    (run,) = run_harness([job], simulator, netlist=None if design == "rtl" else design,
                         build_dir=build_dir)
    return run


def measure(engine, simulator, design, cfg, currents, build_dir, repeat):
    build = 0.0
    if engine != "amaranth":
        start = time.perf_counter()
        _run(engine, simulator, design, cfg, currents[:1], build_dir)  # build once
        build = time.perf_counter() - start
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run = _run(engine, simulator, design, cfg, currents, build_dir)
        times.append(time.perf_counter() - start)
    elapsed = min(times)
    expected = simulate(cfg, currents)
    exact = np.array_equal(run.spikes, expected[0]) and np.array_equal(run.v, expected[1])
    return {"engine": engine, "simulator": simulator, "design": design,
            "updates": int(currents.size), "build_s": build, "run_s": elapsed,
            "updates_per_s": currents.size / elapsed, "bit_exact": bool(exact)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE", help="also write the table as JSON")
    parser.add_argument("--neurons", type=int, default=64)
    parser.add_argument("--only", metavar="ENGINE", help="run only rows whose engine, "
                        "simulator or design is this")
    parser.add_argument("--repeat", type=int, default=2, help="runs per row, the best "
                        "counts (default 2)")
    args = parser.parse_args(argv)
    cfg = CONFIG.replace(neurons=args.neurons)
    rows = [row for row in ROWS if args.only is None or args.only in row[:3]]
    steps = max(updates for *_, updates in rows) // cfg.neurons
    currents = random_currents(cfg, steps, np.random.default_rng(0))
    print(f"Checked updates per second, N = {cfg.neurons}, W = {cfg.width}, reset = {cfg.reset}, "
          f"d = {cfg.decay}, input gaps and output stalls {GAPS:.0%}, seed {SEED}")
    print(f"{'engine':>8} {'simulator':>9} {'design':>6} {'updates':>10} {'build s':>8} "
          f"{'run s':>7} {'updates/s':>10} {'× cocotb':>8} {'exact':>6}")
    results = []
    with tempfile.TemporaryDirectory() as build_dir:
        for engine, simulator, design, updates in rows:
            row = measure(engine, simulator, design, cfg, currents[:updates // cfg.neurons],
                          build_dir, args.repeat)
            cocotb = [r for r in results if r["engine"] == "cocotb"
                      and r["simulator"] == simulator]
            row["vs_cocotb"] = row["updates_per_s"] / cocotb[0]["updates_per_s"] \
                if cocotb and engine == "harness" else None
            results.append(row)
            ratio = "" if row["vs_cocotb"] is None else f"{row['vs_cocotb']:.1f}"
            print(f"{engine:>8} {simulator:>9} {design:>6} {row['updates']:>10} "
                  f"{row['build_s']:>8.1f} {row['run_s']:>7.1f} {row['updates_per_s']:>10.0f} "
                  f"{ratio:>8} {'yes' if row['bit_exact'] else 'NO':>6}", flush=True)
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"config": cfg.to_dict(), "input_gaps": GAPS, "output_stalls": STALLS,
                       "seed": SEED, "repeat": args.repeat, "rows": results}, file, indent=1)


if __name__ == "__main__":
    main()
