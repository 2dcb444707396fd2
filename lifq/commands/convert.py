"""``lifq convert``: a float ReLU MLP → an integer LIF network file (SPEC §7).

Either trains the MLP on a built-in data set (``--dataset digits``) or reads
one from an ``.npz`` (``W0, b0, W1, b1, …``) with calibration inputs, then
converts it with :func:`lifq.golden.convert.convert`, writes the network and
prints what one spike is worth in each layer.  The options of the recipe are
shared with ``lifq accuracy``.
"""

from lifq.golden.convert import INITIAL_MEMBRANES, MAX_STEPS, check_settings, convert
from lifq.golden.datasets import DATASETS, load_dataset, train_mlp
from lifq.options import parse, parse_csv, range_limit
from lifq.outputs import OutputPlan
from lifq.sim.network_files import load_calibration, load_float_model, write_network
from lifq.spec import LAYER_RANGES, NETWORK_RANGES, NEURON_RANGES, RESETS, InputError
from lifq.spec.ranges import Limit


def register(subparsers):
    parser = subparsers.add_parser(
        "convert", help="convert a float ReLU MLP into an integer LIF network",
        description="Convert a float ReLU MLP into an integer LIF network file (SPEC §7): "
                    "train it on a built-in data set (--dataset) or read it from an .npz of "
                    "W0, b0, W1, b1, … (outputs × inputs) with --calibration inputs.  Writes "
                    "the network (.json, or .npz by the extension) and prints each layer's "
                    "scales.")
    parser.add_argument("model", nargs="?", metavar="MODEL.npz",
                        help="float model: W0, b0, W1, b1, … and optionally input_scale")
    parser.add_argument("--calibration", metavar="DATA.npz",
                        help="calibration inputs for MODEL.npz: x, S × N0 integers")
    add_dataset_options(parser, required=False)
    parser.add_argument("--reset", choices=RESETS, required=True,
                        help="reset of the hidden neurons")
    add_recipe_options(parser)
    parser.add_argument("--steps", default="32", metavar="T",
                        help="the largest T the network is meant for: sizes the membranes; "
                             "with --sqnr, the levels of zero and subtract (default 32)")
    parser.add_argument("--input-bits", metavar="B",
                        help="bits of a network input (default: the fewest that hold the "
                             "calibration data)")
    parser.add_argument("-o", "--output", metavar="NET.json", required=True,
                        help="network file to write (.json, or .npz)")
    parser.set_defaults(run=run)


def add_dataset_options(parser, required):
    parser.add_argument("--dataset", choices=DATASETS, required=required,
                        help="train the float MLP on this data set (scikit-learn's digits, "
                             "fixed split)")
    parser.add_argument("--hidden", default="64", metavar="N[,N…]",
                        help="hidden layer sizes of the trained MLP (default 64)")


def add_recipe_options(parser):
    """The conversion options ``lifq convert`` and ``lifq accuracy`` share."""
    parser.add_argument("--spike-bits", default="4", metavar="Q",
                        help="q of the hidden neurons: reset-to-mod emits up to 2^q − 1 spikes "
                             "per step (default 4)")
    parser.add_argument("--weight-bits", default="8", metavar="B",
                        help="signed bits of every weight (default 8)")
    clip = parser.add_mutually_exclusive_group()
    clip.add_argument("--percentile", default="99.9", metavar="P",
                      help="clipping point = P-th percentile of the positive ReLU activations "
                           "(default 99.9)")
    clip.add_argument("--sqnr", action="store_true",
                      help="SQNR-optimal clipping point instead (Castagnetti et al. 2023)")
    parser.add_argument("--initial-membrane", choices=INITIAL_MEMBRANES, default="half",
                        help="hidden membranes start at θ/2 (default, Bu et al. 2022) or 0")


#: Hidden layer sizes of a trained MLP: the neurons of one layer.
HIDDEN = range_limit(NEURON_RANGES["neurons"])
#: The clipping point's percentile of the positive ReLU activations.
PERCENTILE = Limit(0, 100, above_low=True)


def hidden_sizes(args):
    """``--hidden 64`` or ``64,64`` → (64,) or (64, 64)."""
    return tuple(parse_csv(args.hidden, "--hidden", HIDDEN))


