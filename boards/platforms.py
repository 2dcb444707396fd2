"""The supported boards: platform, device, clocks, LEDs, programmer.

Each :class:`BoardSpec` knows its ``amaranth-boards`` platform and how to
make the core's clock domain (oscillator or PLL, with a power-on reset held
until the PLL has locked) and drive its LEDs from the link's activity.
"""

import dataclasses

from amaranth.hdl import ClockDomain, Const, Signal
from amaranth.lib import io
from amaranth.lib.cdc import FFSynchronizer, ResetSynchronizer

from lifq.spec import InputError, value_text

from . import pll

__all__ = ["BoardSpec", "BOARDS", "board_spec"]


@dataclasses.dataclass(frozen=True)
class BoardSpec:
    """One supported board.

    Attributes
    ----------
    name : str
        Name on the command line.
    title : str
        Human-readable name.
    family : str
        ``"ice40"`` or ``"ecp5"``.
    device : str
        FPGA device and package, as in reports.
    oscillator : str
        Clock resource of the platform.
    oscillator_hz : float
    default_clock_hz : float
        Core clock of ``lifq build`` without ``--clock`` (meets timing with margin).
    capacity : dict
        Available logic cells (or LUTs), block RAMs and DSPs of the device.
    programmer : str
        Tool that loads the bitstream (``iceprog`` or ``openFPGALoader``).
    bitstream : str
        Extension of the bitstream file the programmer takes.
    led_events : tuple of tuple of str
        What LED i shows: the activities (:data:`boards.top.LED_EVENTS` or
        ``"heartbeat"``) in entry i.
    tie_high : tuple of (str, str)
        ``(resource, subsignal)`` pins driven high.
    """
    name: str
    title: str
    family: str
    device: str
    oscillator: str
    oscillator_hz: float
    default_clock_hz: float
    capacity: dict
    programmer: str
    bitstream: str
    led_events: tuple
    tie_high: tuple = ()

    def platform(self):
        if self.name == "icebreaker":
            from amaranth_boards.icebreaker import ICEBreakerPlatform
            return ICEBreakerPlatform()
        if self.name == "ulx3s":
            from amaranth_boards.ulx3s import ULX3S_85F_Platform
            return ULX3S_85F_Platform()
        raise AssertionError(self.name)

    def plan_clock(self, clock_hz=None):
        return pll.plan_clock(self.family, self.oscillator_hz,
                              self.default_clock_hz if clock_hz is None else clock_hz,
                              board=self.title)

    def add_clock(self, m, platform, plan, *, core_domain=None):
        """Add the ``sync`` domain to ``m`` and a power-on reset; with ``core_domain``
        also that domain.

        Without ``core_domain``, ``sync`` runs on ``plan``'s clock (oscillator or
        PLL).  With it, ``sync`` (the host link) runs on the oscillator and
        ``core_domain`` on ``plan``'s clock: nextpnr times each against its own
        clock.  Reset is held until the PLL has locked and then for 15 µs more
        (iCE40 block RAMs read as zero for a few µs after configuration); the
        core's domain leaves reset two of its cycles after ``sync``.
        """
        m.domains.sync = sync = ClockDomain("sync")
        m.domains.por = por = ClockDomain("por", reset_less=True, local=True)
        clock = Signal(name="core_clock")
        oscillator = Signal(name="oscillator_clock")
        lock = Signal(name="pll_lock")
        pin = platform.request(self.oscillator, dir="-")
        if plan.pll is None:
            m.submodules.oscillator = buffer = io.Buffer("i", pin)
            m.d.comb += [clock.eq(buffer.i), oscillator.eq(buffer.i), lock.eq(1)]
        elif self.family == "ice40":
            # The PLL takes the oscillator straight from its pad, and gives it back
            # (SB_PLL40_2_PAD's port A) when the link needs it.
            reference = oscillator if core_domain is not None else None
            m.submodules.pll = pll.clock_instance(plan, pin.io, clock, lock,
                                                  reference_out=reference)
        else:
            m.submodules.oscillator = buffer = io.Buffer("i", pin)
            m.d.comb += oscillator.eq(buffer.i)
            m.submodules.pll = pll.clock_instance(plan, buffer.i, clock, lock)
        if plan.pll is not None:
            platform.add_clock_constraint(clock, plan.frequency_hz)
            if core_domain is not None and self.family == "ice40":
                platform.add_clock_constraint(oscillator, plan.oscillator_hz)
        link_clock = clock if core_domain is None else oscillator
        m.d.comb += [sync.clk.eq(link_clock), por.clk.eq(link_clock)]

        locked = Signal()
        m.submodules.lock_sync = FFSynchronizer(lock, locked, o_domain="por", init=0)
        link_hz = plan.frequency_hz if core_domain is None else plan.oscillator_hz
        delay = max(1, int(15e-6 * link_hz))
        timer = Signal(range(delay + 1))
        ready = Signal()
        with m.If(~locked):
            m.d.por += [timer.eq(0), ready.eq(0)]
        with m.Elif(timer == delay):
            m.d.por += ready.eq(1)
        with m.Else():
            m.d.por += timer.eq(timer + 1)
        m.d.comb += sync.rst.eq(~ready)
        if core_domain is not None:
            m.domains += (core := ClockDomain(core_domain))
            m.d.comb += core.clk.eq(clock)
            m.submodules.core_reset = ResetSynchronizer(~ready, domain=core_domain)

    def tie_pins(self, m, platform):
        """Drive the board's ``tie_high`` pins high."""
        for resource, subsignal in self.tie_high:
            pins = platform.request(resource, 0, dir="-")
            m.submodules[f"tie_{resource}_{subsignal}"] = buffer = \
                io.Buffer("o", getattr(pins, subsignal))
            m.d.comb += buffer.o.eq(1)

    def drive_leds(self, m, platform, shown):
        """Drive LED i from entry i of ``led_events``: the OR of the named signals in
        ``shown`` (a dict of activity name to signal)."""
        for index, events in enumerate(self.led_events):
            pin = platform.request("led", index, dir="-")
            m.submodules[f"led_{index}"] = led = io.Buffer("o", pin)
            value = Const(0)
            for event in events:
                value = value | shown[event]
            m.d.comb += led.o.eq(value)


