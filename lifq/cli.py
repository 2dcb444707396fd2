"""Entry point of the ``lifq`` command (SPEC §4).

Each sub-command lives in its own module under :mod:`lifq.commands` and
registers itself with :func:`register`; this module only dispatches and turns
lifq's errors (:class:`lifq.spec.LifqError`) into one line on standard error
and exit status 2.
"""

import argparse
import importlib
import signal
import sys

from lifq.spec import LifqError

__all__ = ["main", "build_parser"]

# Sub-commands and their modules, in the order ``lifq --help`` lists them.
COMMANDS = {"generate": "generate", "golden": "golden", "simulate": "simulate", "error": "error",
            "convert": "convert", "accuracy": "accuracy", "import": "nir_import",
            "export": "nir_export", "build": "build", "run": "run", "classify": "classify",
            "demo": "demo"}


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser():
    parser = _Parser(prog="lifq", description="Pipelined integer LIF neuron cores with "
                     "reset-to-mod: golden model, RTL, simulation and bitstreams.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS.values():
        try:
            module = importlib.import_module(f"lifq.commands.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"lifq.commands.{name}":
                raise
            continue  # a command not built yet
        module.register(subparsers)
    return parser


def main(argv=None):
    # A file-size limit (ulimit -f) should fail a write, which lifq reports and cleans up
    # after, rather than kill the process half-way through it.
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args) or 0
    except LifqError as error:
        print(f"lifq {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"lifq {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
