"""The host link's view of a LIF core that runs on a clock of its own.

The link only has to keep up with the UART, a few million bits per second;
the core should run as fast as its fabric allows.  On a board the link
therefore runs on the oscillator and the core on the PLL's clock (``lifq
build --clock``), and nextpnr times each domain by itself: the link's
frame parser and reply multiplexers no longer set the core's clock.
:class:`CoreCrossing` sits between the two: towards the link it has the
ports of a :class:`lifq.hdl.LIFCore` (so the link's executor does not know
about the crossing), towards the core the same ports in the core's domain.
"""

from amaranth.hdl import Array, Cat, Module, Mux, Signal, Value
from amaranth.lib import stream, wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from lifq.hdl.interfaces import core_port_members, update_layout
from lifq.spec import LIFConfig

__all__ = ["CoreCrossing", "AsyncStream", "FIFO_DEPTH", "core_port_signature"]

#: Slots of each of the two queues, and the most currents in the core or in the updates
#: queue at once.  Two are plenty for a serial link; every slot is a register as wide as
#: the payload in both clock domains' reach (four cost the iCE40 placement 5–10 % of the
#: core's clock).
FIFO_DEPTH = 2


def core_port_signature(config):
    """The ports of a LIF core as the crossing drives them (``Out`` towards the core)."""
    return wiring.Signature(core_port_members(config)).flip()


def _gray(value, width):
    """``value`` (truncated to ``width`` bits) in Gray code."""
    value = value[:width]
    return value ^ (value >> 1)


def _binary(gray):
    """A Gray code back in binary."""
    bits = [gray[-1]]
    for index in reversed(range(len(gray) - 1)):
        bits.insert(0, bits[0] ^ gray[index])
    return Cat(*bits)


class AsyncStream(wiring.Component):
    """A stream from one clock domain to another: a first in, first out queue with
    Gray-coded pointers.

    The textbook design (Cummings' "style #2", as Amaranth's own
    :class:`~amaranth.lib.fifo.AsyncFIFO`), built so that each side decides
    from its own registers only.  The reading side moves at most every other
    cycle: its output is a register, loaded with the slot the read pointer
    points at only while it is empty, and ``output.ready`` reaches just the
    D input of ``output.valid``.  With ``back_pressure`` the writing side
    does too: ``input.ready`` is a register that drops for a cycle after
    each transfer.  Without it the writer may write every cycle and
    ``input.ready`` is always high: the writer keeps count of what it may
    write (from :attr:`read_count`) and never writes into a full queue.  No
    pointer compare, increment or slot multiplexer stands in front of an
    enable: a fast domain (the core) sees the stream as it sees registers.
    A slot is read two of the reading domain's cycles after the pointer that
    covers it has crossed, when it has long been stable.

    Parameters
    ----------
    shape : shape-like
        The payload.
    depth : int
        Slots, a power of two, at least 2 (one more transfer waits in the
        output register).
    w_domain, r_domain : str
        The writing (``input``) and the reading (``output``) clock domains.
    back_pressure : bool
        Whether ``input.ready`` says when the queue is full.

    Attributes
    ----------
    input : In(stream.Signature(shape))
        In ``w_domain``; with ``back_pressure`` ``ready`` is a register, low
        while every slot is full and for the cycle after each transfer;
        without it always high.
    output : Out(stream.Signature(shape))
        In ``r_domain``; ``valid`` and ``payload`` are registers, ``valid`` low
        for at least a cycle after each transfer.
    read_count : Out(log2(depth) + 1)
        In ``w_domain``: the transfers taken into the output register so far
        (modulo ``2 · depth``), as the writing side sees them, a few cycles late.
    """

    def __new__(cls, shape, *, depth=4, w_domain, r_domain, back_pressure=True):
        # Check before the object exists: a rejected depth leaves no unused
        # elaboratable behind (and no warning about one).
        if not isinstance(depth, int) or depth < 2 or depth & (depth - 1):
            raise ValueError(f"depth = {depth!r}: allowed a power of two, at least 2")
        return super().__new__(cls)

    def __init__(self, shape, *, depth=4, w_domain, r_domain, back_pressure=True):
        self._depth = depth
        self._w_domain, self._r_domain = w_domain, r_domain
        self._back_pressure = back_pressure
        super().__init__({"input": In(stream.Signature(shape)),
                          "output": Out(stream.Signature(shape)),
                          "read_count": Out(exact_log2(depth) + 1)})

    def elaborate(self, platform):
        m = Module()
        bits = exact_log2(self._depth)
        write, read = m.d[self._w_domain], m.d[self._r_domain]
        slots = Array(Signal.like(self.input.payload, name=f"slot_{i}")
                      for i in range(self._depth))
        # Pointers one bit wider than a slot index: equal means empty, equal but for
        # the top bit (in Gray code: the top two bits) means full.  Each side keeps its
        # pointer's next value in Gray code too, so no increment sits on a path.
        written, taken = Signal(bits + 1), Signal(bits + 1)
        written_gray, taken_gray = Signal(bits + 1), Signal(bits + 1)
        written_gray_next = Signal(bits + 1, init=0b01)
        taken_gray_next = Signal(bits + 1, init=0b01)   # Gray code of 1
        written_seen, taken_seen = Signal(bits + 1), Signal(bits + 1)
        m.submodules.written_sync = FFSynchronizer(written_gray, written_seen,
                                                   o_domain=self._r_domain)
        m.submodules.taken_sync = FFSynchronizer(taken_gray, taken_seen,
                                                 o_domain=self._w_domain)
        m.d.comb += self.read_count.eq(_binary(taken_seen))

        # ``ready`` and "a slot is filled" are registers computed from the other
        # side's pointer as seen now: that pointer only moves on (freeing slots,
        # filling them), so an old copy of it errs towards full and empty, never the
        # other way.
        if self._back_pressure:
            full_mask = 0b11 << (bits - 1)
            ready = Signal(init=1, name="input_ready")
            write_now = self.input.valid & ready
            m.d.comb += self.input.ready.eq(ready)
            # Low for the cycle after a write, while the pointer moves.
            write += ready.eq(~write_now & (written_gray != (taken_seen ^ full_mask)))
        else:
            write_now = self.input.valid
            m.d.comb += self.input.ready.eq(1)
        with m.If(write_now):
            for index, slot in enumerate(slots):
                with m.If(written[:bits] == index):
                    write += slot.eq(self.input.payload)
            write += [written.eq(written + 1), written_gray.eq(written_gray_next),
                      written_gray_next.eq(_gray(written + 2, bits + 1))]

        filled = Signal(name="output_filled")
        output = self.output
        load = ~output.valid & filled
        read += output.valid.eq(Mux(output.valid, ~output.ready, filled))
        with m.If(load):
            read += [output.payload.eq(slots[taken[:bits]]), taken.eq(taken + 1),
                     taken_gray.eq(taken_gray_next),
                     taken_gray_next.eq(_gray(taken + 2, bits + 1))]
        # Stale for the cycle after a load (the pointer moves meanwhile), when the
        # output register is full and no load can happen anyway.
        read += filled.eq(taken_gray != written_seen)
        return m


