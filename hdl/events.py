"""Spike-event streams between layers (SPEC §6, hardware form).

One timestep of a layer's input is a burst of *events*, one per non-zero
value a[j], then an end-of-step *marker*::

    (index j, value a[j], end 0) … (any, any, end 1)

A step in which every value is zero is the marker alone.  The same payload
layout carries the network's inputs into the first layer and every layer's
spike counts into the next; only the widths differ, and an
:class:`EventFormat` holds them.  Events come in ascending index by
convention (the encoder and the simulation driver send them so); the
synapse unit does not depend on the order, since its sums are exact.
"""

import dataclasses

from amaranth.hdl import signed, unsigned
from amaranth.lib import data, stream
from amaranth.utils import ceil_log2

from lifq.spec import INPUT_RANGE, LIFConfig, NetworkConfig

__all__ = ["EventFormat", "signed_bits"]


def signed_bits(low, high):
    """Bits of the narrowest two's-complement shape holding ``low … high`` (2 at least)."""
    return max(2, *(((-value - 1) if value < 0 else value).bit_length() + 1
                    for value in (low, high)))


@dataclasses.dataclass(frozen=True)
class EventFormat:
    """What the events of one stream carry.

    Parameters
    ----------
    sources : int
        N_{ℓ−1}: the values a step may hold, so ``index`` < ``sources``.
    value_min, value_max : int
        The range of an event's value (zero included: the range of the
        source, of which only the non-zero values become events).

    Attributes
    ----------
    index_shape : Shape
        ``unsigned(max(1, ⌈log2 sources⌉))``, the neuron-index shape of the
        core that sends the events.
    value_bits : int
        Signed bits of ``value``.
    layout : StructLayout
        ``index``, ``value`` (signed), ``end`` (1 bit: the marker; on a
        marker beat ``index`` and ``value`` are ignored).
    """

    sources: int
    value_min: int
    value_max: int

    def __post_init__(self):
        for name in ("sources", "value_min", "value_max"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int, not {type(value).__name__}")
        if self.sources < 1:
            raise ValueError(f"sources = {self.sources} must be at least 1")
        if not self.value_min <= 0 <= self.value_max:
            raise ValueError(f"value range {self.value_min} … {self.value_max} must hold 0")

    @classmethod
    def network_inputs(cls, net):
        """The events of a network's inputs: N_0 sources, values in ``input_bits``."""
        if not isinstance(net, NetworkConfig):
            raise TypeError(f"net must be a NetworkConfig, not {type(net).__name__}")
        low, high = INPUT_RANGE.bounds(net)
        return cls(net.inputs, low, high)

    @classmethod
    def spikes(cls, neuron):
        """The events a layer of ``neuron`` sends: its non-zero spike counts k."""
        if not isinstance(neuron, LIFConfig):
            raise TypeError(f"neuron must be a LIFConfig, not {type(neuron).__name__}")
        return cls(neuron.neurons, -neuron.k_max if neuron.signed else 0, neuron.k_max)

    @property
    def index_shape(self):
        return unsigned(max(1, ceil_log2(self.sources)))

    @property
    def value_bits(self):
        return signed_bits(self.value_min, self.value_max)

    @property
    def layout(self):
        return data.StructLayout({
            "index": self.index_shape,
            "value": signed(self.value_bits),
            "end": unsigned(1),
        })

    def signature(self):
        """The stream signature of these events (``payload``, ``valid``, ``ready``)."""
        return stream.Signature(self.layout)

    @property
    def largest_magnitude(self):
        """max |value|."""
        return max(-self.value_min, self.value_max)
