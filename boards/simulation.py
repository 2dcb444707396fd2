"""The board in Amaranth's simulator behind the host driver's transport interface.

:class:`SimulatedTransport` runs a :class:`boards.top.LinkTop` (UART, link
engine and core) or a :class:`boards.top.NetworkLinkTop` (UART, link engine
and network) — exactly the gateware of the bitstream minus clock and pins —
and bridges its serial line to ``write``/``read`` calls, so the host
driver of :mod:`boards.host` runs unchanged against it.  Simulated time only
advances inside ``read`` (and ``settle``): bytes written are clocked onto the
line bit by bit while the driver waits for the reply, as on real hardware.
:class:`PseudoTerminal` puts a simulated board behind a pseudo-terminal, for
the command line.
"""

import collections
import os
import threading

from amaranth.hdl import ClockDomain, Module
from amaranth.sim import Simulator

from lifq.spec import NetworkConfig

from . import protocol
from .top import link_top

__all__ = ["SimulatedTransport", "PseudoTerminal"]

# One clock period of the link.  1 ns keeps every delay an exact number of femtoseconds, the
# simulator's time unit, so the serial bit timing never drifts against the clock.
PERIOD = 1e-9
# A core board's core runs on a clock of its own, faster than the link's as on the boards
# (24 MHz beside 12 on the iCEBreaker), and out of step with it: its edges drift through
# every phase of the link's, as they would between an oscillator and a PLL.
CORE_PERIOD = 0.7e-9


