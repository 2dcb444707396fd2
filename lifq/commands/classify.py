"""``lifq classify --port P --dataset digits --steps T``: a data set on a network board.

Runs the test samples of a data set on a board built for a converted
network (``lifq build --board … NET.json``): every sample is loaded into
the board and run for T timesteps of the same input, and the board answers
with its output layer's spike-count sums and membranes, from which the host
forms the scores of SPEC §6 and the prediction.  Prints the accuracy, the
samples per second over the link (wall clock) and the board's own clock
cycles per sample (its cycle counter) with the samples per second they
allow at the board's clock.  ``--network NET.json`` also makes sure the
board holds that network and compares every score with the golden model.
"""

import json
import sys
import time

import numpy as np

from lifq.boards.host import Board, LinkError, SerialTransport
from lifq.boards.network_host import board_sizes, check_network, classify
from lifq.boards.network_protocol import MAX_STEPS
from lifq.boards.protocol import BoardKind
from lifq.commands.link import add_link_options, parse_link_options
from lifq.golden import simulate_network
from lifq.golden.datasets import DATASETS, load_dataset
from lifq.options import parse
from lifq.progress import ProgressBar
from lifq.sim.network_files import load_network
from lifq.spec import InputError
from lifq.spec.ranges import Limit

#: T of one RUN: two bytes on the link.
STEPS = Limit(1, MAX_STEPS, integer=True)


def register(subparsers):
    parser = subparsers.add_parser(
        "classify", help="run a data set's test samples on a network board",
        description="Run the test samples of a data set on a board built for its converted "
                    "network (lifq build --board … NET.json), T timesteps of the same input "
                    "each, and print the accuracy, the samples per second over the link and "
                    "the board's clock cycles per sample.")
    add_link_options(parser)
    parser.add_argument("--dataset", choices=DATASETS, required=True,
                        help="data set whose test samples to run (the fixed split)")
    parser.add_argument("--steps", required=True, metavar="T",
                        help=f"timesteps per sample, 1 … {MAX_STEPS}")
    parser.add_argument("--limit", metavar="S", help="run only the first S test samples")
    parser.add_argument("--network", metavar="NET.json",
                        help="the network the board must hold; every score is also compared "
                             "with the golden model (exit 1 at the first difference)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args):
    steps = parse(args.steps, "--steps", STEPS)
    baud, timeout = parse_link_options(args)
    net = load_network(args.network) if args.network is not None else None
    dataset = load_dataset(args.dataset)
    total = len(dataset.y_test)
    limit = parse(args.limit, "--limit", Limit(1, total, integer=True))
    count = total if limit is None else limit
    x, y = dataset.x_test[:count], dataset.y_test[:count]
    transport = SerialTransport(args.port, baud, timeout=timeout)
    try:
        board = Board(transport, name=args.port)
        if net is not None:
            check_network(board, net, args.network)
        _check_fit(board, dataset)
        start = time.monotonic()
        with ProgressBar("lifq classify") as progress:
            result = classify(board, x, steps, progress=progress)
        elapsed = time.monotonic() - start
    except LinkError as error:
        print(f"lifq classify: error: {error}", file=sys.stderr)
        return 1
    finally:
        transport.close()
    summary = _summary(board, dataset, result, y, elapsed, baud)
    mismatch = None
    if net is not None:
        mismatch = _golden_mismatch(net, x, steps, result)
        summary["golden_equal"] = mismatch is None
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(_table(summary))
    if mismatch is not None:
        print(f"lifq classify: mismatch: {mismatch}", file=sys.stderr)
        return 1
    return 0


def _check_fit(board, dataset):
    """InputError unless the board's network takes the data set's samples."""
    board.require(BoardKind.NETWORK)
    network = board.network
    outputs = network["layers"][-1]["neurons"]
    if network["inputs"] != dataset.inputs or outputs != dataset.classes:
        raise InputError(f"{board.name}: the board's network ({board_sizes(network)}) does not "
                         f"fit {dataset.name}: it needs {dataset.inputs} inputs and "
                         f"{dataset.classes} outputs")


def _summary(board, dataset, result, y, elapsed, baud):
    correct = int(np.count_nonzero(result.predictions == y))
    clock_hz = board.info["clock_hz"]
    cycles = result.cycles
    return {
        "dataset": dataset.name, "samples": len(y), "steps": result.steps,
        "network": board_sizes(board.network), "correct": correct,
        "accuracy": correct / len(y), "seconds": elapsed,
        "link_samples_per_second": len(y) / elapsed if elapsed > 0 else None,
        "baud": baud, "clock_hz": clock_hz,
        "cycles_per_sample": float(cycles.mean()), "cycles_min": int(cycles.min()),
        "cycles_max": int(cycles.max()),
        "chip_samples_per_second": clock_hz / float(cycles.mean()),
    }


def _table(summary):
    mhz = summary["clock_hz"] / 1e6
    link = summary["link_samples_per_second"]
    lines = [
        f"{summary['dataset']}: {summary['samples']} test samples, T = {summary['steps']}, "
        f"network {summary['network']} at {mhz:g} MHz",
        f"accuracy     {100 * summary['accuracy']:.2f} % ({summary['correct']} of "
        f"{summary['samples']})",
        f"link         {link:.1f} samples/s ({summary['baud']} baud, "
        f"{summary['seconds']:.2f} s)" if link else "link         —",
        f"on the chip  {summary['cycles_per_sample']:.0f} cycles per sample (mean; "
        f"{summary['cycles_min']} … {summary['cycles_max']}), "
        f"{summary['chip_samples_per_second']:.0f} samples/s at {mhz:g} MHz",
    ]
    if summary.get("golden_equal"):
        lines.append(f"golden model equal on all {summary['samples']} samples (scores and "
                     "predictions)")
    return "\n".join(lines)


def _golden_mismatch(net, x, steps, result):
    """The first sample whose scores differ from the golden model's, as text; None if
    every sample agrees."""
    inputs = np.broadcast_to(x[:, None, :], (len(x), steps, x.shape[1]))
    expect = simulate_network(net, inputs, record=False)
    for sample, (got, want) in enumerate(zip(result.scores, expect.scores)):
        if not np.array_equal(got, want):
            return (f"sample {sample}: scores {got.tolist()} on the board, {want.tolist()} in "
                    "the golden model")
    return None
