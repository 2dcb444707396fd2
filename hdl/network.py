"""A network in hardware (SPEC §6): layers chained by their event streams.

::

    inputs ──► Layer 0 ──► FIFO ──► Layer 1 ──► FIFO ──► … ──► Layer L−1 ──► events
                 └► updates_0         └► updates_1                  └► updates

Every layer works on its own step: layer ℓ accumulates step t while layer
ℓ + 1 accumulates what ℓ already sent of step t − 1 or t and fires the step
before; the FIFOs between them absorb the bursts.  Back-pressure anywhere
only slows the chain down, and no layer waits for a later one except
through its output FIFO, so the chain never deadlocks as long as the host
takes every output stream it asked for: ``events``, ``updates`` (unless
built without) and, with ``debug``, the ``updates_ℓ``.
"""

from amaranth.hdl import Module, ResetInserter
from amaranth.lib import fifo, wiring
from amaranth.lib.wiring import In, Out

from lifq.spec import NetworkConfig

from .events import EventFormat
from .interfaces import update_signature
from .layer import Layer
from .synapses import check_layer

__all__ = ["Network"]


def _lanes_per_layer(net, lanes):
    if isinstance(lanes, bool):
        raise TypeError("lanes must be an int or a list of ints, not bool")
    if isinstance(lanes, int):
        if lanes < 1:
            raise ValueError(f"lanes = {lanes} must be at least 1")
        return [min(lanes, layer.neurons) for layer in net.layers]
    if not isinstance(lanes, (list, tuple)) or len(lanes) != len(net.layers):
        raise ValueError(f"lanes must be an int or a list of {len(net.layers)} ints (one per "
                         f"layer), not {lanes!r}")
    return list(lanes)


