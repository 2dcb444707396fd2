"""The gateware end of the host link: frame parser and request executor, joined.

Bytes from the UART receiver go through a :class:`~boards.frames.FrameParser`
that checks a request frame completely into one of two payload buffers and
hands it on as a job; a :class:`~boards.executor.RequestExecutor` runs the
job against the core and streams the reply frame to the UART transmitter.
The parser takes the next request into the other buffer while the executor
still streams the previous reply, so a host that keeps two requests in
flight keeps the line busy in both directions.
"""

from amaranth.hdl import Module
from amaranth.lib import memory, stream, wiring
from amaranth.lib.wiring import In
from amaranth.utils import exact_log2

from lifq.hdl.interfaces import forward
from lifq.spec import LIFConfig, check_integer

from . import protocol
from .executor import RequestExecutor
from .frames import FrameParser

__all__ = ["LinkEngine"]


class LinkEngine(wiring.Component):
    """Parses request frames from a byte stream, runs them on a LIF core, streams replies.

    Parameters
    ----------
    config : lifq.spec.LIFConfig
        The core behind the link (it goes into the INFO reply and decides the
        byte sizes of currents, spike counts and membranes).
    clock_hz : int
        Clock frequency, reported in the INFO reply.
    divisor : int
        UART clocks per bit, reported in the INFO reply.
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
    currents, updates, clear, core_clearing, next_neuron :
        To and from the core (see :class:`lifq.hdl.LIFCore`).
    parameters, parameter_values, parameter_rejected :
        To and from the core's parameter port; only when ``config.programmable``.
    spike, error, busy : Out(1)
        Activity for LEDs (see :class:`~boards.executor.RequestExecutor`).
    """

    def __init__(self, config, *, clock_hz, divisor, timeout, max_payload=protocol.MAX_PAYLOAD):
        if not isinstance(config, LIFConfig):
            raise TypeError(f"config must be a lifq.spec.LIFConfig, not {type(config).__name__}")
        for name, value, low, high in (("clock_hz", clock_hz, 1, 2 ** 32 - 1),
                                       ("divisor", divisor, 1, 2 ** 16 - 1),
                                       ("timeout", timeout, 1, 2 ** 32 - 1),
                                       ("max_payload", max_payload, 8, 2 ** 15)):
            check_integer(name, value, low, high)
        exact_log2(max_payload)  # raises ValueError unless a power of two
        self._config = config
        self._timeout = timeout
        self._max_payload = max_payload
        self._executor = RequestExecutor(
            config, info=protocol.info_payload(config, clock_hz=clock_hz, divisor=divisor,
                                               max_payload=max_payload),
            max_payload=max_payload)
        # The bytes come in through the parser; everything else is the executor's.
        members = {"rx": In(stream.Signature(8)), "rx_error": In(1)}
        members.update({name: member for name, member in self._executor.signature.members.items()
                        if name not in self._INTERNAL})
        super().__init__(members)

    #: Executor ports that stay inside the link.
    _INTERNAL = ("jobs", "buffer")

    @property
    def config(self):
        return self._config

    @property
    def max_payload(self):
        return self._max_payload

    @property
    def timeout(self):
        return self._timeout

    def elaborate(self, platform):
        m = Module()
        cfg = self._config
        m.submodules.buffer = buffer = memory.Memory(
            shape=8, depth=2 * self._max_payload, init=[])
        m.submodules.parser = parser = FrameParser(
            current_bytes=protocol.current_bytes(cfg), input_width=cfg.input_width,
            programmable=cfg.programmable, timeout=self._timeout, max_payload=self._max_payload)
        m.submodules.executor = executor = self._executor

        wiring.connect(m, wiring.flipped(self.rx), parser.rx)
        m.d.comb += parser.rx_error.eq(self.rx_error)
        wiring.connect(m, parser.buffer, buffer.write_port())
        wiring.connect(m, parser.jobs, executor.jobs)
        wiring.connect(m, executor.buffer, buffer.read_port(transparent_for=()))
        forward(m, self, executor, [name for name in executor.signature.members
                                    if name not in self._INTERNAL])
        return m
