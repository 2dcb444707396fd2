"""The pipelined, time-multiplexed LIF neuron core (SPEC §1 and §3)."""

from amaranth.asserts import Initial  # its Amaranth 0.5 home (not amaranth.hdl)
from amaranth.hdl import Assert, Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from lifq.spec import NEURON_RANGES, LIFConfig, Register

from . import datapath, ecp5
from .interfaces import (current_signature, neuron_index_shape, parameter_signature,
                         parameter_values_layout, round_robin_next, update_signature)
from .ranges import in_range, registered_reduce

__all__ = ["LIFCore", "MUTATIONS"]

#: Deliberately wrong cores, for showing that the verification catches them.
MUTATIONS = {
    "divide_gt": "every divide step compares |u| > θ·2^j instead of |u| ≥ θ·2^j",
    "ready_ignores_stall": "currents.ready ignores a stalled output (takes currents it drops)",
}


class LIFCore(wiring.Component):
    """N leaky integrate-and-fire neurons sharing one pipelined datapath.

    Neurons are served round-robin: the n-th input transfer of a timestep is
    the current of neuron n, and exactly one output transfer per input
    transfer follows, in order.  Membranes live in a memory (block RAM on
    FPGAs) that is set to ``initial_membrane`` after reset and on a clear.
    An update whose neuron is still in the pipeline waits until its previous
    update is written back, so the core is exact for every N; from
    ``N ≥ full_rate_neurons`` on it never waits and, with the output ready,
    takes one update per clock.

    Elaborated for the platform ``"formal"``, the core also asserts its own
    invariants (the counters agree with the round-robin order, nothing in
    flight is lost, and — while :attr:`theorem_1_premise` holds — the bound
    |v| ≤ θ − 1 of Theorem 1 in every memory word and pipeline register).

    Parameters
    ----------
    config : lifq.spec.LIFConfig
        Parameters of the core; with ``programmable`` the threshold, decay and
        bias are registers reset to these values, otherwise constants.
    mutation : str, optional
        A key of :data:`MUTATIONS`: a deliberately wrong core, for showing
        that the verification catches it.  Never use it otherwise.

    Attributes
    ----------
    currents : In(stream.Signature(signed(input_width)))
        Input currents.
    updates : Out(stream.Signature(update_layout))
        ``neuron``, ``spike_count`` (k) and ``membrane`` (v') of each update.
    clear : In(1)
        Held high for a cycle (or more): once every update already taken has
        left the core, set every membrane to ``initial_membrane`` (N cycles)
        and start again at neuron 0.  No current is taken meanwhile; the
        parameters keep their values.
    clearing : Out(1)
        A clear (or the one after reset) is asked for, waiting or under way;
        no current is taken meanwhile.
    next_neuron : Out(neuron_index_shape)
        The neuron the next current belongs to.
    in_flight : Out(range(latency + 1))
        Updates taken and not yet delivered (the output register included).
    parameters : In(stream.Signature(parameter_write_layout))
        Only when programmable: writes ``value`` to the register at
        ``address`` (:class:`lifq.spec.Register`).  A write applies to every
        current taken after the cycle that takes the write: it waits for the
        pipeline to drain and holds off new currents meanwhile, so every
        update sees either the old or the new values.  Values outside the
        ranges of SPEC §1 are taken and ignored (see ``parameter_rejected``).
    parameter_values : Out(parameter_values_layout)
        Only when programmable: θ, d and b as the core holds them.
    parameter_rejected : Out(1)
        Only when programmable: the last write that was taken was out of
        range (or to no register) and changed nothing.  Valid once
        ``parameters.ready`` is high again after the write.
    theorem_1_premise : Signal
        Formal verification only (driven when elaborated for ``"formal"``):
        high while the premise of Theorem 1 has held since reset — reset to
        mod, signed, |v0| < θ, every current taken with |i + b| ≤ (2^q − 1)·θ
        and θ never lowered.
    latency : int
        Cycles from an input transfer to its output being valid.
    full_rate_neurons : int
        Smallest N at which the core sustains one update per clock.
    """

    def __new__(cls, config, *, mutation=None):
        # Check before the object exists: a rejected config leaves no unused
        # elaboratable behind (and no warning about one).
        if not isinstance(config, LIFConfig):
            raise TypeError(f"config must be a lifq.spec.LIFConfig, not "
                            f"{type(config).__name__}")
        if mutation is not None and mutation not in MUTATIONS:
            raise ValueError(f"mutation = {mutation!r} is unknown: allowed "
                             + ", ".join(sorted(MUTATIONS)))
        return super().__new__(cls, src_loc_at=1)

    def __init__(self, config, *, mutation=None):
        self._config = config
        self._mutation = mutation
        self._stages = datapath.stages(config, strict_divide=mutation == "divide_gt")
        members = {
            "currents": In(current_signature(config)),
            "updates": Out(update_signature(config)),
            "clear": In(1),
            "clearing": Out(1),
            "next_neuron": Out(neuron_index_shape(config)),
            "in_flight": Out(range(self.latency + 1)),
        }
        if config.programmable:
            members["parameters"] = In(parameter_signature())
            members["parameter_values"] = Out(parameter_values_layout(config))
            members["parameter_rejected"] = Out(1)
        super().__init__(members)
        self.theorem_1_premise = Signal(init=int(
            config.reset == "mod" and config.signed
            and abs(config.initial_membrane) < config.threshold))

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
        membranes, write, read, hard = self._membranes(m, platform)

        params, writes = self._parameters(m)
        advance = Signal()  # the whole pipeline moves when the output can take an update
        m.d.comb += advance.eq(~self.updates.valid | self.updates.ready)

        accept, first = self._input_stage(m, params, read, advance)
        registers, stage_params = self._pipeline(m, params, advance, accept, first, hard)
        valids = [valid for _, valid, _ in registers]
        m.d.comb += self.in_flight.eq(sum(valids) + self.updates.valid)
        restart, clear_requested, empty = self._clear(m, valids, advance, accept)
        clearing, write_neuron = self._write_back(m, advance, valids[-1], registers[-1][2],
                                                  write, restart)
        m.d.comb += self.clearing.eq(clearing | clear_requested | self.clear)
        blocked = self.clearing
        held = None   # the parameter write waiting to be applied: (pending, address, value)
        applying = Const(0)
        if cfg.programmable:
            held, applying = self._parameter_port(m, params, valids, writes)
            blocked = blocked | held[0]
        self._hazard_and_ready(m, advance, valids, blocked)
        if platform == "formal":
            self._invariants(m, params, stage_params, clearing, write_neuron, valids, empty,
                             applying)
            if cfg.reset == "mod" and cfg.signed:   # otherwise the premise is never true
                self._theorem_1(m, params, accept, held, registers, membranes, read)
        return m

    # -- hard blocks --------------------------------------------------------------------

    def _membranes(self, m, platform):
        """The membrane memory and the pipeline registers that hard blocks hold.

        Returns the memory (None when a primitive holds it), its write and read
        ports, and ``{stage: function(entry, params, advance) -> fields}``: the
        fields of that stage's register that a hard block holds (its function
        wires the block).  Generic Amaranth everywhere except on ECP5, where
        Yosys would leave the block RAM's output register and the multiplier's
        registers unused (see :mod:`lifq.hdl.ecp5`); the registers stand where
        the generic design has them, so nothing else changes.
        """
        cfg = self._config
        hard = {}
        on_ecp5 = ecp5.uses_ecp5(platform)
        if on_ecp5 and ecp5.memory_fits(cfg.neurons):
            m.submodules.membranes = ram = ecp5.BlockRAM(signed(cfg.width), cfg.neurons)
            # The read port's data comes out of the block RAM's output register.
            hard["membrane_read"] = lambda entry, params, advance: {"v": entry["v"]}
            membranes, write, read = None, ram.write, ram.read
        else:
            m.submodules.membranes = membranes = memory.Memory(
                # Depth 2 at least: a one-word memory would have a zero-width address.
                shape=signed(cfg.width), depth=max(2, cfg.neurons), init=[])
            write = membranes.write_port()
            # Not transparent: a bypass around block RAM would cost logic that grows
            # with N and a slow path; the hazard check counts the write-back cycle.
            read = membranes.read_port()
        decay_shape = unsigned(cfg.decay_shift + 1)
        if (on_ecp5 and any(name == "leak_multiply" for name, _ in self._stages)
                and ecp5.multiplier_fits(signed(cfg.width), decay_shape)):
            m.submodules.leak_multiplier = multiplier = ecp5.RegisteredMultiplier(
                signed(cfg.width), decay_shape)

            def operands(entry, params, advance):
                # The decay enters the multiplier's B register a stage earlier than
                # the generic product reads it: it changes only with the pipeline
                # empty, so every update sees the same value either way.
                m.d.comb += [multiplier.a.eq(entry["v"]), multiplier.b.eq(params.decay),
                             multiplier.enable.eq(advance)]
                return {"v": entry["v"]}   # its register is the multiplier's; unused after

            hard["leak_operands"] = operands
            hard["leak_multiply"] = lambda entry, params, advance: {
                "product": multiplier.product}
        return membranes, write, read, hard

    # -- parameters ---------------------------------------------------------------------

    def _parameters(self, m):
        """The parameters the stages read, and the registers a write may change."""
        cfg = self._config
        if not cfg.programmable:
            return datapath.Parameters(Const(-cfg.threshold, signed(cfg.width)),
                                       Const(cfg.decay, unsigned(cfg.decay_shift + 1)),
                                       Const(cfg.bias, signed(cfg.input_width))), {}
        params = datapath.Parameters(
            Signal(signed(cfg.width), init=-cfg.threshold, name="negative_threshold"),
            Signal(unsigned(cfg.decay_shift + 1), init=cfg.decay, name="decay"),
            Signal(signed(cfg.input_width), init=cfg.bias, name="bias"))
        values = self.parameter_values
        # θ in a register of its own: read back as −(−θ), a negation's carry chain
        # sat in front of the board link's reply multiplexers.
        threshold = Signal.like(values.threshold, init=cfg.threshold, name="threshold")
        m.d.comb += [values.threshold.eq(threshold), values.decay.eq(params.decay),
                     values.bias.eq(params.bias)]
        # register → what a write changes there: (signal, the value it stores), …
        writes = {Register.THRESHOLD: [(params.negative_threshold, lambda value: -value),
                                       (threshold, lambda value: value)],
                  Register.DECAY: [(params.decay, lambda value: value)],
                  Register.BIAS: [(params.bias, lambda value: value)]}
        return params, writes

    def _stage_parameters(self, m, params, name, idle):
        """The parameters pipeline stage ``name`` reads; ``idle`` is high while the
        register in front of it holds no update.

        Each divide step reads −θ from a copy of its own, without a reset, that
        powers up as zero.  Its own: one register bit feeding the adders of
        every step was, on ECP5, a fan-out whose routing sat in front of every
        divide chain.  (Each copy loads while its step's input is idle, so the
        copies differ in their enables and Yosys does not merge them back.)
        Without a reset: a register that powers up with ones (−θ does) is, on
        iCE40, a flip-flop between two inverting LUTs, and the LUT after it
        sat in front of every divide step's carry chain.  A copy follows the
        register a cycle later, which no update sees: a write applies with the
        pipeline empty and blocks the current of that cycle, so every copy
        loads the new value before an update reaches it; after a reset
        nothing is in flight.
        """
        if not (self._config.programmable and name.startswith("divide_")):
            return params
        copy = Signal.like(params.negative_threshold, name=f"{name}_threshold",
                           reset_less=True, init=0)
        with m.If(idle):
            m.d.sync += copy.eq(params.negative_threshold)
        return datapath.Parameters(copy, params.decay, params.bias)

    def _parameter_port(self, m, params, valids, writes):
        """Apply parameter writes between updates.

        A write is taken into a holding register, its range is checked in the
        next two cycles (groups of bits, then their combination: a 32-bit
        check in one cycle was three LUTs and their routing deep), and it is
        applied once the pipeline is empty; meanwhile no new current is taken.
        Returns the held write, ``(pending, address, value)``, and the cycle
        it is applied.
        """
        cfg = self._config
        port = self.parameters
        address = Signal(unsigned(2), name="pending_address")
        value = Signal(signed(32), name="pending_value")
        pending = Signal()   # a write is held and waits for the pipeline to drain
        checking = Signal()  # the groups of its range check have been registered
        checked = Signal()   # its range check has been registered
        m.d.comb += port.ready.eq(~pending)
        with m.If(port.valid & ~pending):
            m.d.sync += [address.eq(port.payload.address), value.eq(port.payload.value),
                         pending.eq(1)]
        # Registered decisions keep the enables of the parameter registers one
        # gate deep.  ``drained`` lags the pipeline by a cycle, which is safe:
        # no current enters while a write is pending, and ``checked`` comes a
        # cycle after a current that entered together with the write.
        drained = Signal()
        m.d.sync += [checking.eq(pending), checked.eq(checking),
                     drained.eq(~Cat(*valids).any())]
        accepted = {}
        for register in writes:
            accepted[register] = Signal(name=f"write_{register.parameter}")
            low, high = NEURON_RANGES[register.parameter].bounds(cfg)
            reduce = registered_reduce(m, f"check_{register.parameter}")
            m.d.sync += accepted[register].eq((address == register)
                                              & in_range(value, low, high, reduce))
        apply = checked & drained
        with m.If(apply):
            m.d.sync += [pending.eq(0), checking.eq(0), checked.eq(0),
                         self.parameter_rejected.eq(~Cat(*accepted.values()).any())]
            for register, targets in writes.items():
                with m.If(accepted[register]):
                    m.d.sync += [target.eq(stored(value)) for target, stored in targets]
        return (pending, address, value), apply

    # -- the update path ----------------------------------------------------------------

    def _input_stage(self, m, params, read, advance):
        """Accept a current, read its neuron's membrane; returns (accept, fields)."""
        cfg = self._config
        accept = Signal()
        m.d.comb += accept.eq(self.currents.valid & self.currents.ready)
        neuron = self.next_neuron   # round-robin: the neuron of the next input
        with m.If(accept):
            m.d.sync += neuron.eq(round_robin_next(cfg, neuron))
        m.d.comb += [read.addr.eq(neuron), read.en.eq(advance)]
        # i + b.  Like every pipeline field, it means nothing without its valid, so
        # it has no reset (see ``_pipeline``).
        drive = Signal(signed(cfg.input_width + 1), name="read_drive", reset_less=True)
        with m.If(advance):
            m.d.sync += drive.eq(self.currents.payload + params.bias)
        return accept, {"drive": drive, "v": read.data}

    def _pipeline(self, m, params, advance, accept, fields, hard):
        """Register each stage's result; returns ``(stage, valid, fields)`` of every
        pipeline register, the membrane read first, and the parameters each stage
        reads (see ``_stage_parameters``).  ``hard`` names the fields a hard block
        holds instead of a register (see ``_membranes``)."""
        registers = [("read", Signal(name="read_valid"), fields)]
        with m.If(advance):
            m.d.sync += registers[0][1].eq(accept)
        stage_params = {}
        for name, stage in self._stages:
            stage_params[name] = own = self._stage_parameters(m, params, name,
                                                              ~registers[-1][1])
            result = stage(fields, own)
            held = hard[name](fields, own, advance) if name in hard else {}
            # A field means nothing while its valid is low, so it needs no reset; and
            # a register without one is what Yosys packs into a hard block (the leak
            # multiplier's input and output registers of the iCE40 SB_MAC16), where
            # nextpnr times the multiply, and a reset net less to route.
            fields = {key: held[key] if key in held else
                      Signal(value.shape(), name=f"{name}_{key}", reset_less=True)
                      for key, value in result.items()}
            valid = Signal(name=f"{name}_valid")
            with m.If(advance):
                m.d.sync += valid.eq(registers[-1][1])
                m.d.sync += [fields[key].eq(value) for key, value in result.items()
                             if key not in held]
            registers.append((name, valid, fields))
        return registers, stage_params

    def _clear(self, m, valids, advance, accept):
        """Hold a clear request until nothing is in flight.

        ``clearing`` (the port) is high from the request to the end of the walk.
        Returns the cycle the walk starts, the held request and the registered
        ``empty`` flag.
        """
        requested = Signal(name="clear_requested")
        restart = Signal(name="clear_restart")
        # ``empty`` (nothing in flight) is computed a cycle ahead into a register:
        # ``restart`` enables the counters and the walk, and an OR over every valid
        # in front of those enables was the iCE40 core's critical path.  Next cycle
        # nothing is in flight when no register holds an update that stays in the
        # core: on ``advance`` the last one leaves to the output register (and
        # stays in flight there) and ``accept`` brings a new one.
        empty = Signal(init=1, name="pipeline_empty")
        m.d.sync += empty.eq(~Cat(*valids).any() & Mux(advance, ~accept, ~self.updates.valid))
        m.d.comb += restart.eq((requested | self.clear) & empty)
        with m.If(self.clear):
            m.d.sync += requested.eq(1)
        with m.If(restart):
            m.d.sync += [requested.eq(0), self.next_neuron.eq(0)]
        return restart, requested, empty

    def _write_back(self, m, advance, last_valid, result, write, restart):
        """Write each new membrane back and load the output register.

        One round-robin counter names the neuron of the next write: updates
        leave in the order they came, so no pipeline stage carries an index.
        After reset and after a clear the same counter first walks the memory
        writing ``initial_membrane``.  Returns the ``clearing`` flag (high
        during the walk) and the counter.
        """
        cfg = self._config
        clearing = Signal(init=1)
        neuron = Signal(neuron_index_shape(cfg), name="write_neuron")
        writing = Signal()
        m.d.comb += [writing.eq(clearing | (advance & last_valid)),
                     write.addr.eq(neuron), write.en.eq(writing),
                     write.data.eq(Mux(clearing, cfg.initial_membrane, result["membrane"]))]
        with m.If(writing):
            m.d.sync += neuron.eq(round_robin_next(cfg, neuron))
            with m.If(neuron == cfg.neurons - 1):
                m.d.sync += clearing.eq(0)
        with m.If(restart):
            m.d.sync += [clearing.eq(1), neuron.eq(0)]
        payload = self.updates.payload
        with m.If(advance):
            m.d.sync += [self.updates.valid.eq(last_valid), payload.neuron.eq(neuron),
                         payload.spike_count.eq(result["spike_count"]),
                         payload.membrane.eq(result["membrane"])]
        return clearing, neuron

    def _hazard_and_ready(self, m, advance, valids, blocked):
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
        blocked = blocked | hazard
        if self._mutation == "ready_ignores_stall":
            advance = Const(1)   # the bug: also ready while the output stalls
        m.d.comb += self.currents.ready.eq(advance & ~blocked)

    # -- formal verification ------------------------------------------------------------

    def _invariants(self, m, params, stage_params, clearing, write_neuron, valids, empty,
                    applying):
        """The counters agree with each other (elaborated for ``"formal"`` only).

        With the ports' own properties (nothing lost, in order), these make a
        k-induction proof of the stream rules go through.
        """
        cfg = self._config
        n = cfg.neurons
        m.d.comb += [Assert(self.next_neuron < n, "next neuron < N"),
                     Assert(write_neuron < n, "write-back neuron < N"),
                     Assert(empty == (~Cat(*valids).any() & ~self.updates.valid),
                            "registered empty = nothing in flight"),
                     Assert(~applying | ~Cat(*valids).any(),
                            "a parameter write applies with the pipeline empty"),
                     *(Assert(~Cat(*valids).any() | (copy.negative_threshold
                                                     == params.negative_threshold),
                              f"{name}'s copy of -theta = the register while in flight")
                       for name, copy in stage_params.items()
                       if copy.negative_threshold is not params.negative_threshold)]
        with m.If(clearing):
            m.d.comb += Assert(self.in_flight == 0, "clearing: nothing in flight")
        with m.Else():
            # Updates in the pipeline (not the output register) are not written back yet.
            behind = self.in_flight - self.updates.valid
            m.d.comb += Assert(write_neuron == (self.next_neuron + n * (self.latency + 1)
                                                - behind) % n,
                               "write-back neuron = next neuron - updates not written back")
        with m.If(self.updates.valid):
            m.d.comb += Assert(self.updates.payload.neuron == (write_neuron + n - 1) % n,
                               "output neuron = the one before the write-back neuron")
        if cfg.programmable:
            low, high = NEURON_RANGES["threshold"].bounds(cfg)
            theta = -params.negative_threshold
            m.d.comb += [Assert((theta >= low) & (theta <= high), "threshold register in range"),
                         Assert(self.parameter_values.threshold == theta,
                                "threshold read back = -(-theta register)"),
                         Assert(params.decay <= 1 << cfg.decay_shift, "decay register <= 2^F")]

    def _theorem_1(self, m, params, accept, held, registers, membranes, read):
        """Track the premise of Theorem 1 and, while it holds, assert its bound in
        every memory word and pipeline register (elaborated for ``"formal"`` only)."""
        cfg = self._config
        premise = self.theorem_1_premise
        theta = Signal(unsigned(cfg.width), name="formal_theta")
        k_theta = Signal(unsigned(cfg.width + cfg.spike_bits), name="formal_k_theta")
        m.d.comb += [theta.eq(-params.negative_threshold), k_theta.eq(theta * cfg.k_max)]
        with m.If(accept & ~_within(self.currents.payload + params.bias, k_theta)):
            m.d.sync += premise.eq(0)
        if cfg.programmable:
            # θ only grows: a write that would lower it leaves the premise when it is
            # taken, so a held threshold write never lowers θ while the premise holds.
            port = self.parameters
            with m.If(port.valid & port.ready & (port.payload.address == Register.THRESHOLD)
                      & (port.payload.value < theta)):
                m.d.sync += premise.eq(0)
            pending, address, value = held
            with m.If(premise & pending & (address == Register.THRESHOLD)):
                m.d.comb += Assert(value >= theta, "theorem 1: a held threshold write >= theta")
        with m.If(premise):
            with m.If(self.updates.valid):
                m.d.comb += Assert(_within(self.updates.payload.membrane, theta - 1),
                                   "theorem 1: output membrane |v'| <= theta - 1")
            for address in range(cfg.neurons):
                port = membranes.read_port(domain="comb")
                m.d.comb += port.addr.eq(address)
                m.d.comb += Assert(_within(port.data, theta - 1),
                                   "theorem 1: stored membrane |v| <= theta - 1")
            with m.If(~Initial()):   # the read register has no value before the first edge
                m.d.comb += Assert(_within(read.data, theta - 1),
                                   "theorem 1: membrane read |v| <= theta - 1")
            names = [name for name, _, _ in registers]
            for index, (_, valid, fields) in enumerate(registers):
                divides_ahead = sum(name.startswith("divide_") for name in names[index + 1:])
                # The bounds are on what the fields stand for: v of the leak's
                # floor and round-up, |u| of its ones' complement or of a divide
                # step's deferred select.
                values = datapath.meanings(fields)
                with m.If(valid):
                    for key, bounded in _theorem_1_bounds(cfg, theta, k_theta,
                                                          divides_ahead).items():
                        if key in values:
                            m.d.comb += Assert(bounded(values[key]),
                                               f"theorem 1: in flight: {key} bounded")


def _within(value, limit):
    return (value <= limit) & (-value <= limit)


def _theorem_1_bounds(cfg, theta, k_theta, divides_ahead):
    """What Theorem 1 implies for each field a pipeline register may hold."""
    one = 1 << cfg.decay_shift
    return {
        "drive": lambda f: _within(f, k_theta),                   # |i + b| ≤ (2^q − 1)θ
        "product": lambda f: _within(f, (theta - 1) * one),       # |v·d| ≤ (θ − 1)·2^F
        "v": lambda f: _within(f, theta - 1),
        "u": lambda f: _within(f, k_theta + theta - 1),           # |u| ≤ 2^q·θ − 1
        # With j divide steps still ahead, what is left is below θ·2^j.
        "magnitude": lambda f: f < (theta << divides_ahead),
        "fire_enable": lambda f: f,                               # a signed core fires
        "membrane": lambda f: _within(f, theta - 1),
    }
