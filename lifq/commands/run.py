"""``lifq run --port PORT STIM [-o RESULT]``: run a stimulus on a board over its UART.

A stimulus with a ``"network"`` key is a network stimulus (SPEC §6): the
board must hold that network, and the result is the network result of
``lifq golden``.  Any other stimulus is a single core's (SPEC §4).
"""

import sys

import numpy as np

from lifq.boards.host import Board, LinkError, SerialTransport, run_stimulus
from lifq.boards.network_host import run_network_stimulus
from lifq.commands.link import add_link_options, parse_link_options
from lifq.commands.stimuli import add_stimulus_arguments, read_stimulus
from lifq.golden import simulate, simulate_network
from lifq.sim.files import dump_result
from lifq.sim.network_files import dump_network_result


def register(subparsers):
    parser = subparsers.add_parser(
        "run", help="run a stimulus on a board over its serial port",
        description="Send a stimulus to a board programmed with 'lifq build' and write the "
                    "result file (standard output without -o): the same file 'lifq golden' "
                    "writes.  A core's board is reset first and its run-time parameters set "
                    "from the stimulus' config; a network stimulus (one with a \"network\" "
                    "key) needs a board built for that network and is run from a clear.")
    add_stimulus_arguments(parser)
    add_link_options(parser)
    parser.add_argument("--check", action="store_true",
                        help="also run the golden model; exit 1 at the first difference")
    parser.set_defaults(run=run)


def run(args):
    baud, timeout = parse_link_options(args)
    stimulus, network, plan, output = read_stimulus(args)
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
