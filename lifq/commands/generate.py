"""``lifq generate CONFIG|NET [-o core.v] [--format verilog|rtlil]``: a core or a network
as HDL."""

import pathlib
import sys

from lifq.hdl import FORMATS, generate
from lifq.hdl.datapath import full_rate_neurons, latency
from lifq.hdl.generate import check_module_name
from lifq.options import parse, range_limit
from lifq.outputs import OutputPlan
from lifq.sim.files import load_config, parse_json, read_text
from lifq.sim.network_files import load_network
from lifq.spec import NEURON_RANGES, NetworkConfig

#: Lanes P of a network: at most a layer's neurons (more are capped per layer).
LANES = range_limit(NEURON_RANGES["neurons"])


def register(subparsers):
    parser = subparsers.add_parser(
        "generate", help="write the Verilog (or RTLIL) of a core",
        description="Generate the pipelined LIF core of a JSON or TOML config, or the "
                    "hardware of a network (a network file: .json with \"layers\", or "
                    ".npz).")
    parser.add_argument("config", metavar="CONFIG", help="JSON or TOML config, or network file")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="output file (standard output without -o)")
    parser.add_argument("--format", choices=FORMATS, default="verilog",
                        help="output format (default verilog)")
    parser.add_argument("--name", help="top module name (default lif_core, lif_network)")
    parser.add_argument("--lanes", default="1", metavar="P",
                        help="networks: synaptic operations per clock and layer (default 1)")
    parser.set_defaults(run=run)


def run(args):
    lanes = parse(args.lanes, "--lanes", LANES)
    if args.name is not None:
        check_module_name(args.name, "--name")
    plan = OutputPlan(inputs=[args.config])
    output = plan.add("-o", args.output)
    design = load_design(args.config)
    network = isinstance(design, NetworkConfig)
    name = args.name or ("lif_network" if network else "lif_core")
    text = generate(design, args.format, name=name, lanes=lanes)
    plan.write_text(output, text)
    if output is None:
        return
    if network:
        sizes = "-".join(map(str, design.sizes))
        print(f"{output}: {name}, network {sizes}, {min(lanes, max(design.sizes[1:]))} "
              "synaptic operation(s) per clock and layer", file=sys.stderr)
    else:
        print(f"{output}: {name}, {design.neurons} neurons, latency {latency(design)} cycles, "
              f"one update per clock for N ≥ {full_rate_neurons(design)}", file=sys.stderr)


def load_design(path):
    """A core config or a network, by what the file holds (a network has "layers")."""
    if pathlib.Path(path).suffix.lower() == ".npz":
        return load_network(path)
    if pathlib.Path(path).suffix.lower() != ".toml":
        document = parse_json(path, read_text(path))
        if isinstance(document, dict) and "layers" in document:
            return load_network(path)
    return load_config(path)
