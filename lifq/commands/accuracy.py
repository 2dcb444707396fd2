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
from lifq.options import parse_csv
from lifq.outputs import OutputPlan
from lifq.progress import ProgressBar
from lifq.spec import RESETS, InputError, value_text
from lifq.spec.ranges import Limit

from .convert import add_dataset_options, add_recipe_options, hidden_sizes, recipe_options


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
    plot = _plot_path(args.plot)
    dataset = load_dataset(args.dataset)
    model = train_mlp(dataset, hidden)
    with ProgressBar("lifq accuracy") as progress:
        table = accuracy_table(model, dataset, steps=steps, resets=resets,
                               progress=progress, **recipe)
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
        "SNN test accuracy % / mean spike events per sample (the same input every step)",
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
    return "\n".join(line.rstrip() for line in lines)
