"""The pipelined, time-multiplexed LIF neuron core (SPEC §1 and §3)."""

from amaranth.asserts import Initial  # its Amaranth 0.5 home (not amaranth.hdl)
from amaranth.hdl import Assert, Cat, Const, Module, Mux, Shape, Signal, signed, unsigned
from amaranth.lib import memory, wiring

from lifq.spec import NEURON_RANGES, LIFConfig, Register

from . import datapath, ecp5
from .interfaces import core_port_members, neuron_index_shape, round_robin_next, wraps_by_itself
from .ranges import REDUCE_CYCLES, in_range, registered_reduce

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

    Behind the output register stands a skid register: an update that leaves
    the pipeline while the output is stalled waits there, and the pipeline
    stops the cycle after.  So every pipeline register is enabled by a
    register (the skid register is empty, in one copy per stage), not by
    ``updates.ready`` through logic: that enable, fanned out to every
    register of the core, was its critical path.  Likewise ``currents.ready``
    is a register (``input_open``) and not ``clear``, and every decision in front
    of an enable — the walk's start, a parameter write's commit, the hazard
    — comes from registers, computed a cycle or two ahead.

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
        left the core, set every membrane to ``initial_membrane`` (N cycles,
        from three cycles after the request at the earliest) and start again
        at neuron 0.  No current is taken meanwhile; the
        parameters keep their values.
    clearing : Out(1)
        A clear (or the one after reset) is asked for, waiting or under way;
        no current is taken meanwhile.
    next_neuron : Out(neuron_index_shape)
        The neuron the next current belongs to.
    in_flight : Out(range(capacity + 1))
        Updates taken and not yet delivered (the output and skid registers
        included).
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
    capacity : int
        Most updates in flight at once: one per pipeline register, the output
        register and the skid register (``latency + 1``).
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
        super().__init__(core_port_members(config, in_flight=range(self.capacity + 1)))
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

    @property
    def capacity(self):
        return self.latency + 1

    def elaborate(self, platform):
        m = Module()
        cfg = self._config
        membranes, write, read, hard = self._membranes(m, platform)

        params, writes = self._parameters(m)
        advance = _Advance()   # the whole pipeline moves while the skid register is empty
        control = advance.copy("control")
        # ``open``: a register, high when the input may take a current (but for
        # ``clear`` itself).
        open_ = Signal(name="input_open")
        accept, first = self._input_stage(m, params, read, advance.copy("read"), open_)
        registers, stage_params = self._pipeline(m, params, advance, accept, first, hard)
        valids = [valid for _, valid, _ in registers]
        busy = self._busy(m, valids)
        restart, request = self._clear(m, busy, control)
        clearing, last_write, write_neuron = self._write_back(
            m, advance.copy("write_back"), valids[-1], registers[-1][2], write, restart)
        skid = self._output(m, advance, valids[-1], registers[-1][2], write_neuron)
        m.d.comb += self.in_flight.eq(sum(valids) + self.updates.valid + skid.valid)
        m.d.comb += self.clearing.eq(clearing | request.requested | self.clear)
        # What blocks the input, now and next cycle: a clear (requested, or the
        # walk), a parameter write, a hazard.
        blocked = clearing | request.requested
        blocked_next = request.requested | self.clear | (clearing & ~last_write)
        held = None   # the parameter write waiting to be applied: (pending, address, value)
        applying = Const(0)
        if cfg.programmable:
            held, pending_next, applying = self._parameter_port(m, params, busy, writes)
            blocked, blocked_next = blocked | held[0], blocked_next | pending_next
        hazard = self._hazard(m, valids, accept, open_, control)
        if hazard is not None:
            blocked, blocked_next = blocked | hazard[0], blocked_next | hazard[1]
        self._ready(m, open_, control, valids[-1], blocked_next)
        if platform == "formal":
            self._invariants(m, params, stage_params, clearing, last_write, write_neuron, valids,
                             busy, request, restart, applying, advance, skid, open_, control,
                             blocked, hazard)
            if cfg.reset == "mod" and cfg.signed:   # otherwise the premise is never true
                self._theorem_1(m, params, accept, held, registers, membranes, read, skid)
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

    def _parameter_port(self, m, params, busy, writes):
        """Apply parameter writes between updates.

        A write is taken into a holding register, its range is checked in the
        next cycles (groups of bits into registers, twice, then their
        combination: see :func:`lifq.hdl.ranges.registered_reduce`; a 32-bit
        check in one cycle was three LUTs and their routing deep), and it is
        committed once the pipeline is empty; meanwhile no new current is
        taken.  Returns the held write, ``(pending, address, value)``, the next
        value of ``pending`` and the cycle the write is committed.
        """
        cfg = self._config
        port = self.parameters
        address = Signal(unsigned(2), name="pending_address")
        value = Signal(signed(32), name="pending_value")
        pending = Signal()   # a write is held and waits for the pipeline to drain
        # progress[c]: the check's register level c has been loaded; the last: the
        # check itself has been registered.
        progress = [Signal(name=f"checking_{level}") for level in range(REDUCE_CYCLES + 1)]
        checked = progress[-1]
        # The decision and the parameter registers' enables come from registers
        # (``commit`` and the checks), one LUT deep: the decision's AND in front
        # of every parameter register's enable was a critical path.
        commit = Signal(name="parameter_commit")
        m.d.comb += port.ready.eq(~pending)
        with m.If(port.valid & ~pending):
            m.d.sync += [address.eq(port.payload.address), value.eq(port.payload.value)]
        pending_next = Mux(pending, ~commit, port.valid)
        m.d.sync += pending.eq(pending_next)
        # ``busy.any`` tells whether the pipeline held an update two cycles ago:
        # no current enters while a write is pending, and ``checked`` comes
        # three cycles after ``pending`` (after a current taken together with the
        # write), so a quiet pipeline then is empty now and stays so.
        m.d.sync += [flag.eq(before & ~commit)
                     for flag, before in zip(progress, [pending, *progress])]
        m.d.sync += commit.eq(checked & ~busy.any & ~commit)
        accepted = {}
        for register in writes:
            accepted[register] = Signal(name=f"write_{register.parameter}")
            low, high = NEURON_RANGES[register.parameter].bounds(cfg)
            reduce = registered_reduce(m, f"check_{register.parameter}")
            m.d.sync += accepted[register].eq((address == register)
                                              & in_range(value, low, high, reduce))
        with m.If(commit):
            m.d.sync += self.parameter_rejected.eq(~Cat(*accepted.values()).any())
            for register, targets in writes.items():
                with m.If(accepted[register]):
                    m.d.sync += [target.eq(stored(value)) for target, stored in targets]
        return (pending, address, value), pending_next, commit

    # -- the update path ----------------------------------------------------------------

    def _input_stage(self, m, params, read, advance, open_):
        """Accept a current, read its neuron's membrane; returns (accept, fields).

        ``ready`` is ``open_`` (a register) and not ``clear``: one LUT of
        registers and the port, in front of the counter's enable."""
        cfg = self._config
        accept = Signal()
        m.d.comb += [self.currents.ready.eq(open_ & ~self.clear),
                     accept.eq(self.currents.valid & self.currents.ready)]
        neuron = self.next_neuron   # round-robin: the neuron of the next input
        with m.If(accept):
            m.d.sync += neuron.eq(round_robin_next(cfg, neuron))
        m.d.comb += [read.addr.eq(neuron), read.en.eq(advance)]
        # i + b.  Like every pipeline field, it means nothing without its valid, so
        # it has no reset (see ``_pipeline``).  Just as wide as its range: with a
        # constant bias, a bit more than that was a top bit of u that equals the
        # one below it, and |u|'s top bit became the carry out of its chain (on
        # iCE40 a logic cell more, and its routing, on the critical path).
        if cfg.programmable:
            shape = signed(cfg.input_width + 1)
        else:
            half = 1 << (cfg.input_width - 1)
            shape = Shape.cast(range(min(0, cfg.bias - half), max(0, half - 1 + cfg.bias) + 1))
        drive = Signal(shape, name="read_drive", reset_less=True)
        with m.If(advance):
            m.d.sync += drive.eq(self.currents.payload + params.bias)
        return accept, {"drive": drive, "v": read.data}

    def _pipeline(self, m, params, advance, accept, fields, hard):
        """Register each stage's result; returns ``(stage, valid, fields)`` of every
        pipeline register, the membrane read first, and the parameters each stage
        reads (see ``_stage_parameters``).  ``hard`` names the fields a hard block
        holds instead of a register (see ``_membranes``).  Each stage's registers
        are enabled by a copy of ``advance`` of their own (see :class:`_Advance`)."""
        registers = [("read", Signal(name="read_valid"), fields)]
        with m.If(advance.copy("read_valid")):
            m.d.sync += registers[0][1].eq(accept)
        stage_params = {}
        for name, stage in self._stages:
            stage_params[name] = own = self._stage_parameters(m, params, name,
                                                              ~registers[-1][1])
            result = stage(fields, own)
            enable = advance.copy(name)
            held = hard[name](fields, own, enable) if name in hard else {}
            # A field means nothing while its valid is low, so it needs no reset; and
            # a register without one is what Yosys packs into a hard block (the leak
            # multiplier's input and output registers of the iCE40 SB_MAC16), where
            # nextpnr times the multiply, and a reset net less to route.
            # The product register is ``keep``: Yosys's ice40_dsp then packs no register
            # behind it.  With the pipeline's enables constant (``updates.ready`` tied
            # high) it packed the fabric copy of the product into the SB_MAC16 too, and
            # resolved the clash with a constant: the leak, the multiplier and the
            # membrane memory left the netlist.
            attrs = {"keep": 1} if name == "leak_multiply" else {}
            fields = {key: held[key] if key in held else
                      Signal(value.shape(), name=f"{name}_{key}", reset_less=True, attrs=attrs)
                      for key, value in result.items()}
            valid = Signal(name=f"{name}_valid")
            with m.If(enable):
                m.d.sync += valid.eq(registers[-1][1])
                m.d.sync += [fields[key].eq(value) for key, value in result.items()
                             if key not in held]
            registers.append((name, valid, fields))
        return registers, stage_params

    def _busy(self, m, valids):
        """Whether any pipeline register held an update, in registers: the OR of
        each group of four valids a cycle ago (``groups``), and of those a
        cycle later (``any``), so no OR over every valid stands in front of a
        register (a critical path on ECP5)."""
        groups = [Signal(name="busy_group") for _ in range(0, len(valids), 4)]
        m.d.sync += [flag.eq(Cat(*valids[4 * index:4 * index + 4]).any())
                     for index, flag in enumerate(groups)]
        any_ = Signal(init=0, name="busy")
        m.d.sync += any_.eq(Cat(*groups).any())
        return _Busy(groups, any_)

    def _clear(self, m, busy, advance):
        """Hold a clear request until nothing is in flight.

        ``clearing`` (the port) is high from the request to the end of the walk.
        Returns ``restart`` (a register: the walk starts this cycle) and the
        request's registers (:class:`_Request`).
        """
        request = _Request()
        requested, held, drained = request.requested, request.held, request.drained
        restart = Signal(name="clear_restart")
        # The walk starts from a register: ``restart`` enables the counters and
        # the walk, and an OR over every valid or ``accept`` in front of those
        # enables was a critical path.  ``busy.any``: a pipeline register held
        # an update two cycles ago; ``drained``: the skid register was empty and
        # the output register empty or taken a cycle ago.  While the request
        # has been held for two cycles no current was taken in the two cycles
        # before (``clear`` and the request block the input), so a pipeline
        # empty two cycles ago is empty now and was a cycle ago, when nothing
        # left it for the output register: nothing is in flight now, nor next
        # cycle, when the walk starts.
        m.d.sync += [drained.eq(advance & self._output_free()),
                     held.eq(requested & ~restart),
                     restart.eq(requested & held & ~busy.any & drained & ~restart)]
        with m.If(self.clear):
            m.d.sync += requested.eq(1)
        with m.If(restart):
            m.d.sync += [requested.eq(0), self.next_neuron.eq(0)]
        return restart, request

    def _write_back(self, m, advance, last_valid, result, write, restart):
        """Write each new membrane back as its update leaves the pipeline.

        One round-robin counter names the neuron of the next write: updates
        leave in the order they came, so no pipeline stage carries an index.
        After reset and after a clear the same counter first walks the memory
        writing ``initial_membrane``.  Returns the ``clearing`` flag (high
        during the walk), the registered "the counter is at N − 1" and the
        counter.
        """
        cfg = self._config
        clearing = Signal(init=1)
        neuron = Signal(neuron_index_shape(cfg), name="write_neuron")
        # ``neuron == N − 1`` a cycle ahead in a register: the compare stood in
        # front of the walk's end and the counter's wrap.
        last = Signal(init=cfg.neurons == 1, name="write_neuron_last")
        writing = Signal()
        m.d.comb += [writing.eq(clearing | (advance & last_valid)),
                     write.addr.eq(neuron), write.en.eq(writing),
                     write.data.eq(Mux(clearing, cfg.initial_membrane, result["membrane"]))]
        # The counter's step is a carry chain straight into its register: its
        # wrap to 0 (and the walk's start) is the register's synchronous reset.
        to_zero = restart if wraps_by_itself(cfg) else restart | (writing & last)
        with m.If(to_zero):
            m.d.sync += neuron.eq(0)
        with m.Elif(writing):
            m.d.sync += neuron.eq(neuron + 1)
        with m.If(writing):
            m.d.sync += last.eq(cfg.neurons == 1 or (neuron == cfg.neurons - 2))
        # ``clearing`` implies ``writing``: its enable need not see the pipeline's.
        with m.If(clearing & last):
            m.d.sync += clearing.eq(0)
        with m.If(restart):
            m.d.sync += [clearing.eq(1), last.eq(cfg.neurons == 1)]
        return clearing, last, neuron

    def _output(self, m, advance, last_valid, result, write_neuron):
        """The output register and the skid register behind it.

        An update leaves the pipeline on every ``advance`` (the skid register
        is empty).  It goes to the output register when that is free this
        cycle (empty or taken), else to the skid register, which then stops
        the pipeline until the output register takes its update.  Only the
        output register's own enable sees ``updates.ready``.  Returns the skid
        register: ``valid`` and the payload fields.

        ``skid.valid`` and ``advance`` are each other's inverse, kept apart:
        ``advance`` fans out to every register of the pipeline, and its routing
        stood in front of the output and skid registers' enables.
        """
        updates = self.updates
        leaving = Signal.like(updates.payload, name="leaving")
        m.d.comb += [leaving.neuron.eq(write_neuron),
                     leaving.spike_count.eq(result["spike_count"]),
                     leaving.membrane.eq(result["membrane"])]
        skid = Signal.like(updates.payload, name="skid", reset_less=True)
        skid_valid = Signal(name="skid_valid")
        output_free = self._output_free()
        with m.If(output_free):
            m.d.sync += updates.payload.eq(Mux(skid_valid, skid, leaving))
        with m.If(~output_free & ~skid_valid & last_valid):
            m.d.sync += skid.eq(leaving)
        # The flags as functions of the ports' registers, not as enables: the
        # enables' routing (a LUT of ``valid`` and ``ready`` fanned out to
        # every copy) stood on the critical path.
        m.d.sync += [updates.valid.eq(Mux(output_free, skid_valid | last_valid, 1)),
                     skid_valid.eq(~output_free & (skid_valid | last_valid))]
        for copy in advance.copies:
            # Each copy reads itself where ``skid_valid`` is read above, so no two
            # copies compute the same function and synthesis keeps them apart.
            m.d.sync += copy.eq(self._advance_next(copy, last_valid))
        return _Skid(skid_valid, skid)

    def _output_free(self):
        """The output register is empty or taken this cycle."""
        return ~self.updates.valid | self.updates.ready

    def _advance_next(self, advance, last_valid):
        """``advance`` next cycle: the skid register stays (or becomes) empty."""
        return self._output_free() | (advance & ~last_valid)

    def _hazard(self, m, valids, accept, open_, advance):
        """Whether an earlier update of the next neuron is in flight, now and
        next cycle; None when it never is (N above the pipeline's depth).

        Neurons arrive round-robin, so the previous update of the next neuron
        is the N-th most recent one.  It is in flight while it sits in any
        pipeline register, the last one included: a membrane written at this
        edge is read correctly only from the next edge on.  So the hazard is
        "N or more pipeline registers hold an update".  Their number is kept
        as a thermometer code, ``at_least[c]`` = (number ≥ c + 1), which a
        current entering or an update leaving shifts by one: no adder and no
        compare (a sum over every valid, and then a counter's compare, stood
        in front of the input's ready).  The number never exceeds N.

        Returns the hazard register, its next value and the code.
        """
        cfg = self._config
        n = cfg.neurons
        if len(valids) < n:
            return None
        at_least = [Signal(name=f"pipeline_at_least_{count + 1}") for count in range(n)]
        code = [Const(1), *at_least, Const(0)]    # code[c] = (number ≥ c), c = 0 … N + 1
        # A current taken enters the pipeline (``accept`` implies ``advance``, but
        # for the ``ready_ignores_stall`` mutation, whose dropped currents must
        # not block the input).
        enter = accept & advance
        leaving = advance & valids[-1]
        for count in range(1, n + 1):
            m.d.sync += code[count].eq(Mux(enter & ~leaving, code[count - 1],
                                           Mux(leaving & ~enter, code[count + 1],
                                               code[count])))
        # The flag counts ``open_`` (taken, if a current is offered) for ``accept``,
        # so it is a function of registers alone (``accept``, of the input port, in
        # front of it was a critical path): it is high one cycle too many only
        # when a current could have been taken and none was offered.
        hazard = Signal(name="hazard")
        hazard_next = Mux(open_ & ~leaving, code[n - 1],
                          Mux(~open_ & leaving, code[n + 1], code[n]))
        m.d.sync += hazard.eq(hazard_next)
        return hazard, hazard_next, at_least

    def _ready(self, m, open_, advance, last_valid, blocked_next):
        """The input's ``open_`` register: next cycle the pipeline moves (the
        skid register stays empty) and nothing blocks the input."""
        advance_next = self._advance_next(advance, last_valid)
        if self._mutation == "ready_ignores_stall":
            advance_next = Const(1)   # the bug: also ready while the output stalls
        m.d.sync += open_.eq(advance_next & ~blocked_next)

    # -- formal verification ------------------------------------------------------------

    def _invariants(self, m, params, stage_params, clearing, last_write, write_neuron, valids,
                    busy, request, restart, applying, advance, skid, open_, control, blocked,
                    hazard):
        """The counters and flags agree with each other (elaborated for
        ``"formal"`` only).

        With the ports' own properties (nothing lost, in order), these make a
        k-induction proof of the stream rules go through.
        """
        cfg = self._config
        n = cfg.neurons
        pipeline_empty = ~Cat(*valids).any()
        moving = Const(1) if self._mutation == "ready_ignores_stall" else control
        m.d.comb += [Assert(self.next_neuron < n, "next neuron < N"),
                     Assert(write_neuron < n, "write-back neuron < N"),
                     Assert(last_write == (write_neuron == n - 1),
                            "registered last = write-back neuron is N - 1"),
                     Assert(~request.held | request.requested, "a held request is a request"),
                     Assert(~restart | request.requested, "the walk starts on a request"),
                     Assert(~(request.requested & request.held & ~busy.any) | pipeline_empty,
                            "a held request, not busy: the pipeline is empty"),
                     Assert(~restart | (self.in_flight == 0),
                            "the walk starts with nothing in flight"),
                     Assert(open_ == (moving & ~blocked),
                            "open = the pipeline moves and nothing blocks the input"),
                     *(Assert(copy == ~skid.valid, f"{copy.name} = the skid register is empty")
                       for copy in advance.copies),
                     Assert(~skid.valid | self.updates.valid,
                            "the skid register holds an update only behind the output's"),
                     Assert(~applying | pipeline_empty,
                            "a parameter write applies with the pipeline empty"),
                     *(Assert(pipeline_empty | (copy.negative_threshold
                                                == params.negative_threshold),
                              f"{name}'s copy of -theta = the register while in flight")
                       for name, copy in stage_params.items()
                       if copy.negative_threshold is not params.negative_threshold)]
        if hazard is not None:
            registered, _, at_least = hazard
            number = sum(valids)
            m.d.comb += [*(Assert(flag == (number >= count + 1),
                                  f"thermometer: {flag.name} = updates in the pipeline >= "
                                  f"{count + 1}")
                           for count, flag in enumerate(at_least)),
                         Assert(number <= n, "at most N updates in the pipeline"),
                         Assert(registered | (number < n),
                                "registered hazard: high with N or more updates in the pipeline")]
        with m.If(clearing):
            m.d.comb += [Assert(self.in_flight == 0, "clearing: nothing in flight"),
                         Assert(self.next_neuron == 0, "clearing: the next neuron is 0")]
        with m.Else():
            # Updates in the pipeline (not the output or skid register) are not
            # written back yet.
            behind = self.in_flight - self.updates.valid - skid.valid
            m.d.comb += Assert(write_neuron == (self.next_neuron + n * (self.latency + 1)
                                                - behind) % n,
                               "write-back neuron = next neuron - updates not written back")
        with m.If(skid.valid):
            m.d.comb += [Assert(skid.payload.neuron == (write_neuron + n - 1) % n,
                                "skid neuron = the one before the write-back neuron"),
                         Assert(self.updates.payload.neuron == (write_neuron + 2 * n - 2) % n,
                                "output neuron = the one before the skid neuron")]
        with m.Elif(self.updates.valid):
            m.d.comb += Assert(self.updates.payload.neuron == (write_neuron + n - 1) % n,
                               "output neuron = the one before the write-back neuron")
        if cfg.programmable:
            low, high = NEURON_RANGES["threshold"].bounds(cfg)
            theta = -params.negative_threshold
            m.d.comb += [Assert((theta >= low) & (theta <= high), "threshold register in range"),
                         Assert(self.parameter_values.threshold == theta,
                                "threshold read back = -(-theta register)"),
                         Assert(params.decay <= 1 << cfg.decay_shift, "decay register <= 2^F")]

    def _theorem_1(self, m, params, accept, held, registers, membranes, read, skid):
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
            with m.If(skid.valid):
                m.d.comb += Assert(_within(skid.payload.membrane, theta - 1),
                                   "theorem 1: skid membrane |v'| <= theta - 1")
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


