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
from amaranth.lib import data, fifo, memory, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from lifq.hdl.interfaces import (current_signature, neuron_index_shape, parameter_signature,
                                  parameter_values_layout, update_signature)

from . import protocol
from .encoding import one_hot
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
        bank, size = Signal(), Signal.like(self.size)
        word = self.words.payload
        address_bits = exact_log2(self._max_payload)
        m.d.comb += [self.buffer.addr.eq(Cat(at[:address_bits], bank)), self.buffer.en.eq(1)]
        # Registered: the last byte of the payload has been read, and the next byte
        # ends a word (counter compares stood in front of the FSM's enables).
        left = Signal.like(self.length)   # bytes still to read
        done = Signal()
        word_end = Signal()
        with m.FSM(name="reader") as fsm:
            with m.State("IDLE"):
                with m.If(self.start):
                    m.d.sync += [at.eq(0), position.eq(0), bank.eq(self.bank),
                                 left.eq(self.length), size.eq(self.size),
                                 word_end.eq(self.size <= 1)]
                    m.next = "ADDRESS"
            with m.State("ADDRESS"):
                m.next = "FETCH"
            with m.State("FETCH"):
                m.next = "DATA"     # the buffer answers through a register: two cycles
            with m.State("DATA"):
                m.d.sync += [word.eq(Cat(word[8:], self.buffer.data)), at.eq(at + 1),
                             position.eq(position + 1), left.eq(left - 1), done.eq(left == 1),
                             word_end.eq(position + 2 == size)]
                with m.If(word_end):
                    m.next = "WORD"
                with m.Else():
                    m.next = "ADDRESS"
            with m.State("WORD"):
                m.d.comb += self.words.valid.eq(1)
                with m.If(self.words.ready):
                    m.d.sync += [position.eq(0), word_end.eq(size <= 1)]
                    with m.If(done):
                        m.next = "IDLE"
                    with m.Else():
                        m.next = "ADDRESS"
        one_hot(fsm)
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
        # The currents reach the core through a FIFO: its valid and ready are
        # registers, so the request decoding and the core's input logic
        # (its clear, its hazard, its counters' enables) are timed apart.
        m.submodules.current_fifo = current_fifo = fifo.SyncFIFO(width=cfg.input_width,
                                                                 depth=2)
        m.d.comb += [current_fifo.w_data.eq(current),
                     current_fifo.w_en.eq(reader.words.valid & is_stimulus),
                     self.currents.payload.eq(current_fifo.r_data),
                     self.currents.valid.eq(current_fifo.r_rdy),
                     current_fifo.r_en.eq(self.currents.ready)]
        take_word = Signal()           # WRITE takes its record
        m.d.comb += reader.words.ready.eq((current_fifo.w_rdy & is_stimulus) | take_word)
        write_address = word[-8 * protocol.WRITE_BYTES:][:8]
        write_value = word[-32:].as_signed()

        # What the job asks for, decoded as it is taken, one flag each: the START
        # state then reads single registers, and the reader starts from a register
        # (the decoding stood in front of the reader's enables).  ``full``:
        # STIMULUS_FULL, membranes too.
        kind = Signal(data.StructLayout({name: 1 for name in (
            "info", "status", "reset", "write", "full")}), name="job_kind")
        serializer = self._serializer(m, kind.full, is_stimulus, kb, vb, updates)
        info = Const(int.from_bytes(self._info, "little"), 8 * len(self._info))
        feed_payload(m, framer, command, [(Command.INFO, info, len(self._info)),
                                          (Command.STATUS, *self._status_bits(framer, updates))],
                     serializer, is_stimulus)

        start_reader = Signal()
        m.d.comb += [reader.start.eq(start_reader),
                     reader.size.eq(Mux(kind.write, protocol.WRITE_BYTES, current_bytes))]
        incoming = self.jobs.payload

        with m.FSM(name="executor") as fsm:
            with m.State("IDLE"):
                m.d.comb += self.jobs.ready.eq(1)
                with m.If(self.jobs.valid):
                    ok = incoming.status == Status.OK
                    is_ = {name: ok & (incoming.command == command) for name, command in (
                        ("info", Command.INFO), ("status", Command.STATUS),
                        ("reset", Command.RESET), ("write", Command.WRITE),
                        ("full", Command.STIMULUS_FULL))}
                    m.d.sync += [job.eq(incoming), *(getattr(kind, name).eq(value)
                                                     for name, value in is_.items()),
                                 start_reader.eq(ok & ~is_["info"] & ~is_["status"]
                                                 & ~is_["reset"])]
                    m.next = "START"

            with m.State("START"):
                m.d.sync += [length.eq(0), is_stimulus.eq(0), start_reader.eq(0)]
                with m.If(~start_reader):
                    with m.If(kind.info):
                        m.d.sync += length.eq(len(self._info))
                    with m.If(kind.status):
                        m.d.sync += length.eq(protocol.layout_size(protocol.STATUS_FIELDS))
                    with m.If(kind.reset):
                        # A register: the core's clear blocks its input at once.
                        m.d.sync += self.clear.eq(1)
                        m.next = "RESET"
                    with m.Else():
                        m.next = "REPLY"    # an error, INFO or STATUS
                with m.Elif(kind.write):
                    m.next = "WRITE_READ"
                with m.Else():  # STIMULUS, STIMULUS_FULL
                    m.d.sync += [is_stimulus.eq(1),
                                 length.eq(Mux(kind.full, times(job.words, kb + vb),
                                               times(job.words, kb)))]
                    m.next = "REPLY"

            with m.State("RESET"):
                # The core finishes what it has, sets every membrane to v0, starts at neuron 0.
                # (``core_clearing`` is high from the cycle ``clear`` is.)
                m.d.sync += self.clear.eq(0)
                with m.If(~self.clear & ~self.core_clearing):
                    m.next = "REPLY"

            self._write_states(m, reader.words.valid, write_address, write_value, take_word,
                               job)
            reply_states(m, framer, job, length)
        one_hot(fsm)
        m.d.comb += self.busy.eq(~fsm.ongoing("IDLE"))
        return m

    def _write_states(self, m, record_valid, address, value, take_word, job):
        """WRITE: hand the record to the core; the core says whether it took the value.

        The record is taken from the reader into registers first, so the core's
        ``parameters.ready`` reaches only this FSM, not the reader."""
        held_address = Signal.like(address, name="write_address")
        held_value = Signal.like(value, name="write_value")
        with m.State("WRITE_READ"):
            with m.If(record_valid):
                m.d.comb += take_word.eq(1)
                m.d.sync += [held_address.eq(address), held_value.eq(value)]
                m.next = "WRITE_APPLY"
        if not self._config.programmable:
            with m.State("WRITE_APPLY"):   # unreachable: the parser rejects WRITE then
                m.next = "REPLY"
            return
        port = self.parameters
        with m.State("WRITE_APPLY"):
            m.d.comb += [port.valid.eq(1), port.payload.address.eq(held_address),
                         port.payload.value.eq(held_value)]
            with m.If(port.ready):
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
