"""``lifq run --port PORT STIM [-o RESULT]``: run a stimulus on a board over its UART."""

import sys

import numpy as np

from lifq.boards.host import (BAUD, DEFAULT_BAUD, TIMEOUT, Board, LinkError, SerialTransport,
                              run_stimulus)
from lifq.golden import simulate
from lifq.options import parse
from lifq.outputs import OutputPlan
from lifq.sim.files import dump_result, load_stimulus


def register(subparsers):
    parser = subparsers.add_parser(
        "run", help="run a stimulus on a board over its serial port",
        description="Send a stimulus to a board programmed with 'lifq build' and write the "
                    "result file (standard output without -o): the same file 'lifq golden' "
                    "writes.  The board is reset first and its run-time parameters set "
                    "from the stimulus' config.")
    parser.add_argument("stimulus", metavar="STIM", help="stimulus JSON file")
    parser.add_argument("--port", required=True, metavar="PORT",
                        help="serial port of the board, e.g. /dev/ttyUSB1 or COM3")
    parser.add_argument("-o", "--output", metavar="RESULT", help="result JSON file")
    parser.add_argument("--config", metavar="CONFIG",
                        help="JSON or TOML config whose parameters override the stimulus's")
    parser.add_argument("--baud", metavar="BAUD", default=str(DEFAULT_BAUD),
                        help=f"baud rate the bitstream was built for (default {DEFAULT_BAUD})")
    parser.add_argument("--timeout", metavar="SECONDS", default="1",
                        help="seconds to wait for a reply (default 1; a simulated board "
                             "needs more)")
    parser.add_argument("--check", action="store_true",
                        help="also run the golden model; exit 1 at the first difference")
    parser.set_defaults(run=run)


def run(args):
    baud = parse(args.baud, "--baud", BAUD)
    timeout = parse(args.timeout, "--timeout", TIMEOUT)
    plan = OutputPlan(inputs=[args.stimulus, args.config])
    output = plan.add("-o", args.output)
    stimulus = load_stimulus(args.stimulus, args.config)
    transport = SerialTransport(args.port, baud, timeout=timeout)
    try:
        board = Board(transport, name=args.port)
        spikes, v = run_stimulus(board, stimulus.config, stimulus.currents)
    except LinkError as error:
        print(f"lifq run: error: {error}", file=sys.stderr)
        return 1
    finally:
        transport.close()
    plan.write_text(output, dump_result(spikes, v))
    if args.check:
        expect_spikes, expect_v = simulate(stimulus.config, stimulus.currents)
        for name, got, expect in (("spikes", spikes, expect_spikes), ("v", v, expect_v)):
            wrong = np.argwhere(got != expect)
            if len(wrong):
                t, n = (int(x) for x in wrong[0])
                print(f"lifq run: mismatch: {name}[{t}][{n}] = {got[t, n]} on the board, "
                      f"{expect[t, n]} in the golden model", file=sys.stderr)
                return 1
    return 0
