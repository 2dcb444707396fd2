"""One layer of a network in hardware (SPEC §6): synapses → LIFCore → encoder.

::

    inputs ──► SynapseUnit ──► currents ──► LIFCore ──► updates ──► SpikeEncoder ──► events
    (j, a, end)  weights, biases  n = 0…N−1   unchanged,  (n, k, v')  k ≠ 0, then    (n, k, end)
                 accumulators     in order    constants               the marker
                 in block RAM                                         └──► updates (debug)

The neuron is today's :class:`~lifq.hdl.LIFCore`, not written again: the
synapse unit feeds it exactly the currents SPEC §6 defines (the saturated
sum, plus the bias), and the encoder reads its updates.
"""

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .core import LIFCore
from .encoder import SpikeEncoder
from .events import EventFormat
from .interfaces import forward, update_signature
from .synapses import SynapseUnit, check_layer

__all__ = ["Layer"]


class Layer(wiring.Component):
    """A layer of N_ℓ neurons: event stream in, event stream out.

    Per step: every input event (j, a) costs G = ⌈N_ℓ/P⌉ cycles (P
    synaptic operations per clock); at the marker the N_ℓ neurons are
    updated through the core's pipeline (one per clock) while the next step
    already accumulates; the non-zero spike counts leave as events, then the
    marker.

    Parameters
    ----------
    layer : lifq.spec.LayerConfig
        Weights, biases and neurons of the layer.
    source : EventFormat
        The events that come in: :meth:`EventFormat.network_inputs` for the
        first layer of a network, the previous layer's ``format`` otherwise.
    lanes : int
        P, synaptic operations per clock, 1 … N_ℓ.
    debug : bool
        Add the ``updates`` output: every (neuron, k, v') of the core.  It
        applies back-pressure; without it nothing waits for it.

    Attributes
    ----------
    inputs : In(source.signature())
        Input events (index, value, end).
    events : Out(format.signature())
        Output events: (n, k) for k ≠ 0 in neuron order, then the marker.
    updates : Out(update_signature(core_config))
        Only with ``debug``: every update (``neuron``, ``spike_count``,
        ``membrane``), N_ℓ per step.
    clear : In(1)
        For a cycle: drop the step under way and every event held, and set
        every membrane back to ``initial_membrane`` (N_ℓ cycles, once the
        updates in the core's pipeline have drained; they are dropped).  No
        input event is taken in that cycle.
    format : EventFormat
        What the output events carry (the next layer's ``source``).
    core_config : lifq.spec.LIFConfig
        The configuration of the core (not programmable; see
        :func:`lifq.hdl.synapses.core_config`).
    groups : int
        G, cycles per input event.
    """

    def __new__(cls, layer, source, *, lanes=1, debug=False):
        check_layer(layer, source, lanes)
        if not isinstance(debug, bool):
            raise TypeError(f"debug must be a bool, not {type(debug).__name__}")
        return super().__new__(cls, src_loc_at=1)

    def __init__(self, layer, source, *, lanes=1, debug=False):
        self._layer = layer
        self._source = source
        self._lanes = lanes
        self._debug = debug
        self._core_config = check_layer(layer, source, lanes)
        self._format = EventFormat.spikes(layer.neuron)
        members = {
            "inputs": In(source.signature()),
            "events": Out(self._format.signature()),
            "clear": In(1),
        }
        if debug:
            members["updates"] = Out(update_signature(self._core_config))
        super().__init__(members)
        # Built here, so that a simulation can look inside (``synapses.accumulating``).
        self.synapses = SynapseUnit(layer, source, lanes=lanes)
        self.core = LIFCore(self._core_config)
        self.encoder = SpikeEncoder(self._core_config, debug=debug)

    @property
    def layer(self):
        return self._layer

    @property
    def source(self):
        return self._source

    @property
    def lanes(self):
        return self._lanes

    @property
    def format(self):
        return self._format

    @property
    def core_config(self):
        return self._core_config

    @property
    def groups(self):
        return self.synapses.groups

    def elaborate(self, platform):
        m = Module()
        m.submodules.synapses = synapses = self.synapses
        m.submodules.core = core = self.core
        m.submodules.encoder = encoder = self.encoder
        wiring.connect(m, synapses.currents, core.currents)
        wiring.connect(m, core.updates, encoder.updates)
        m.d.comb += [
            synapses.clear.eq(self.clear),
            core.clear.eq(self.clear),
            encoder.clear.eq(self.clear),
            encoder.drop.eq(core.clearing),   # what the core drains after a clear
        ]
        wiring.connect(m, wiring.flipped(self.inputs), synapses.events)
        forward(m, self, encoder, ["events"])
        if self._debug:
            wiring.connect(m, encoder.debug_updates, wiring.flipped(self.updates))
        return m
