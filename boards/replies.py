"""The sending end of the host link: reply frames, whatever the board holds.

Every executor (the core's :class:`~boards.executor.RequestExecutor`, the
network's :class:`~boards.network_executor.NetworkExecutor`) answers each
request with one reply; the framing is the same for both and lives here:

* :class:`ReplyFramer` takes a header (command, status, length) and exactly
  ``length`` payload bytes and sends sync, header, payload and CRC through
  one output register; it also keeps the reply counters of STATUS.
* :class:`WordSerializer` turns words (an update, a record of a result) into
  their little-endian bytes for the framer.
* :func:`feed_payload` gives the framer its payload: a serializer's bytes,
  or byte by byte a wide value — a constant such as the INFO payload, or
  live counters such as STATUS.
"""

from amaranth.hdl import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from . import protocol
from .encoding import one_hot
from .frames import crc16_step
from .protocol import Status

__all__ = ["ReplyFramer", "WordSerializer", "reply_header_layout", "feed_payload",
           "extend", "times"]


def extend(value, bits, signed):
    """The raw bits of ``value`` sign- or zero-extended (or cut) to ``bits`` bits."""
    value = value.as_value() if hasattr(value, "as_value") else value
    if len(value) >= bits:
        return value[:bits]
    fill = value[-1] if signed else Cat(0)
    return Cat(value, fill.replicate(bits - len(value)))


def times(value, constant):
    """``value * constant`` as shifts and adds (no multiplier, no DSP block)."""
    terms = [value << bit for bit in range(constant.bit_length()) if constant >> bit & 1]
    if not terms:
        return value & 0
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def reply_header_layout():
    """What a reply says before its payload: the request's command, the status and the
    payload length."""
    return data.StructLayout({"command": 8, "status": 8, "length": 16})


class ReplyFramer(wiring.Component):
    """Sends one reply frame at a time: sync, header, payload bytes, CRC.

    Every byte leaves through one register, so the byte sources (header
    fields, tables, serializers) end there and not at the UART.  The
    framer counts the replies it sent for STATUS.

    Attributes
    ----------
    header : In(stream.Signature(reply_header_layout()))
        Starts a reply; taken while the framer is idle.
    payload : In(stream.Signature(8))
        Exactly ``header.length`` bytes, taken one by one while the reply is
        under way.
    tx : Out(stream.Signature(8))
        Reply bytes for the UART transmitter.
    busy : Out(1)
        A reply is under way (from the cycle after its header was taken to
        its last byte handed to ``tx``).
    error : Out(1)
        Pulse: an error reply starts.
    frames, errors : Out(16)
        OK replies and error replies sent (mod 2^16).
    last_error : Out(8)
        Status of the latest error reply (0: none yet).
    """

    def __init__(self):
        super().__init__({
            "header": In(stream.Signature(reply_header_layout())),
            "payload": In(stream.Signature(8)),
            "tx": Out(stream.Signature(8)),
            "busy": Out(1),
            "error": Out(1),
            "frames": Out(16),
            "errors": Out(16),
            "last_error": Out(8),
        })

    def elaborate(self, platform):
        m = Module()
        header = Signal(reply_header_layout())
        remaining = Signal(16)         # payload bytes still to send
        taking = Signal()              # in PAYLOAD with bytes to come, as a register:
                                       # ``payload.ready`` starts at flip-flops, not at
                                       # a 16-bit compare or the decoding of the state
        crc = Signal(16, init=protocol.CRC_INIT)
        out_byte, out_valid, out_checksum = Signal(8), Signal(), Signal()
        free = ~out_valid              # a new byte may be loaded this cycle
        # A byte taken goes into the CRC the cycle after, from registers: the CRC
        # step behind the transmitter's ``ready`` was the ULX3S bitstream's critical
        # path.  ``out_byte`` still holds it then (a new byte loads at that edge),
        # and the CRC is sent only from the cycle after the last byte was taken.
        checksum_pending = Signal()
        m.d.comb += [self.tx.valid.eq(out_valid), self.tx.payload.eq(out_byte)]
        m.d.sync += checksum_pending.eq(out_valid & self.tx.ready & out_checksum)
        with m.If(checksum_pending):
            m.d.sync += crc.eq(crc16_step(crc, out_byte))
        with m.If(out_valid & self.tx.ready):
            m.d.sync += out_valid.eq(0)
        m.d.sync += self.error.eq(0)

        def send(value, next_state=None, *, checksum=True):
            """Load ``value`` when the output register is free (and go to ``next_state``)."""
            with m.If(free):
                m.d.sync += [out_byte.eq(value), out_valid.eq(1), out_checksum.eq(checksum)]
                if next_state is not None:
                    m.next = next_state

        with m.FSM(name="framer") as fsm:
            with m.State("IDLE"):
                m.d.comb += self.header.ready.eq(1)
                with m.If(self.header.valid):
                    m.d.sync += [header.eq(self.header.payload),
                                 remaining.eq(self.header.payload.length),
                                 crc.eq(protocol.CRC_INIT),
                                 self.error.eq(self.header.payload.status != Status.OK)]
                    m.next = "SYNC"
            with m.State("SYNC"):
                send(protocol.REPLY_SYNC, "COMMAND", checksum=False)
            with m.State("COMMAND"):
                send(header.command, "STATUS")
            with m.State("STATUS"):
                send(header.status, "LENGTH_LOW")
            with m.State("LENGTH_LOW"):
                send(header.length[:8], "LENGTH_HIGH")
            with m.State("LENGTH_HIGH"):
                send(header.length[8:], "PAYLOAD")
                with m.If(free):
                    m.d.sync += taking.eq(header.length != 0)
            with m.State("PAYLOAD"):
                m.d.comb += self.payload.ready.eq(free & taking)
                with m.If(~taking):
                    with m.If(free):              # the last payload byte is in the CRC
                        m.next = "CRC_HIGH"
                with m.Elif(self.payload.valid & free):
                    send(self.payload.payload)
                    m.d.sync += [remaining.eq(remaining - 1), taking.eq(remaining != 1)]
            with m.State("CRC_HIGH"):
                send(crc[8:], "CRC_LOW", checksum=False)
            with m.State("CRC_LOW"):
                send(crc[:8], "DONE", checksum=False)
            with m.State("DONE"):
                with m.If(header.status == Status.OK):
                    m.d.sync += self.frames.eq(self.frames + 1)
                with m.Else():
                    m.d.sync += [self.errors.eq(self.errors + 1),
                                 self.last_error.eq(header.status)]
                m.next = "IDLE"
        one_hot(fsm)
        m.d.comb += self.busy.eq(~fsm.ongoing("IDLE"))
        return m


