"""``lifq build --board B [CONFIG | NET.json]``: bitstream plus a resource and timing report.

CONFIG is a core config (SPEC §4); a network file (SPEC §6: a JSON object
with ``"layers"``, or an ``.npz``) builds the network behind the link
instead, with ``--lanes`` synaptic operations per clock in every layer.
"""

import json
import pathlib
import sys

from lifq.boards.build import (CLOCK_MHZ, LANES, SEED, BuildError, TimingError, build_bitstream,
                               format_report)
from lifq.boards.host import BAUD, DEFAULT_BAUD
from lifq.boards.platforms import BOARDS, board_spec
from lifq.options import parse
from lifq.outputs import OutputPlan
from lifq.sim.files import load_config, parse_json, read_text
from lifq.sim.network_files import load_network
from lifq.spec import InputError


def register(subparsers):
    boards = ", ".join(BOARDS)
    parser = subparsers.add_parser(
        "build", help="build a bitstream for a board and report timing and resources",
        description="Build the bitstream of a core (or of a network) behind the UART host "
                    "link with the open toolchain (Yosys, nextpnr, YoWASP builds from PyPI) "
                    "and print device, clock, Fmax and resources (for a network also its "
                    "synaptic memory).  Exit status 1 when timing is not met.")
    parser.add_argument("config", metavar="CONFIG|NET.json", nargs="?",
                        help="JSON or TOML core config (default: 16 neurons, W = 16, mod), or "
                             "a network file (.json with \"layers\", or .npz)")
    parser.add_argument("--board", required=True, metavar="BOARD", help=f"one of: {boards}")
    parser.add_argument("--clock", metavar="MHZ",
                        help="core clock in MHz; the nearest the PLL makes is used "
                             "(default: " + ", ".join(f"{name} {spec.default_clock_hz / 1e6:g}"
                                                      for name, spec in BOARDS.items()) + ")")
    parser.add_argument("--lanes", metavar="P",
                        help="a network's synaptic operations per clock in every layer "
                             "(at most its neurons; default 1)")
    parser.add_argument("--baud", metavar="BAUD", default=str(DEFAULT_BAUD),
                        help=f"UART baud rate of the host link (default {DEFAULT_BAUD})")
    parser.add_argument("--build-dir", metavar="DIR",
                        help="where the tools run (default build/BOARD)")
    parser.add_argument("--seed", metavar="N", default="1", help="nextpnr seed (default 1)")
    parser.add_argument("--json", action="store_true",
                        help="print the report as one JSON object")
    parser.add_argument("--program", action="store_true",
                        help="load the bitstream onto the board (iceprog / openFPGALoader)")
    parser.set_defaults(run=run)


def _is_network(path):
    """Whether the file at ``path`` is a network (an .npz, or a JSON object with layers)."""
    path = pathlib.Path(path)
    if path.suffix.lower() == ".npz":
        return True
    if path.suffix.lower() == ".toml":
        return False
    document = parse_json(path, read_text(path))
    return isinstance(document, dict) and "layers" in document


def run(args):
    spec = board_spec(args.board)
    clock = parse(args.clock, "--clock", CLOCK_MHZ)
    baud = parse(args.baud, "--baud", BAUD)
    seed = parse(args.seed, "--seed", SEED)
    lanes = parse(args.lanes, "--lanes", LANES)
    network = args.config is not None and _is_network(args.config)
    if lanes is not None and not network:
        raise InputError("--lanes applies to a network: give a network file (NET.json)")
    if network:
        cfg = load_network(args.config)
    else:
        cfg = load_config(args.config) if args.config else None
    plan = OutputPlan(inputs=[args.config])
    build_dir = plan.add("--build-dir", args.build_dir or f"build/{spec.name}", kind="folder")
    try:
        report = build_bitstream(
            spec.name, cfg, clock, build_dir, baud=baud, seed=seed, program=args.program,
            lanes=lanes or 1,
            log=lambda message: print(f"lifq build: {message}", file=sys.stderr, flush=True))
    except TimingError as error:
        print(f"lifq build: error: {error} (bitstream {error.report['bitstream']})",
              file=sys.stderr)
        return 1
    except BuildError as error:
        print(f"lifq build: error: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report))
    else:
        print(format_report(report))
    return 0
