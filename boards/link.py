"""The gateware end of the host link: frame parser and request engine.

Bytes from the UART receiver go through a *parser* that checks a request
frame completely — length, checksum, values — into one of two payload
buffers before anything happens.  A good request becomes a *job* for the
*executor*, which runs it against the core and streams the reply frame to
the UART transmitter.  The parser takes the next request into the other
buffer while the executor still streams the previous reply, so a host that
keeps two requests in flight keeps the line busy in both directions.

A bad frame (checksum, length, unknown command, value out of range, cut
short, UART error) becomes an error job: the executor sends an error reply
and nothing else changes.  Before it does, the parser *drains*: it drops
bytes until the line has been idle for ``timeout`` cycles, so the rest of a
broken frame cannot be mistaken for a new one.  The same timeout ends a
frame that stops half-way, so the link never locks up.
"""

from amaranth.hdl import Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import memory, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2, exact_log2

from golden import LIFConfig
from hdl.interfaces import (current_signature, neuron_index_shape, parameter_signature,
                            round_robin_next, update_signature)

from . import protocol
from .protocol import Command, Status

__all__ = ["LinkEngine", "crc16_step"]


def _crc16_matrix():
    """Which of the 24 input bits (CRC bits 0–15, then byte bits 0–7) each CRC output bit XORs.

    CRC is linear over GF(2): running the bit-serial algorithm on bit masks instead of bits
    gives, for every output bit, the set of inputs it is the XOR of.
    """
    bits = [1 << i for i in range(16)]                       # crc bit i is input i
    for i in range(8):
        bits[8 + i] ^= 1 << (16 + i)                         # crc ^= byte << 8
    for _ in range(8):
        top = bits[15]
        bits = [0] + bits[:15]                               # crc << 1
        bits = [b ^ (top if protocol.CRC_POLY >> i & 1 else 0) for i, b in enumerate(bits)]
    return bits


_CRC16_MATRIX = _crc16_matrix()


def crc16_step(crc, byte):
    """CRC-16/CCITT-FALSE of one byte as an Amaranth expression: a flat XOR network."""
    inputs = [crc[i] for i in range(16)] + [byte[i] for i in range(8)]
    outputs = []
    for mask in _CRC16_MATRIX:
        terms = [inputs[i] for i in range(24) if mask >> i & 1]
        value = terms[0]
        for term in terms[1:]:
            value = value ^ term
        outputs.append(value)
    return Cat(*outputs)


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


class _IdleTimer(wiring.Component):
    """Counts clock cycles since the last ``restart`` while ``run`` is high.

    ``expired`` rises once ``cycles`` cycles have passed without a restart; it
    is registered and so is everything else here, so the counting never ripples
    into the logic that watches ``expired``.
    """

    def __init__(self, cycles):
        self._cycles = cycles
        super().__init__({"run": In(1), "restart": In(1), "expired": Out(1)})

    def elaborate(self, platform):
        m = Module()
        count = Signal(range(self._cycles + 1))
        with m.If(~self.run | self.restart):
            m.d.sync += [count.eq(0), self.expired.eq(0)]
        with m.Elif(count == self._cycles - 1):
            m.d.sync += self.expired.eq(1)
        with m.Else():
            m.d.sync += count.eq(count + 1)
        return m


