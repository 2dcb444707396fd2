"""The host driver of the link: talks to a board over any byte transport.

A *transport* is an object with ``write(data)``, ``read(count)`` (returns at
most ``count`` bytes, fewer after its timeout), ``settle()`` (wait until the
board is quiet, then drop pending input) and ``close()``.
:class:`SerialTransport` wraps pyserial for real boards;
:class:`boards.simulation.SimulatedTransport` is the simulated board.  The
driver (:class:`Board`, :func:`run_stimulus`, and for network boards
:mod:`boards.network_host`) is the same code for both.
"""

import os
import time

import numpy as np

from lifq.golden import validate_currents
from lifq.spec import InputError, LIFConfig, value_text
from lifq.spec.ranges import Limit

from . import network_protocol, protocol
from .protocol import BoardKind, Command, Status

__all__ = ["LinkError", "BoardError", "SerialTransport", "Board", "run_stimulus",
           "check_compatible", "DEFAULT_BAUD", "MAX_BAUD", "BAUD", "TIMEOUT", "STRUCTURAL"]

DEFAULT_BAUD = 115200
MAX_BAUD = 12_000_000       # beyond any USB serial chip: pyserial overflows on far larger ones
#: Baud rates lifq takes (the bitstream's divisor narrows them further).
BAUD = Limit(1, MAX_BAUD, integer=True)
#: Seconds a read may wait for a reply.
TIMEOUT = Limit(0, 3600, above_low=True)

# Parameters fixed when the bitstream is built; threshold, decay and bias of a programmable
# core can be written at run time.
STRUCTURAL = ("width", "input_width", "reset", "signed", "decay_shift", "spike_bits",
              "initial_membrane")


class LinkError(Exception):
    """The board did not answer, or answered something that is not a valid reply."""


class BoardError(LinkError):
    """The board rejected a request; ``status`` is the :class:`protocol.Status` it sent."""

    def __init__(self, command, status):
        self.command = command
        self.status = status
        super().__init__(f"board rejected {_name(Command, command)}: "
                         f"{_name(Status, status)} ({_meaning(status)})")


def _name(enum, value):
    try:
        return enum(value).name
    except ValueError:
        return f"0x{value:02x}"


def _meaning(status):
    try:
        return Status(status).meaning
    except ValueError:
        return "unknown status"


class SerialTransport:
    """A serial port (pyserial) as a transport.

    Parameters
    ----------
    port : str
        Device name, e.g. ``/dev/ttyUSB1`` or ``COM3``.
    baud : int
        Baud rate the bitstream was built for.
    timeout : float
        Seconds one ``read`` may wait for its bytes.  A real board answers
        within milliseconds; a simulated one behind a pseudo-terminal may
        need far longer, so tests pass their own.
    settle : float
        Seconds :meth:`settle` lets the line rest before it drops what came
        in: longer than the board's inter-byte timeout (50 ms).
    """

    def __init__(self, port, baud=DEFAULT_BAUD, *, timeout=1.0, settle=0.2):
        try:
            import serial
        except ImportError:
            raise InputError("pyserial is not installed: pip install 'lifq[boards]'") from None
        BAUD.check(baud, "--baud")
        TIMEOUT.check(timeout, "--timeout")
        self.settle_seconds = settle
        try:
            self._serial = serial.Serial(port, baud, timeout=timeout, write_timeout=timeout)
        except (serial.SerialException, ValueError, OSError, OverflowError) as error:
            if getattr(error, "errno", None):
                reason = os.strerror(error.errno)
            else:
                reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise InputError(f"--port {port}: cannot open the serial port: {reason}") from None
        self.port = port

    def write(self, data):
        import serial
        try:
            self._serial.write(bytes(data))
        except serial.SerialException as error:
            raise LinkError(f"{self.port}: write failed: {error}") from None

    def read(self, count):
        import serial
        try:
            return self._serial.read(count)
        except serial.SerialException as error:
            raise LinkError(f"{self.port}: read failed: {error}") from None

    def settle(self):
        time.sleep(self.settle_seconds)
        self._serial.reset_input_buffer()

    def close(self):
        self._serial.close()


