"""The answering end of the host link: runs checked requests on the core, sends replies.

:class:`RequestExecutor` takes one job at a time from the frame parser
(:mod:`boards.frames`), runs it against the core and streams the reply frame
to the UART transmitter.  A :class:`BufferReader` turns the request's
payload bytes into words (currents, or a WRITE record) while the reply goes
out, so currents reach the core as fast as the core takes them.
"""

from amaranth.hdl import Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import memory, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2, exact_log2

from lifq.hdl.interfaces import (current_signature, neuron_index_shape, parameter_signature,
                                  parameter_values_layout, update_signature)

from . import protocol
from .frames import buffer_address_width, crc16_step, job_layout
from .protocol import Command, Status

__all__ = ["RequestExecutor", "BufferReader"]


def _extend(value, bits, signed):
    """The raw bits of ``value`` sign- or zero-extended (or cut) to ``bits`` bits."""
    value = value.as_value() if hasattr(value, "as_value") else value
    if len(value) >= bits:
        return value[:bits]
    fill = value[-1] if signed else Const(0, 1)
    return Cat(value, fill.replicate(bits - len(value)))


def _times(value, constant):
    """``value * constant`` as shifts and adds (no multiplier, no DSP block)."""
    terms = [value << bit for bit in range(constant.bit_length()) if constant >> bit & 1]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


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
                m.next = "DATA"                        # the read port answers next cycle
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