class Network(wiring.Component):
    """The layers of a §6 network chained through FIFOs.

    Parameters
    ----------
    net : lifq.spec.NetworkConfig
    lanes : int or list of int
        P of every layer: an int applies to each layer (at most N_ℓ lanes
        each); a list gives one per layer.
    fifo_depth : int or None
        Events each FIFO between two layers holds, at least 1; ``None``
        (default) is N_ℓ + 1 for the FIFO after layer ℓ: a whole step.
    debug : bool
        Also expose the updates of every hidden layer (``updates_0`` …
        ``updates_{L−2}``), for verification.  They apply back-pressure.
    updates : bool
        Expose the output layer's updates (default).  Without them only
        ``events`` leave the network, and nothing else needs taking.

    Attributes
    ----------
    inputs : In(EventFormat.network_inputs(net).signature())
        The network's inputs as events: per step the non-zero x[j] as
        (j, x[j]), then the marker.
    events : Out(stream)
        The output layer's spike events (n, k) and markers.
    updates : Out(update_signature)
        Only with ``updates``: every (neuron, k, v') of the output layer,
        N_L per step; the host forms the scores of §6 from them (θ·Σk + the
        last v').  It applies back-pressure: a host that has no use for it
        builds the network without it (or holds its ``ready`` high).
    updates_ℓ : Out(update_signature)
        Only with ``debug``: the updates of hidden layer ℓ.
    clear : In(1)
        For a cycle: every layer drops what it holds, every FIFO empties,
        every membrane returns to its ``initial_membrane``.  Meant between
        samples, once the host has taken the last step's outputs; no input
        is taken in that cycle.
    layers : list of Layer
        The layers, for simulation (``layers[ℓ].synapses.accumulating``).
    lanes : list of int
        P of every layer.
    """

    def __new__(cls, net, *, lanes=1, fifo_depth=None, debug=False, updates=True):
        cls._check(net, lanes, fifo_depth, debug, updates)
        return super().__new__(cls, src_loc_at=1)

    @staticmethod
    def _check(net, lanes, fifo_depth, debug, updates):
        if not isinstance(net, NetworkConfig):
            raise TypeError(f"net must be a lifq.spec.NetworkConfig, not {type(net).__name__}")
        source = EventFormat.network_inputs(net)
        for number, (layer, count) in enumerate(zip(net.layers, _lanes_per_layer(net, lanes))):
            try:
                check_layer(layer, source, count)
            except (TypeError, ValueError) as error:
                raise type(error)(f"layers[{number}]: {error}") from None
            source = EventFormat.spikes(layer.neuron)
        if fifo_depth is not None and (isinstance(fifo_depth, bool)
                                       or not isinstance(fifo_depth, int) or fifo_depth < 1):
            raise ValueError(f"fifo_depth = {fifo_depth!r} must be None or an int of at least 1")
        for name, value in (("debug", debug), ("updates", updates)):
            if not isinstance(value, bool):
                raise TypeError(f"{name} must be a bool, not {type(value).__name__}")

    def __init__(self, net, *, lanes=1, fifo_depth=None, debug=False, updates=True):
        self._net = net
        self._lanes = _lanes_per_layer(net, lanes)
        self._fifo_depth = fifo_depth
        count = len(net.layers)
        self.layers = []
        source = EventFormat.network_inputs(net)
        for number, (layer, lanes_here) in enumerate(zip(net.layers, self._lanes)):
            output = number == count - 1
            self.layers.append(Layer(layer, source, lanes=lanes_here,
                                     debug=updates if output else debug))
            source = self.layers[-1].format
        members = {
            "inputs": In(EventFormat.network_inputs(net).signature()),
            "events": Out(self.layers[-1].format.signature()),
            "clear": In(1),
        }
        if updates:
            members["updates"] = Out(update_signature(self.layers[-1].core_config))
        if debug:
            for number, layer in enumerate(self.layers[:-1]):
                members[f"updates_{number}"] = Out(update_signature(layer.core_config))
        super().__init__(members)

    @property
    def net(self):
        return self._net

    @property
    def lanes(self):
        return list(self._lanes)

    def fifo_depths(self):
        """Depth of the FIFO after each layer but the last."""
        return [self._fifo_depth or layer.neurons + 1 for layer in self._net.layers[:-1]]

    def layer_updates(self, number):
        """The updates stream of layer ``number``: ``updates`` for the output layer,
        ``updates_ℓ`` for a hidden one (only with ``debug``)."""
        if number == len(self.layers) - 1:
            return self.updates
        return getattr(self, f"updates_{number}")

    def elaborate(self, platform):
        m = Module()
        layers = self.layers
        for number, layer in enumerate(layers):
            m.submodules[f"layer_{number}"] = layer
            m.d.comb += layer.clear.eq(self.clear)
            if layer is not layers[-1] and f"updates_{number}" in self.signature.members:
                wiring.connect(m, layer.updates, wiring.flipped(self.layer_updates(number)))
        wiring.connect(m, wiring.flipped(self.inputs), layers[0].inputs)
        for number, depth in enumerate(self.fifo_depths()):
            self._chain(m, number, layers[number], layers[number + 1], depth)
        wiring.connect(m, layers[-1].events, wiring.flipped(self.events))
        if "updates" in self.signature.members:
            wiring.connect(m, layers[-1].updates, wiring.flipped(self.updates))
        return m

    def _chain(self, m, number, sender, receiver, depth):
        """sender.events → a FIFO (emptied by a clear) → receiver.inputs."""
        queue = fifo.SyncFIFOBuffered(width=sender.format.layout.size, depth=depth)
        m.submodules[f"fifo_{number}"] = ResetInserter(self.clear)(queue)
        m.d.comb += [
            queue.w_data.eq(sender.events.payload),
            queue.w_en.eq(sender.events.valid),
            sender.events.ready.eq(queue.w_rdy),
            receiver.inputs.payload.eq(queue.r_data),
            receiver.inputs.valid.eq(queue.r_rdy),
            queue.r_en.eq(receiver.inputs.ready),
        ]
