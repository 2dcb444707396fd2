"""``lifq golden STIM [-o RESULT]``: the golden-model result of a stimulus."""

from lifq.golden import simulate
from lifq.sim.files import load_stimulus, write_result


def register(subparsers):
    parser = subparsers.add_parser(
        "golden", help="run the golden model on a stimulus",
        description="Run the bit-exact golden model on a stimulus file and write the result "
                    "file (standard output without -o).")
    parser.add_argument("stimulus", metavar="STIM", help="stimulus JSON file")
    parser.add_argument("-o", "--output", metavar="RESULT", help="result JSON file")
    parser.add_argument("--config", metavar="CONFIG",
                        help="JSON or TOML config whose parameters override the stimulus's")
    parser.set_defaults(run=run)


def run(args):
    stimulus = load_stimulus(args.stimulus, args.config)
    spikes, v = simulate(stimulus.config, stimulus.currents)
    write_result(args.output, spikes, v)
