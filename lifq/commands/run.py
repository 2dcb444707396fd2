"""``lifq run --port PORT STIM [-o RESULT]``: run a stimulus on a board over its UART.

A stimulus with a ``"network"`` key is a network stimulus (SPEC §6): the
board must hold that network, and the result is the network result of
``lifq golden``.  Any other stimulus is a single core's (SPEC §4).
"""

import sys

import numpy as np

from lifq.boards.host import (BAUD, DEFAULT_BAUD, TIMEOUT, Board, LinkError, SerialTransport,
                              run_stimulus)
from lifq.boards.network_host import run_network_stimulus
from lifq.golden import simulate, simulate_network
from lifq.options import parse
from lifq.outputs import OutputPlan, stimulus_inputs
from lifq.sim.files import dump_result, parse_json, read_text, stimulus_from_document
from lifq.sim.network_files import dump_network_result, network_stimulus_from_document
from lifq.spec import InputError


def register(subparsers):
    parser = subparsers.add_parser(
        "run", help="run a stimulus on a board over its serial port",
        description="Send a stimulus to a board programmed with 'lifq build' and write the "
                    "result file (standard output without -o): the same file 'lifq golden' "
                    "writes.  A core's board is reset first and its run-time parameters set "
                    "from the stimulus' config; a network stimulus (one with a \"network\" "
                    "key) needs a board built for that network and is run from a clear.")
    parser.add_argument("stimulus", metavar="STIM", help="stimulus JSON file")
    parser.add_argument("--port", required=True, metavar="PORT",
                        help="serial port of the board, e.g. /dev/ttyUSB1 or COM3")
    parser.add_argument("-o", "--output", metavar="RESULT", help="result JSON file")
    parser.add_argument("--config", metavar="CONFIG",
                        help="JSON or TOML config whose parameters override the stimulus's "
                             "(single-core stimuli)")
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
    document = parse_json(args.stimulus, read_text(args.stimulus))
    network = isinstance(document, dict) and "network" in document
    plan = OutputPlan(inputs=stimulus_inputs(args.stimulus, document, args.config))
    output = plan.add("-o", args.output)
    if network:
        if args.config is not None:
            raise InputError("--config overrides a core's parameters; a network stimulus sets "
                             "them per layer")
        stimulus = network_stimulus_from_document(args.stimulus, document)
    else:
        stimulus = stimulus_from_document(args.stimulus, document, args.config)
    transport = SerialTransport(args.port, baud, timeout=timeout)
    try:
        board = Board(transport, name=args.port)
        if network:
            result = run_network_stimulus(board, stimulus.network, stimulus.inputs,
                                          source=args.stimulus)
        else:
            spikes, v = run_stimulus(board, stimulus.config, stimulus.currents)
    except LinkError as error:
        print(f"lifq run: error: {error}", file=sys.stderr)
        return 1
    finally:
        transport.close()
    if network:
        plan.write_text(output, dump_network_result(result))
        return _check_network(result, stimulus) if args.check else 0
    plan.write_text(output, dump_result(spikes, v))
    if args.check:
        expect_spikes, expect_v = simulate(stimulus.config, stimulus.currents)
        for name, got, expect in (("spikes", spikes, expect_spikes), ("v", v, expect_v)):
            mismatch = _first_difference(got, expect)
            if mismatch is not None:
                return _mismatch(f"{name}{mismatch[0]}", *mismatch[1:])
    return 0


def _first_difference(got, expect):
    """``("[t][n]", board value, golden value)`` of the first difference, or None."""
    wrong = np.argwhere(np.asarray(got) != np.asarray(expect))
    if not len(wrong):
        return None
    index = tuple(int(i) for i in wrong[0])
    return "".join(f"[{i}]" for i in index), got[index], expect[index]


def _mismatch(name, board_value, golden_value):
    print(f"lifq run: mismatch: {name} = {board_value} on the board, {golden_value} in the "
          "golden model", file=sys.stderr)
    return 1


def _check_network(result, stimulus):
    """Exit status of --check for a network result: 1 at the first difference."""
    expect = simulate_network(stimulus.network, stimulus.inputs)
    for number, (got, want) in enumerate(zip(result.layers, expect.layers)):
        for name, mine, theirs in (("spikes", got[0], want[0]), ("v", got[1], want[1])):
            mismatch = _first_difference(mine, theirs)
            if mismatch is not None:
                return _mismatch(f"layers[{number}].{name}{mismatch[0]}", *mismatch[1:])
    mismatch = _first_difference(result.scores, expect.scores)
    if mismatch is not None:
        return _mismatch(f"scores{mismatch[0]}", *mismatch[1:])
    if result.prediction != expect.prediction:
        return _mismatch("prediction", result.prediction, expect.prediction)
    return 0