class SimulatedTransport:
    """A serial transport whose other end is the simulated board gateware.

    Parameters
    ----------
    config : lifq.spec.LIFConfig or lifq.spec.NetworkConfig
        The core, or the network, the simulated board is built for.
    divisor : int
        UART clocks per bit; small values (4) keep the simulation fast.
    timeout_bytes : int
        Inter-byte timeout of the link, in byte times on the line.
    max_payload : int
        Request payload limit of the link.
    lanes : int or list of int
        P of every layer of a network.
    run_steps : int
        A network board is silent while it runs: a read waits long enough
        for a RUN of this many timesteps (of the densest input).
    core_period : float
        A core board's core clock period in seconds (its link's is
        :data:`PERIOD`); at most ``PERIOD``.

    Attributes
    ----------
    top : boards.top.LinkTop or boards.top.NetworkLinkTop
        The simulated design.
    cycles : int
        Clock cycles simulated so far.
    read_timeout : int
        Cycles of silence after which a read gives up.
    """

    def __init__(self, config, *, divisor=4, timeout_bytes=32, max_payload=protocol.MAX_PAYLOAD,
                 lanes=1, run_steps=16, core_period=CORE_PERIOD):
        if not 0 < core_period <= PERIOD:
            raise ValueError(f"core_period = {core_period!r} s: allowed 0 < core_period "
                             f"<= {PERIOD:g} s (the link's period)")
        separate_core = not isinstance(config, NetworkConfig)
        self.divisor = divisor
        self.byte_cycles = 10 * divisor
        self.link_timeout = timeout_bytes * self.byte_cycles
        clock_hz = round(1 / core_period) if separate_core else round(1 / PERIOD)
        self.top = link_top(config, lanes=lanes, clock_hz=clock_hz, divisor=divisor,
                            timeout=self.link_timeout, max_payload=max_payload)
        # A read gives up once nothing has arrived for this long: longer than the board
        # ever stays silent before an answer (draining after an error takes one timeout).
        self.read_timeout = 3 * self.link_timeout + 64 * self.byte_cycles
        if isinstance(config, NetworkConfig):
            self.read_timeout += run_steps * _step_cycles(self.top.network)
        self.cycles = 0
        self._outgoing = collections.deque()
        self._incoming = bytearray()
        self._framing_errors = 0
        design = self.top
        if separate_core:
            design = Module()
            design.domains.core = ClockDomain("core")
            design.submodules.top = self.top
        self._simulator = Simulator(design)
        self._simulator.add_clock(PERIOD)
        if separate_core:
            self._simulator.add_clock(core_period, domain="core")
        self._simulator.add_testbench(self._drive_line, background=True)
        self._simulator.add_testbench(self._watch_line, background=True)

    # --- transport interface ----------------------------------------------------------------

    def write(self, data):
        """Queue bytes for the board's receive line."""
        self._outgoing.extend(bytes(data))

    def read(self, count):
        """Up to ``count`` bytes from the board; fewer if it stays silent for ``read_timeout``
        cycles after the last written byte went out."""
        idle = 0
        while len(self._incoming) < count and idle < self.read_timeout:
            before = len(self._incoming)
            chunk = max(1, count - before) * self.byte_cycles
            self._advance(chunk)
            # Silence only counts once everything written is on the line (a serial port's
            # read timeout starts after its write, too).
            busy = len(self._incoming) > before or self._outgoing
            idle = 0 if busy else idle + chunk
        data = bytes(self._incoming[:count])
        del self._incoming[:count]
        return data

    def settle(self):
        """Let the board finish whatever it was doing (a link timeout and then some), then
        drop everything received: the line is clean afterwards."""
        while self._outgoing:
            self._advance(len(self._outgoing) * self.byte_cycles)
        self._advance(2 * self.link_timeout + 8 * self.byte_cycles)
        self._incoming.clear()

    def close(self):
        pass

    # --- test helpers -------------------------------------------------------------------------

    def write_break(self, bits=20):
        """Hold the line low for ``bits`` bit times (a framing error at the board)."""
        self._outgoing.append(("break", bits))

    def idle(self, byte_times):
        """Let simulated time pass with nothing sent."""
        self._advance(byte_times * self.byte_cycles)

    def pump(self, byte_times=4):
        """Simulate ``byte_times`` byte times and return whatever the board sent meanwhile
        (for bridging the simulation to a pseudo-terminal)."""
        self._advance(byte_times * self.byte_cycles)
        data = bytes(self._incoming)
        self._incoming.clear()
        return data

    @property
    def framing_errors(self):
        """Reply bytes whose stop bit was low (must stay 0)."""
        return self._framing_errors

    # --- simulation ----------------------------------------------------------------------------

    def _advance(self, cycles):
        self.cycles += int(cycles)
        self._simulator.run_until(self.cycles * PERIOD)

    async def _drive_line(self, ctx):
        # Every wake-up lands on a clock edge (delays are whole periods from an edge), where
        # the testbench runs after the edge has settled: no extra simulator steps, no races.
        rx, bit_time = self.top.rx, self.divisor * PERIOD
        ctx.set(rx, 1)
        await ctx.tick()
        while True:
            if not self._outgoing:
                await ctx.delay(self.byte_cycles * PERIOD)
                continue
            item = self._outgoing.popleft()
            if isinstance(item, tuple):            # ("break", bits)
                ctx.set(rx, 0)
                await ctx.delay(item[1] * bit_time)
                ctx.set(rx, 1)
                await ctx.delay(2 * bit_time)
                continue
            for bit in (0, *((item >> i) & 1 for i in range(8)), 1):
                ctx.set(rx, bit)
                await ctx.delay(bit_time)

    async def _watch_line(self, ctx):
        tx, divisor = self.top.tx, self.divisor
        while True:
            await ctx.negedge(tx)                   # a start bit begins, at a clock edge
            # Sample inside each bit, a whole number of clocks after its start.
            await ctx.delay((divisor + divisor // 2) * PERIOD)
            byte = 0
            for i in range(8):
                byte |= ctx.get(tx) << i
                await ctx.delay(divisor * PERIOD)
            if not ctx.get(tx):                     # the stop bit
                self._framing_errors += 1
                await ctx.posedge(tx)
            self._incoming.append(byte)


def _step_cycles(network):
    """An upper bound on the cycles of one timestep of ``network`` on the densest input:
    every input and every neuron an event (the replay takes two cycles per input value)."""
    cycles = 2 * network.net.inputs
    for layer, hardware in zip(network.net.layers, network.layers):
        cycles += layer.fan_in * hardware.groups + 4 * layer.neurons + 64
    return cycles


class PseudoTerminal:
    """A pseudo-terminal whose far end is a simulated board (POSIX only).

    pyserial opens :attr:`port` like a USB serial port (``/dev/ttyUSB1``), so
    ``lifq run`` and ``lifq classify`` run unchanged against the simulation;
    a thread copies bytes between the terminal and ``transport``, simulating
    four byte times per round.

    Parameters
    ----------
    transport : SimulatedTransport or None
        The board; None is a line where nothing ever answers.

    Attributes
    ----------
    port : str
        Device name of the terminal's far end.
    """

    ROUND_BYTES = 4

    def __init__(self, transport):
        import pty
        import tty
        self.transport = transport
        self._master, self._slave = pty.openpty()
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._bridge, daemon=True)
        self._thread.start()

    def _bridge(self):
        os.set_blocking(self._master, False)
        while not self._stop.is_set():
            try:
                data = os.read(self._master, 4096)
            except (BlockingIOError, OSError):
                data = b""
            if self.transport is None:
                self._stop.wait(0.01)
                continue
            if data:
                self.transport.write(data)
            sent = self.transport.pump(self.ROUND_BYTES)
            if sent:
                os.write(self._master, sent)

    def close(self):
        """Stop the bridge and close the terminal."""
        self._stop.set()
        self._thread.join(timeout=10)
        os.close(self._master)
        os.close(self._slave)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
