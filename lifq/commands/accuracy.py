"""``lifq accuracy``: float ANN vs integer LIF network on a data set (SPEC §7).

Trains the float MLP, converts it for each reset and prints the test
accuracy of the float ANN, of its integer weights with float activations,
and of the SNN per reset and T with the mean spike events per sample
(``--json``: one JSON object; ``--plot``: a PNG).  The numbers come from
:func:`lifq.golden.accuracy.accuracy_table`.
"""

import json
import sys

from lifq.golden.accuracy import STEPS, accuracy_table, check_resets, check_steps
from lifq.golden.convert import MAX_STEPS, check_settings
from lifq.golden.datasets import load_dataset, train_mlp
from lifq.options import parse, parse_csv, range_limit
from lifq.outputs import OutputPlan
from lifq.progress import ProgressBar
from lifq.spec import NEURON_RANGES, RESETS, InputError, value_text
from lifq.spec.ranges import Limit

from .convert import add_dataset_options, add_recipe_options, hidden_sizes, recipe_options

ENGINES = ("golden", "icarus", "verilator")
#: Lanes P of the network's hardware: at most a layer's neurons (more are capped per layer).
LANES = range_limit(NEURON_RANGES["neurons"])


def register(subparsers):
    parser = subparsers.add_parser(
        "accuracy", help="test accuracy of the float ANN and the converted SNN per reset and T",
        description="Train a float ReLU MLP on a data set, convert it for each reset and "
                    "print the test accuracy of the float ANN, of its integer weights, and of "
                    "the SNN per reset and number of timesteps T (the same input every step), "
                    "with the mean spike events per sample.")
    add_dataset_options(parser, required=True)
    parser.add_argument("--steps", default=",".join(map(str, STEPS)), metavar="T[,T…]",
                        help="timesteps to measure (default 1,2,4,8,16,32)")
    parser.add_argument("--resets", default=",".join(RESETS), metavar="R[,R…]",
                        help="resets to compare (default zero,subtract,mod)")
    add_recipe_options(parser)
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object (accuracies as fractions) instead of the "
                             "table")
    parser.add_argument("--plot", metavar="P.png", help="write accuracy over T to this PNG")
    parser.add_argument("--engine", choices=ENGINES, default="golden",
                        help="what runs the SNN: the golden model (default) or the network's "
                             "hardware on a simulator, compared sample by sample with the "
                             "golden model")
    parser.add_argument("--lanes", metavar="P",
                        help="with --engine icarus or verilator: synaptic operations per "
                             "clock and layer (default 1)")
    parser.set_defaults(run=run)


def _resets(text):
    resets = tuple(part.strip() for part in text.split(","))
    for reset in resets:
        if reset not in RESETS:
            raise InputError(f"--resets = {value_text(text)[1:].rstrip(chr(34))}: unknown reset "
                             f"{value_text(reset)}: allowed " + ", ".join(RESETS))
    return resets


def run(args):
    # Every option is checked before the training and the sweep start.
    steps = check_steps(parse_csv(args.steps, "--steps", Limit(1, MAX_STEPS, integer=True)))
    resets = check_resets(_resets(args.resets))
    recipe = recipe_options(args)
    hidden = hidden_sizes(args)
    check_settings(reset="mod", steps=1, **recipe)
    lanes = parse(args.lanes, "--lanes", LANES)
    if lanes is not None and args.engine == "golden":
        raise InputError(f"--lanes = {lanes}: lanes are the hardware's; add --engine icarus or "
                         "verilator")
    plot = _plot_path(args.plot)
    engine = _engine(args.engine, lanes or 1)
    dataset = load_dataset(args.dataset)
    model = train_mlp(dataset, hidden)
    label = "lifq accuracy" if engine is None else f"lifq accuracy ({args.engine})"
    with ProgressBar(label) as progress:
        table = accuracy_table(model, dataset, steps=steps, resets=resets,
                               progress=progress, engine=engine, **recipe)
    if plot is not None:
        from lifq.golden.experiments.plots import plot_accuracy
        with OutputPlan().writing(plot) as temporary:
            plot_accuracy(table, temporary)
    if args.json:
        print(json.dumps(table.to_json(), indent=2, ensure_ascii=False))
    else:
        print(format_table(table, len(dataset.y_train), len(dataset.y_test)))
    if plot is not None:
        sys.stdout.flush()  # keep the table and this note in order on a terminal
        print(f"lifq accuracy: wrote {plot}", file=sys.stderr)
    unlike = sum(sum(counts) for counts in (table.differing or {}).values())
    if unlike:
        sys.stdout.flush()
        print(f"lifq accuracy: {table.engine}: {unlike} sample run(s) differ from the golden "
              "model", file=sys.stderr)
        return 1
    return 0


def _engine(name, lanes):
    """The network's hardware behind ``--engine`` (None: the golden model)."""
    if name == "golden":
        return None
    from lifq.sim.engines import NetworkRtlEngine
    return NetworkRtlEngine(name, lanes=lanes)


def _plot_path(text):
    """The PNG to write (or None), checked before the sweep starts."""
    if text is None:
        return None
    try:
        import matplotlib  # noqa: F401  (the plot extra)
    except ModuleNotFoundError:
        raise InputError("--plot needs matplotlib: pip install 'lifq[plot]'") from None
    return OutputPlan().add("--plot", text, suffixes=(".png",))


def format_table(table, train_samples, test_samples):
    """The accuracy table as text: accuracy % / mean spike events per sample."""
    settings = table.settings
    clip = ("SQNR-optimal threshold" if settings["threshold"] == "sqnr" else
            f"threshold at the {settings['percentile']:g}th percentile")
    cell = 15
    lines = [
        f"{table.dataset}: {train_samples} training / {test_samples} test samples, "
        f"network {'-'.join(map(str, table.sizes))}, q = {settings['spike_bits']}, "
        f"{settings['weight_bits']}-bit weights, {clip}, v0 = "
        f"{'θ/2' if settings['initial_membrane'] == 'half' else '0'}",
        f"float ANN {100 * table.ann:.2f} %, integer weights with float activations "
        f"{100 * table.ann_int:.2f} %",
        "",
        "SNN test accuracy % / mean spike events per sample (the same input every step"
        + ("" if table.engine == "golden" else f"; the SNN's hardware on {table.engine}") + ")",
        f"{'reset':>9} " + "".join(f"{'T=' + str(t):<{cell}}" for t in table.steps),
    ]
    for reset in table.resets:
        cells = [f"{100 * a:5.2f}/{e:<{cell - 7}.1f}"
                 for a, e in zip(table.snn[reset], table.events[reset])]
        lines.append(f"{reset:>9} " + "".join(f"{c:<{cell}}" for c in cells))
    reached = []
    for reset in table.resets:
        steps = table.first_within(reset)
        reached.append(f"{reset} at T = {steps}" if steps is not None else
                       f"{reset} not within T = {table.steps[-1]}")
    lines += ["", "within 1 point of the float ANN: " + ", ".join(reached)]
    if table.differing is not None:
        lines += ["", f"on {table.engine}: samples whose hardware outputs ≠ golden (must be 0) "
                  "/ clock cycles per sample (mean)",
                  f"{'reset':>9} " + "".join(f"{'T=' + str(t):<{cell}}" for t in table.steps)]
        for reset in table.resets:
            cells = [f"{n} / {c:.1f}" for n, c in zip(table.differing[reset],
                                                       table.cycles[reset])]
            lines.append(f"{reset:>9} " + "".join(f"{c:<{cell}}" for c in cells))
    return "\n".join(line.rstrip() for line in lines)
