"""The formal harness: the LIF core, a free environment and the properties at its ports.

Property sets (``properties`` of :class:`FormalHarness`):

``"bound"``
    The hardware form of Theorem 1 (SPEC §1): with ``reset = "mod"``,
    ``signed`` and every current satisfying |i + b| ≤ (2^q − 1)·θ, every
    output membrane satisfies |v'| ≤ θ − 1.
``"streams"``
    The ``updates`` stream keeps a stalled payload stable until it is taken;
    transfers out never exceed transfers in; the number in flight never
    exceeds the core's ``capacity``; and the output neurons come in round-robin order
    0, 1, …, N − 1, 0, … from reset and from every clear (nothing lost,
    duplicated or reordered).
``"all"``
    Both.
``"exact"``
    Every output equals SPEC §1 computed by a reference model in the harness
    (from the currents taken, with the parameters in force when each was
    taken, starting again from ``initial_membrane`` after a clear).  Not
    inductive: run it as a bounded check (``mode="bmc"``).

The environment is free (``AnySeq``) but for the stream rule of every source
(valid and payload held until ready), the bound on |i + b| (``bound`` and
``all``), parameter writes that only raise θ, and reset in the first cycle
only.  It may ask for a clear at any time.

k-induction needs an *inductive* invariant.  The core states its own when it
is elaborated for the platform ``"formal"`` (:class:`lifq.hdl.LIFCore`);
with ``strengthen`` the harness ties its port-side counters to the core's
status ports (``in_flight``, ``next_neuron``) and asserts that the premise
of Theorem 1 (``theorem_1_premise``) held throughout.
"""

from amaranth.asserts import AnySeq, Initial  # their Amaranth 0.5 home (not amaranth.hdl)
from amaranth.hdl import (Array, Assert, Assume, Const, Cover, Elaboratable, Module, Mux,
                          ResetSignal, Signal, Value, signed, unsigned)

from lifq.hdl import MUTATIONS, LIFCore
from lifq.spec import NEURON_RANGES, LIFConfig, Register

__all__ = ["PROPERTIES", "FormalHarness", "check_arguments"]

PROPERTIES = ("bound", "streams", "all", "exact")


def check_arguments(cfg, properties, mutation, parameter_writes):
    """The reason the harness cannot be built, or ``None``."""
    if not isinstance(cfg, LIFConfig):
        return f"cfg must be a lifq.spec.LIFConfig, not {type(cfg).__name__}"
    if properties not in PROPERTIES:
        return f"properties = {properties!r} is unknown: allowed " + ", ".join(PROPERTIES)
    if mutation is not None and mutation not in MUTATIONS:
        return f"mutation = {mutation!r} is unknown: allowed " + ", ".join(sorted(MUTATIONS))
    if properties in ("bound", "all") and not (cfg.reset == "mod" and cfg.signed):
        return (f"properties = {properties!r}: the bound of Theorem 1 needs "
                "reset = \"mod\" and signed = true")
    if parameter_writes and not cfg.programmable:
        return "parameter_writes needs a programmable core"
    return None


def _within(value, limit):
    return (value <= limit) & (-value <= limit)


def _restarts(core):
    """A clear takes effect: it waits until nothing is in flight, and from then on
    every membrane is v0 and the next update is neuron 0's."""
    return core.clearing & (core.in_flight == 0)


