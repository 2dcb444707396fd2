"""The receiving end of the host link: request frames in, checked requests out.

:class:`FrameParser` checks a request frame completely — length, checksum,
values — into one of two payload buffers before anything happens, and hands
it on as a *job*: a stream transfer of :func:`job_layout`.  What it checks
comes from a table of :class:`~boards.protocol.RequestFormat` (one per
command the board knows), so a core board and a network board share it.  A bad frame
(checksum, length, unknown command, value out of range, cut short, UART
error) becomes a job with an error status, which the executor answers with
an error reply and nothing else.  Before it hands such a job on, the parser
*drains*: it drops bytes until the line has been idle for ``timeout``
cycles, so the rest of a broken frame cannot be mistaken for a new one.  The
same timeout ends a frame that stops half-way, so the link never locks up.
"""

from amaranth.hdl import Cat, Const, Module, Signal
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from . import protocol
from .encoding import one_hot
from .protocol import Status

__all__ = ["FrameParser", "IdleTimer", "crc16_step", "job_layout", "buffer_address_width",
           "out_of_range"]


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


def out_of_range(value, low, high):
    """Whether the raw bits ``value`` (two's complement when ``low`` < 0) lie outside
    ``low … high``: a sign-extension or zero test where the range is a power of two."""
    bits = len(value)
    signed = low < 0
    least = -(1 << (bits - 1)) if signed else 0
    most = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    if high < low:
        return Const(1)
    if low <= least and high >= most:
        return Const(0)
    if signed and high == -low - 1 and high + 1 == 1 << (high.bit_length()):
        top = value[high.bit_length():]           # the sign bit and the bits above it
        return (top != 0) & (top != (1 << len(top)) - 1)
    if not signed and low == 0 and high + 1 == 1 << high.bit_length():
        return value[high.bit_length():] != 0
    number = value.as_signed() if signed else value
    return (number < low) | (number > high)


def buffer_address_width(max_payload):
    """Address bits of the two request buffers (bank bit included)."""
    return exact_log2(max_payload) + 1


def job_layout(max_payload):
    """A request handed from parser to executor.

    ``status`` is :attr:`Status.OK` or the error to answer; ``bank`` says
    which half of the buffer holds the payload, ``length`` its bytes and
    ``words`` the words in it (currents, input events, …).
    """
    size = range(max_payload + 1)
    return data.StructLayout({"command": 8, "status": 8, "bank": 1, "length": size,
                              "words": size})


def _select(flags, values, width):
    """The value of the flag that is set (at most one is; 0 when none), as an OR of
    ANDs rather than a priority chain."""
    result = Const(0, width)
    for flag, value in zip(flags, values):
        result = result | (flag.replicate(width) & Const(int(value), width))
    return result


class IdleTimer(wiring.Component):
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


