"""The answering end of the host link of a core board: runs checked requests on the core.

:class:`RequestExecutor` takes one job at a time from the frame parser
(:mod:`boards.frames`), runs it against the core and hands the reply to a
:class:`~boards.replies.ReplyFramer`.  A :class:`BufferReader` turns the
request's payload bytes into words (currents, or a WRITE record) while the
reply goes out, so currents reach the core as fast as the core takes them;
a network board's executor (:mod:`boards.network_executor`) reads its
payloads with the same reader.
"""

from amaranth.hdl import Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import memory, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from lifq.hdl.interfaces import (current_signature, neuron_index_shape, parameter_signature,
                                  parameter_values_layout, update_signature)

from . import protocol
from .frames import buffer_address_width, job_layout
from .protocol import Command, Status
from .replies import ReplyFramer, WordSerializer, extend, feed_payload, times

__all__ = ["RequestExecutor", "BufferReader", "reply_states"]


class BufferReader(wiring.Component):
    """Reads a request payload from the buffer as a stream of words.

    Bytes are little-endian: each word holds ``word_bytes`` bytes of which
    the last ``size`` read sit at its top.

    Parameters
    ----------
    word_bytes : int
        Bytes of the widest word.
    max_payload : int
        Bytes of one buffer half (a power of two).

    Attributes
    ----------
    start : In(1)
        Begin reading ``length`` bytes of buffer half ``bank`` in words of
        ``size`` bytes (all three sampled with ``start``).
    bank, length, size : In
    buffer : In(memory.ReadPort.Signature)
        The request buffers, read through a register: a byte arrives two
        cycles after its address (:class:`lifq.hdl.memories.RegisteredMemory`).
    words : Out(stream.Signature(8 * word_bytes))
    """

    def __init__(self, *, word_bytes, max_payload):
        self._word_bytes = word_bytes
        self._max_payload = max_payload
        super().__init__({
            "start": In(1),
            "bank": In(1),
            "length": In(range(max_payload + 1)),
            "size": In(range(word_bytes + 1)),
            "buffer": In(memory.ReadPort.Signature(
                addr_width=buffer_address_width(max_payload), shape=8)),
            "words": Out(stream.Signature(8 * word_bytes)),
        })

    def elaborate(self, platform):
        m = Module()
        at = Signal(range(self._max_payload + 1))
        position = Signal(range(self._word_bytes + 1))
        bank, length, size = Signal(), Signal.like(self.length), Signal.like(self.size)
        word = self.words.payload
        address_bits = exact_log2(self._max_payload)
        m.d.comb += [self.buffer.addr.eq(Cat(at[:address_bits], bank)), self.buffer.en.eq(1)]
        with m.FSM(name="reader"):
            with m.State("IDLE"):
                with m.If(self.start):
                    m.d.sync += [at.eq(0), position.eq(0), bank.eq(self.bank),
                                 length.eq(self.length), size.eq(self.size)]
                    m.next = "ADDRESS"
            with m.State("ADDRESS"):
                m.next = "FETCH"
            with m.State("FETCH"):
                m.next = "DATA"     # the buffer answers through a register: two cycles
            with m.State("DATA"):
                m.d.sync += [word.eq(Cat(word[8:], self.buffer.data)), at.eq(at + 1),
                             position.eq(position + 1)]
                with m.If(position == size - 1):
                    m.next = "WORD"
                with m.Else():
                    m.next = "ADDRESS"
            with m.State("WORD"):
                m.d.comb += self.words.valid.eq(1)
                with m.If(self.words.ready):
                    m.d.sync += position.eq(0)
                    with m.If(at == length):
                        m.next = "IDLE"
                    with m.Else():
                        m.next = "ADDRESS"
        return m


def reply_states(m, framer, job, length, after="IDLE"):
    """The last two states of every executor: ``REPLY`` hands the header (the job's
    command and status, ``length``) to ``framer``, ``REPLIED`` waits until the framer
    has sent the whole reply (the payload comes from elsewhere meanwhile), then goes
    to ``after``."""
    with m.State("REPLY"):
        header = framer.header
        m.d.comb += [header.valid.eq(1), header.payload.command.eq(job.command),
                     header.payload.status.eq(job.status), header.payload.length.eq(length)]
        with m.If(header.ready):
            m.next = "REPLIED"
    with m.State("REPLIED"):
        with m.If(~framer.busy):
            m.next = after


