"""A UART (8 data bits, no parity, 1 stop bit) as two small stream components."""

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out

from .encoding import one_hot

__all__ = ["UARTTransmitter", "UARTReceiver", "MIN_DIVISOR"]

MIN_DIVISOR = 2  # the receiver samples mid-bit; real lines want 8 or more (boards use ~200)


class _BitTimer:
    """A counter of clock cycles down to zero, with ``zero`` as a register of its
    own: the compare sat in front of the UARTs' enables (and, through the reply
    framer, of its CRC register).  Every load goes through :meth:`load`, every
    count through :meth:`count`, so the two never disagree."""

    def __init__(self, divisor):
        self.value = Signal(range(divisor), name="timer")
        self.zero = Signal(init=1, name="timer_zero")

    def load(self, cycles):
        """Statements that load ``cycles``."""
        return [self.value.eq(cycles), self.zero.eq(cycles == 0)]

    def count(self):
        """Statements that count one cycle down (only while not at zero)."""
        return [self.value.eq(self.value - 1), self.zero.eq(self.value == 1)]


def _check_divisor(divisor):
    if isinstance(divisor, bool) or not isinstance(divisor, int):
        raise TypeError(f"UART divisor must be an integer, not {divisor!r}")
    if divisor < MIN_DIVISOR:
        raise ValueError(f"UART divisor must be at least {MIN_DIVISOR} clocks per bit, "
                         f"not {divisor}")
    return divisor


class UARTTransmitter(wiring.Component):
    """Serialises bytes onto a UART line: a start bit, 8 data bits LSB first, a stop bit.

    Parameters
    ----------
    divisor : int
        Clock cycles per bit (clock frequency / baud rate), at least 2.

    Attributes
    ----------
    data : In(stream.Signature(8))
        Bytes to send.  A byte is taken whenever the line is idle, so the
        transmitter never holds off longer than one frame (10 bits).
    tx : Out(1)
        The serial line; idles high.  Registered, so it never glitches.
    busy : Out(1)
        A frame is on the line.
    """

    def __init__(self, divisor):
        self._divisor = _check_divisor(divisor)
        super().__init__({
            "data": In(stream.Signature(8)),
            "tx": Out(1, init=1),
            "busy": Out(1),
        })

    @property
    def divisor(self):
        return self._divisor

    def elaborate(self, platform):
        m = Module()
        shift = Signal(9)                      # data bits then the stop bit, LSB first
        bits = Signal(range(10))               # bits still to send after the current one
        timer = _BitTimer(self._divisor)

        last = Signal()  # the stop bit is in its final clock: the next byte may follow at once
        m.d.comb += [last.eq(self.busy & timer.zero & (bits == 0)),
                     self.data.ready.eq(~self.busy | last)]
        with m.If(self.data.valid & self.data.ready):
            m.d.sync += [
                self.tx.eq(0),                 # start bit
                shift.eq(Cat(self.data.payload, 1)),
                bits.eq(9),
                *timer.load(self._divisor - 1),
                self.busy.eq(1),
            ]
        with m.Elif(~self.busy):
            pass
        with m.Elif(~timer.zero):
            m.d.sync += timer.count()
        with m.Elif(bits != 0):
            m.d.sync += [
                self.tx.eq(shift[0]),
                shift.eq(shift >> 1),
                bits.eq(bits - 1),
                *timer.load(self._divisor - 1),
            ]
        with m.Else():
            m.d.sync += self.busy.eq(0)
        return m


class UARTReceiver(wiring.Component):
    """Deserialises bytes from a UART line, sampling each bit in its middle.

    Parameters
    ----------
    divisor : int
        Clock cycles per bit (clock frequency / baud rate), at least 2.

    Attributes
    ----------
    rx : In(1)
        The serial line (idles high); synchronised inside, so it may come
        straight from a pin.
    data : Out(stream.Signature(8))
        Received bytes.  A byte stays valid until taken; a byte that completes
        while the previous one is still waiting replaces it and pulses ``overrun``.
    error : Out(1)
        One-cycle pulse on a framing error (stop bit low) or an overrun.
    busy : Out(1)
        A frame is being received.
    """

    def __init__(self, divisor):
        self._divisor = _check_divisor(divisor)
        super().__init__({
            "rx": In(1, init=1),
            "data": Out(stream.Signature(8)),
            "error": Out(1),
            "busy": Out(1),
        })

    @property
    def divisor(self):
        return self._divisor

    def elaborate(self, platform):
        m = Module()
        line = Signal(init=1)
        m.submodules.sync_rx = FFSynchronizer(self.rx, line, init=1)

        shift = Signal(8)
        bits = Signal(range(8))
        timer = _BitTimer(self._divisor)
        sample = timer.zero            # the timer has run out: sample the line
        with m.If(~sample):
            m.d.sync += timer.count()

        with m.If(self.data.ready):
            m.d.sync += self.data.valid.eq(0)
        m.d.sync += self.error.eq(0)

        with m.FSM() as fsm:
            with m.State("IDLE"):
                with m.If(~line):
                    m.d.sync += timer.load(self._divisor // 2 - 1)
                    m.next = "START"
            with m.State("START"):
                m.d.comb += self.busy.eq(1)
                with m.If(sample):
                    with m.If(line):
                        m.next = "IDLE"                 # a glitch, not a start bit
                    with m.Else():
                        m.d.sync += [*timer.load(self._divisor - 1), bits.eq(7)]
                        m.next = "DATA"
            with m.State("DATA"):
                m.d.comb += self.busy.eq(1)
                with m.If(sample):
                    m.d.sync += [shift.eq(Cat(shift[1:], line)), *timer.load(self._divisor - 1),
                                 bits.eq(bits - 1)]
                    with m.If(bits == 0):
                        m.next = "STOP"
            with m.State("STOP"):
                m.d.comb += self.busy.eq(1)
                with m.If(sample):
                    with m.If(line):
                        m.d.sync += [self.data.payload.eq(shift), self.data.valid.eq(1)]
                        with m.If(self.data.valid & ~self.data.ready):
                            m.d.sync += self.error.eq(1)       # overrun
                        m.next = "IDLE"
                    with m.Else():
                        m.d.sync += self.error.eq(1)           # framing error (or break)
                        m.next = "BREAK"
            with m.State("BREAK"):
                m.d.comb += self.busy.eq(1)
                with m.If(line):
                    m.next = "IDLE"
        one_hot(fsm)
        return m