class FrameParser(wiring.Component):
    """Parses request frames from a byte stream into checked jobs.

    Parameters
    ----------
    requests : sequence of boards.protocol.RequestFormat
        The commands the board knows and what their payloads must be; any
        other command is UNKNOWN_COMMAND.
    timeout : int
        Inter-byte timeout in clock cycles.
    max_payload : int
        Largest request payload in bytes, a power of two.

    Attributes
    ----------
    rx : In(stream.Signature(8))
        Received bytes.  Ready while the parser holds no byte: it holds one
        until a state handles it (not during the header checks, nor while a
        finished request waits for the executor).
    rx_error : In(1)
        Pulse from the UART receiver: framing error or overrun.
    buffer : In(memory.WritePort.Signature)
        Write port of the two request buffers; the payload of each good
        request goes into the half the last job did not use.
    jobs : Out(stream.Signature(job_layout))
        Checked requests and errors, one per frame.
    """

    def __init__(self, requests, *, timeout, max_payload):
        requests = tuple(requests)
        for request in requests:
            if not isinstance(request, protocol.RequestFormat):
                raise TypeError(f"requests must be RequestFormats, not {type(request).__name__}")
        commands = [int(request.command) for request in requests]
        if len(set(commands)) != len(commands):
            raise ValueError("requests name a command twice")
        self._requests = requests
        self._timeout = timeout
        self._max_payload = max_payload
        self._word_bytes = max([1] + [request.word_bytes for request in requests])
        super().__init__({
            "rx": In(stream.Signature(8)),
            "rx_error": In(1),
            "buffer": In(memory.WritePort.Signature(
                addr_width=buffer_address_width(max_payload), shape=8)),
            "jobs": Out(stream.Signature(job_layout(max_payload))),
        })

    @property
    def requests(self):
        return self._requests

    def _length_wrong(self, request, length):
        """LEN does not fit ``request``'s words (a partial last word is caught later)."""
        low = request.min_words * request.word_bytes
        if request.word_bytes == 0:
            return length != 0
        if request.max_words is not None:
            return (length < low) | (length > request.max_words * request.word_bytes)
        return length < low

    def _word_out_of_range(self, command, word):
        """A field of the word just received (the top bytes of ``word``) is out of range."""
        bad = Const(0)
        for request in self._requests:
            base = 8 * (self._word_bytes - request.word_bytes)
            for field in request.fields:
                bits = word[base + 8 * field.offset:base + 8 * (field.offset + field.size)]
                bad = bad | ((command == int(request.command))
                             & out_of_range(bits, field.low, field.high))
        return bad

    def elaborate(self, platform):
        m = Module()
        rx = self.rx
        command = Signal(8)
        length = Signal(16)
        count = Signal(range(self._max_payload + 1))      # payload bytes received
        remaining = Signal(range(self._max_payload + 1))  # payload bytes still to come
        words = Signal(range(self._max_payload + 1))      # whole words received
        word_bytes = Signal(range(self._word_bytes + 1))  # bytes per word of this command
        position = Signal(range(self._word_bytes))        # byte of the word being received
        word = Signal(8 * self._word_bytes)               # its bytes so far, at the top
        word_done = Signal()                              # a whole word is in ``word``
        # Registered decisions about the next payload byte: whether it ends a word,
        # whether it ends the payload (compares of counters stood in front of the
        # enables of every payload register).
        word_end = Signal()
        payload_end = Signal()
        bad_value = Signal()
        header = Signal(data.StructLayout({"unknown": 1, "too_long": 1, "bad_length": 1,
                                           "unsupported": 1, "empty": 1}))
        code = Signal(8)
        header_bad = Signal()
        command_is = Signal(len(self._requests))     # the command is request r's
        length_wrong = Signal(len(self._requests))   # LEN does not fit request r's words
        crc_bad = Signal()
        header_status = Signal(8)
        crc = Signal(16, init=protocol.CRC_INIT)
        bank = Signal()
        # A received byte goes into a register and waits there until a state
        # handles it: the enables of the registers it changes start at a
        # flip-flop, not at the receiver's valid through the decoding of the
        # parser's state, and ``rx.ready`` is a register's.  States that do not
        # take bytes (header checks, the wait for the executor) leave it there.
        byte = Signal(8, name="rx_byte")
        got = Signal(name="rx_got")          # ``byte`` holds a byte not handled yet
        handled = Signal()                   # this state handles it
        sync_byte = Signal(name="rx_sync")   # ``byte`` is the request sync byte
        m.d.comb += rx.ready.eq(~got)
        with m.If(handled):
            m.d.sync += got.eq(0)
        with m.If(rx.valid & rx.ready):
            m.d.sync += [byte.eq(rx.payload), got.eq(1),
                         sync_byte.eq(rx.payload == protocol.REQUEST_SYNC)]

        # The inter-byte timer is a submodule of its own: it counts every cycle, and in
        # Amaranth's simulator that then only wakes its own few signals.
        m.submodules.timer = timer = IdleTimer(self._timeout)
        in_frame, expired = timer.run, timer.expired
        m.d.comb += timer.restart.eq(rx.valid & rx.ready)

        # Field checks run a cycle after a word's last byte, from registers (short paths).
        m.d.sync += word_done.eq(0)
        with m.If(word_done & self._word_out_of_range(command, word)):
            m.d.sync += bad_value.eq(1)

        def fail(status, drain=True):
            m.d.sync += code.eq(status)
            m.next = "DRAIN" if drain else "POST"

        def receive():
            """In a state that takes a frame byte: errors and timeout first, then the byte.
            Checks on a byte happen a cycle later, from registers (short paths)."""
            m.d.comb += in_frame.eq(1)
            with m.If(self.rx_error):
                fail(Status.LINE_ERROR)
            with m.Elif(expired):
                fail(Status.TIMEOUT, drain=False)
            with m.Elif(got):
                m.d.comb += handled.eq(1)
                m.d.sync += crc.eq(crc16_step(crc, byte))
            return ~self.rx_error & ~expired & got

        with m.FSM(name="parser") as fsm:
            with m.State("IDLE"):
                # The last job has been handed on: start every frame's state afresh
                # while waiting (on every cycle here rather than on the sync byte, so
                # these registers' resets do not wait for the byte's decoding).
                m.d.comb += handled.eq(1)      # a byte before a sync byte is dropped
                m.d.sync += [command.eq(0), length.eq(0), count.eq(0), words.eq(0),
                             position.eq(0), bad_value.eq(0), code.eq(Status.OK),
                             crc.eq(protocol.CRC_INIT)]
                with m.If(got & sync_byte):
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
                # The header is complete: check command and length, each check into a
                # register of its own, then combine them, then pick the first that
                # failed (four cycles, no byte is handled meanwhile).
                m.d.comb += in_frame.eq(1)
                m.d.sync += [remaining.eq(length),
                             header.too_long.eq(length > self._max_payload),
                             header.empty.eq(length == 0),
                             payload_end.eq(length == 1),
                             *(flag.eq(command == int(request.command))
                               for flag, request in zip(command_is, self._requests)),
                             *(flag.eq(self._length_wrong(request, length))
                               for flag, request in zip(length_wrong, self._requests))]
                m.next = "HEADER_CHECKED"

            with m.State("HEADER_CHECKED"):
                m.d.comb += in_frame.eq(1)
                unsupported = [flag for flag, request in zip(command_is, self._requests)
                               if not request.supported]
                # The command's word size, as an OR over the one flag that is set.
                m.d.sync += [word_bytes.eq(_select(command_is, [request.word_bytes
                                                                for request in self._requests],
                                                   len(word_bytes))),
                             word_end.eq(_select(command_is, [request.word_bytes <= 1
                                                              for request in self._requests], 1))]
                m.d.sync += [header.unknown.eq(~command_is.any()),
                             header.bad_length.eq((command_is & length_wrong).any()),
                             header.unsupported.eq(Cat(*unsupported).any() if unsupported
                                                   else 0)]
                m.next = "HEADER_RESOLVED"

            with m.State("HEADER_RESOLVED"):
                # The first failed check, by priority, into registers of its own: the
                # priority chain stood in front of ``code``'s enable.
                m.d.comb += in_frame.eq(1)
                m.d.sync += header_bad.eq(header.unknown | header.too_long | header.bad_length
                                          | header.unsupported)
                with m.If(header.unknown):
                    m.d.sync += header_status.eq(Status.UNKNOWN_COMMAND)
                with m.Elif(header.too_long):
                    m.d.sync += header_status.eq(Status.TOO_LONG)
                with m.Elif(header.bad_length):
                    m.d.sync += header_status.eq(Status.BAD_LENGTH)
                with m.Else():
                    m.d.sync += header_status.eq(Status.UNSUPPORTED)
                m.next = "HEADER_DECIDED"

            with m.State("HEADER_DECIDED"):
                m.d.comb += in_frame.eq(1)
                with m.If(header_bad):
                    m.d.sync += code.eq(header_status)
                    m.next = "DRAIN"
                with m.Elif(header.empty):
                    m.next = "CRC_HIGH"
                with m.Else():
                    m.next = "PAYLOAD"

            with m.State("PAYLOAD"):
                address_bits = exact_log2(self._max_payload)
                m.d.comb += [self.buffer.addr.eq(Cat(count[:address_bits], bank)),
                             self.buffer.data.eq(byte)]
                with m.If(receive()):
                    m.d.comb += self.buffer.en.eq(1)
                    m.d.sync += [count.eq(count + 1), remaining.eq(remaining - 1),
                                 word.eq(Cat(word[8:], byte)), payload_end.eq(remaining == 2)]
                    with m.If(word_end):
                        m.d.sync += [position.eq(0), word_end.eq(word_bytes <= 1),
                                     words.eq(words + 1), word_done.eq(1)]
                    with m.Else():
                        m.d.sync += [position.eq(position + 1),
                                     word_end.eq(position + 2 == word_bytes)]
                    with m.If(payload_end):
                        m.next = "CRC_HIGH"

            with m.State("CRC_HIGH"):
                with m.If(receive()):
                    m.next = "CRC_LOW"

            with m.State("CRC_LOW"):
                with m.If(receive()):
                    m.next = "CHECK_CRC"

            with m.State("CHECK_CRC"):
                # The CRC over the frame including its own CRC (big-endian) is zero;
                # the compare goes into a register (an OR tree in front of ``code``).
                m.d.comb += in_frame.eq(1)
                m.d.sync += crc_bad.eq(crc != 0)
                m.next = "CHECK"

            with m.State("CHECK"):
                m.d.comb += in_frame.eq(1)
                with m.If(crc_bad):
                    fail(Status.BAD_CHECKSUM)
                with m.Elif(position != 0):
                    fail(Status.BAD_LENGTH, drain=False)     # not a whole number of words
                with m.Elif(bad_value):
                    fail(Status.BAD_VALUE, drain=False)
                with m.Else():
                    m.next = "POST"

            with m.State("DRAIN"):
                # Drop bytes until the line has been quiet for a whole timeout.
                m.d.comb += [handled.eq(1), in_frame.eq(1)]
                with m.If(expired):
                    m.next = "POST"

            with m.State("POST"):
                # Hand the request (or its error) to the executor once it takes it.
                job = self.jobs.payload
                m.d.comb += [self.jobs.valid.eq(1), job.command.eq(command),
                             job.status.eq(code), job.bank.eq(bank), job.length.eq(count),
                             job.words.eq(words)]
                with m.If(self.jobs.ready):
                    with m.If((code == Status.OK) & (count != 0)):
                        m.d.sync += bank.eq(~bank)   # the executor owns that buffer now
                    m.next = "IDLE"
        one_hot(fsm)
        return m
