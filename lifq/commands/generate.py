"""``lifq generate CONFIG [-o core.v] [--format verilog|rtlil]``: the core as HDL."""

import sys

from lifq.hdl import FORMATS, generate
from lifq.hdl.generate import check_module_name
from lifq.hdl.datapath import full_rate_neurons, latency
from lifq.outputs import OutputPlan
from lifq.sim.files import load_config


def register(subparsers):
    parser = subparsers.add_parser(
        "generate", help="write the Verilog (or RTLIL) of a core",
        description="Generate the pipelined LIF core for a JSON or TOML config.")
    parser.add_argument("config", metavar="CONFIG", help="JSON or TOML config file")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="output file (standard output without -o)")
    parser.add_argument("--format", choices=FORMATS, default="verilog",
                        help="output format (default verilog)")
    parser.add_argument("--name", default="lif_core", help="top module name (default lif_core)")
    parser.set_defaults(run=run)


def run(args):
    check_module_name(args.name, "--name")
    plan = OutputPlan(inputs=[args.config])
    output = plan.add("-o", args.output)
    cfg = load_config(args.config)
    text = generate(cfg, args.format, name=args.name)
    plan.write_text(output, text)
    if output is not None:
        print(f"{output}: {args.name}, {cfg.neurons} neurons, latency {latency(cfg)} cycles, "
              f"one update per clock for N ≥ {full_rate_neurons(cfg)}", file=sys.stderr)