class _Advance:
    """The pipeline's enable, high while the skid register is empty, in copies.

    One register fanned out to every register of the pipeline was, on ECP5, a
    net whose routing alone took longer than a carry chain; each group of
    registers (a pipeline stage, the memory read, the write-back, the control
    logic) has a copy of its own.

    Attributes
    ----------
    copies : list of Signal
        Every copy made so far; :meth:`LIFCore._output` drives them.
    """

    def __init__(self):
        self.copies = []

    def copy(self, name):
        """A new copy, for the registers of ``name``."""
        signal = Signal(init=1, name=f"{name}_advance")
        self.copies.append(signal)
        return signal


class _Busy:
    """Registered ORs of the pipeline's valids (see ``LIFCore._busy``).

    Attributes
    ----------
    groups : list of Signal
        Each group of four valids held an update a cycle ago.
    any : Signal
        A pipeline register held an update two cycles ago.
    """

    def __init__(self, groups, any_):
        self.groups = groups
        self.any = any_


class _Request:
    """The registers of a clear request (see ``LIFCore._clear``).

    Attributes
    ----------
    requested : Signal
        A clear was asked for and the walk has not started.
    held : Signal
        ``requested`` was high a cycle ago too (and the walk did not start).
    drained : Signal
        A cycle ago the skid register was empty and the output register empty
        or taken.
    """

    def __init__(self):
        self.requested = Signal(name="clear_requested")
        self.held = Signal(name="clear_held")
        self.drained = Signal(init=1, name="output_drained")


class _Skid:
    """The skid register: ``valid`` and ``payload`` (an update's fields)."""

    def __init__(self, valid, payload):
        self.valid = valid
        self.payload = payload


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
        "fits": lambda f: f,                                      # |v'| < θ never saturates
    }