class RequestExecutor(wiring.Component):
    """Runs one checked request at a time on a LIF core and streams the reply.

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
        full_bytes = kb + vb
        word_bytes = max(current_bytes, protocol.WRITE_BYTES)

        job = Signal(job_layout(self._max_payload))   # the request being run
        m.d.comb += self.jobs.ready.eq(0)

        # Counters for STATUS.
        frames, errors, last_error, updates = Signal(16), Signal(16), Signal(8), Signal(32)
        length = Signal(16)            # reply payload bytes
        sent = Signal(16)              # reply payload bytes sent
        crc = Signal(16, init=protocol.CRC_INIT)
        full = Signal()                # STIMULUS_FULL: membranes too
        is_stimulus = Signal()

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

        update_word, update_left, want, took_update = self._serializer(m, full, kb, vb, updates)
        error = Signal()                 # an error reply starts (registered onto ``error``)
        m.d.sync += self.error.eq(error)

        info_rom = Const(int.from_bytes(self._info, "little"), 8 * len(self._info))
        status_bits, status_size = self._status_bits(frames, errors, last_error, updates)
        command = job.command
        ok = job.status == Status.OK

        # The reply leaves through a register: the byte sources (header fields, the INFO and
        # STATUS multiplexers, the serializer) end at ``out_byte``, not at the UART.
        out_byte, out_valid, out_checksum = Signal(8), Signal(), Signal()
        free = ~out_valid                # a new byte may be loaded this cycle
        m.d.comb += [self.tx.valid.eq(out_valid), self.tx.payload.eq(out_byte)]
        with m.If(out_valid & self.tx.ready):
            m.d.sync += out_valid.eq(0)
            with m.If(out_checksum):
                m.d.sync += crc.eq(crc16_step(crc, out_byte))

        def send(value, next_state=None, *, checksum=True):
            """Load ``value`` when the output register is free (and go to ``next_state``)."""
            with m.If(free):
                m.d.sync += [out_byte.eq(value), out_valid.eq(1), out_checksum.eq(checksum)]
                if next_state is not None:
                    m.next = next_state

        with m.FSM(name="executor") as fsm:
            with m.State("IDLE"):
                m.d.comb += self.jobs.ready.eq(1)
                with m.If(self.jobs.valid):
                    m.d.sync += job.eq(self.jobs.payload)
                    m.next = "START"

            with m.State("START"):
                m.d.sync += [sent.eq(0), length.eq(0), crc.eq(protocol.CRC_INIT),
                             full.eq(command == Command.STIMULUS_FULL), is_stimulus.eq(0)]
                with m.If(~ok):
                    m.d.comb += error.eq(1)
                    m.next = "SYNC"
                with m.Elif(command == Command.INFO):
                    m.d.sync += length.eq(len(self._info))
                    m.next = "SYNC"
                with m.Elif(command == Command.STATUS):
                    m.d.sync += length.eq(status_size)
                    m.next = "SYNC"
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
                                               _times(job.words, full_bytes),
                                               _times(job.words, kb)))]
                    m.next = "SYNC"

            with m.State("RESET"):
                # The core finishes what it has, sets every membrane to v0, starts at neuron 0.
                with m.If(~self.core_clearing):
                    m.next = "SYNC"

            with m.State("WRITE_READ"):
                with m.If(reader.words.valid):
                    m.next = "WRITE_APPLY"

            self._write_states(m, write_address, write_value, take_word, job, error)

            with m.State("SYNC"):
                send(protocol.REPLY_SYNC, "COMMAND", checksum=False)
            with m.State("COMMAND"):
                send(command, "STATUS")
            with m.State("STATUS"):
                send(job.status, "LENGTH_LOW")
            with m.State("LENGTH_LOW"):
                send(length[:8], "LENGTH_HIGH")
            with m.State("LENGTH_HIGH"):
                send(length[8:], "PAYLOAD")

            with m.State("PAYLOAD"):
                with m.If(sent == length):
                    with m.If(free):              # the last payload byte is in the CRC
                        m.next = "CRC_HIGH"
                with m.Elif(is_stimulus):
                    with m.If((update_left == 0) & ~took_update):
                        m.d.sync += want.eq(1)
                    with m.If((update_left != 0) & free):
                        send(update_word[:8])
                        m.d.sync += [update_word.eq(update_word >> 8),
                                     update_left.eq(update_left - 1), sent.eq(sent + 1)]
                with m.Elif(free):
                    source = Mux(command == Command.INFO,
                                 info_rom.word_select(sent[:ceil_log2(len(self._info))], 8),
                                 status_bits.word_select(sent[:ceil_log2(status_size)], 8))
                    send(source)
                    m.d.sync += sent.eq(sent + 1)

            with m.State("CRC_HIGH"):
                send(crc[8:], "CRC_LOW", checksum=False)
            with m.State("CRC_LOW"):
                send(crc[:8], "DONE", checksum=False)

            with m.State("DONE"):
                with m.If(ok):
                    m.d.sync += frames.eq(frames + 1)
                with m.Else():
                    m.d.sync += [errors.eq(errors + 1), last_error.eq(job.status)]
                m.next = "IDLE"
        m.d.comb += self.busy.eq(~fsm.ongoing("IDLE"))
        return m

    def _write_states(self, m, address, value, take_word, job, error):
        """WRITE: hand the record to the core; the core says whether it took the value."""
        if not self._config.programmable:
            with m.State("WRITE_APPLY"):   # unreachable: the parser rejects WRITE then
                m.d.comb += take_word.eq(1)
                m.next = "SYNC"
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
                    m.d.comb += error.eq(1)
                m.next = "SYNC"

    def _serializer(self, m, full, kb, vb, updates):
        """Turns updates into reply bytes, little-endian: k, then v'.

        Returns the bytes not yet sent (lowest first), how many are left, the
        ``want`` register (set it to take the next update) and whether an
        update is taken this cycle.

        ``updates.ready`` is a register of its own, so the core's ready chain (output
        ready → pipeline advance → input ready → reader) starts at a flip-flop rather
        than at the payload logic here.  It costs a cycle per update; the UART is far
        slower.
        """
        word = Signal(8 * (kb + vb))
        left = Signal(range(kb + vb + 1))
        payload = self.updates.payload
        want = Signal()
        m.d.comb += self.updates.ready.eq(want)
        now = self.updates.valid & want
        with m.If(now):
            m.d.sync += [
                word.eq(Cat(_extend(payload.spike_count, 8 * kb, True),
                            _extend(payload.membrane, 8 * vb, True))),
                left.eq(Mux(full, kb + vb, kb)),
                updates.eq(updates + 1),
                want.eq(0),
                self.spike.eq(payload.spike_count != 0),
            ]
        with m.Else():
            m.d.sync += self.spike.eq(0)
        return word, left, want, now

    def _status_bits(self, frames, errors, last_error, updates):
        """The STATUS reply payload as one wide value, and its size in bytes."""
        cfg = self._config
        if cfg.programmable:
            values = self.parameter_values
            threshold, decay, bias = values.threshold, values.decay, values.bias
        else:
            threshold = Const(cfg.threshold, unsigned(32))
            decay = Const(cfg.decay, unsigned(32))
            bias = Const(cfg.bias & 0xFFFFFFFF, unsigned(32))
        live = {"frames": frames, "errors": errors, "last_error": last_error,
                "next_neuron": self.next_neuron, "updates": updates, "threshold": threshold,
                "decay": decay, "bias": bias}
        bits = Cat(*(_extend(live[name], 8 * size, signed)
                     for name, size, signed in protocol.STATUS_FIELDS))
        return bits, protocol.layout_size(protocol.STATUS_FIELDS)