class FormalHarness(Elaboratable):
    """The core, its environment (assumptions) and the properties (assertions).

    Parameters
    ----------
    cfg : lifq.spec.LIFConfig
    properties : str
        A key of :data:`PROPERTIES`.
    mutation : str, optional
        A key of :data:`lifq.hdl.MUTATIONS`.
    parameter_writes : bool
        Programmable cores only: let the environment write parameters (decay
        and bias to any value, the threshold only to a value not below the
        current one).  Otherwise the parameter port stays idle.
    strengthen : bool
        Tie the harness's counters to the core's status ports, so that with
        the core's own invariants (platform ``"formal"``) the properties are
        inductive (the default).  Without it only the properties themselves
        are asserted: enough for ``bmc``, usually not for ``prove``.

    Attributes
    ----------
    core : lifq.hdl.LIFCore
    """

    def __init__(self, cfg, properties="all", *, mutation=None, parameter_writes=False,
                 strengthen=True):
        problem = check_arguments(cfg, properties, mutation, parameter_writes)
        if problem:
            raise ValueError(problem)
        self.cfg = cfg
        self.properties = properties
        self.parameter_writes = parameter_writes
        self.strengthen = strengthen
        self.core = LIFCore(cfg, mutation=mutation)

    def elaborate(self, platform):
        m = Module()
        m.submodules.core = self.core
        # Reset in the first cycle only; the environment is free afterwards.
        m.d.comb += Assume(ResetSignal() == Initial())
        started = Signal()  # a cycle after reset has passed: the ``past_*`` registers hold
        m.d.sync += started.eq(1)

        self._environment(m, started)
        if self.properties in ("bound", "all"):
            self._bound(m)
        if self.properties in ("streams", "all"):
            self._streams(m, started)
        if self.properties == "exact":
            self._exact(m)
        return m

    def _parameters_now(self):
        """θ, d and b as the core holds them (constants for a constant core)."""
        core, cfg = self.core, self.cfg
        if cfg.programmable:
            values = core.parameter_values
            return values.threshold, values.decay, values.bias
        return (Const(cfg.threshold, unsigned(cfg.width)),
                Const(cfg.decay, unsigned(cfg.decay_shift + 1)),
                Const(cfg.bias, signed(cfg.input_width)))

    # -- environment -------------------------------------------------------------------

    @staticmethod
    def _stable_until_ready(m, started, stream, name):
        """Assume a stream source keeps valid and payload until the transfer."""
        payload = Value.cast(stream.payload)
        past_stall = Signal(name=f"past_{name}_stall")
        past_payload = Signal(payload.shape(), name=f"past_{name}_payload")
        m.d.sync += [past_stall.eq(stream.valid & ~stream.ready), past_payload.eq(payload)]
        with m.If(started & past_stall):
            m.d.comb += Assume(stream.valid & (payload == past_payload))

    def _environment(self, m, started):
        cfg, core = self.cfg, self.core
        currents = core.currents
        m.d.comb += [currents.valid.eq(AnySeq(1)),
                     currents.payload.eq(AnySeq(currents.payload.shape())),
                     core.updates.ready.eq(AnySeq(1)),
                     core.clear.eq(AnySeq(1))]
        self._stable_until_ready(m, started, currents, "currents")
        theta, _, bias = self._parameters_now()
        if self.properties in ("bound", "all"):
            # |i + b| ≤ (2^q − 1)·θ for every offered current (b, θ as the core holds them).
            drive = Signal(signed(cfg.input_width + 2), name="assumed_drive")
            limit = Signal(unsigned(cfg.width + cfg.spike_bits), name="assumed_limit")
            m.d.comb += [drive.eq(currents.payload + bias), limit.eq(theta * cfg.k_max)]
            with m.If(currents.valid):
                m.d.comb += Assume(_within(drive, limit))
        if cfg.programmable:
            port = core.parameters
            if self.parameter_writes:
                m.d.comb += [port.valid.eq(AnySeq(1)),
                             port.payload.eq(AnySeq(Value.cast(port.payload).shape()))]
                self._stable_until_ready(m, started, port, "parameters")
                with m.If(port.valid & (port.payload.address == Register.THRESHOLD)):
                    # Raising θ keeps |v| ≤ θ − 1; lowering it may not (it is no theorem).
                    m.d.comb += Assume(port.payload.value >= theta)
            else:
                m.d.comb += port.valid.eq(0)

    # -- Theorem 1 ---------------------------------------------------------------------

    def _bound(self, m):
        cfg, core = self.cfg, self.core
        theta, decay, _ = self._parameters_now()
        updates = core.updates
        with m.If(updates.valid):
            # θ only grows, so an update made with an earlier θ obeys the present one too.
            m.d.comb += Assert(_within(updates.payload.membrane, theta - 1),
                               "output membrane: |v'| <= theta - 1")
        if self.strengthen:
            m.d.comb += Assert(core.theorem_1_premise,
                               "the environment keeps the premise of theorem 1")
            if cfg.programmable and not self.parameter_writes:
                values = core.parameter_values
                m.d.comb += [
                    Assert(core.parameters.ready, "idle parameter port: nothing held"),
                    Assert((values.threshold == cfg.threshold) & (values.decay == cfg.decay)
                           & (values.bias == cfg.bias),
                           "idle parameter registers keep their values"),
                ]

        # The assumptions leave room for the interesting cases.
        transfer = updates.valid & updates.ready
        k, v = updates.payload.spike_count, updates.payload.membrane
        m.d.comb += [
            Cover(transfer & (k == cfg.k_max) & (v > 0), "an update with k = 2^q - 1 and v' > 0"),
            Cover(transfer & (k == -cfg.k_max) & (v < 0),
                  "an update with k = -(2^q - 1) and v' < 0"),
        ]
        if self.parameter_writes:
            m.d.comb += Cover(transfer & (theta > cfg.threshold) & (decay != cfg.decay)
                              & (v != 0), "an update after writes raised theta and changed d")

    # -- streams -----------------------------------------------------------------------

    def _streams(self, m, started):
        cfg, core = self.cfg, self.core
        updates, currents = core.updates, core.currents
        latency, n = core.latency, cfg.neurons
        payload = Value.cast(updates.payload)

        # Output rule: a stalled valid payload stays until it is taken.
        past_stall = Signal()
        past_payload = Signal(payload.shape())
        m.d.sync += [past_stall.eq(updates.valid & ~updates.ready), past_payload.eq(payload)]
        with m.If(started & past_stall):
            m.d.comb += [Assert(updates.valid, "updates.valid held until ready"),
                         Assert(payload == past_payload, "updates.payload held until ready")]

        # Transfers in and out; the neuron of the next output, from reset and each clear.
        transfer_in = currents.valid & currents.ready
        transfer_out = updates.valid & updates.ready
        outstanding = Signal(range(4 * latency + 4), name="outstanding")   # in − out
        expected = Signal(range(n), name="expected_neuron")
        m.d.sync += outstanding.eq(outstanding + transfer_in - transfer_out)
        with m.If(_restarts(core)):
            m.d.sync += expected.eq(0)
        with m.Elif(transfer_out):
            m.d.sync += expected.eq(Mux(expected == n - 1, 0, expected + 1))
        with m.If(transfer_out):
            m.d.comb += [Assert(outstanding != 0, "out <= in: no output without an input"),
                         Assert(updates.payload.neuron == expected,
                                "outputs in round-robin order")]
        m.d.comb += Assert(outstanding <= core.capacity, "in - out <= capacity")
        with m.If(core.clearing):
            m.d.comb += Assert(~transfer_in, "no current taken while clearing")

        # The assumptions leave room for work: stalls, back-to-back transfers, clears.
        past_cleared = Signal()
        with m.If(core.clear & started):
            m.d.sync += past_cleared.eq(1)
        m.d.comb += [
            Cover(started & past_stall & transfer_out, "a stalled update is taken"),
            Cover(transfer_in & transfer_out & (outstanding >= 2),
                  "an input and an output transfer in the same cycle, pipeline busy"),
            Cover(outstanding == min(latency, n), "min(latency, N) updates in flight"),
            Cover(started & past_cleared & transfer_out, "an update after a clear"),
        ]
        if not self.strengthen:
            return
        # Nothing lost or duplicated inside, and the core's counters agree with ours
        # — but while a clear waits with nothing in flight: ``expected`` is 0 from
        # then on, the core starts its walk (and its input counter at 0) a few
        # cycles later, and takes no current meanwhile.
        m.d.comb += Assert(outstanding == core.in_flight, "in - out = updates in flight")
        with m.If(~_restarts(core)):
            m.d.comb += Assert(
                expected == (core.next_neuron + n * (core.capacity + 1) - outstanding) % n,
                "next output neuron = next input neuron - in flight")

    # -- bit-exact against SPEC §1 (bounded) --------------------------------------------

    def _spec_step(self, m, v, current, theta, decay, bias):
        """SPEC §1 for one neuron, as plain arithmetic: returns (k, v')."""
        cfg = self.cfg
        wide = signed(cfg.width + cfg.input_width + cfg.decay_shift + cfg.spike_bits + 8)
        product, leaked, u = Signal(wide), Signal(wide), Signal(wide)
        m.d.comb += product.eq(v * decay)
        m.d.comb += leaked.eq(Mux(product < 0, -((-product) >> cfg.decay_shift),
                                  product >> cfg.decay_shift))
        m.d.comb += u.eq(leaked + current + bias)
        magnitude = Signal(unsigned(wide.width))
        m.d.comb += magnitude.eq(Mux(u < 0, -u, u))
        # kpos = min(floor(|u| / θ), 2^q − 1), without a divider: count the multiples.
        kpos = Signal(unsigned(cfg.k_width))
        if cfg.reset == "mod":
            m.d.comb += kpos.eq(sum((magnitude >= j * theta).as_unsigned()
                                    for j in range(1, cfg.k_max + 1)))
        else:
            m.d.comb += kpos.eq(1)
        k = Signal(signed(cfg.k_width + 1))
        with m.If(u >= theta):
            m.d.comb += k.eq(kpos)
        with m.Elif(Const(int(cfg.signed)) & (u <= -theta)):
            m.d.comb += k.eq(-kpos)
        remainder = Signal(wide)
        if cfg.reset == "zero":
            m.d.comb += remainder.eq(Mux(k != 0, 0, u))
        else:
            m.d.comb += remainder.eq(u - k * theta)
        clamped = Signal(signed(cfg.width))
        m.d.comb += clamped.eq(Mux(remainder > cfg.v_max, cfg.v_max,
                                   Mux(remainder < cfg.v_min, cfg.v_min, remainder)))
        return k, clamped

    def _written_parameters(self, m):
        """θ, d and b as set by the writes taken so far (ranges from the one table)."""
        cfg, core = self.cfg, self.core
        registers = {
            Register.THRESHOLD: Signal(unsigned(cfg.width), init=cfg.threshold, name="spec_theta"),
            Register.DECAY: Signal(unsigned(cfg.decay_shift + 1), init=cfg.decay,
                                   name="spec_decay"),
            Register.BIAS: Signal(signed(cfg.input_width), init=cfg.bias, name="spec_bias"),
        }
        if cfg.programmable and self.parameter_writes:
            port = core.parameters
            value = port.payload.value
            with m.If(port.valid & port.ready):
                for register, target in registers.items():
                    low, high = NEURON_RANGES[register.parameter].bounds(cfg)
                    with m.If((port.payload.address == register) & (value >= low)
                              & (value <= high)):
                        m.d.sync += target.eq(value)
        return registers

    def _exact(self, m):
        """Every output equals SPEC §1 on the currents taken, with the parameters
        current when each was taken (a bounded check: no inductive invariant)."""
        cfg, core = self.cfg, self.core
        updates, currents = core.updates, core.currents
        transfer_in = currents.valid & currents.ready
        transfer_out = updates.valid & updates.ready
        written = self._written_parameters(m)
        writes = cfg.programmable and self.parameter_writes

        # The currents in flight, with their parameters, oldest at ``head``.
        depth = core.capacity + 1
        entry = [("current", signed(cfg.input_width), currents.payload),
                 ("theta", unsigned(cfg.width), written[Register.THRESHOLD]),
                 ("decay", unsigned(cfg.decay_shift + 1), written[Register.DECAY]),
                 ("bias", signed(cfg.input_width), written[Register.BIAS])]
        fifo = {name: Array(Signal(shape, name=f"spec_{name}_{i}") for i in range(depth))
                for name, shape, _ in entry}
        head, tail = Signal(range(depth)), Signal(range(depth))
        with m.If(transfer_in):
            m.d.sync += [fifo[name][tail].eq(value) for name, _, value in entry]
            m.d.sync += tail.eq(Mux(tail == depth - 1, 0, tail + 1))
        with m.If(transfer_out):
            m.d.sync += head.eq(Mux(head == depth - 1, 0, head + 1))

        membranes = Array(Signal(signed(cfg.width), init=cfg.initial_membrane,
                                 name=f"spec_v_{n}") for n in range(cfg.neurons))
        expected = Signal(range(cfg.neurons), name="spec_neuron")
        if writes:
            params = fifo["theta"][head], fifo["decay"][head], fifo["bias"][head]
        else:
            params = [Const(value, shape) for value, (_, shape, _) in
                      zip((cfg.threshold, cfg.decay, cfg.bias), entry[1:])]
        k, v = self._spec_step(m, membranes[expected], fifo["current"][head], *params)
        with m.If(_restarts(core)):
            m.d.sync += [expected.eq(0), *(membrane.eq(cfg.initial_membrane)
                                           for membrane in membranes)]
        with m.Elif(transfer_out):
            m.d.sync += expected.eq(Mux(expected == cfg.neurons - 1, 0, expected + 1))
            m.d.sync += membranes[expected].eq(v)
        with m.If(transfer_out):
            m.d.comb += [Assert(updates.payload.neuron == expected, "exact: neuron"),
                         Assert(updates.payload.spike_count == k, "exact: k as SPEC 1"),
                         Assert(updates.payload.membrane == v, "exact: v' as SPEC 1")]
        m.d.comb += Cover(transfer_out & (updates.payload.spike_count != 0) & (expected == 0)
                          & (membranes[0] != cfg.initial_membrane),
                          "exact: a spike from a changed membrane")
        if writes:
            m.d.comb += Cover(transfer_out & (fifo["theta"][head] != cfg.threshold)
                              & (fifo["decay"][head] != cfg.decay)
                              & (fifo["bias"][head] != cfg.bias),
                              "exact: an update with written theta, d and b")