def recipe_options(args):
    """The keyword arguments of :func:`lifq.golden.convert.convert` from the options,
    each number parsed against its range (messages name the option)."""
    return {"spike_bits": parse(args.spike_bits, "--spike-bits",
                                range_limit(NEURON_RANGES["spike_bits"])),
            "weight_bits": parse(args.weight_bits, "--weight-bits",
                                 range_limit(LAYER_RANGES["weight_bits"])),
            "threshold": "sqnr" if args.sqnr else "percentile",
            "percentile": parse(args.percentile, "--percentile", PERCENTILE),
            "initial_membrane": args.initial_membrane}


def run(args):
    recipe = recipe_options(args)
    steps = parse(args.steps, "--steps", Limit(1, MAX_STEPS, integer=True))
    input_bits = parse(args.input_bits, "--input-bits",
                       range_limit(NETWORK_RANGES["input_bits"]))
    hidden = hidden_sizes(args)
    check_settings(reset=args.reset, steps=steps, **recipe)
    plan = OutputPlan(inputs=[args.model, args.calibration])
    output = plan.add("-o", args.output, suffixes=(".json", ".npz"))
    if (args.model is None) == (args.dataset is None):
        raise InputError("give either --dataset or a MODEL.npz, not both or neither")
    if args.model is not None:
        if args.calibration is None:
            raise InputError("MODEL.npz needs --calibration DATA.npz (the inputs that set the "
                             "thresholds)")
        model = load_float_model(args.model)
        calibration = load_calibration(args.calibration, model.inputs)
        source = f"{args.model}, calibrated on {len(calibration)} samples of {args.calibration}"
    else:
        if args.calibration is not None:
            raise InputError("--calibration goes with MODEL.npz; --dataset calibrates on its "
                             "training set")
        dataset = load_dataset(args.dataset)
        model = train_mlp(dataset, hidden)
        calibration = dataset.x_train
        accuracy = (model.predict(dataset.x_test) == dataset.y_test).mean()
        source = (f"{args.dataset}: float MLP trained on {len(calibration)} samples, test "
                  f"accuracy {100 * accuracy:.2f} %")
    conversion = convert(model, calibration, reset=args.reset, steps=steps,
                         input_bits=input_bits, **recipe)
    write_network(output, conversion.network)
    print(source)
    print(format_conversion(conversion))
    print(f"wrote {output}")


def format_conversion(conversion):
    """The scales of a conversion as a table: what one spike is worth per layer."""
    settings, net = conversion.settings, conversion.network
    clip = ("SQNR-optimal clipping point" if settings["threshold"] == "sqnr" else
            f"clipping point = {settings['percentile']:g}th percentile")
    lines = [f"network {'-'.join(map(str, net.sizes))}, reset = {settings['reset']}, "
             f"q = {settings['spike_bits']}, {settings['weight_bits']}-bit weights, "
             f"{net.input_bits}-bit inputs, {clip}, v0 = "
             f"{'θ/2' if settings['initial_membrane'] == 'half' else '0'}, "
             f"widths for T ≤ {settings['steps']}",
             f"{'layer':>5} {'neurons':>7} {'θ':>10} {'v0':>6} {'W':>3} {'in':>3} "
             f"{'weight scale s':>14} {'input unit':>10} {'λ':>8}  one spike / score unit"]
    for number, (layer, scale) in enumerate(zip(net.layers, conversion.scales)):
        neuron = layer.neuron
        if scale.spike_value is not None:
            worth = f"spike = {scale.spike_value:.4g} (float activation)"
            clip_text = f"{scale.clip:8.4g}"
        else:
            worth = f"score unit = {scale.score_value:.4g} logit per step (integrates)"
            clip_text = f"{'—':>8}"
        lines.append(f"{number:>5} {layer.neurons:>7} {neuron.threshold:>10} "
                     f"{neuron.initial_membrane:>6} {neuron.width:>3} {neuron.input_width:>3} "
                     f"{scale.weight_scale:>14.5g} {scale.input_value:>10.4g} {clip_text}  "
                     f"{worth}")
    return "\n".join(lines)
