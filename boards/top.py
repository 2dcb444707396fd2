"""Board tops: a core or a network behind the UART host link.

:class:`LinkTop` (a LIF core) and :class:`NetworkLinkTop` (a network of
SPEC §6) are everything that is the same on every board and in simulation —
UART receiver and transmitter, the link engine and what it drives — with
the serial line as two one-bit ports; they share :class:`SerialTop`, which
holds the UART and the engine.  :class:`BoardTop` puts either on a real
board: clock (through a PLL when it is faster than the oscillator),
power-on reset, the USB-serial pins and the LEDs.
"""

from amaranth.hdl import DomainRenamer, Elaboratable, Module, Signal
from amaranth.lib import io, wiring
from amaranth.lib.wiring import In, Out

from lifq.hdl import LIFCore, Network
from lifq.hdl.interfaces import forward
from lifq.spec import LIFConfig, NetworkConfig

from . import protocol
from .crossing import CoreCrossing
from .link import LinkEngine
from .uart import UARTReceiver, UARTTransmitter

__all__ = ["SerialTop", "LinkTop", "NetworkLinkTop", "BoardTop", "LED_EVENTS", "link_top",
           "link_clock_hz"]

# What the LEDs show, in order: LinkTop.events bit i drives LED i (boards with fewer
# LEDs show the first ones; the iCEBreaker's red LED shows errors, green shows traffic).
LED_EVENTS = ("receive", "transmit", "spike", "error", "busy")


