"""The gateware end of the host link: frame parser and request executor, joined.

Bytes from the UART receiver go through a :class:`~boards.frames.FrameParser`
that checks a request frame completely into one of two payload buffers and
hands it on as a job; an executor runs the job against what the board holds
and streams the reply frame to the UART transmitter.  The parser takes the
next request into the other buffer while the executor still streams the
previous reply, so a host that keeps two requests in flight keeps the line
busy in both directions.

The engine is the same for every kind of board; only the executor and the
parser's table of requests differ: :meth:`LinkEngine.for_core` puts a LIF
core's :class:`~boards.executor.RequestExecutor` behind it,
:meth:`LinkEngine.for_network` a network's
:class:`~boards.network_executor.NetworkExecutor`.
"""

from amaranth.hdl import Module
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In
from amaranth.utils import exact_log2

from lifq.hdl.interfaces import forward
from lifq.hdl.memories import RegisteredMemory
from lifq.spec import LIFConfig, NetworkConfig, check_integer

from . import network_protocol, protocol
from .executor import RequestExecutor
from .frames import FrameParser
from .network_executor import NetworkExecutor

__all__ = ["LinkEngine", "check_link_settings"]


def check_link_settings(clock_hz, divisor, timeout, max_payload):
    """ValueError unless the link's settings fit the protocol's fields."""
    for name, value, low, high in (("clock_hz", clock_hz, 1, 2 ** 32 - 1),
                                   ("divisor", divisor, 1, 2 ** 16 - 1),
                                   ("timeout", timeout, 1, 2 ** 32 - 1),
                                   ("max_payload", max_payload, 8, 2 ** 15)):
        check_integer(name, value, low, high)
    exact_log2(max_payload)  # raises ValueError unless a power of two


class LinkEngine(wiring.Component):
    """Parses request frames from a byte stream, runs them, streams the replies.

    Parameters
    ----------
    executor : wiring.Component
        Runs the jobs: it has ``jobs`` (In, :func:`~boards.frames.job_layout`),
        ``buffer`` (In, a read port of the request buffers) and ``tx`` (Out,
        reply bytes); every other port of it becomes a port of the engine.
    requests : sequence of boards.protocol.RequestFormat
        The requests the parser accepts.
    timeout : int
        Inter-byte timeout in clock cycles: a frame that pauses this long is
        abandoned, and draining after an error ends once the line has been
        idle this long.
    max_payload : int
        Largest request payload in bytes, a power of two (two buffers of this
        size are needed).

    Attributes
    ----------
    rx : In(stream.Signature(8))
        Received bytes.
    rx_error : In(1)
        Pulse from the UART receiver: framing error or overrun.
    tx : Out(stream.Signature(8))
        Reply bytes for the UART transmitter.
    (the executor's other ports)
        To and from what the board holds, and activity for LEDs (``spike``,
        ``error``, ``busy``).
    """

    #: Executor ports that stay inside the link.
    _INTERNAL = ("jobs", "buffer")

    def __init__(self, executor, requests, *, timeout, max_payload=protocol.MAX_PAYLOAD):
        check_integer("timeout", timeout, 1, 2 ** 32 - 1)
        exact_log2(max_payload)
        self._executor = executor
        self._requests = tuple(requests)
        self._timeout = timeout
        self._max_payload = max_payload
        # The bytes come in through the parser; everything else is the executor's.
        members = {"rx": In(stream.Signature(8)), "rx_error": In(1)}
        members.update({name: member for name, member in executor.signature.members.items()
                        if name not in self._INTERNAL})
        super().__init__(members)

    @classmethod
    def for_core(cls, config, *, clock_hz, divisor, timeout, max_payload=protocol.MAX_PAYLOAD):
        """The link of a core board: ``currents``, ``updates``, ``clear``, … of
        :class:`~boards.executor.RequestExecutor` for a :class:`lifq.hdl.LIFCore`."""
        if not isinstance(config, LIFConfig):
            raise TypeError(f"config must be a lifq.spec.LIFConfig, not {type(config).__name__}")
        check_link_settings(clock_hz, divisor, timeout, max_payload)
        info = protocol.info_payload(config, clock_hz=clock_hz, divisor=divisor,
                                     max_payload=max_payload)
        executor = RequestExecutor(config, info=info, max_payload=max_payload)
        return cls(executor, protocol.core_requests(config), timeout=timeout,
                   max_payload=max_payload)

    @classmethod
    def for_network(cls, net, lanes, *, clock_hz, divisor, timeout,
                    max_payload=protocol.MAX_PAYLOAD):
        """The link of a network board: ``inputs``, ``layer_updates_ℓ``, ``events``,
        ``clear`` of :class:`~boards.network_executor.NetworkExecutor` for a
        :class:`lifq.hdl.Network` with ``lanes`` (one per layer) and every layer's
        updates."""
        if not isinstance(net, NetworkConfig):
            raise TypeError(f"net must be a lifq.spec.NetworkConfig, not {type(net).__name__}")
        check_link_settings(clock_hz, divisor, timeout, max_payload)
        info = network_protocol.network_info_payload(net, lanes, clock_hz=clock_hz,
                                                     divisor=divisor, max_payload=max_payload)
        executor = NetworkExecutor(net, info=info, max_payload=max_payload)
        return cls(executor, network_protocol.network_requests(net), timeout=timeout,
                   max_payload=max_payload)

    @property
    def executor(self):
        return self._executor

    @property
    def requests(self):
        return self._requests

    @property
    def max_payload(self):
        return self._max_payload

    @property
    def timeout(self):
        return self._timeout

    def elaborate(self, platform):
        m = Module()
        # Read through a register (the block RAM's own on ECP5): the buffer's
        # clock-to-data set the ULX3S bitstream's Fmax.
        m.submodules.buffer = buffer = RegisteredMemory(8, 2 * self._max_payload)
        m.submodules.parser = parser = FrameParser(
            self._requests, timeout=self._timeout, max_payload=self._max_payload)
        m.submodules.executor = executor = self._executor

        wiring.connect(m, wiring.flipped(self.rx), parser.rx)
        m.d.comb += parser.rx_error.eq(self.rx_error)
        wiring.connect(m, parser.buffer, buffer.write)
        wiring.connect(m, parser.jobs, executor.jobs)
        wiring.connect(m, executor.buffer, buffer.read)
        forward(m, self, executor, [name for name in executor.signature.members
                                    if name not in self._INTERNAL])
        return m