BOARDS = {
    "icebreaker": BoardSpec(
        name="icebreaker", title="the iCEBreaker", family="ice40", device="iCE40UP5K-SG48",
        oscillator="clk12", oscillator_hz=12e6, default_clock_hz=24e6,
        capacity={"logic_cells": 5280, "block_rams": 30, "dsps": 8},
        programmer="iceprog", bitstream="bin",
        # LED 0 is red, LED 1 green: errors in red, line traffic in green.
        led_events=(("error",), ("receive", "transmit"))),
    "ulx3s": BoardSpec(
        name="ulx3s", title="the ULX3S (85F)", family="ecp5", device="LFE5U-85F-6BG381",
        oscillator="clk25", oscillator_hz=25e6, default_clock_hz=100e6,
        capacity={"logic_cells": 83640, "block_rams": 208, "dsps": 156},
        programmer="openFPGALoader", bitstream="bit",
        led_events=(("receive",), ("transmit",), ("spike",), ("error",), ("busy",), (), (),
                    ("heartbeat",)),
        # ESP32 GPIO0 high: the ESP32 stays out of its bootloader and leaves the FPGA alone.
        tie_high=(("esp32", "gpio0"),)),
}


def board_spec(name):
    """The :class:`BoardSpec` called ``name``; InputError names the choices otherwise."""
    if not isinstance(name, str) or name not in BOARDS:
        raise InputError(f"--board = {value_text(name)} is unknown: allowed " + ", ".join(BOARDS))
    return BOARDS[name]