class SerialTop(wiring.Component):
    """A link engine between the serial pins: UART receiver, engine, UART transmitter.

    Subclasses put what the board holds behind the engine: their ``elaborate``
    adds it to the module this one returns.

    Parameters
    ----------
    engine : boards.link.LinkEngine
    divisor : int
        UART clocks per bit, at least 4.

    Attributes
    ----------
    rx : In(1)
        Serial line from the host (idles high).
    tx : Out(1)
        Serial line to the host (idles high).
    events : Out(len(LED_EVENTS))
        Activity for LEDs, see :data:`LED_EVENTS`: receiving, transmitting,
        a non-zero spike count went out, an error reply started, a request runs.
    """

    def __init__(self, engine, divisor):
        self.receiver = UARTReceiver(divisor)
        self.transmitter = UARTTransmitter(divisor)
        self.engine = engine
        super().__init__({
            "rx": In(1, init=1),
            "tx": Out(1, init=1),
            "events": Out(len(LED_EVENTS)),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.receiver = receiver = self.receiver
        m.submodules.transmitter = transmitter = self.transmitter
        m.submodules.engine = engine = self.engine
        m.d.comb += [receiver.rx.eq(self.rx), self.tx.eq(transmitter.tx),
                     engine.rx_error.eq(receiver.error)]
        wiring.connect(m, receiver.data, engine.rx)
        wiring.connect(m, engine.tx, transmitter.data)
        activity = {"receive": receiver.busy, "transmit": transmitter.busy,
                    "spike": engine.spike, "error": engine.error, "busy": engine.busy}
        m.d.comb += [self.events[i].eq(activity[name]) for i, name in enumerate(LED_EVENTS)]
        return m


class LinkTop(SerialTop):
    """A LIF core behind a UART host link: the whole board between the serial pins.

    The link runs in the ``sync`` domain, the core in the domain ``core``
    (which whoever holds the top defines: :class:`BoardTop` from the PLL,
    the simulator from a clock of its own); a :class:`boards.crossing.CoreCrossing`
    joins them, so each is timed against its own clock.

    Parameters
    ----------
    config : lifq.spec.LIFConfig
    clock_hz : int
        The core's clock frequency (for the INFO reply).
    divisor : int
        UART clocks per bit of the link's clock, at least 4.
    timeout : int
        Inter-byte timeout of the link in cycles of its clock.
    max_payload : int
        Largest request payload in bytes (power of two).

    Attributes
    ----------
    rx, tx, events
        See :class:`SerialTop`.
    core : lifq.hdl.LIFCore
        In the ``core`` domain.
    """

    def __init__(self, config, *, clock_hz, divisor, timeout, max_payload=protocol.MAX_PAYLOAD):
        if not isinstance(config, LIFConfig):
            raise TypeError(f"config must be a lifq.spec.LIFConfig, not {type(config).__name__}")
        self._config = config
        engine = LinkEngine.for_core(config, clock_hz=clock_hz, divisor=divisor,
                                     timeout=timeout, max_payload=max_payload)
        super().__init__(engine, divisor)
        self.core = LIFCore(config)

    @property
    def config(self):
        return self._config

    def elaborate(self, platform):
        m = super().elaborate(platform)
        engine = self.engine
        m.submodules.core = core = DomainRenamer("core")(self.core)
        m.submodules.crossing = crossing = CoreCrossing(self._config)
        forward(m, wiring.flipped(crossing.core), core, crossing.core.signature.members)
        wiring.connect(m, engine.currents, crossing.currents)
        wiring.connect(m, crossing.updates, engine.updates)
        # RESET clears the membranes; the parameters keep their values.
        m.d.comb += [crossing.clear.eq(engine.clear), engine.core_clearing.eq(crossing.clearing),
                     engine.next_neuron.eq(crossing.next_neuron)]
        if self._config.programmable:
            wiring.connect(m, engine.parameters, crossing.parameters)
            m.d.comb += [engine.parameter_values.eq(crossing.parameter_values),
                         engine.parameter_rejected.eq(crossing.parameter_rejected)]
        return m


class NetworkLinkTop(SerialTop):
    """A network (SPEC §6) behind a UART host link: the whole board between the pins.

    The network is built with every layer's updates (``debug``), which the
    link takes: RUN_FULL sends them to the host, RUN keeps the output
    layer's spike-count sums and membranes.

    Parameters
    ----------
    net : lifq.spec.NetworkConfig
    lanes : int or list of int
        P of every layer, as for :class:`lifq.hdl.Network`.
    clock_hz, divisor, timeout, max_payload
        As for :class:`LinkTop`.

    Attributes
    ----------
    rx, tx, events
        See :class:`SerialTop`.
    network : lifq.hdl.Network
    """

    def __init__(self, net, *, lanes=1, clock_hz, divisor, timeout,
                 max_payload=protocol.MAX_PAYLOAD):
        if not isinstance(net, NetworkConfig):
            raise TypeError(f"net must be a lifq.spec.NetworkConfig, not {type(net).__name__}")
        network = Network(net, lanes=lanes, debug=True, updates=True)
        engine = LinkEngine.for_network(net, network.lanes, clock_hz=clock_hz, divisor=divisor,
                                        timeout=timeout, max_payload=max_payload)
        super().__init__(engine, divisor)
        self._net = net
        self.network = network

    @property
    def net(self):
        return self._net

    def elaborate(self, platform):
        m = super().elaborate(platform)
        engine = self.engine
        m.submodules.network = network = self.network
        wiring.connect(m, engine.inputs, network.inputs)
        for number in range(len(self._net.layers)):
            wiring.connect(m, network.layer_updates(number),
                           getattr(engine, f"layer_updates_{number}"))
        wiring.connect(m, network.events, engine.events)
        m.d.comb += network.clear.eq(engine.clear)
        return m


def link_clock_hz(target, plan):
    """The frequency of the link's clock (``sync``) on a board: the oscillator for a core
    (:class:`LinkTop` runs the core on ``plan``'s clock), ``plan``'s clock for a network
    (whose link takes every layer's updates as the network makes them)."""
    return plan.frequency_hz if isinstance(target, NetworkConfig) else plan.oscillator_hz


def link_top(target, *, lanes=1, **link):
    """:class:`LinkTop` for a LIFConfig, :class:`NetworkLinkTop` (with ``lanes``) for a
    NetworkConfig; ``link`` holds clock_hz, divisor, timeout and max_payload."""
    if isinstance(target, NetworkConfig):
        return NetworkLinkTop(target, lanes=lanes, **link)
    return LinkTop(target, **link)


class BoardTop(Elaboratable):
    """A :class:`LinkTop` or :class:`NetworkLinkTop` on a board: clock, reset, USB-serial
    pins and LEDs.

    Parameters
    ----------
    board : boards.platforms.BoardSpec
    config : lifq.spec.LIFConfig or lifq.spec.NetworkConfig
        A core, or a network.
    clock : boards.pll.ClockPlan
        The core's (or network's) clock and how it is made from the oscillator.
    divisor : int
        UART clocks per bit at the link's clock (:func:`link_clock_hz`).
    lanes : int or list of int
        P of every layer of a network.

    Attributes
    ----------
    link : LinkTop or NetworkLinkTop
        What goes between the pins (``link.network.lanes``: the lanes per layer).
    """

    LED_HOLD_MS = 50       # LEDs stay on this long after an event, so short ones show
    TIMEOUT_S = 0.05       # inter-byte timeout of the link

    def __init__(self, board, config, clock, divisor, *, lanes=1):
        if not isinstance(config, (LIFConfig, NetworkConfig)):
            raise TypeError("config must be a lifq.spec.LIFConfig or NetworkConfig, not "
                            f"{type(config).__name__}")
        self.board = board
        self.config = config
        self.clock = clock
        self.divisor = divisor
        self._link_hz = link_clock_hz(config, clock)
        self.link = link_top(config, lanes=lanes, clock_hz=int(round(clock.frequency_hz)),
                             divisor=divisor, timeout=max(1, int(self._link_hz * self.TIMEOUT_S)))

    def elaborate(self, platform):
        m = Module()
        hz = int(round(self._link_hz))
        self.board.add_clock(m, platform, self.clock,
                             core_domain="core" if isinstance(self.link, LinkTop) else None)
        m.submodules.link = link = self.link
        uart = platform.request("uart", 0, dir="-")
        m.submodules.uart_rx = rx = io.Buffer("i", uart.rx)
        m.submodules.uart_tx = tx = io.Buffer("o", uart.tx)
        m.d.comb += [link.rx.eq(rx.i), tx.o.eq(link.tx)]

        # A millisecond tick paces the LEDs, so their timers stay a few bits wide.
        tick_cycles = max(1, hz // 1000)
        prescaler = Signal(range(tick_cycles), name="led_prescaler")
        tick = Signal(name="led_tick")
        # ``wrap``: the prescaler is at its last count, as a register (its compare
        # sat in front of the counter's reset).
        wrap = Signal(name="led_prescaler_wrap", init=tick_cycles == 1)
        with m.If(wrap):
            m.d.sync += [prescaler.eq(0), tick.eq(1), wrap.eq(tick_cycles == 1)]
        with m.Else():
            m.d.sync += [prescaler.eq(prescaler + 1), tick.eq(0),
                         wrap.eq(prescaler == tick_cycles - 2)]

        # Stretch each event so that even one byte lights its LED visibly.
        shown = {}
        for i, name in enumerate(LED_EVENTS):
            timer = Signal(range(self.LED_HOLD_MS + 1), name=f"led_{name}_timer")
            with m.If(link.events[i]):
                m.d.sync += timer.eq(self.LED_HOLD_MS)
            with m.Elif(tick & (timer != 0)):
                m.d.sync += timer.eq(timer - 1)
            shown[name] = timer != 0
        # The heartbeat blinks at 1 Hz: the clock runs and reset is over.
        beat = Signal(range(500), name="heartbeat_timer")
        shown["heartbeat"] = Signal(name="heartbeat")
        with m.If(tick):
            with m.If(beat == 499):
                m.d.sync += [beat.eq(0), shown["heartbeat"].eq(~shown["heartbeat"])]
            with m.Else():
                m.d.sync += beat.eq(beat + 1)
        self.board.drive_leds(m, platform, shown)
        self.board.tie_pins(m, platform)
        return m
