"""Board tops: the core behind the UART host link.

:class:`LinkTop` is everything that is the same on every board and in
simulation — UART receiver and transmitter, the link engine and the LIF core
— with the serial line as two one-bit ports.  :class:`BoardTop` puts it on a
real board: clock (through a PLL when it is faster than the oscillator),
power-on reset, the USB-serial pins and the LEDs.
"""

from amaranth.hdl import Elaboratable, Module, Signal
from amaranth.lib import io, wiring
from amaranth.lib.wiring import In, Out

from lifq.hdl import LIFCore
from lifq.spec import LIFConfig

from . import protocol
from .link import LinkEngine
from .uart import UARTReceiver, UARTTransmitter

__all__ = ["LinkTop", "BoardTop", "LED_EVENTS"]

# What the LEDs show, in order: LinkTop.events bit i drives LED i (boards with fewer
# LEDs show the first ones; the iCEBreaker's red LED shows errors, green shows traffic).
LED_EVENTS = ("receive", "transmit", "spike", "error", "busy")


class LinkTop(wiring.Component):
    """A LIF core behind a UART host link: the whole board between the serial pins.

    Parameters
    ----------
    config : lifq.spec.LIFConfig
    clock_hz : int
        Clock frequency (for the INFO reply).
    divisor : int
        UART clocks per bit, at least 4.
    timeout : int
        Inter-byte timeout of the link in clock cycles.
    max_payload : int
        Largest request payload in bytes (power of two).

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

    def __init__(self, config, *, clock_hz, divisor, timeout, max_payload=protocol.MAX_PAYLOAD):
        if not isinstance(config, LIFConfig):
            raise TypeError(f"config must be a lifq.spec.LIFConfig, not {type(config).__name__}")
        self._config = config
        self.receiver = UARTReceiver(divisor)
        self.transmitter = UARTTransmitter(divisor)
        self.engine = LinkEngine(config, clock_hz=clock_hz, divisor=divisor, timeout=timeout,
                                 max_payload=max_payload)
        self.core = LIFCore(config)
        super().__init__({
            "rx": In(1, init=1),
            "tx": Out(1, init=1),
            "events": Out(len(LED_EVENTS)),
        })

    @property
    def config(self):
        return self._config

    def elaborate(self, platform):
        m = Module()
        m.submodules.receiver = receiver = self.receiver
        m.submodules.transmitter = transmitter = self.transmitter
        m.submodules.engine = engine = self.engine
        m.submodules.core = core = self.core

        m.d.comb += [receiver.rx.eq(self.rx), self.tx.eq(transmitter.tx),
                     engine.rx_error.eq(receiver.error)]
        wiring.connect(m, receiver.data, engine.rx)
        wiring.connect(m, engine.tx, transmitter.data)
        wiring.connect(m, engine.currents, core.currents)
        wiring.connect(m, core.updates, engine.updates)
        # RESET clears the membranes; the parameters keep their values.
        m.d.comb += [core.clear.eq(engine.clear), engine.core_clearing.eq(core.clearing),
                     engine.next_neuron.eq(core.next_neuron)]
        if self._config.programmable:
            wiring.connect(m, engine.parameters, core.parameters)
            m.d.comb += [engine.parameter_values.eq(core.parameter_values),
                         engine.parameter_rejected.eq(core.parameter_rejected)]

        activity = {"receive": receiver.busy, "transmit": transmitter.busy,
                    "spike": engine.spike, "error": engine.error, "busy": engine.busy}
        m.d.comb += [self.events[i].eq(activity[name]) for i, name in enumerate(LED_EVENTS)]
        return m


class BoardTop(Elaboratable):
    """A :class:`LinkTop` on a board: clock, reset, USB-serial pins and LEDs.

    Parameters
    ----------
    board : boards.platforms.BoardSpec
    config : lifq.spec.LIFConfig
    clock : boards.pll.ClockPlan
        The core clock and how it is made from the oscillator.
    divisor : int
        UART clocks per bit at that clock.
    """

    LED_HOLD_MS = 50       # LEDs stay on this long after an event, so short ones show
    TIMEOUT_S = 0.05       # inter-byte timeout of the link

    def __init__(self, board, config, clock, divisor):
        self.board = board
        self.config = config
        self.clock = clock
        self.divisor = divisor

    def elaborate(self, platform):
        m = Module()
        hz = int(round(self.clock.frequency_hz))
        self.board.add_clock(m, platform, self.clock)
        m.submodules.link = link = LinkTop(self.config, clock_hz=hz, divisor=self.divisor,
                                           timeout=max(1, int(hz * self.TIMEOUT_S)))
        uart = platform.request("uart", 0, dir="-")
        m.submodules.uart_rx = rx = io.Buffer("i", uart.rx)
        m.submodules.uart_tx = tx = io.Buffer("o", uart.tx)
        m.d.comb += [link.rx.eq(rx.i), tx.o.eq(link.tx)]

        # A millisecond tick paces the LEDs, so their timers stay a few bits wide.
        tick_cycles = max(1, hz // 1000)
        prescaler = Signal(range(tick_cycles), name="led_prescaler")
        tick = Signal(name="led_tick")
        with m.If(prescaler == tick_cycles - 1):
            m.d.sync += [prescaler.eq(0), tick.eq(1)]
        with m.Else():
            m.d.sync += [prescaler.eq(prescaler + 1), tick.eq(0)]

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
