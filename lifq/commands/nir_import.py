"""``lifq import MODEL.nir -o NET.json``: a NIR graph → a lifq network file (SPEC §8).

Reads the graph, imports it with :func:`lifq.golden.nir_import.from_nir`,
writes the network (``.json``, or ``.npz`` by the extension) and prints how
each layer was mapped: the leak of a LIF node, the input gain folded into
the weights, where reset mode and spike cap came from, and the largest
rounding of each quantity that was not an integer.
"""

import math

from lifq.golden.nir_conventions import METADATA_PREFIX
from lifq.golden.nir_import import DEFAULT_RESET, from_nir
from lifq.options import Options
from lifq.outputs import OutputPlan
from lifq.sim.network_files import write_network
from lifq.spec import LAYER_RANGES, NETWORK_RANGES, NEURON_RANGES, RESETS, value_text
from lifq.spec.ranges import Limit, number_text

NETWORK_SUFFIXES = (".json", ".npz")
#: --scale and --dt: positive, finite numbers.
POSITIVE = Limit(0, 1e12, above_low=True)


def _integers(ranges, name):
    return Limit(*ranges[name].bounds(), integer=True)


def register(subparsers):
    parser = subparsers.add_parser(
        "import", help="import a NIR graph as a lifq network",
        description="Import a NIR graph (HDF5, from snnTorch, Norse, Sinabs, Rockpool, Lava or "
                    "lifq export): a chain Input → (Affine|Linear → IF|LIF)… → Output becomes a "
                    "network file (.json, or .npz by the extension).  NIR stores no reset mode, "
                    "spike cap or signedness: they come from the options, else from lifq's "
                    "metadata in the graph, else reset = mod, unsigned, q = 4.")
    options = Options(parser)
    parser.add_argument("model", metavar="MODEL.nir", help="NIR graph (HDF5)")
    parser.add_argument("-o", "--output", metavar="NET.json", required=True,
                        help="network file to write (.json, or .npz)")
    parser.add_argument("--reset", choices=RESETS,
                        help=f"reset of every layer (default: metadata, else {DEFAULT_RESET})")
    sign = parser.add_mutually_exclusive_group()
    sign.add_argument("--signed", dest="signed", action="store_const", const=True, default=None,
                      help="also fire negative spikes")
    sign.add_argument("--unsigned", dest="signed", action="store_const", const=False,
                      help="only positive spikes (the default without metadata)")
    options.add("--spike-bits", metavar="Q", limit=_integers(NEURON_RANGES, "spike_bits"),
                help="q of every layer: reset-to-mod emits up to 2^q − 1 spikes per step "
                     "(default: metadata, else 4)")
    options.add("--width", metavar="W", limit=_integers(NEURON_RANGES, "width"),
                help="membrane bits of every layer (default: metadata, else at least 16 and "
                     "enough for θ and one step's current)")
    options.add("--weight-bits", metavar="B", limit=_integers(LAYER_RANGES, "weight_bits"),
                help="signed bits of every weight (default: metadata, else the fewest that "
                     "hold each layer's weights)")
    options.add("--input-bits", metavar="B", limit=_integers(NETWORK_RANGES, "input_bits"),
                help="signed bits of a network input (default: metadata, else 8)")
    parser.add_argument("--scale", metavar="S[,S…]", default="1",
                        help="multiply weights, biases and thresholds by S (one value, or one "
                             "per layer) before they must be integers (default 1)")
    options.add("--dt", metavar="DT", limit=POSITIVE, default=1,
                help="the framework's time step, for LIF's leak β = 1 − dt/τ and the input "
                     "gain r·dt/τ: 1 for Sinabs and lifq (default), 1e-4 for snnTorch, 1e-3 "
                     "for Norse")
    parser.set_defaults(run=run, options=options)


def scales(text):
    """``--scale``: one positive number or a comma-separated list, one per layer."""
    values = [POSITIVE.parse(part.strip(), "--scale") for part in text.split(",")]
    return values[0] if len(values) == 1 else values


