"""``lifq golden STIM [-o RESULT]``: the golden-model result of a stimulus.

A stimulus with a ``"network"`` key is a network stimulus (SPEC §6) and
gives a network result; any other is a single core's (SPEC §4).
"""

from lifq.commands.stimuli import add_stimulus_arguments, read_stimulus
from lifq.golden import simulate, simulate_network
from lifq.sim.files import dump_result
from lifq.sim.network_files import dump_network_result


def register(subparsers):
    parser = subparsers.add_parser(
        "golden", help="run the golden model on a stimulus",
        description="Run the bit-exact golden model on a stimulus file (a core's, or a "
                    "network's: one with a \"network\" key) and write the result file "
                    "(standard output without -o).")
    add_stimulus_arguments(parser)
    parser.set_defaults(run=run)


def run(args):
    stimulus, network, plan, output = read_stimulus(args)
    if network:
        result = simulate_network(stimulus.network, stimulus.inputs)
        plan.write_text(output, dump_network_result(result))
        return
    plan.write_text(output, dump_result(*simulate(stimulus.config, stimulus.currents)))