class WordSerializer(wiring.Component):
    """Turns words into their bytes, little-endian: the lowest ``size`` bytes of each.

    ``words.ready`` is a register of its own, so whatever feeds the words
    (a core's pipeline, a network's update streams) starts its ready chain
    at a flip-flop rather than at the reply logic.  It costs a cycle per
    word; the UART is far slower.

    Parameters
    ----------
    word_bytes : int
        Bytes of the widest word.

    Attributes
    ----------
    words : In(stream.Signature(data, size))
        ``data`` (8·word_bytes bits) and ``size``: how many of its bytes to send (≥ 1).
    bytes : Out(stream.Signature(8))
    """

    def __init__(self, word_bytes):
        if isinstance(word_bytes, bool) or not isinstance(word_bytes, int) or word_bytes < 1:
            raise ValueError(f"word_bytes must be a positive int, not {word_bytes!r}")
        self._word_bytes = word_bytes
        super().__init__({
            "words": In(stream.Signature(data.StructLayout({
                "data": 8 * word_bytes, "size": range(1, word_bytes + 1)}))),
            "bytes": Out(stream.Signature(8)),
        })

    def elaborate(self, platform):
        m = Module()
        word = Signal(8 * self._word_bytes)
        left = Signal(range(self._word_bytes + 1))
        want = Signal(init=1)
        m.d.comb += [self.words.ready.eq(want), self.bytes.valid.eq(left != 0),
                     self.bytes.payload.eq(word[:8])]
        with m.If(self.words.valid & want):
            m.d.sync += [word.eq(self.words.payload.data), left.eq(self.words.payload.size),
                         want.eq(0)]
        with m.If(self.bytes.valid & self.bytes.ready):
            m.d.sync += [word.eq(word >> 8), left.eq(left - 1), want.eq(left == 1)]
        return m


def feed_payload(m, framer, command, tables, serializer, serialized):
    """Drive ``framer.payload``: the bytes of ``serializer`` while ``serialized`` is high,
    else the table of the reply's ``command`` byte by byte.

    Parameters
    ----------
    tables : sequence of (command, value, size)
        The payload of a reply to ``command``: ``size`` bytes of ``value``, a
        wide constant (INFO) or live value (STATUS).
    """
    index = Signal(16, name="table_index")          # table bytes sent
    # The byte at ``index`` reaches the framer through two registers: the
    # four-byte group at ``index`` of every table, then the byte of the reply's
    # table.  The tables' multiplexers in one cycle were one path, the
    # critical one of both boards' bitstreams.  A table byte takes three
    # cycles; the UART needs hundreds.
    ahead = Signal(8, name="table_byte")
    settled = Signal(2, name="table_byte_settled")  # cycles since ``index`` last changed
    fresh = settled[1]                              # ``ahead`` is the byte at ``index``
    byte = Const(0, 8)
    for code, value, size in tables:
        groups = -(-size // 4)
        group = Signal(32, name=f"table_group_{int(code):02x}")
        padded = Cat(value[:8 * size], Const(0, 32 * groups - 8 * size))
        m.d.sync += group.eq(padded.word_select(index[2:2 + max(1, ceil_log2(groups))], 32))
        byte = Mux(command == int(code), group.word_select(index[:2], 8), byte)
    m.d.sync += [ahead.eq(byte), settled.eq(Cat(1, settled[0]))]
    with m.If(framer.header.valid & framer.header.ready):
        m.d.sync += [index.eq(0), settled.eq(0)]
    with m.If(serialized):
        m.d.comb += [framer.payload.valid.eq(serializer.bytes.valid),
                     framer.payload.payload.eq(serializer.bytes.payload),
                     serializer.bytes.ready.eq(framer.payload.ready)]
    with m.Else():
        m.d.comb += [framer.payload.valid.eq(fresh), framer.payload.payload.eq(ahead)]
        with m.If(fresh & framer.payload.ready):
            m.d.sync += [index.eq(index + 1), settled.eq(0)]