def run(args):
    numbers = args.options.values(args)
    scale = scales(args.scale)
    plan = OutputPlan(inputs=[args.model])
    output = plan.add("-o", args.output, suffixes=NETWORK_SUFFIXES)
    result = from_nir(args.model, reset=args.reset, signed=args.signed,
                      spike_bits=numbers["spike_bits"], width=numbers["width"],
                      weight_bits=numbers["weight_bits"], input_bits=numbers["input_bits"],
                      scale=scale, dt=numbers["dt"])
    write_network(output, result.network)
    print(format_import(args.model, result, scale, numbers["dt"], explicit=_explicit(args)))
    print(f"wrote {args.output}")


def _explicit(args):
    """The lifq parameters the options set (they override metadata)."""
    given = {"reset": args.reset, "signed": args.signed, "spike_bits": args.spike_bits,
             "width": args.width, "weight_bits": args.weight_bits,
             "input_bits": args.input_bits}
    return {name for name, value in given.items() if value is not None}


def format_import(source, result, scale, dt, explicit=()):
    """What the import did, one line per layer plus the roundings."""
    net = result.network
    chain = " → ".join(f"{layer.weights_kind} {value_text(layer.weights_node)} → {layer.kind} "
                       f"{value_text(layer.neuron_node)}" for layer in result.layers)
    lines = [f"{source}: Input → {chain} → Output: network {'-'.join(map(str, net.sizes))}, "
             f"{net.input_bits}-bit inputs"]
    for number, (layer, record) in enumerate(zip(net.layers, result.layers)):
        neuron = layer.neuron
        sign = "signed" if neuron.signed else "unsigned"
        cap = f", q = {neuron.spike_bits}" if neuron.reset == "mod" else ""
        source_note = "lifq metadata" if record.metadata else "options and defaults"
        lines.append(f"layers[{number}]: {neuron.neurons} {record.kind} neurons, "
                     f"θ = {neuron.threshold}, {_leak_text(result, number, dt)}, reset = "
                     f"{neuron.reset}, {sign}{cap} ({source_note}), width {neuron.width}, "
                     f"input_width {neuron.input_width}, {layer.weight_bits}-bit weights"
                     f"{_gain_text(record)}")
    if explicit:
        lines.append("set by options (over any metadata): " + ", ".join(sorted(explicit)))
    scale_text = (number_text(scale) if not isinstance(scale, list)
                  else ",".join(number_text(s) for s in scale))
    if result.rounding:
        parts = [f"{r.quantity} by up to {r.error:.3g} ({r.where} = {r.value:.6g} → "
                 f"{r.integer})" for r in result.rounding]
        lines.append(f"rounded to integers after scale {scale_text}: " + "; ".join(parts))
    else:
        lines.append(f"weights, biases and thresholds are integers after scale {scale_text}: "
                     "nothing rounded")
    return "\n".join(lines)


def _leak_text(result, number, dt):
    neuron, record = result.network.layers[number].neuron, result.layers[number]
    fraction = f"d = {neuron.decay}/{1 << neuron.decay_shift}"
    if record.kind == "IF":
        return f"no leak ({fraction})"
    if record.beta is None:
        return f"leak {fraction} ({METADATA_PREFIX}decay)"
    return (f"β = 1 − dt/τ = {record.beta:.6g} (dt = {number_text(dt)}) → {fraction}, "
            f"error {result.leak_error(number):.2g}")


def _gain_text(record):
    low, high = record.gain
    if math.isclose(low, 1.0, rel_tol=1e-6) and math.isclose(high, 1.0, rel_tol=1e-6):
        return ""
    gain = f"{low:.6g}" if math.isclose(low, high, rel_tol=1e-9) else f"{low:.6g} … {high:.6g}"
    what = "r·dt" if record.kind == "IF" else "r·dt/τ"
    return f", input gain {what} = {gain} folded into the weights"
