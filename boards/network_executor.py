"""The answering end of the host link of a network board (SPEC §6).

:class:`NetworkExecutor` runs the checked requests of a network board — it
is to a :class:`lifq.hdl.Network` what :class:`~boards.executor.RequestExecutor`
is to a core, and shares its frame parser, payload reader and reply framing
(:mod:`boards.frames`, :class:`~boards.executor.BufferReader`,
:mod:`boards.replies`).  Two pieces are its own:

* :class:`InputStore` holds the loaded input x (N_0 values in block RAM,
  written by INPUT and INPUT_MORE) and replays it as the network's input
  events, T timesteps of the same x for one RUN.
* :class:`ScoreAccumulator` watches the output layer's updates: it sums
  every neuron's spike counts since the last clear and keeps its last
  membrane — the parts of the scores θ_L·Σk + v_L[T−1] — and passes each
  update on (to the reply of RUN_FULL, or to nowhere).

A RUN replays the input, lets every update stream flow (the hidden layers'
are dropped), counts the clock cycles until the output layer's last update
of the last step and replies with the result.  A RUN_FULL sends every
layer's updates as they come, step by step and layer by layer (the order of
the golden model's record), and the network waits for the UART.
"""

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from lifq.hdl.events import EventFormat
from lifq.hdl.interfaces import update_signature
from lifq.hdl.synapses import core_config
from lifq.spec import LIFConfig, NetworkConfig

from . import network_protocol, protocol
from .encoding import one_hot
from .executor import BufferReader, reply_states
from .frames import buffer_address_width, job_layout
from .network_protocol import COUNT_BYTES, RESULT_FIELDS
from .protocol import Command, Status
from .replies import ReplyFramer, WordSerializer, extend, feed_payload, times

__all__ = ["NetworkExecutor", "InputStore", "ScoreAccumulator", "input_write_layout"]


def input_write_layout(net):
    """One value of the loaded input: its index j and x[j]."""
    source = EventFormat.network_inputs(net)
    return data.StructLayout({"index": source.index_shape, "value": signed(source.value_bits)})


