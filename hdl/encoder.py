"""The spike encoder of a layer: a core's updates become spike events (SPEC §6).

For every update (n, k, v') of the core with k ≠ 0 it sends the event
(index n, value k); after the update of neuron N − 1 it sends the
end-of-step marker.  Optionally it also passes every update on, unchanged,
as a debug stream (the membranes the host needs for the scores of §6, and
every (n, k, v') for verification).
"""

from amaranth.hdl import Module, Mux, ResetInserter, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from lifq.spec import LIFConfig

from .events import EventFormat
from .interfaces import update_signature

__all__ = ["SpikeEncoder"]


class SpikeEncoder(wiring.Component):
    """Turns the updates of a core into spike events and end-of-step markers.

    One update per clock is taken while the outputs are ready, except that
    an update of neuron N − 1 with k ≠ 0 gives two transfers (its event,
    then the marker), which costs one cycle per such step.  ``updates.ready``
    is a register (a skid slot in front), so the core's pipeline control
    does not wait for a path through the streams behind the encoder.

    Parameters
    ----------
    config : lifq.spec.LIFConfig
        The configuration of the core whose updates come in (only
        ``neurons``, ``width`` and the spike-count range matter).
    debug : bool
        Add the ``updates`` output, a copy of every update.  It applies
        back-pressure like any stream: whoever asks for it must take it.
        Without it nothing waits for a debug consumer.

    Attributes
    ----------
    updates : In(update_signature(config))
        ``neuron``, ``spike_count``, ``membrane`` from the core, neurons
        0 … N − 1 for every step.
    events : Out(EventFormat.spikes(config).signature())
        ``index`` = n, ``value`` = k for k ≠ 0; a marker (``end`` = 1) after
        neuron N − 1.
    debug_updates : Out(update_signature(config))
        Only with ``debug``: every update, in order.
    drop : In(1)
        While high, updates are taken and dropped (the core drains what it
        held when a clear came; those updates belong to no step).
    clear : In(1)
        For a cycle: forget what the outputs hold.
    format : EventFormat
        What the events carry.
    """

    def __new__(cls, config, *, debug=False):
        if not isinstance(config, LIFConfig):
            raise TypeError(f"config must be a lifq.spec.LIFConfig, not {type(config).__name__}")
        if not isinstance(debug, bool):
            raise TypeError(f"debug must be a bool, not {type(debug).__name__}")
        return super().__new__(cls, src_loc_at=1)

    def __init__(self, config, *, debug=False):
        self._config = config
        self._format = EventFormat.spikes(config)
        members = {
            "updates": In(update_signature(config)),
            "events": Out(self._format.signature()),
            "drop": In(1),
            "clear": In(1),
        }
        if debug:
            members["debug_updates"] = Out(update_signature(config))
        super().__init__(members)

    @property
    def format(self):
        return self._format

    @property
    def debug(self):
        return "debug_updates" in self.signature.members

    def elaborate(self, platform):
        m = Module()
        taken = Signal()                # the encoder takes the update it sees
        valid, payload = self._input_slot(m, taken)
        events = self.events
        last = payload.neuron == self._config.neurons - 1
        fires = payload.spike_count != 0
        marker_pending = Signal()       # the event of neuron N − 1 went out; its marker is next
        events_free = Signal()
        debug_free = Signal(init=1)
        take = Signal()
        m.d.comb += [
            events_free.eq(~events.valid | events.ready),
            taken.eq(valid & ((events_free & ~marker_pending & debug_free) | self.drop)),
            take.eq(taken & ~self.drop),
        ]
        with m.If(events_free):
            with m.If(marker_pending):
                m.d.sync += [events.valid.eq(1), events.payload.end.eq(1),
                             marker_pending.eq(0)]
            with m.Elif(take & (fires | last)):
                m.d.sync += [events.valid.eq(1), events.payload.index.eq(payload.neuron),
                             events.payload.value.eq(payload.spike_count),
                             events.payload.end.eq(~fires), marker_pending.eq(fires & last)]
            with m.Else():
                m.d.sync += events.valid.eq(0)
        if self.debug:
            debug = self.debug_updates
            m.d.comb += debug_free.eq(~debug.valid | debug.ready)
            with m.If(debug_free):
                m.d.sync += [debug.valid.eq(take), debug.payload.eq(payload)]
        return ResetInserter(self.clear)(m)

    def _input_slot(self, m, taken):
        """A skid slot in front of the encoder: ``updates.ready`` is a register.

        The core's whole pipeline moves on ``updates.ready``; taken from a
        register, it no longer depends on the ready of the outputs (a long
        path through every stream behind).  An update the encoder cannot
        take at once waits in the slot, and ``ready`` is low while it does.
        Returns the update the encoder sees: ``(valid, payload)``.
        """
        update = self.updates
        held = Signal()
        slot = Signal.like(update.payload, name="slot")
        m.d.comb += update.ready.eq(~held)
        with m.If(held):
            with m.If(taken):
                m.d.sync += held.eq(0)
        with m.Elif(update.valid & ~taken):
            m.d.sync += [held.eq(1), slot.eq(update.payload)]
        valid = held | update.valid
        payload = Signal.like(update.payload, name="seen")
        m.d.comb += payload.eq(Mux(held, slot.as_value(), update.payload.as_value()))
        return valid, payload
