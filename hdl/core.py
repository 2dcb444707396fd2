"""The pipelined, time-multiplexed LIF neuron core (SPEC §1 and §3)."""

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from golden import LIFConfig

from . import datapath
from .interfaces import (ParameterAddress, current_signature, neuron_index_shape,
                         parameter_signature, round_robin_next, update_signature)

__all__ = ["LIFCore"]


class LIFCore(wiring.Component):
    """N leaky integrate-and-fire neurons sharing one pipelined datapath.

    Neurons are served round-robin: the n-th input transfer of a timestep is
    the current of neuron n, and exactly one output transfer per input
    transfer follows, in order.  Membranes live in a memory (block RAM on
    FPGAs) that is cleared to zero after reset.  An update whose neuron is
    still in the pipeline waits until its previous update is written back, so
    the core is exact for every N; from ``N ≥ full_rate_neurons`` on it never
    waits and, with the output ready, takes one update per clock.

    Parameters
    ----------
    config : golden.LIFConfig
        Parameters of the core; with ``programmable`` the threshold, decay and
        bias are registers reset to these values, otherwise constants.

    Attributes
    ----------
    currents : In(stream.Signature(signed(input_width)))
        Input currents.
    updates : Out(stream.Signature(update_layout))
        ``neuron``, ``spike_count`` (k) and ``membrane`` (v') of each update.
    parameters : In(stream.Signature(parameter_write_layout))
        Only when programmable: writes ``value`` to the register at
        ``address`` (:class:`ParameterAddress`).  A write applies to every
        current taken after the cycle that takes the write: it waits for the
        pipeline to drain and holds off new currents meanwhile, so every
        update sees either the old or the new values.  Values outside the
        ranges of SPEC §1 are taken and ignored.
    latency : int
        Cycles from an input transfer to its output being valid.
    full_rate_neurons : int
        Smallest N at which the core sustains one update per clock.
    """

    def __init__(self, config):
        if not isinstance(config, LIFConfig):
            self._MustUse__silence = True  # never elaborated, and that is no mistake
            raise TypeError(f"config must be a golden.LIFConfig, not {type(config).__name__}")
        self._config = config
        self._stages = datapath.stages(config)
        members = {
            "currents": In(current_signature(config)),
            "updates": Out(update_signature(config)),
        }
        if config.programmable:
            members["parameters"] = In(parameter_signature())
        super().__init__(members)

    @property
    def config(self):
        return self._config

    @property
    def full_rate_neurons(self):
        return datapath.full_rate_neurons(self._config)

    @property
    def latency(self):
        return datapath.latency(self._config)

    def elaborate(self, platform):
        m = Module()
        cfg = self._config
        m.submodules.membranes = membranes = memory.Memory(
            # Depth 2 at least: a one-word memory would have a zero-width address.
            shape=signed(cfg.width), depth=max(2, cfg.neurons), init=[])
        write = membranes.write_port()
        # Not transparent: a bypass around block RAM would cost logic that grows
        # with N and a slow path; the hazard check counts the write-back cycle.
        read = membranes.read_port()

        params = self._parameter_registers(m)
        advance = Signal()  # the whole pipeline moves when the output can take an update
        m.d.comb += advance.eq(~self.updates.valid | self.updates.ready)

        accept, first = self._input_stage(m, params, read, advance)
        valids, last = self._pipeline(m, params, advance, accept, first)
        clearing = self._write_back(m, advance, valids[-1], last, write)
        self._hazard_and_ready(m, params, advance, valids, clearing)
        return m

    def _parameter_registers(self, m):
        cfg = self._config
        if not cfg.programmable:
            return datapath.Parameters(Const(-cfg.threshold, signed(cfg.width)),
                                       Const(cfg.decay, unsigned(cfg.decay_shift + 1)),
                                       Const(cfg.bias, signed(cfg.input_width)))
        params = datapath.Parameters(
            Signal(signed(cfg.width), init=-cfg.threshold, name="negative_threshold"),
            Signal(unsigned(cfg.decay_shift + 1), init=cfg.decay, name="decay"),
            Signal(signed(cfg.input_width), init=cfg.bias, name="bias"))
        return params

    def _parameter_port(self, m, params, valids):
        """Apply parameter writes between updates; returns the ``pending`` flag.

        A write is taken into a holding register, its range is checked in the
        next cycle, and it is applied once the pipeline is empty; meanwhile
        no new current is taken.
        """
        cfg = self._config
        write = self.parameters
        address = Signal(unsigned(2), name="pending_address")
        value = Signal(signed(32), name="pending_value")
        pending = Signal()   # a write is held and waits for the pipeline to drain
        checked = Signal()   # its range check has been registered
        m.d.comb += write.ready.eq(~pending)
        with m.If(write.valid & ~pending):
            m.d.sync += [address.eq(write.payload.address), value.eq(write.payload.value),
                         pending.eq(1)]
        # The ranges of SPEC §1 as bit patterns, which map to small gate trees
        # where 32-bit comparisons would need carry chains.
        sign_extension = value[cfg.input_width - 1:]
        targets = {
            # 1 … 2^(W−1) − 1, stored negated
            ParameterAddress.THRESHOLD: (params.negative_threshold, -value,
                                         ~value[cfg.width - 1:].any()
                                         & value[:cfg.width - 1].any()),
            # 0 … 2^F
            ParameterAddress.DECAY: (params.decay, value, ~value[cfg.decay_shift + 1:].any()
                                     & ~(value[cfg.decay_shift] & value[:cfg.decay_shift].any())),
            # fits input_width
            ParameterAddress.BIAS: (params.bias, value,
                                    sign_extension.all() | ~sign_extension.any()),
        }
        # Registered decisions keep the enables of the parameter registers one
        # gate deep.  ``drained`` lags the pipeline by a cycle, which is safe:
        # no current enters while a write is pending, and ``checked`` comes a
        # cycle after a current that entered together with the write.
        drained = Signal()
        m.d.sync += [checked.eq(pending), drained.eq(~Cat(*valids).any())]
        accepted = {target: Signal(name=f"write_{target.name.lower()}") for target in targets}
        m.d.sync += [accepted[target].eq((address == target) & fits)
                     for target, (_, _, fits) in targets.items()]
        with m.If(checked & drained):
            m.d.sync += [pending.eq(0), checked.eq(0)]
            for target, (register, new_value, _) in targets.items():
                with m.If(accepted[target]):
                    m.d.sync += register.eq(new_value)
        return pending

    def _write_back(self, m, advance, last_valid, result, write):
        """Write each new membrane back and load the output register.

        One round-robin counter names the neuron of the next write: updates
        leave in the order they came, so no pipeline stage carries an index.
        After reset the same counter first walks the memory writing v = 0.
        Returns the ``clearing`` flag.
        """
        cfg = self._config
        clearing = Signal(init=1)
        neuron = Signal(neuron_index_shape(cfg), name="write_neuron")
        writing = Signal()
        m.d.comb += [writing.eq(clearing | (advance & last_valid)),
                     write.addr.eq(neuron), write.en.eq(writing),
                     write.data.eq(Mux(clearing, 0, result["membrane"]))]
        with m.If(writing):
            m.d.sync += neuron.eq(round_robin_next(cfg, neuron))
            with m.If(neuron == cfg.neurons - 1):
                m.d.sync += clearing.eq(0)
        payload = self.updates.payload
        with m.If(advance):
            m.d.sync += [self.updates.valid.eq(last_valid), payload.neuron.eq(neuron),
                         payload.spike_count.eq(result["spike_count"]),
                         payload.membrane.eq(result["membrane"])]
        return clearing

    def _input_stage(self, m, params, read, advance):
        """Accept a current, read its neuron's membrane; returns (accept, fields)."""
        cfg = self._config
        accept = Signal()
        m.d.comb += accept.eq(self.currents.valid & self.currents.ready)
        neuron = Signal(neuron_index_shape(cfg))  # round-robin: the neuron of the next input
        with m.If(accept):
            m.d.sync += neuron.eq(round_robin_next(cfg, neuron))
        m.d.comb += [read.addr.eq(neuron), read.en.eq(advance)]
        drive = Signal(signed(cfg.input_width + 1), name="read_drive")  # i + b
        with m.If(advance):
            m.d.sync += drive.eq(self.currents.payload + params.bias)
        return accept, {"drive": drive, "v": read.data}

    def _pipeline(self, m, params, advance, accept, fields):
        """Register each stage's result; returns (valid bits, last fields)."""
        valids = [Signal(name="read_valid")]
        with m.If(advance):
            m.d.sync += valids[0].eq(accept)
        for name, stage in self._stages:
            result = stage(fields, params)
            fields = {key: Signal(value.shape(), name=f"{name}_{key}")
                      for key, value in result.items()}
            valid = Signal(name=f"{name}_valid")
            with m.If(advance):
                m.d.sync += valid.eq(valids[-1])
                m.d.sync += [fields[key].eq(value) for key, value in result.items()]
            valids.append(valid)
        return valids, fields

    def _hazard_and_ready(self, m, params, advance, valids, clearing):
        """Input ready unless an earlier update of the same neuron is in flight.

        Neurons arrive round-robin, so the previous update of the next neuron
        is the N-th most recent one.  It is in flight while it sits in any
        pipeline register, the last one included: a membrane written at this
        edge is read correctly only from the next edge on.
        """
        cfg = self._config
        hazard = Const(0)
        if len(valids) >= cfg.neurons:
            hazard = sum(valids) >= cfg.neurons
        blocked = clearing | hazard
        if cfg.programmable:
            blocked = blocked | self._parameter_port(m, params, valids)
        m.d.comb += self.currents.ready.eq(advance & ~blocked)