class InputStore(wiring.Component):
    """The loaded input x of a network (N_0 values in block RAM) and its replay as events.

    Replaying a timestep reads x[0] … x[N_0 − 1], two cycles each, and
    sends (j, x[j]) for every x[j] ≠ 0, then the end-of-step marker; the
    events leave through a register.

    Parameters
    ----------
    net : lifq.spec.NetworkConfig

    Attributes
    ----------
    zero : In(1)
        Pulse: set every value to 0 (N_0 cycles).
    writes : In(stream.Signature(input_write_layout(net)))
        x[index] = value, one per cycle while idle.
    replay : In(stream.Signature(16))
        Taken while idle: replay the input this many timesteps (≥ 1).
    events : Out(EventFormat.network_inputs(net).signature())
        The replayed events, for the network's ``inputs``.
    busy : Out(1)
        Zeroing, replaying, or an event still waits to be taken.
    """

    def __init__(self, net):
        if not isinstance(net, NetworkConfig):
            raise TypeError(f"net must be a lifq.spec.NetworkConfig, not {type(net).__name__}")
        self._net = net
        self._format = EventFormat.network_inputs(net)
        super().__init__({
            "zero": In(1),
            "writes": In(stream.Signature(input_write_layout(net))),
            "replay": In(stream.Signature(16)),
            "events": Out(self._format.signature()),
            "busy": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        count = self._net.inputs
        m.submodules.values = values = memory.Memory(
            shape=signed(self._format.value_bits), depth=max(2, count), init=[])
        read, write = values.read_port(), values.write_port()
        index = Signal(range(max(2, count)))
        steps = Signal(16)                   # timesteps still to replay, this one included
        last = index == count - 1
        events = self.events
        out_free = ~events.valid | events.ready
        load = Signal()                      # ``events`` takes a new beat this cycle
        with m.If(events.valid & events.ready & ~load):
            m.d.sync += events.valid.eq(0)
        m.d.comb += [read.addr.eq(index), read.en.eq(1)]

        with m.FSM(name="input_store") as fsm:
            with m.State("IDLE"):
                m.d.comb += [self.writes.ready.eq(1), self.replay.ready.eq(~self.zero),
                             write.addr.eq(self.writes.payload.index),
                             write.data.eq(self.writes.payload.value),
                             write.en.eq(self.writes.valid)]
                with m.If(self.zero):
                    m.d.sync += index.eq(0)
                    m.next = "ZERO"
                with m.Elif(self.replay.valid):
                    m.d.sync += [index.eq(0), steps.eq(self.replay.payload)]
                    m.next = "FETCH"
            with m.State("ZERO"):
                m.d.comb += [write.addr.eq(index), write.data.eq(0), write.en.eq(1)]
                m.d.sync += index.eq(index + 1)
                with m.If(last):
                    m.next = "IDLE"
            with m.State("FETCH"):
                m.next = "LOOK"                  # the read port answers next cycle
            with m.State("LOOK"):
                nonzero = read.data != 0
                with m.If(~nonzero | out_free):
                    with m.If(nonzero):
                        m.d.comb += load.eq(1)
                        m.d.sync += [events.valid.eq(1), events.payload.index.eq(index),
                                     events.payload.value.eq(read.data),
                                     events.payload.end.eq(0)]
                    m.d.sync += index.eq(Mux(last, 0, index + 1))
                    with m.If(last):
                        m.next = "MARK"
                    with m.Else():
                        m.next = "FETCH"
            with m.State("MARK"):
                with m.If(out_free):
                    m.d.comb += load.eq(1)
                    m.d.sync += [events.valid.eq(1), events.payload.end.eq(1),
                                 events.payload.index.eq(0), events.payload.value.eq(0),
                                 steps.eq(steps - 1)]
                    with m.If(steps == 1):
                        m.next = "IDLE"
                    with m.Else():
                        m.next = "FETCH"
        one_hot(fsm)
        m.d.comb += self.busy.eq(~fsm.ongoing("IDLE") | events.valid)
        return m


class ScoreAccumulator(wiring.Component):
    """Sums the output layer's spike counts and keeps its last membranes, per neuron.

    Every update (n, k, v') is taken, ``count[n] += k`` and ``membrane[n] =
    v'`` are written to block RAM, and the update is passed on unchanged;
    one update per two cycles.  A clear sets every count to 0 and every
    membrane to ``initial_membrane`` (N_L cycles), as after reset.

    Parameters
    ----------
    config : lifq.spec.LIFConfig
        The output layer's core configuration.

    Attributes
    ----------
    updates : In(update_signature(config))
    passed : Out(update_signature(config))
        The same updates, once accounted for.
    clear : In(1)
        Pulse: start a clear.
    clearing : Out(1)
        A clear is under way (no update is taken).
    hold : In(1)
        Take no update; the memories are read at ``address`` instead.
    address : In(range(neurons))
    count : Out(signed(32))
        Σk of neuron ``address`` (as it was the cycle before), mod 2^32.
    membrane : Out(signed(width))
        Its last v'.
    """

    def __init__(self, config):
        if not isinstance(config, LIFConfig):
            raise TypeError(f"config must be a lifq.spec.LIFConfig, not {type(config).__name__}")
        self._config = config
        super().__init__({
            "updates": In(update_signature(config)),
            "passed": Out(update_signature(config)),
            "clear": In(1),
            "clearing": Out(1, init=1),
            "hold": In(1),
            "address": In(range(max(2, config.neurons))),
            "count": Out(signed(8 * COUNT_BYTES)),
            "membrane": Out(signed(config.width)),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self._config
        depth = max(2, cfg.neurons)
        m.submodules.counts = counts = memory.Memory(
            shape=signed(8 * COUNT_BYTES), depth=depth, init=[])
        m.submodules.membranes = membranes = memory.Memory(
            shape=signed(cfg.width), depth=depth, init=[])
        count_read, count_write = counts.read_port(), counts.write_port()
        membrane_read, membrane_write = membranes.read_port(), membranes.write_port()
        updates, passed = self.updates, self.passed
        fresh = Signal()                     # ``passed`` took its update last cycle
        walk = Signal(range(depth))          # the neuron a clear writes

        take = Signal()
        m.d.comb += [updates.ready.eq(~passed.valid & ~self.clearing & ~self.hold),
                     take.eq(updates.valid & updates.ready)]
        address = Mux(self.hold, self.address, updates.payload.neuron)
        m.d.comb += [count_read.addr.eq(address), membrane_read.addr.eq(address),
                     count_read.en.eq(1), membrane_read.en.eq(1),
                     self.count.eq(count_read.data), self.membrane.eq(membrane_read.data)]
        m.d.sync += fresh.eq(take)
        with m.If(take):
            m.d.sync += [passed.valid.eq(1), passed.payload.eq(updates.payload)]
        with m.Elif(passed.ready):
            m.d.sync += passed.valid.eq(0)

        with m.If(self.clearing):
            m.d.comb += [count_write.addr.eq(walk), count_write.data.eq(0),
                         membrane_write.addr.eq(walk),
                         membrane_write.data.eq(cfg.initial_membrane),
                         count_write.en.eq(1), membrane_write.en.eq(1)]
            m.d.sync += walk.eq(walk + 1)
            with m.If(walk == cfg.neurons - 1):
                m.d.sync += self.clearing.eq(0)
        with m.Elif(fresh):
            update = passed.payload
            m.d.comb += [count_write.addr.eq(update.neuron),
                         count_write.data.eq(count_read.data
                                             + extend(update.spike_count, 8 * COUNT_BYTES, True)
                                             .as_signed()),
                         membrane_write.addr.eq(update.neuron),
                         membrane_write.data.eq(update.membrane),
                         count_write.en.eq(1), membrane_write.en.eq(1)]
        with m.If(self.clear):
            m.d.sync += [self.clearing.eq(1), walk.eq(0)]
        return m


class NetworkExecutor(wiring.Component):
    """Runs one checked request at a time on a network and hands the reply to the framer.

    Parameters
    ----------
    net : lifq.spec.NetworkConfig
        The network behind the link (it decides the byte sizes of events,
        spike counts and membranes).
    info : bytes
        The INFO reply payload (a constant of the bitstream).
    max_payload : int
        Bytes of one request buffer half.

    Attributes
    ----------
    jobs : In(stream.Signature(job_layout))
        Checked requests from the parser.
    buffer : In(memory.ReadPort.Signature)
        Read port of the request buffers.
    tx : Out(stream.Signature(8))
        Reply bytes for the UART transmitter.
    inputs : Out(EventFormat.network_inputs(net).signature())
        To the network's ``inputs``.
    layer_updates_ℓ : In(update_signature)
        From every layer's updates (the network's ``updates_ℓ`` and ``updates``);
        all are taken.
    events : In
        From the network's output events (taken and dropped: the updates
        carry the same spike counts).
    clear : Out(1)
        Pulse to the network's ``clear``.
    spike : Out(1)
        Pulse: an output neuron fired.
    error : Out(1)
        Pulse: an error reply starts.
    busy : Out(1)
        A request is being run.
    """

    def __init__(self, net, *, info, max_payload):
        if not isinstance(net, NetworkConfig):
            raise TypeError(f"net must be a lifq.spec.NetworkConfig, not {type(net).__name__}")
        network_protocol.check_board_network(net)
        self._net = net
        self._info = bytes(info)
        self._max_payload = max_payload
        self._cores = [core_config(layer) for layer in net.layers]
        members = {
            "jobs": In(stream.Signature(job_layout(max_payload))),
            "buffer": In(memory.ReadPort.Signature(
                addr_width=buffer_address_width(max_payload), shape=8)),
            "tx": Out(stream.Signature(8)),
            "inputs": Out(EventFormat.network_inputs(net).signature()),
        }
        for number, core in enumerate(self._cores):
            members[f"layer_updates_{number}"] = In(update_signature(core))
        members.update({
            "events": In(EventFormat.spikes(net.layers[-1].neuron).signature()),
            "clear": Out(1),
            "spike": Out(1),
            "error": Out(1),
            "busy": Out(1),
        })
        super().__init__(members)

    @property
    def net(self):
        return self._net

    def layer_updates(self, number):
        return getattr(self, f"layer_updates_{number}")

    def elaborate(self, platform):
        m = Module()
        net = self._net
        job = Signal(job_layout(self._max_payload))   # the request being run
        command = job.command
        length = Signal(16)                           # reply payload bytes
        run = _RunState(net)

        m.submodules.framer = framer = ReplyFramer()
        wiring.connect(m, framer.tx, wiring.flipped(self.tx))
        m.d.comb += self.error.eq(framer.error)
        m.submodules.reader = reader = BufferReader(
            word_bytes=max(network_protocol.event_bytes(net), network_protocol.RUN_BYTES),
            max_payload=self._max_payload)
        wiring.connect(m, wiring.flipped(self.buffer), reader.buffer)
        m.d.comb += [reader.bank.eq(job.bank), reader.length.eq(job.length)]
        m.submodules.store = store = InputStore(net)
        wiring.connect(m, store.events, wiring.flipped(self.inputs))
        m.submodules.scores = scores = ScoreAccumulator(self._cores[-1])
        wiring.connect(m, wiring.flipped(self.layer_updates(len(net.layers) - 1)),
                       scores.updates)
        m.d.comb += self.events.ready.eq(1)
        clear = Signal()                     # a clear starts (network and scores)
        m.d.sync += self.clear.eq(clear)
        m.d.comb += scores.clear.eq(clear)

        m.submodules.serializer = serializer = WordSerializer(self._word_bytes())
        serialized = Signal()                # the reply comes from the serializer
        reading_result = Signal()            # ... and from the result memories
        self._account(m, run, scores)
        self._trace(m, run, scores, serializer.words, reading_result)
        self._result(m, run, scores, serializer.words, reading_result)
        info = Const(int.from_bytes(self._info, "little"), 8 * len(self._info))
        feed_payload(m, framer, command,
                     [(Command.INFO, info, len(self._info)),
                      (Command.STATUS, *self._status_bits(framer, run))],
                     serializer, serialized)

        with m.FSM(name="executor") as fsm:
            with m.State("IDLE"):
                m.d.comb += self.jobs.ready.eq(1)
                with m.If(self.jobs.valid):
                    m.d.sync += job.eq(self.jobs.payload)
                    m.next = "START"
            with m.State("START"):
                self._start(m, job, length, serialized, reader, store, clear, run)
            with m.State("CLEARING"):
                with m.If(~scores.clearing & ~self.clear):
                    m.next = "REPLY"
            self._input_states(m, job, reader, store)
            self._run_states(m, job, length, reader, store, scores, clear, run,
                             reading_result)
            reply_states(m, framer, job, length)
        one_hot(fsm)
        m.d.comb += self.busy.eq(~fsm.ongoing("IDLE"))
        return m

    def _word_bytes(self):
        widest = max(protocol.spike_bytes(layer.neuron) + protocol.membrane_bytes(layer.neuron)
                     for layer in self._net.layers)
        return max(widest, protocol.layout_size(RESULT_FIELDS),
                   network_protocol.result_record_bytes(self._net))

    def _start(self, m, job, length, serialized, reader, store, clear, run):
        """The first cycle of a job: errors, tables and RESULT reply at once; the others
        start their work."""
        command = job.command
        m.d.sync += [length.eq(0),
                     serialized.eq(Cat(*(command == code for code in (
                         Command.RUN, Command.RUN_FULL, Command.RESULT))).any())]
        with m.If(job.status != Status.OK):
            m.d.sync += serialized.eq(0)
            m.next = "REPLY"
        with m.Elif(command == Command.INFO):
            m.d.sync += length.eq(len(self._info))
            m.next = "REPLY"
        with m.Elif(command == Command.STATUS):
            m.d.sync += length.eq(protocol.layout_size(network_protocol.NETWORK_STATUS_FIELDS))
            m.next = "REPLY"
        with m.Elif(command == Command.RESULT):
            m.d.sync += length.eq(network_protocol.result_size(self._net))
            m.next = "RESULT_REPLY"
        with m.Elif(command == Command.RESET):
            m.d.comb += clear.eq(1)
            m.d.sync += run.sample_steps.eq(0)
            m.next = "CLEARING"
        with m.Elif(command == Command.INPUT):
            m.d.comb += store.zero.eq(1)
            m.next = "LOAD_START"
        with m.Elif(command == Command.INPUT_MORE):
            m.next = "LOAD_START"
        with m.Elif((command == Command.RUN) | (command == Command.RUN_FULL)):
            m.d.comb += [reader.start.eq(1), reader.size.eq(network_protocol.RUN_BYTES)]
            m.next = "RUN_READ"
        with m.Else():             # WRITE: unreachable, the parser answers UNSUPPORTED
            m.next = "REPLY"

    def _input_states(self, m, job, reader, store):
        """INPUT, INPUT_MORE: (after zeroing) every event of the payload into the store."""
        net = self._net
        size = network_protocol.event_bytes(net)
        top = 8 * (max(size, network_protocol.RUN_BYTES) - size)   # the word's first bit
        word = reader.words.payload
        loaded = Signal(range(self._max_payload + 1))
        with m.State("LOAD_START"):
            with m.If(~store.busy):
                m.d.sync += loaded.eq(0)
                with m.If(job.words == 0):
                    m.next = "REPLY"
                with m.Else():
                    m.d.comb += [reader.start.eq(1), reader.size.eq(size)]
                    m.next = "LOAD"
        with m.State("LOAD"):
            index_bits = 8 * network_protocol.index_bytes(net)
            m.d.comb += [store.writes.valid.eq(reader.words.valid),
                         store.writes.payload.index.eq(word[top:top + index_bits]),
                         store.writes.payload.value.eq(word[top + index_bits:]),
                         reader.words.ready.eq(store.writes.ready)]
            with m.If(reader.words.valid & store.writes.ready):
                m.d.sync += loaded.eq(loaded + 1)
                with m.If(loaded == job.words - 1):
                    m.next = "REPLY"

    def _run_states(self, m, job, length, reader, store, scores, clear, run, reading_result):
        """RUN, RUN_FULL: read steps and flags, clear if asked, replay the input; RUN
        replies with the result once the last output update is in, RUN_FULL replies
        while the updates come."""
        net = self._net
        word = reader.words.payload
        top = 8 * (max(network_protocol.event_bytes(net), network_protocol.RUN_BYTES)
                   - network_protocol.RUN_BYTES)
        steps = word[top:top + 16]
        clear_first = word[top + 16]
        with m.State("RUN_READ"):
            m.d.comb += reader.words.ready.eq(1)
            with m.If(reader.words.valid):
                m.d.comb += clear.eq(clear_first)
                m.d.sync += [run.steps.eq(steps), run.full.eq(job.command == Command.RUN_FULL),
                             run.layer.eq(0), run.cycles.eq(0), run.running.eq(1),
                             run.remaining.eq(times(steps, net.outputs)),
                             run.total_steps.eq(run.total_steps + steps),
                             run.sample_steps.eq(Mux(clear_first, 0, run.sample_steps) + steps),
                             length.eq(Mux(job.command == Command.RUN_FULL,
                                           times(steps, network_protocol.trace_step_bytes(net)),
                                           network_protocol.result_size(net)))]
                m.next = "RUN_START"
        with m.State("RUN_START"):
            # After a clear (a cycle to reach the network, then the scores' walk).
            with m.If(~self.clear & ~scores.clearing):
                m.d.comb += [store.replay.valid.eq(1), store.replay.payload.eq(run.steps)]
                with m.If(store.replay.ready):
                    with m.If(run.full):
                        m.next = "REPLY"
                    with m.Else():
                        m.next = "RUNNING"
        with m.State("RUNNING"):
            with m.If(~run.running):
                m.next = "RESULT_REPLY"
        with m.State("RESULT_REPLY"):
            m.d.sync += reading_result.eq(1)
            m.next = "REPLY"

    def _account(self, m, run, scores):
        """Counts the output updates of a run and the clock cycles until the last."""
        passed = scores.passed
        taken = passed.valid & passed.ready
        with m.If(run.running):
            m.d.sync += run.cycles.eq(run.cycles + 1)
        with m.If(taken):
            m.d.sync += run.remaining.eq(run.remaining - 1)
            with m.If(run.remaining == 1):
                m.d.sync += run.running.eq(0)
        m.d.sync += self.spike.eq(taken & (passed.payload.spike_count != 0))

    def _trace(self, m, run, scores, words, reading_result):
        """The updates of every layer.  RUN_FULL: into the serializer in the golden
        model's order (per step, layer by layer, neurons in order); RUN: dropped."""
        count = len(self._net.layers)
        streams = [self.layer_updates(n) for n in range(count - 1)] + [scores.passed]
        for number, (updates, layer) in enumerate(zip(streams, self._net.layers)):
            kb, vb = protocol.spike_bytes(layer.neuron), protocol.membrane_bytes(layer.neuron)
            chosen = run.full & (run.layer == number)
            with m.If(~run.full):
                m.d.comb += updates.ready.eq(1)
            with m.Elif(chosen & ~reading_result):
                payload = updates.payload
                m.d.comb += [
                    words.valid.eq(updates.valid),
                    words.payload.data.eq(Cat(extend(payload.spike_count, 8 * kb, True),
                                              extend(payload.membrane, 8 * vb, True))),
                    words.payload.size.eq(kb + vb),
                    updates.ready.eq(words.ready)]
                with m.If(updates.valid & words.ready & (payload.neuron == layer.neurons - 1)):
                    m.d.sync += run.layer.eq(0 if number == count - 1 else number + 1)

    def _result(self, m, run, scores, words, reading_result):
        """The result into the serializer: RESULT_FIELDS, then per output neuron Σk and v'
        read from the score memories."""
        net = self._net
        vb = protocol.membrane_bytes(net.layers[-1].neuron)
        neuron = Signal(range(max(2, net.outputs)))
        m.d.comb += [scores.hold.eq(reading_result), scores.address.eq(neuron)]
        with m.FSM(name="result") as fsm:
            with m.State("HEAD"):
                with m.If(reading_result):
                    m.d.comb += [words.valid.eq(1),
                                 words.payload.data.eq(Cat(run.cycles, run.sample_steps)),
                                 words.payload.size.eq(protocol.layout_size(RESULT_FIELDS))]
                    with m.If(words.ready):
                        m.d.sync += neuron.eq(0)
                        m.next = "ADDRESS"
            with m.State("ADDRESS"):
                m.next = "RECORD"                    # the memories answer next cycle
            with m.State("RECORD"):
                m.d.comb += [words.valid.eq(1),
                             words.payload.data.eq(Cat(scores.count,
                                                       extend(scores.membrane, 8 * vb, True))),
                             words.payload.size.eq(COUNT_BYTES + vb)]
                with m.If(words.ready):
                    with m.If(neuron == net.outputs - 1):
                        m.d.sync += reading_result.eq(0)
                        m.next = "HEAD"
                    with m.Else():
                        m.d.sync += neuron.eq(neuron + 1)
                        m.next = "ADDRESS"
        one_hot(fsm)

    def _status_bits(self, framer, run):
        """The STATUS reply payload as one wide value, and its size in bytes."""
        live = {"frames": framer.frames, "errors": framer.errors,
                "last_error": framer.last_error, "steps": run.total_steps,
                "sample_steps": run.sample_steps, "cycles": run.cycles}
        fields = network_protocol.NETWORK_STATUS_FIELDS
        bits = Cat(*(extend(live[name], 8 * size, signed)
                     for name, size, signed in fields))
        return bits, protocol.layout_size(fields)


class _RunState:
    """The registers of the run under way (and of the last one)."""

    def __init__(self, net):
        self.steps = Signal(16, name="run_steps")                 # T of this run
        self.full = Signal(name="run_full")                       # RUN_FULL
        self.layer = Signal(range(max(2, len(net.layers))), name="trace_layer")
        self.running = Signal(name="run_running")                 # output updates to come
        self.remaining = Signal(32, name="run_remaining")         # … how many
        self.cycles = Signal(32, name="run_cycles")
        self.total_steps = Signal(32, name="steps_since_reset")
        self.sample_steps = Signal(32, name="steps_since_clear")
