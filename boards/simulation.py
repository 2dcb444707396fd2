"""The board in Amaranth's simulator behind the host driver's transport interface.

:class:`SimulatedTransport` runs a :class:`boards.top.LinkTop` — UART,
link engine and core, exactly the gateware of the bitstream minus clock and
pins — and bridges its serial line to ``write``/``read`` calls, so the host
driver of :mod:`boards.host` runs unchanged against it.  Simulated time only
advances inside ``read`` (and ``settle``): bytes written are clocked onto the
line bit by bit while the driver waits for the reply, as on real hardware.
"""

import collections

from amaranth.sim import Simulator

from . import protocol
from .top import LinkTop

__all__ = ["SimulatedTransport"]

# One clock period.  1 ns keeps every delay an exact number of femtoseconds, the simulator's
# time unit, so the serial bit timing never drifts against the clock.
PERIOD = 1e-9


class SimulatedTransport:
    """A serial transport whose other end is the simulated board gateware.

    Parameters
    ----------
    config : lifq.spec.LIFConfig
        The core the simulated board is built for.
    divisor : int
        UART clocks per bit; small values (4) keep the simulation fast.
    timeout_bytes : int
        Inter-byte timeout of the link, in byte times on the line.
    max_payload : int
        Request payload limit of the link.

    Attributes
    ----------
    top : boards.top.LinkTop
        The simulated design.
    cycles : int
        Clock cycles simulated so far.
    """

    def __init__(self, config, *, divisor=4, timeout_bytes=32, max_payload=protocol.MAX_PAYLOAD):
        self.divisor = divisor
        self.byte_cycles = 10 * divisor
        self.link_timeout = timeout_bytes * self.byte_cycles
        self.top = LinkTop(config, clock_hz=round(1 / PERIOD), divisor=divisor,
                           timeout=self.link_timeout, max_payload=max_payload)
        # A read gives up once nothing has arrived for this long: longer than the board
        # ever stays silent before an answer (draining after an error takes one timeout).
        self.read_timeout = 3 * self.link_timeout + 64 * self.byte_cycles
        self.cycles = 0
        self._outgoing = collections.deque()
        self._incoming = bytearray()
        self._framing_errors = 0
        self._simulator = Simulator(self.top)
        self._simulator.add_clock(PERIOD)
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