class LinkEngine(wiring.Component):
    """Parses request frames from a byte stream, runs them on a LIF core, streams replies.

    Parameters
    ----------
    config : golden.LIFConfig
        The core behind the link (it goes into the INFO reply and decides the
        byte sizes of currents, spike counts and membranes).
    clock_hz : int
        Clock frequency, reported in the INFO reply.
    divisor : int
        UART clocks per bit, reported in the INFO reply.
    timeout : int
        Inter-byte timeout in clock cycles: a frame that pauses this long is
        abandoned, and draining after an error ends once the line has been
        idle this long.
    max_payload : int
        Largest request payload in bytes, a power of two (two buffers of this
        size are needed).

    Attributes
    ----------
    rx : In(stream.Signature(8))
        Received bytes.  Always ready, except while a finished request waits
        for the executor.
    rx_error : In(1)
        Pulse from the UART receiver: framing error or overrun.
    tx : Out(stream.Signature(8))
        Reply bytes for the UART transmitter.
    currents : Out(stream.Signature(signed(input_width)))
        To the core's ``currents``.
    updates : In(stream.Signature(update_layout))
        From the core's ``updates``.
    parameters : Out(stream.Signature(parameter_write_layout))
        To the core's ``parameters``; only when ``config.programmable``.
    core_reset : Out(1)
        Resets the core (one cycle) for the RESET command.
    spike : Out(1)
        Pulse: an update with a non-zero spike count was sent.
    error : Out(1)
        Pulse: an error reply starts.
    busy : Out(1)
        The executor is running a request.
    """

    def __init__(self, config, *, clock_hz, divisor, timeout, max_payload=protocol.MAX_PAYLOAD):
        if not isinstance(config, LIFConfig):
            raise TypeError(f"config must be a golden.LIFConfig, not {type(config).__name__}")
        for name, value, low, high in (("clock_hz", clock_hz, 1, 2 ** 32 - 1),
                                       ("divisor", divisor, 1, 2 ** 16 - 1),
                                       ("timeout", timeout, 1, 2 ** 32 - 1),
                                       ("max_payload", max_payload, 8, 2 ** 15)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an integer, not {value!r}")
            if not low <= value <= high:
                raise ValueError(f"{name} must be in {low} … {high}, not {value}")
        exact_log2(max_payload)  # raises ValueError unless a power of two
        self._config = config
        self._clock_hz = clock_hz
        self._divisor = divisor
        self._timeout = timeout
        self._max_payload = max_payload
        members = {
            "rx": In(stream.Signature(8)),
            "rx_error": In(1),
            "tx": Out(stream.Signature(8)),
            "currents": Out(current_signature(config)),
            "updates": In(update_signature(config)),
            "core_reset": Out(1),
            "spike": Out(1),
            "error": Out(1),
            "busy": Out(1),
        }
        if config.programmable:
            members["parameters"] = Out(parameter_signature())
        super().__init__(members)

    @property
    def config(self):
        return self._config

    @property
    def max_payload(self):
        return self._max_payload

    @property
    def timeout(self):
        return self._timeout

    def elaborate(self, platform):
        m = Module()
        self._cfg = cfg = self._config
        self._bi = protocol.current_bytes(cfg)
        m.submodules.buffer = buffer = memory.Memory(
            shape=8, depth=2 * self._max_payload, init=[])
        self._write_port = buffer.write_port()
        self._read_port = buffer.read_port(transparent_for=())

        # The job handed from parser to executor.
        self._job = {
            "command": Signal(8, name="job_command"),
            "status": Signal(8, name="job_status"),
            "bank": Signal(name="job_bank"),
            "length": Signal(range(self._max_payload + 1), name="job_length"),
            "words": Signal(range(self._max_payload + 1), name="job_words"),
        }
        self._exec_idle = Signal()
        self._start = Signal()
        self._parser(m)
        self._executor(m)
        return m

    # --- parser -------------------------------------------------------------------------------

    def _parser(self, m):
        cfg, bi, rx = self._cfg, self._bi, self.rx
        command = Signal(8)
        length = Signal(16)
        count = Signal(range(self._max_payload + 1))      # payload bytes received
        remaining = Signal(range(self._max_payload + 1))  # payload bytes still to come
        words = Signal(range(self._max_payload + 1))      # whole currents received
        position = Signal(range(bi))                      # byte of the current being received
        bad_value = Signal()
        code = Signal(8)
        crc = Signal(16, init=protocol.CRC_INIT)
        bank = Signal()
        byte = rx.payload
        got = rx.valid & rx.ready

        stimulus = (command == Command.STIMULUS) | (command == Command.STIMULUS_FULL)
        # The inter-byte timer is a submodule of its own: it counts every cycle, and in
        # Amaranth's simulator that then only wakes its own few signals.
        m.submodules.timer = timer = _IdleTimer(self._timeout)
        in_frame, expired = timer.run, timer.expired
        m.d.comb += timer.restart.eq(got)

        def fail(status, drain=True):
            m.d.sync += code.eq(status)
            m.next = "DRAIN" if drain else "POST"

        def receive():
            """In a state that takes a frame byte: errors and timeout first, then the byte.
            Checks on a byte happen a cycle later, from registers (short paths)."""
            m.d.comb += [rx.ready.eq(1), in_frame.eq(1)]
            with m.If(self.rx_error):
                fail(Status.LINE_ERROR)
            with m.Elif(expired):
                fail(Status.TIMEOUT, drain=False)
            with m.Elif(got):
                m.d.sync += crc.eq(crc16_step(crc, byte))
            return ~self.rx_error & ~expired & got

        with m.FSM(name="parser"):
            with m.State("IDLE"):
                m.d.comb += rx.ready.eq(1)
                with m.If(got & (byte == protocol.REQUEST_SYNC)):
                    m.d.sync += [command.eq(0), length.eq(0), count.eq(0), words.eq(0),
                                 position.eq(0), bad_value.eq(0), code.eq(Status.OK),
                                 crc.eq(protocol.CRC_INIT)]
                    m.next = "COMMAND"

            with m.State("COMMAND"):
                with m.If(receive()):
                    m.d.sync += command.eq(byte)
                    m.next = "LENGTH_LOW"

            with m.State("LENGTH_LOW"):
                with m.If(receive()):
                    m.d.sync += length[:8].eq(byte)
                    m.next = "LENGTH_HIGH"

            with m.State("LENGTH_HIGH"):
                with m.If(receive()):
                    m.d.sync += length[8:].eq(byte)
                    m.next = "HEADER"

            with m.State("HEADER"):
                # The header is complete: check command and length (one cycle, no byte
                # can arrive meanwhile).
                m.d.comb += in_frame.eq(1)
                no_payload = ((command == Command.INFO) | (command == Command.STATUS)
                              | (command == Command.RESET))
                known = no_payload | stimulus | (command == Command.WRITE)
                m.d.sync += remaining.eq(length)
                with m.If(~known):
                    fail(Status.UNKNOWN_COMMAND)
                with m.Elif(length > self._max_payload):
                    fail(Status.TOO_LONG)
                with m.Elif((no_payload & (length != 0))
                            | ((command == Command.WRITE) & (length != 5))
                            | (stimulus & (length == 0))):
                    fail(Status.BAD_LENGTH)
                with m.Elif((command == Command.WRITE) & (not cfg.programmable)):
                    fail(Status.UNSUPPORTED)
                with m.Elif(length == 0):
                    m.next = "CRC_HIGH"
                with m.Else():
                    m.next = "PAYLOAD"

            with m.State("PAYLOAD"):
                address_bits = exact_log2(self._max_payload)
                m.d.comb += [self._write_port.addr.eq(Cat(count[:address_bits], bank)),
                             self._write_port.data.eq(byte)]
                with m.If(receive()):
                    m.d.comb += self._write_port.en.eq(1)
                    m.d.sync += [count.eq(count + 1), remaining.eq(remaining - 1)]
                    last_byte_of_current = position == bi - 1
                    m.d.sync += position.eq(Mux(last_byte_of_current, 0, position + 1))
                    with m.If(last_byte_of_current):
                        m.d.sync += words.eq(words + 1)
                        if cfg.input_width % 8:
                            # Bits above the sign bit must repeat it: the current fits input_width.
                            top = byte[(cfg.input_width - 1) % 8:]
                            with m.If(stimulus & (top != 0) & (top != (1 << len(top)) - 1)):
                                m.d.sync += bad_value.eq(1)
                    with m.If(remaining == 1):
                        m.next = "CRC_HIGH"

            with m.State("CRC_HIGH"):
                with m.If(receive()):
                    m.next = "CRC_LOW"

            with m.State("CRC_LOW"):
                with m.If(receive()):
                    m.next = "CHECK"

            with m.State("CHECK"):
                # The CRC over the frame including its own CRC (big-endian) is zero.
                m.d.comb += in_frame.eq(1)
                with m.If(crc != 0):
                    fail(Status.BAD_CHECKSUM)
                with m.Elif(stimulus & (position != 0)):
                    fail(Status.BAD_LENGTH, drain=False)
                with m.Elif(bad_value):
                    fail(Status.BAD_VALUE, drain=False)
                with m.Else():
                    m.next = "POST"

            with m.State("DRAIN"):
                # Drop bytes until the line has been quiet for a whole timeout.
                m.d.comb += [rx.ready.eq(1), in_frame.eq(1)]
                with m.If(expired):
                    m.next = "POST"

            with m.State("POST"):
                # Hand the request (or its error) to the executor once it is free.
                with m.If(self._exec_idle):
                    job = self._job
                    m.d.comb += self._start.eq(1)
                    m.d.sync += [job["command"].eq(command), job["status"].eq(code),
                                 job["bank"].eq(bank), job["length"].eq(count),
                                 job["words"].eq(words)]
                    with m.If((code == Status.OK) & (count != 0)):
                        m.d.sync += bank.eq(~bank)   # the executor owns that buffer now
                    m.next = "IDLE"

    # --- executor -----------------------------------------------------------------------------

    def _executor(self, m):
        cfg, job, tx = self._cfg, self._job, self.tx
        kb, vb = protocol.spike_bytes(cfg), protocol.membrane_bytes(cfg)
        full_bytes = kb + vb

        # Live parameter values and counters (STATUS).
        threshold = Signal(unsigned(32), init=cfg.threshold, name="live_threshold")
        decay = Signal(unsigned(32), init=cfg.decay, name="live_decay")
        bias = Signal(unsigned(32), init=cfg.bias & 0xFFFFFFFF, name="live_bias")
        frames = Signal(16)
        errors = Signal(16)
        last_error = Signal(8)
        next_neuron = Signal(neuron_index_shape(cfg))
        updates = Signal(32)

        length = Signal(16)            # reply payload bytes
        sent = Signal(16)              # reply payload bytes sent
        crc = Signal(16, init=protocol.CRC_INIT)
        full = Signal()                # STIMULUS_FULL: membranes too
        is_stimulus = Signal()

        # Feeder: reads request bytes from the job's buffer into words.
        word_bytes = max(self._bi, 5)
        word = Signal(8 * word_bytes)
        feed_at = Signal(range(self._max_payload + 1))
        feed_position = Signal(range(word_bytes + 1))
        address_bits = exact_log2(self._max_payload)
        read = self._read_port
        m.d.comb += [read.addr.eq(Cat(feed_at[:address_bits], job["bank"])), read.en.eq(1)]
        feed_start = Signal()
        feed_bytes = Signal(range(word_bytes + 1))   # bytes per word: current or WRITE record
        write_word = Signal()                         # a whole WRITE record is in ``word``

        with m.FSM(name="feeder"):
            with m.State("IDLE"):
                with m.If(feed_start):
                    m.d.sync += [feed_at.eq(0), feed_position.eq(0)]
                    m.next = "ADDRESS"
            with m.State("ADDRESS"):
                m.next = "DATA"                        # the read port answers next cycle
            with m.State("DATA"):
                m.d.sync += [word.eq(Cat(word[8:], read.data)), feed_at.eq(feed_at + 1),
                             feed_position.eq(feed_position + 1)]
                with m.If(feed_position == feed_bytes - 1):
                    m.next = "WORD"
                with m.Else():
                    m.next = "ADDRESS"
            with m.State("WORD"):
                with m.If(is_stimulus):
                    current = word[8 * (word_bytes - self._bi):][:cfg.input_width]
                    m.d.comb += [self.currents.valid.eq(1), self.currents.payload.eq(current)]
                    with m.If(self.currents.ready):
                        m.d.sync += [
                            feed_position.eq(0),
                            next_neuron.eq(round_robin_next(cfg, next_neuron)),
                        ]
                        with m.If(feed_at == job["length"]):
                            m.next = "IDLE"
                        with m.Else():
                            m.next = "ADDRESS"
                with m.Else():
                    m.d.comb += write_word.eq(1)
                    m.next = "IDLE"

        write_address = word[-40:-32]
        write_value = word[-32:].as_signed()

        # Serializer: turns an update into reply bytes, little-endian: k, then v'.
        update_word = Signal(8 * full_bytes)
        update_left = Signal(range(full_bytes + 1))
        payload = self.updates.payload
        # ``updates.ready`` is a register of its own, so the core's ready chain (output
        # ready → pipeline advance → input ready → feeder) starts at a flip-flop rather than
        # at the payload logic here.  It costs a cycle per update; the UART is far slower.
        want = Signal()
        m.d.comb += self.updates.ready.eq(want)
        took_update = self.updates.valid & want
        with m.If(took_update):
            m.d.sync += [
                update_word.eq(Cat(_extend(payload.spike_count, 8 * kb, True),
                                   _extend(payload.membrane, 8 * vb, True))),
                update_left.eq(Mux(full, full_bytes, kb)),
                updates.eq(updates + 1),
                want.eq(0),
                self.spike.eq(payload.spike_count != 0),
            ]
        with m.Else():
            m.d.sync += self.spike.eq(0)
        error = Signal()                 # an error reply starts (registered onto ``error``)
        m.d.sync += self.error.eq(error)

        # Range check of a WRITE, registered (WRITE_RANGE waits for it).
        limits = {
            protocol.PARAMETERS["threshold"]: (1, cfg.v_max),
            protocol.PARAMETERS["decay"]: (0, 1 << cfg.decay_shift),
            protocol.PARAMETERS["bias"]: (cfg.current_min, cfg.current_max),
        }
        in_range = Signal()
        check = Const(0)
        for address, (low, high) in limits.items():
            check = check | ((write_address == address)
                             & (write_value >= low) & (write_value <= high))
        m.d.sync += in_range.eq(check)

        info = protocol.info_payload(cfg, clock_hz=self._clock_hz, divisor=self._divisor,
                                     max_payload=self._max_payload)
        info_rom = Const(int.from_bytes(info, "little"), 8 * len(info))
        live = {"frames": frames, "errors": errors, "last_error": last_error,
                "next_neuron": next_neuron, "updates": updates, "threshold": threshold,
                "decay": decay, "bias": bias}
        status_bits = Cat(*(_extend(live[name], 8 * size, signed)
                            for name, size, signed in protocol.STATUS_FIELDS))
        status_size = protocol.layout_size(protocol.STATUS_FIELDS)

        command = job["command"]
        ok = job["status"] == Status.OK

        # The reply leaves through a register: the byte sources (header fields, the INFO and
        # STATUS multiplexers, the serializer) end at ``out_byte``, not at the UART.
        out_byte = Signal(8)
        out_valid = Signal()
        out_checksum = Signal()          # the byte counts in the CRC
        free = ~out_valid                # a new byte may be loaded this cycle
        m.d.comb += [tx.valid.eq(out_valid), tx.payload.eq(out_byte)]
        with m.If(out_valid & tx.ready):
            m.d.sync += out_valid.eq(0)
            with m.If(out_checksum):
                m.d.sync += crc.eq(crc16_step(crc, out_byte))

        def send(value, next_state=None, *, checksum=True):
            """Load ``value`` when the output register is free (and go to ``next_state``)."""
            with m.If(free):
                m.d.sync += [out_byte.eq(value), out_valid.eq(1), out_checksum.eq(checksum)]
                if next_state is not None:
                    m.next = next_state

        with m.FSM(name="executor"):
            with m.State("IDLE"):
                m.d.comb += self._exec_idle.eq(1)
                with m.If(self._start):
                    m.next = "START"

            with m.State("START"):
                m.d.comb += self.busy.eq(1)
                m.d.sync += [sent.eq(0), length.eq(0), crc.eq(protocol.CRC_INIT),
                             full.eq(command == Command.STIMULUS_FULL),
                             is_stimulus.eq(0)]
                with m.If(~ok):
                    m.d.comb += error.eq(1)
                    m.next = "SYNC"
                with m.Elif(command == Command.INFO):
                    m.d.sync += length.eq(len(info))
                    m.next = "SYNC"
                with m.Elif(command == Command.STATUS):
                    m.d.sync += length.eq(status_size)
                    m.next = "SYNC"
                with m.Elif(command == Command.RESET):
                    m.d.comb += self.core_reset.eq(1)
                    m.next = "RESET"
                with m.Elif(command == Command.WRITE):
                    m.d.comb += feed_start.eq(1)
                    m.d.sync += feed_bytes.eq(5)
                    m.next = "WRITE_READ"
                with m.Else():  # STIMULUS, STIMULUS_FULL
                    m.d.comb += feed_start.eq(1)
                    m.d.sync += [feed_bytes.eq(self._bi), is_stimulus.eq(1),
                                 length.eq(Mux(command == Command.STIMULUS_FULL,
                                               _times(job["words"], full_bytes),
                                               _times(job["words"], kb)))]
                    m.next = "SYNC"

            with m.State("RESET"):
                # The core clears its membranes after reset, then takes currents again.
                m.d.comb += self.busy.eq(1)
                with m.If(self.currents.ready):
                    m.d.sync += [next_neuron.eq(0), threshold.eq(threshold.init),
                                 decay.eq(decay.init), bias.eq(bias.init)]
                    m.next = "SYNC"

            with m.State("WRITE_READ"):
                m.d.comb += self.busy.eq(1)
                with m.If(write_word):
                    m.next = "WRITE_RANGE"

            with m.State("WRITE_RANGE"):
                m.d.comb += self.busy.eq(1)
                m.next = "WRITE_CHECK"           # ``in_range`` is valid from the next cycle

            with m.State("WRITE_CHECK"):
                m.d.comb += self.busy.eq(1)
                with m.If(in_range):
                    m.next = "WRITE_APPLY"
                with m.Else():
                    m.d.sync += job["status"].eq(Status.BAD_VALUE)
                    m.d.comb += error.eq(1)
                    m.next = "SYNC"

            with m.State("WRITE_APPLY"):
                m.d.comb += self.busy.eq(1)
                if cfg.programmable:
                    write = self.parameters
                    m.d.comb += [write.valid.eq(1), write.payload.address.eq(write_address),
                                 write.payload.value.eq(write_value)]
                    with m.If(write.ready):
                        for name, register in (("threshold", threshold), ("decay", decay),
                                               ("bias", bias)):
                            with m.If(write_address == protocol.PARAMETERS[name]):
                                m.d.sync += register.eq(write_value)
                        m.next = "SYNC"
                else:
                    m.next = "SYNC"   # unreachable: the parser rejects WRITE then

            with m.State("SYNC"):
                m.d.comb += self.busy.eq(1)
                send(protocol.REPLY_SYNC, "COMMAND", checksum=False)
            with m.State("COMMAND"):
                m.d.comb += self.busy.eq(1)
                send(command, "STATUS")
            with m.State("STATUS"):
                m.d.comb += self.busy.eq(1)
                send(job["status"], "LENGTH_LOW")
            with m.State("LENGTH_LOW"):
                m.d.comb += self.busy.eq(1)
                send(length[:8], "LENGTH_HIGH")
            with m.State("LENGTH_HIGH"):
                m.d.comb += self.busy.eq(1)
                send(length[8:], "PAYLOAD")

            with m.State("PAYLOAD"):
                m.d.comb += self.busy.eq(1)
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
                                 info_rom.word_select(sent[:ceil_log2(len(info))], 8),
                                 status_bits.word_select(sent[:ceil_log2(status_size)], 8))
                    send(source)
                    m.d.sync += sent.eq(sent + 1)

            with m.State("CRC_HIGH"):
                m.d.comb += self.busy.eq(1)
                send(crc[8:], "CRC_LOW", checksum=False)
            with m.State("CRC_LOW"):
                m.d.comb += self.busy.eq(1)
                send(crc[:8], "DONE", checksum=False)

            with m.State("DONE"):
                m.d.comb += self.busy.eq(1)
                with m.If(ok):
                    m.d.sync += frames.eq(frames + 1)
                with m.Else():
                    m.d.sync += [errors.eq(errors + 1), last_error.eq(job["status"])]
                m.next = "IDLE"