class CoreCrossing(wiring.Component):
    """A LIF core's ports in the link's clock domain, for a core in another domain.

    - ``currents`` and ``updates`` cross through :class:`AsyncStream` queues
      (Gray-coded pointers), in order.  The link's side has back-pressure
      both ways; the core's ``updates.ready`` is always high, and currents
      reach it only while the updates queue has room for every update still
      to come (credits), so the core never waits for the link.  What the
      core's ports see are registers, or one AND of two.
    - ``clear`` is a request/acknowledge pair of toggles: a pulse on the
      link's side flips the request, the core sees the flip three of its
      cycles later as a one-cycle ``clear``, and the acknowledge flips back
      once the core's ``clearing`` has ended.  ``clearing`` on the link's
      side is high from the pulse until the acknowledge has crossed back, so
      it covers the whole clear as the core's own port does.
    - A parameter write is the same handshake with its address and value
      held in registers of the link's side (bundled data: they are stable
      before the request can cross).  ``parameters.ready`` is low from the
      write until the core has applied or ignored it; then
      ``parameter_rejected`` is the core's verdict (its register is stable
      from before the acknowledge flips until the next write).
    - ``next_neuron`` and ``parameter_values`` pass through two-register
      synchronisers.  Both only change while the core updates a neuron or
      applies a write, so whenever the link reads them — a STATUS request
      runs after the previous request's last update or write — they have
      been stable for many cycles.

    Parameters
    ----------
    config : lifq.spec.LIFConfig
        The core behind the crossing.
    link_domain, core_domain : str
        The two clock domains.

    Attributes
    ----------
    currents, updates, clear, clearing, next_neuron
        The core's ports of the same names, in ``link_domain``.
    parameters, parameter_values, parameter_rejected
        Only for a programmable core: likewise.
    core : Out(core_port_signature(config))
        To the core's ports of the same names, in ``core_domain``.
    """

    def __init__(self, config, *, link_domain="sync", core_domain="core"):
        if not isinstance(config, LIFConfig):
            raise TypeError(f"config must be a lifq.spec.LIFConfig, not {type(config).__name__}")
        if link_domain == core_domain:
            raise ValueError(f"link_domain and core_domain are both {link_domain!r}: a "
                             "crossing needs two domains")
        self._config = config
        self._link = link_domain
        self._core = core_domain
        core = core_port_signature(config)
        super().__init__({"core": Out(core),
                          **{name: member.flip() for name, member in core.members.items()}})

    def elaborate(self, platform):
        m = Module()
        self._streams(m)
        self._clear(m)
        if self._config.programmable:
            self._parameter_write(m)
        quiet = ["next_neuron"] + (["parameter_values"] if self._config.programmable else [])
        for name in quiet:
            m.submodules[f"{name}_sync"] = FFSynchronizer(
                Value.cast(getattr(self.core, name)), Value.cast(getattr(self, name)),
                o_domain=self._link)
        return m

    def _streams(self, m):
        """Currents towards the core, updates back, each through an AsyncStream.

        The core's ``updates.ready`` is always high: a current is handed to the
        core only while the updates queue has room for its update beside those of
        every current handed over before and not yet read out by the link (at most
        :data:`FIFO_DEPTH` in all), so the core never waits for the link, and its
        output handshake drops out of its logic.
        """
        core = m.d[self._core]
        m.submodules.currents = currents = AsyncStream(
            self.currents.payload.shape(), depth=FIFO_DEPTH,
            w_domain=self._link, r_domain=self._core)
        m.submodules.updates = updates = AsyncStream(
            update_layout(self._config), depth=FIFO_DEPTH,
            w_domain=self._core, r_domain=self._link, back_pressure=False)
        wiring.connect(m, wiring.flipped(self.currents), currents.input)
        wiring.connect(m, updates.output, wiring.flipped(self.updates))
        m.d.comb += [updates.input.valid.eq(self.core.updates.valid),
                     updates.input.payload.eq(self.core.updates.payload),
                     self.core.updates.ready.eq(1)]

        handed = Signal.like(updates.read_count, name="currents_handed")   # mod 2 · depth
        allowed = Signal(init=1, name="current_allowed")     # a register: room for one more
        port = self.core.currents
        hand = port.valid & port.ready
        m.d.comb += [port.payload.eq(currents.output.payload),
                     port.valid.eq(currents.output.valid & allowed),
                     currents.output.ready.eq(port.ready & allowed)]
        with m.If(hand):
            core += handed.eq(handed + 1)
        # ``read_count`` is late, so the count errs towards "no room"; right after a
        # current is handed over ``handed`` is being updated, so wait a cycle.
        outstanding = (handed - updates.read_count)[:len(handed)]
        core += allowed.eq(~hand & (outstanding < FIFO_DEPTH))

    def _handshake(self, m, name):
        """A request toggle in the link's domain and its copy in the core's, and an
        acknowledge toggle the other way.  Returns (request, request_in_core,
        acknowledge, acknowledge_in_link)."""
        request = Signal(name=f"{name}_request")
        acknowledge = Signal(name=f"{name}_acknowledge")
        request_in_core = Signal(name=f"{name}_request_in_core")
        acknowledge_in_link = Signal(name=f"{name}_acknowledge_in_link")
        m.submodules[f"{name}_request_sync"] = FFSynchronizer(
            request, request_in_core, o_domain=self._core)
        m.submodules[f"{name}_acknowledge_sync"] = FFSynchronizer(
            acknowledge, acknowledge_in_link, o_domain=self._link)
        return request, request_in_core, acknowledge, acknowledge_in_link

    def _clear(self, m):
        request, request_in_core, acknowledge, acknowledge_in_link = self._handshake(m, "clear")
        link, core = m.d[self._link], m.d[self._core]
        with m.If(self.clear):
            link += request.eq(~request)
        m.d.comb += self.clearing.eq(self.clear | (request != acknowledge_in_link))
        # The core's side: a one-cycle clear per flip, from a register (the core's
        # ``clear`` reaches its input's ready and its hazard logic); acknowledged
        # once the core's ``clearing`` (high from ``clear`` on) has fallen again.
        seen = Signal(name="clear_seen")
        pulse = Signal(name="clear_pulse")
        core += [seen.eq(request_in_core), pulse.eq(request_in_core != seen)]
        m.d.comb += self.core.clear.eq(pulse)
        with m.If((request_in_core == seen) & ~pulse & ~self.core.clearing):
            core += acknowledge.eq(seen)

    def _parameter_write(self, m):
        request, request_in_core, acknowledge, acknowledge_in_link = self._handshake(m, "write")
        link, core = m.d[self._link], m.d[self._core]
        port, core_port = self.parameters, self.core.parameters
        held = Signal.like(port.payload, name="write_held")
        answered = Signal(name="write_answered")    # the acknowledge the link has taken
        rejected = Signal(name="write_rejected")
        m.d.comb += [port.ready.eq(request == answered), self.parameter_rejected.eq(rejected)]
        with m.If(port.valid & port.ready):
            link += [held.eq(port.payload), request.eq(~request)]
        with m.If(acknowledge_in_link != answered):
            # The core's verdict has been stable since before its acknowledge flipped.
            link += [answered.eq(acknowledge_in_link),
                     rejected.eq(self.core.parameter_rejected)]
        # The core's side: offer the held write once (``valid`` a register: it reaches
        # the core's input logic), then wait until the core's port is ready again (it
        # is low from the cycle after it takes a write until the write is applied or
        # ignored).
        offered = Signal(name="write_offered")      # the request last handed to the core
        offering = Signal(name="write_offering")
        applying = Signal(name="write_applying")
        m.d.comb += [core_port.valid.eq(offering), core_port.payload.eq(held)]
        with m.If(offering):
            with m.If(core_port.ready):
                core += [offering.eq(0), applying.eq(1)]
        with m.Elif(applying):
            with m.If(core_port.ready):
                core += [applying.eq(0), acknowledge.eq(offered)]
        with m.Elif(request_in_core != offered):
            core += [offering.eq(1), offered.eq(request_in_core)]
