"""The options of the commands that talk to a board over its serial port
(``lifq run``, ``lifq classify``): the port, the baud rate the bitstream was
built for and the reply timeout."""

from lifq.boards.host import BAUD, DEFAULT_BAUD, TIMEOUT
from lifq.options import parse

__all__ = ["add_link_options", "parse_link_options"]


def add_link_options(parser):
    """Add ``--port``, ``--baud`` and ``--timeout`` to ``parser``."""
    parser.add_argument("--port", required=True, metavar="PORT",
                        help="serial port of the board, e.g. /dev/ttyUSB1 or COM3")
    parser.add_argument("--baud", metavar="BAUD", default=str(DEFAULT_BAUD),
                        help=f"baud rate the bitstream was built for (default {DEFAULT_BAUD})")
    parser.add_argument("--timeout", metavar="SECONDS", default="1",
                        help="seconds to wait for a reply (default 1; a simulated board "
                             "needs more)")


def parse_link_options(args):
    """``(baud, timeout)`` of the parsed arguments, checked against their ranges
    (an :class:`lifq.spec.InputError` names the option otherwise)."""
    return parse(args.baud, "--baud", BAUD), parse(args.timeout, "--timeout", TIMEOUT)
