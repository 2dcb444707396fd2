"""Payload layouts and stream signatures of the LIF core (SPEC §3)."""

from amaranth.hdl import Mux, signed, unsigned
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from lifq.spec import Register

__all__ = ["ParameterAddress", "neuron_index_shape", "round_robin_next", "wraps_by_itself",
           "update_layout",
           "parameter_write_layout", "parameter_values_layout", "current_signature",
           "update_signature", "parameter_signature", "core_port_members", "forward",
           "memory_port_members"]

#: Registers behind the parameter port: the addresses of :class:`lifq.spec.Register`.
ParameterAddress = Register


def neuron_index_shape(cfg):
    # One bit at least: Verilog has no zero-width ports.
    return unsigned(max(1, ceil_log2(cfg.neurons)))


def round_robin_next(cfg, index):
    """The neuron after ``index`` in round-robin order: 0 follows N − 1.

    For N a power of two (2 or more) the count wraps by itself: a carry chain
    without a compare and a select behind it."""
    if wraps_by_itself(cfg):
        return (index + 1)[:len(index)]
    return Mux(index == cfg.neurons - 1, 0, index + 1)


def wraps_by_itself(cfg):
    """Whether a counter over the N neurons wraps from N − 1 to 0 by overflow."""
    return cfg.neurons >= 2 and cfg.neurons & (cfg.neurons - 1) == 0


def update_layout(cfg):
    """Output payload: which neuron, its signed spike count k and new membrane v'."""
    return data.StructLayout({
        "neuron": neuron_index_shape(cfg),
        "spike_count": signed(cfg.k_width),
        "membrane": signed(cfg.width),
    })


def parameter_write_layout():
    """Parameter-port payload: a register address and its new value."""
    return data.StructLayout({
        "address": unsigned(2),
        "value": signed(32),
    })


def parameter_values_layout(cfg):
    """The run-time parameters as the core holds them: θ, d and b."""
    return data.StructLayout({
        "threshold": unsigned(cfg.width - 1),
        "decay": unsigned(cfg.decay_shift + 1),
        "bias": signed(cfg.input_width),
    })


def current_signature(cfg):
    """Input stream: one signed current per transfer, neurons served round-robin."""
    return stream.Signature(signed(cfg.input_width))


def update_signature(cfg):
    return stream.Signature(update_layout(cfg))


def parameter_signature():
    return stream.Signature(parameter_write_layout())


def core_port_members(cfg, *, in_flight=None):
    """The members of a LIF core's signature, as the core sees them: its streams, the
    clear, its status and (programmable) its parameter port.  ``in_flight``, a shape,
    adds the core's count of updates in flight (a wrapper that only relays the ports,
    such as the boards' clock-domain crossing, leaves it out)."""
    members = {
        "currents": In(current_signature(cfg)),
        "updates": Out(update_signature(cfg)),
        "clear": In(1),
        "clearing": Out(1),
        "next_neuron": Out(neuron_index_shape(cfg)),
    }
    if in_flight is not None:
        members["in_flight"] = Out(in_flight)
    if cfg.programmable:
        members["parameters"] = In(parameter_signature())
        members["parameter_values"] = Out(parameter_values_layout(cfg))
        members["parameter_rejected"] = Out(1)
    return members


def forward(m, outer, inner, names):
    """Connect members ``names`` of a wrapper's interface ``outer`` to the same members
    of ``inner``, a component inside it with the same signature for them."""
    for name in names:
        member = outer.signature.members[name]
        outside, inside = getattr(outer, name), getattr(inner, name)
        if member.is_signature:
            wiring.connect(m, wiring.flipped(outside), inside)
        elif member.flow == wiring.In:
            m.d.comb += inside.eq(outside)
        else:
            m.d.comb += outside.eq(inside)


def memory_port_members(shape, depth):
    """Members ``write`` and ``read`` of a component that is a memory of ``depth``
    words: Amaranth's own port signatures, so its users connect them like a
    ``lib.memory`` port."""
    address_width = max(1, ceil_log2(depth))
    return {"write": Out(memory.WritePort.Signature(addr_width=address_width, shape=shape)),
            "read": Out(memory.ReadPort.Signature(addr_width=address_width, shape=shape))}
