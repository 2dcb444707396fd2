"""``lifq generate CONFIG [-o core.v] [--format verilog|rtlil]``: the core as HDL."""

import pathlib
import sys

from lifq.hdl import FORMATS, generate
from lifq.hdl.datapath import full_rate_neurons, latency
from lifq.sim.files import load_config
from lifq.spec import InputError


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
    if not args.name.isidentifier():
        raise InputError(f"--name = {args.name!r} must be a Verilog identifier "
                         "(letters, digits, underscores)")
    cfg = load_config(args.config)
    text = generate(cfg, args.format, name=args.name)
    if args.output is None:
        sys.stdout.write(text)
        return
    try:
        pathlib.Path(args.output).write_text(text)
    except OSError as error:
        raise InputError(f"{args.output}: cannot write: {error.strerror}") from None
    print(f"{args.output}: {args.name}, {cfg.neurons} neurons, latency {latency(cfg)} cycles, "
          f"one update per clock for N ≥ {full_rate_neurons(cfg)}", file=sys.stderr)
