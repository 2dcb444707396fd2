"""``lifq golden STIM [-o RESULT]``: the golden-model result of a stimulus.

A stimulus with a ``"network"`` key is a network stimulus (SPEC §6) and
gives a network result; any other is a single core's (SPEC §4).
"""

from lifq.golden import simulate, simulate_network
from lifq.outputs import OutputPlan, stimulus_inputs
from lifq.sim.files import dump_result, parse_json, read_text, stimulus_from_document
from lifq.sim.network_files import dump_network_result, network_stimulus_from_document
from lifq.spec import InputError


def register(subparsers):
    parser = subparsers.add_parser(
        "golden", help="run the golden model on a stimulus",
        description="Run the bit-exact golden model on a stimulus file (a core's, or a "
                    "network's: one with a \"network\" key) and write the result file "
                    "(standard output without -o).")
    parser.add_argument("stimulus", metavar="STIM", help="stimulus JSON file")
    parser.add_argument("-o", "--output", metavar="RESULT", help="result JSON file")
    parser.add_argument("--config", metavar="CONFIG",
                        help="JSON or TOML config whose parameters override the stimulus's "
                             "(single-core stimuli)")
    parser.set_defaults(run=run)


def run(args):
    document = parse_json(args.stimulus, read_text(args.stimulus))
    network = isinstance(document, dict) and "network" in document
    plan = OutputPlan(inputs=stimulus_inputs(args.stimulus, document, args.config))
    output = plan.add("-o", args.output)
    if network:
        if args.config is not None:
            raise InputError("--config overrides a core's parameters; a network stimulus sets "
                             "them per layer")
        stimulus = network_stimulus_from_document(args.stimulus, document)
        result = simulate_network(stimulus.network, stimulus.inputs)
        plan.write_text(output, dump_network_result(result))
        return
    stimulus = stimulus_from_document(args.stimulus, document, args.config)
    plan.write_text(output, dump_result(*simulate(stimulus.config, stimulus.currents)))