class RequestExecutor(wiring.Component):
    """Runs one checked request at a time on a LIF core and hands the reply to the framer.

    Parameters
    ----------
    config : lifq.spec.LIFConfig
        The core behind the link (it decides the byte sizes of currents,
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
    currents, updates : to and from the core's streams.
    clear : Out(1)
        Asks the core for a clear (RESET).
    core_clearing, next_neuron : In
        The core's status ports.
    parameters : Out(stream.Signature(parameter_write_layout))
        Only for a programmable core: to its parameter port.
    parameter_values, parameter_rejected : In
        Only for a programmable core: its run-time registers, and whether it
        ignored the last write.
    spike : Out(1)
        Pulse: an update with a non-zero spike count was sent.
    error : Out(1)
        Pulse: an error reply starts.
    busy : Out(1)
        A request is being run.
    """

    def __init__(self, config, *, info, max_payload):
        self._config = config
        self._info = bytes(info)
        self._max_payload = max_payload
        members = {
            "jobs": In(stream.Signature(job_layout(max_payload))),
            "buffer": In(memory.ReadPort.Signature(
                addr_width=buffer_address_width(max_payload), shape=8)),
            "tx": Out(stream.Signature(8)),
            "currents": Out(current_signature(config)),
            "updates": In(update_signature(config)),
            "clear": Out(1),
            "core_clearing": In(1),
            "next_neuron": In(neuron_index_shape(config)),
            "spike": Out(1),
            "error": Out(1),
            "busy": Out(1),
        }
        if config.programmable:
            members["parameters"] = Out(parameter_signature())
            members["parameter_values"] = In(parameter_values_layout(config))
            members["parameter_rejected"] = In(1)
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        cfg = self._config
        current_bytes = protocol.current_bytes(cfg)
        kb, vb = protocol.spike_bytes(cfg), protocol.membrane_bytes(cfg)
        word_bytes = max(current_bytes, protocol.WRITE_BYTES)

        job = Signal(job_layout(self._max_payload))   # the request being run
        updates = Signal(32)           # neuron updates since power-up, for STATUS
        length = Signal(16)            # reply payload bytes
        full = Signal()                # STIMULUS_FULL: membranes too
        is_stimulus = Signal()
        command = job.command

        m.submodules.framer = framer = ReplyFramer()
        wiring.connect(m, framer.tx, wiring.flipped(self.tx))
        m.d.comb += self.error.eq(framer.error)

        m.submodules.reader = reader = BufferReader(word_bytes=word_bytes,
                                                    max_payload=self._max_payload)
        wiring.connect(m, wiring.flipped(self.buffer), reader.buffer)
        m.d.comb += [reader.bank.eq(job.bank), reader.length.eq(job.length)]
        word = reader.words.payload
        current = word[8 * (word_bytes - current_bytes):][:cfg.input_width]
        m.d.comb += [self.currents.payload.eq(current),
                     self.currents.valid.eq(reader.words.valid & is_stimulus)]
        take_word = Signal()           # WRITE takes its record
        m.d.comb += reader.words.ready.eq((self.currents.ready & is_stimulus) | take_word)
        write_address = word[-8 * protocol.WRITE_BYTES:][:8]
        write_value = word[-32:].as_signed()

        serializer = self._serializer(m, full, is_stimulus, kb, vb, updates)
        info = Const(int.from_bytes(self._info, "little"), 8 * len(self._info))
        feed_payload(m, framer, command, [(Command.INFO, info, len(self._info)),
                                          (Command.STATUS, *self._status_bits(framer, updates))],
                     serializer, is_stimulus)

        with m.FSM(name="executor") as fsm:
            with m.State("IDLE"):
                m.d.comb += self.jobs.ready.eq(1)
                with m.If(self.jobs.valid):
                    m.d.sync += job.eq(self.jobs.payload)
                    m.next = "START"

            with m.State("START"):
                m.d.sync += [length.eq(0), full.eq(command == Command.STIMULUS_FULL),
                             is_stimulus.eq(0)]
                with m.If(job.status != Status.OK):
                    m.next = "REPLY"
                with m.Elif(command == Command.INFO):
                    m.d.sync += length.eq(len(self._info))
                    m.next = "REPLY"
                with m.Elif(command == Command.STATUS):
                    m.d.sync += length.eq(protocol.layout_size(protocol.STATUS_FIELDS))
                    m.next = "REPLY"
                with m.Elif(command == Command.RESET):
                    m.d.comb += self.clear.eq(1)
                    m.next = "RESET"
                with m.Elif(command == Command.WRITE):
                    m.d.comb += [reader.start.eq(1), reader.size.eq(protocol.WRITE_BYTES)]
                    m.next = "WRITE_READ"
                with m.Else():  # STIMULUS, STIMULUS_FULL
                    m.d.comb += [reader.start.eq(1), reader.size.eq(current_bytes)]
                    m.d.sync += [is_stimulus.eq(1),
                                 length.eq(Mux(command == Command.STIMULUS_FULL,
                                               times(job.words, kb + vb), times(job.words, kb)))]
                    m.next = "REPLY"

            with m.State("RESET"):
                # The core finishes what it has, sets every membrane to v0, starts at neuron 0.
                with m.If(~self.core_clearing):
                    m.next = "REPLY"

            with m.State("WRITE_READ"):
                with m.If(reader.words.valid):
                    m.next = "WRITE_APPLY"

            self._write_states(m, write_address, write_value, take_word, job)
            reply_states(m, framer, job, length)
        m.d.comb += self.busy.eq(~fsm.ongoing("IDLE"))
        return m

    def _write_states(self, m, address, value, take_word, job):
        """WRITE: hand the record to the core; the core says whether it took the value."""
        if not self._config.programmable:
            with m.State("WRITE_APPLY"):   # unreachable: the parser rejects WRITE then
                m.d.comb += take_word.eq(1)
                m.next = "REPLY"
            return
        port = self.parameters
        with m.State("WRITE_APPLY"):
            m.d.comb += [port.valid.eq(1), port.payload.address.eq(address),
                         port.payload.value.eq(value)]
            with m.If(port.ready):
                m.d.comb += take_word.eq(1)
                m.next = "WRITE_WAIT"
        with m.State("WRITE_WAIT"):
            # The port is ready again once the core has applied (or ignored) the write.
            with m.If(port.ready):
                with m.If(self.parameter_rejected):
                    m.d.sync += job.status.eq(Status.BAD_VALUE)
                m.next = "REPLY"

    def _serializer(self, m, full, is_stimulus, kb, vb, updates):
        """The core's updates as reply bytes: k, then (STIMULUS_FULL) v'.  Counts them
        for STATUS and pulses ``spike`` for a non-zero spike count."""
        m.submodules.serializer = serializer = WordSerializer(kb + vb)
        payload = self.updates.payload
        words = serializer.words
        m.d.comb += [words.valid.eq(self.updates.valid & is_stimulus),
                     self.updates.ready.eq(words.ready & is_stimulus),
                     words.payload.data.eq(Cat(extend(payload.spike_count, 8 * kb, True),
                                               extend(payload.membrane, 8 * vb, True))),
                     words.payload.size.eq(Mux(full, kb + vb, kb))]
        taken = self.updates.valid & self.updates.ready
        m.d.sync += self.spike.eq(taken & (payload.spike_count != 0))
        with m.If(taken):
            m.d.sync += updates.eq(updates + 1)
        return serializer

    def _status_bits(self, framer, updates):
        """The STATUS reply payload as one wide value, and its size in bytes."""
        cfg = self._config
        if cfg.programmable:
            values = self.parameter_values
            threshold, decay, bias = values.threshold, values.decay, values.bias
        else:
            threshold = Const(cfg.threshold, unsigned(32))
            decay = Const(cfg.decay, unsigned(32))
            bias = Const(cfg.bias & 0xFFFFFFFF, unsigned(32))
        live = {"frames": framer.frames, "errors": framer.errors,
                "last_error": framer.last_error, "next_neuron": self.next_neuron,
                "updates": updates, "threshold": threshold, "decay": decay, "bias": bias}
        bits = Cat(*(extend(live[name], 8 * size, signed)
                     for name, size, signed in protocol.STATUS_FIELDS))
        return bits, protocol.layout_size(protocol.STATUS_FIELDS)
