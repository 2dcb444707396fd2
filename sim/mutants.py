"""Deliberately broken cores, to show that the testbench catches what it must.

:class:`OutputMutant` wraps a :class:`lifq.hdl.LIFCore` and breaks exactly
one output transfer, the way a real bug would show at the core's ports: a
flipped payload bit, a transfer that never arrives, or one that arrives
twice.  The wrapper has the core's own signature, so every runner and
testbench takes it in the core's place.
"""

from amaranth.hdl import Module, Mux, Signal, Value
from amaranth.lib import wiring

from lifq.hdl import LIFCore
from lifq.hdl.interfaces import forward, update_layout

from .mutation import Mutation

__all__ = ["Mutation", "OutputMutant"]

class OutputMutant(wiring.Component):
    """A LIF core whose output breaks one transfer as ``mutation`` says.

    Parameters
    ----------
    config : lifq.spec.LIFConfig
    mutation : Mutation

    Attributes
    ----------
    The ports of :class:`lifq.hdl.LIFCore` for ``config``.
    """

    def __init__(self, config, mutation):
        self._core = LIFCore(config)
        field = update_layout(config)[mutation.field]
        if not 0 <= mutation.bit < field.width:
            raise ValueError(f"mutation bit {mutation.bit} outside field {mutation.field} "
                             f"({field.width} bits)")
        self._mutation = mutation
        self._mask = 1 << (field.offset + mutation.bit) if mutation.kind == "flip" else 0
        super().__init__(self._core.signature)

    def elaborate(self, platform):
        m = Module()
        m.submodules.core = core = self._core
        forward(m, self, core, [name for name in self.signature.members if name != "updates"])
        inner, outer = core.updates, self.updates
        transfers = Signal(32)
        repeat = Signal()
        repeat_payload = Signal.like(Value.cast(inner.payload))
        hit = transfers == self._mutation.transfer
        take = inner.valid & inner.ready
        kind = self._mutation.kind
        m.d.comb += inner.ready.eq(outer.ready & ~repeat)
        with m.If(take):
            m.d.sync += transfers.eq(transfers + 1)
        if kind == "duplicate":
            with m.If(take & hit):
                m.d.sync += [repeat.eq(1), repeat_payload.eq(inner.payload)]
            with m.Elif(repeat & outer.ready):
                m.d.sync += repeat.eq(0)
        payload = Value.cast(inner.payload) ^ Mux(hit, self._mask, 0)
        m.d.comb += [outer.payload.eq(Mux(repeat, repeat_payload, payload)),
                     outer.valid.eq(repeat | (inner.valid & ~(hit if kind == "drop" else 0)))]
        return m