class Board:
    """A lifq board behind a transport.

    Parameters
    ----------
    transport
        See the module docstring.
    name : str
        How error messages name the board (e.g. the port).

    Attributes
    ----------
    kind : boards.protocol.BoardKind
        What the board holds (after :meth:`connect`).
    config : lifq.spec.LIFConfig or None
        The core the board was built for (a core board, after :meth:`connect`).
    network : dict or None
        What a network board's INFO says about its network (see
        :func:`boards.network_protocol.network_description`; after :meth:`connect`).
    info : dict
        ``max_payload``, ``divisor``, ``clock_hz``, ``version`` (after :meth:`connect`).
    """

    WINDOW = 2          # requests in flight: the board buffers one while it answers another
    CONNECT_TRIES = 3

    def __init__(self, transport, name="board"):
        self.transport = transport
        self.name = name
        self.kind = None
        self.config = None
        self.network = None
        self.info = None

    # --- frames -------------------------------------------------------------------------------

    def send(self, command, payload=b""):
        self.transport.write(protocol.encode_request(command, payload))

    def receive(self, command):
        """Read one reply; returns its payload or raises :class:`BoardError`/:class:`LinkError`."""
        skipped = 0
        while True:
            first = self.transport.read(1)
            if not first:
                raise LinkError(f"{self.name}: no reply to {_name(Command, command)}")
            if first[0] == protocol.REPLY_SYNC:
                break
            skipped += 1
            if skipped > 2 * protocol.MAX_PAYLOAD:
                raise LinkError(f"{self.name}: no reply frame, only noise")
        header = self._read_exactly(protocol.REPLY_HEADER_BYTES - 1, command)
        length = int.from_bytes(header[2:4], "little")
        rest = self._read_exactly(length + 2, command)
        body = header + rest[:-2]
        if protocol.crc16(body) != int.from_bytes(rest[-2:], "big"):
            raise LinkError(f"{self.name}: corrupted reply to {_name(Command, command)} "
                            "(checksum mismatch)")
        if header[1] != Status.OK:
            raise BoardError(header[0], header[1])
        if header[0] != command:
            raise LinkError(f"{self.name}: reply to {_name(Command, header[0])} while waiting "
                            f"for {_name(Command, command)}")
        return bytes(rest[:-2])

    def _read_exactly(self, count, command):
        data = self.transport.read(count)
        if len(data) != count:
            raise LinkError(f"{self.name}: reply to {_name(Command, command)} cut short "
                            f"({len(data)} of {count} bytes)")
        return data

    def request(self, command, payload=b""):
        self.send(command, payload)
        return self.receive(command)

    def pipeline(self, requests):
        """Send ``(command, payload)`` requests with :attr:`WINDOW` of them in flight and
        yield the reply payloads in order (a generator: requests are sent as replies are
        taken)."""
        requests = iter(requests)
        waiting = []
        for command, payload in requests:
            self.send(command, payload)
            waiting.append(command)
            if len(waiting) == self.WINDOW:
                yield self.receive(waiting.pop(0))
        for command in waiting:
            yield self.receive(command)

    # --- commands -----------------------------------------------------------------------------

    def connect(self):
        """Find the board: INFO, retried after letting the line settle.  Returns ``config``
        (a core board) or ``network`` (a network board)."""
        last = None
        for _ in range(self.CONNECT_TRIES):
            self.transport.settle()
            try:
                payload = self.request(Command.INFO)
            except LinkError as error:
                last = error
                continue
            try:
                kind = protocol.info_kind(payload)
                if kind == BoardKind.CORE:
                    self.config, self.info = protocol.decode_info(payload)
                else:
                    self.network, self.info = network_protocol.decode_network_info(payload)
            except (ValueError, InputError) as error:
                raise LinkError(f"{self.name}: INFO reply makes no sense: {error}") from None
            self.kind = kind
            return self.config if kind == BoardKind.CORE else self.network
        raise InputError(f"{self.name}: no lifq board answers ({last}); is it programmed "
                         "with a lifq bitstream of the same baud rate?")

    def require(self, kind):
        """Connect if needed; InputError (one line) unless the board holds ``kind``."""
        if self.kind is None:
            self.connect()
        if self.kind == kind:
            return
        if self.kind == BoardKind.NETWORK:
            sizes = "-".join(str(n) for n in [self.network["inputs"]]
                             + [layer["neurons"] for layer in self.network["layers"]])
            raise InputError(f"{self.name}: the board holds a network ({sizes}), not a single "
                             "core: run a network stimulus, or build a bitstream for a core "
                             "(lifq build --board … CONFIG)")
        raise InputError(f"{self.name}: the board holds a single core "
                         f"({self.config.neurons} neurons), not a network: build a bitstream "
                         "for the network (lifq build --board … NET.json)")

    def status(self):
        """The STATUS counters, as a dict of the board's STATUS layout."""
        payload = self.request(Command.STATUS)
        if self.kind == BoardKind.NETWORK:
            return network_protocol.decode_network_status(payload)
        return protocol.decode_status(payload)

    def reset(self):
        """Set every membrane to its initial value (a core also starts at neuron 0 and keeps
        its run-time parameters; a network also forgets its spike-count sums)."""
        self.request(Command.RESET)

    def write_parameter(self, name, value):
        self.request(Command.WRITE, protocol.encode_write(name, value))

    def stream(self, currents, *, membranes=False, chunk=None):
        """Send currents (a flat sequence, neurons round-robin) and collect the updates.

        Requests of up to ``max_payload`` bytes are pipelined, two in flight.

        Returns
        -------
        spikes : list of int
        v : list of int, or None without ``membranes``
        """
        self.require(BoardKind.CORE)
        cfg = self.config
        size = protocol.current_bytes(cfg)
        chunk = chunk or self.info["max_payload"] // size
        command = Command.STIMULUS_FULL if membranes else Command.STIMULUS
        pieces = [currents[i:i + chunk] for i in range(0, len(currents), chunk)]
        spikes, v = [], ([] if membranes else None)
        replies = self.pipeline((command, protocol.encode_currents(cfg, piece))
                                for piece in pieces)
        for piece, reply in zip(pieces, replies):
            k, vs = protocol.decode_updates(cfg, reply, membranes)
            if len(k) != len(piece):
                raise LinkError(f"{self.name}: {len(k)} updates for {len(piece)} currents")
            spikes.extend(k)
            if membranes:
                v.extend(vs)
        return spikes, v


