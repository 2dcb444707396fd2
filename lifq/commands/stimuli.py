"""Reading the stimulus file of ``lifq golden`` and ``lifq run``: a core's
(SPEC §4) or, with a ``"network"`` key, a network's (SPEC §6)."""

from lifq.outputs import OutputPlan, stimulus_inputs
from lifq.sim.files import parse_json, read_text, stimulus_from_document
from lifq.sim.network_files import network_stimulus_from_document
from lifq.spec import InputError

__all__ = ["add_stimulus_arguments", "read_stimulus"]


def add_stimulus_arguments(parser):
    """Add the stimulus file, ``-o RESULT`` and ``--config`` to ``parser``."""
    parser.add_argument("stimulus", metavar="STIM", help="stimulus JSON file")
    parser.add_argument("-o", "--output", metavar="RESULT", help="result JSON file")
    parser.add_argument("--config", metavar="CONFIG",
                        help="JSON or TOML config whose parameters override the stimulus's "
                             "(single-core stimuli)")


def read_stimulus(args):
    """The stimulus of ``args``, checked, and where its result goes.

    Returns ``(stimulus, network, plan, output)``: the core or network
    stimulus, whether it is a network's, the :class:`lifq.outputs.OutputPlan`
    that writes the result without clobbering an input, and the ``-o`` output
    in it.  ``--config`` overrides only a core's parameters (a network's are
    set per layer).
    """
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
    return stimulus, network, plan, output
