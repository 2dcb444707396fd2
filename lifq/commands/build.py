"""``lifq build --board B [CONFIG]``: bitstream plus a resource and timing report."""

import json
import sys

from lifq.boards.build import (CLOCK_MHZ, SEED, BuildError, TimingError, build_bitstream,
                               format_report)
from lifq.boards.host import BAUD, DEFAULT_BAUD
from lifq.boards.platforms import BOARDS, board_spec
from lifq.options import parse
from lifq.outputs import OutputPlan
from lifq.sim.files import load_config


def register(subparsers):
    boards = ", ".join(BOARDS)
    parser = subparsers.add_parser(
        "build", help="build a bitstream for a board and report timing and resources",
        description="Build the bitstream of a core behind the UART host link with the open "
                    "toolchain (Yosys, nextpnr, YoWASP builds from PyPI) and print device, "
                    "clock, Fmax and resources.  Exit status 1 when timing is not met.")
    parser.add_argument("config", metavar="CONFIG", nargs="?",
                        help="JSON or TOML core config (default: 16 neurons, W = 16, mod)")
    parser.add_argument("--board", required=True, metavar="BOARD", help=f"one of: {boards}")
    parser.add_argument("--clock", metavar="MHZ",
                        help="core clock in MHz; the nearest the PLL makes is used "
                             "(default: " + ", ".join(f"{name} {spec.default_clock_hz / 1e6:g}"
                                                      for name, spec in BOARDS.items()) + ")")
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


def run(args):
    spec = board_spec(args.board)
    clock = parse(args.clock, "--clock", CLOCK_MHZ)
    baud = parse(args.baud, "--baud", BAUD)
    seed = parse(args.seed, "--seed", SEED)
    cfg = load_config(args.config) if args.config else None
    plan = OutputPlan(inputs=[args.config])
    build_dir = plan.add("--build-dir", args.build_dir or f"build/{spec.name}", kind="folder")
    try:
        report = build_bitstream(
            spec.name, cfg, clock, build_dir, baud=baud, seed=seed, program=args.program,
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