def check_compatible(board_config, config):
    """Raise InputError unless a board built for ``board_config`` can run ``config``."""
    for name in STRUCTURAL:
        want, have = getattr(config, name), getattr(board_config, name)
        if want != have:
            raise InputError(f"the board's core has {name} = {value_text(have)} but the stimulus needs "
                             f"{name} = {value_text(want)}: build a bitstream for this config "
                             "(lifq build --board … CONFIG)")
    if config.neurons > board_config.neurons:
        raise InputError(f"the board's core has neurons = {board_config.neurons} but the "
                         f"stimulus needs neurons = {config.neurons}")
    if not board_config.programmable:
        for name in ("threshold", "decay", "bias"):
            want, have = getattr(config, name), getattr(board_config, name)
            if want != have:
                raise InputError(f"the board's core has the constant {name} = {have} but the "
                                 f"stimulus needs {name} = {want}: build a bitstream for this "
                                 "config or with programmable = true")


def run_stimulus(board, config, currents, *, membranes=True):
    """Run a stimulus on a board from a clean start, as the golden model would.

    The board is reset (membranes to v0, neuron 0), its run-time parameters
    are set to ``config``'s, and the currents are streamed through it.  A board
    with more neurons than ``config`` runs the extra ones on zero currents
    and drops their results.

    Parameters
    ----------
    board : Board
    config : lifq.spec.LIFConfig
    currents : array_like of int, shape (T, N)
    membranes : bool
        Also read back the membranes (otherwise ``v`` is None; the link
        carries a third of the bytes or less).

    Returns
    -------
    spikes, v : ndarray of int64, shape (T, N)
    """
    if not isinstance(config, LIFConfig):
        raise TypeError(f"config must be a LIFConfig, not {type(config).__name__}")
    currents = validate_currents(config, currents)
    board.require(BoardKind.CORE)
    check_compatible(board.config, config)
    steps, neurons = currents.shape
    board.reset()
    if board.config.programmable:
        live = board.status()
        for name in protocol.PARAMETERS:
            if getattr(config, name) != live[name]:
                board.write_parameter(name, getattr(config, name))
    padded = np.zeros((steps, board.config.neurons), dtype=np.int64)
    padded[:, :neurons] = currents
    before = board.status()["updates"]
    spikes, v = board.stream(padded.ravel().tolist(), membranes=membranes)
    after = board.status()
    if (after["updates"] - before) % 2 ** 32 != padded.size or after["next_neuron"] != 0:
        raise LinkError(f"{board.name}: the board counted "
                        f"{(after['updates'] - before) % 2 ** 32} updates for {padded.size} "
                        "currents")
    spikes = np.array(spikes, dtype=np.int64).reshape(padded.shape)[:, :neurons]
    if membranes:
        v = np.array(v, dtype=np.int64).reshape(padded.shape)[:, :neurons]
    return spikes, v
