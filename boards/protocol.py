"""The framed host-link protocol, shared by the gateware and the host driver.

Everything both ends must agree on lives here: frame bytes, command and
status codes, the CRC, the field layouts of the INFO and STATUS replies and
how currents, spike counts and membranes become bytes.  docs/protocol.md is
the prose form of this module.

Request (host → board)::

    A5 | CMD | LEN lo | LEN hi | PAYLOAD (LEN bytes) | CRC hi | CRC lo

Reply (board → host)::

    5A | CMD | STATUS | LEN lo | LEN hi | PAYLOAD (LEN bytes) | CRC hi | CRC lo

The CRC is CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF, no
reflection, no final XOR) over every byte after the sync byte and before the
CRC; it is sent most significant byte first, so running the CRC over a whole
frame including its CRC leaves 0.  All multi-byte fields are little-endian,
signed values are two's complement.
"""

import binascii
import dataclasses
import enum

from lifq.spec import RESETS, InputError, LIFConfig, Register, value_text

__all__ = [
    "REQUEST_SYNC", "REPLY_SYNC", "VERSION", "MAX_PAYLOAD", "MAX_REPLY", "HEADER_BYTES",
    "REPLY_HEADER_BYTES", "Command", "Status", "BoardKind", "Field", "RequestFormat",
    "INFO_FIELDS", "STATUS_FIELDS", "PARAMETERS", "WRITE_BYTES",
    "crc16", "crc16_update", "encode_request", "encode_reply",
    "current_bytes", "spike_bytes", "membrane_bytes", "update_bytes", "bytes_for",
    "encode_currents", "decode_updates", "encode_write", "core_requests",
    "info_payload", "info_kind", "decode_info", "decode_status", "layout_size", "field_max",
    "pack", "unpack", "MAX_DIVISOR",
]

REQUEST_SYNC = 0xA5
REPLY_SYNC = 0x5A
VERSION = 3                 # 3: INFO says what the board holds (a core or a network)
MAX_PAYLOAD = 512           # largest request payload the board buffers (bytes)
MAX_REPLY = 0xFFFF          # largest reply payload: LEN has two bytes
HEADER_BYTES = 4            # sync, command, length (2)
REPLY_HEADER_BYTES = 5      # sync, command, status, length (2)
CRC_INIT = 0xFFFF
CRC_POLY = 0x1021


class Command(enum.IntEnum):
    """Request commands (the CMD byte).  A board answers those of its kind (BoardKind) and
    UNKNOWN_COMMAND to the others."""
    INFO = 0x01            #: both: no payload; reply: what the board holds (INFO_FIELDS, …)
    STATUS = 0x02          #: both: no payload; reply: counters (STATUS_FIELDS, …)
    RESET = 0x03           #: both: no payload; membranes to v0 (core: neuron 0; parameters stay)
    WRITE = 0x04           #: core: address (1 byte) + value (4 bytes, signed)
    STIMULUS = 0x05        #: core: currents; reply: one spike count per current
    STIMULUS_FULL = 0x06   #: core: currents; reply: spike count and membrane per current
    INPUT = 0x07           #: network: input events; replaces the loaded input
    INPUT_MORE = 0x08      #: network: input events; added to the loaded input
    RUN = 0x09             #: network: steps + flags; reply: the result (scores' parts, cycles)
    RUN_FULL = 0x0A        #: network: steps + flags; reply: every layer's (k, v') per step
    RESULT = 0x0B          #: network: no payload; reply: the result of the sample so far


class BoardKind(enum.IntEnum):
    """What a bitstream holds behind the link (byte 1 of every INFO reply)."""
    CORE = 0               #: one LIF core (SPEC §3)
    NETWORK = 1            #: a network of layers (SPEC §6)


class Status(enum.IntEnum):
    """Reply status codes (the STATUS byte).  Every code but OK means: nothing changed."""
    OK = 0x00
    BAD_CHECKSUM = 0x01     #: the CRC does not match
    UNKNOWN_COMMAND = 0x02  #: CMD is not a command
    BAD_LENGTH = 0x03       #: LEN is wrong for CMD (or not a whole number of currents)
    TOO_LONG = 0x04         #: LEN > MAX_PAYLOAD
    TIMEOUT = 0x05          #: the frame stopped before its end (inter-byte timeout)
    BAD_VALUE = 0x06        #: a current or parameter outside its range, or an unknown address
    LINE_ERROR = 0x07       #: UART framing error or overrun inside a frame
    UNSUPPORTED = 0x08      #: WRITE to a board without run-time parameters

    @property
    def meaning(self):
        return _STATUS_MEANINGS[self]


_STATUS_MEANINGS = {
    Status.OK: "ok",
    Status.BAD_CHECKSUM: "checksum mismatch",
    Status.UNKNOWN_COMMAND: "unknown command",
    Status.BAD_LENGTH: "length wrong for the command",
    Status.TOO_LONG: f"payload longer than {MAX_PAYLOAD} bytes",
    Status.TIMEOUT: "frame cut short (inter-byte timeout)",
    Status.BAD_VALUE: "value out of range",
    Status.LINE_ERROR: "UART framing error or overrun",
    Status.UNSUPPORTED: "the board has no run-time parameters",
}

# Parameter addresses of WRITE: the core's run-time registers (lifq.spec.Register).
PARAMETERS = {register.parameter: int(register) for register in Register}
WRITE_BYTES = 5             # a WRITE payload: address (1 byte) + value (4 bytes, signed)

RESET_CODES = {name: code for code, name in enumerate(RESETS)}

# (name, bytes, signed) of the INFO reply payload of a core board, in order.  Every INFO
# reply, a network's too, starts with the version and the board's kind.
INFO_FIELDS = (
    ("version", 1, False),
    ("kind", 1, False),           # BoardKind.CORE
    ("reset", 1, False),          # index into lifq.spec.RESETS: 0 zero, 1 subtract, 2 mod
    ("flags", 1, False),          # bit 0: signed, bit 1: programmable
    ("width", 1, False),
    ("input_width", 1, False),
    ("decay_shift", 1, False),
    ("spike_bits", 1, False),
    ("neurons", 4, False),
    ("threshold", 4, False),      # built-in (reset) values of the parameters
    ("decay", 4, False),
    ("bias", 4, True),
    ("max_payload", 2, False),
    ("divisor", 2, False),        # UART clocks per bit
    ("clock_hz", 4, False),
    ("initial_membrane", 4, True),
)

# (name, bytes, signed) of the STATUS reply payload, in order.
STATUS_FIELDS = (
    ("frames", 2, False),         # good requests executed (mod 2^16)
    ("errors", 2, False),         # error replies sent (mod 2^16)
    ("last_error", 1, False),     # Status code of the latest error reply, 0 if none
    ("next_neuron", 2, False),    # neuron that takes the next current
    ("updates", 4, False),        # neuron updates since power-up (mod 2^32)
    ("threshold", 4, False),      # live parameter values
    ("decay", 4, False),
    ("bias", 4, True),
)


@dataclasses.dataclass(frozen=True)
class Field:
    """A number inside every word of a request payload, and the values it may take.

    Attributes
    ----------
    name : str
    offset, size : int
        Its bytes inside the word (little-endian).
    low, high : int
        The allowed values; a negative ``low`` makes the field signed.  A word
        with a field outside them makes the frame BAD_VALUE.
    """
    name: str
    offset: int
    size: int
    low: int
    high: int

    @property
    def signed(self):
        return self.low < 0


@dataclasses.dataclass(frozen=True)
class RequestFormat:
    """The request payload of one command: what the frame parser accepts.

    Attributes
    ----------
    command : Command
    word_bytes : int
        Bytes of one word of the payload; 0 for a command without payload.
    min_words, max_words : int
        How many words the payload holds (``max_words`` None: as many as fit).
        A payload of another length, or not a whole number of words, is BAD_LENGTH.
    fields : tuple of Field
        Range checks on every word.
    supported : bool
        False: the board knows the command but cannot do it (UNSUPPORTED).
    """
    command: int
    word_bytes: int = 0
    min_words: int = 0
    max_words: int = None
    fields: tuple = ()
    supported: bool = True

    def __post_init__(self):
        for field in self.fields:
            if field.offset + field.size > self.word_bytes:
                raise ValueError(f"field {field.name} does not fit a word of "
                                 f"{self.word_bytes} bytes")


def core_requests(cfg):
    """The requests a core board takes (its frame parser's table)."""
    current = Field("current", 0, current_bytes(cfg), cfg.current_min, cfg.current_max)
    return (
        RequestFormat(Command.INFO),
        RequestFormat(Command.STATUS),
        RequestFormat(Command.RESET),
        # The core itself checks a written value (and says whether it took it).
        RequestFormat(Command.WRITE, WRITE_BYTES, 1, 1, supported=cfg.programmable),
        RequestFormat(Command.STIMULUS, current_bytes(cfg), 1, fields=(current,)),
        RequestFormat(Command.STIMULUS_FULL, current_bytes(cfg), 1, fields=(current,)),
    )


def field_max(fields, name):
    """The largest unsigned value field ``name`` of a reply layout holds."""
    size = dict((field, size) for field, size, _ in fields)[name]
    return (1 << (8 * size)) - 1


#: UART clocks per bit: the INFO reply carries the divisor in two bytes.
MAX_DIVISOR = field_max(INFO_FIELDS, "divisor")


def layout_size(fields):
    return sum(size for _, size, _ in fields)


# --- CRC ----------------------------------------------------------------------------------------

def crc16(data, crc=CRC_INIT):
    """CRC-16/CCITT-FALSE of ``data``, continuing from ``crc``."""
    return binascii.crc_hqx(bytes(data), crc)


def crc16_update(crc, byte):
    """One byte of CRC-16/CCITT-FALSE on plain ints: the bit-serial form the gateware unrolls."""
    crc ^= byte << 8
    for _ in range(8):
        crc = ((crc << 1) ^ CRC_POLY) if crc & 0x8000 else (crc << 1)
        crc &= 0xFFFF
    return crc


# --- frames -------------------------------------------------------------------------------------

def encode_request(command, payload=b""):
    """A complete request frame."""
    payload = bytes(payload)
    body = bytes([int(command)]) + len(payload).to_bytes(2, "little") + payload
    return bytes([REQUEST_SYNC]) + body + crc16(body).to_bytes(2, "big")


def encode_reply(command, status, payload=b""):
    """A complete reply frame (what the board sends; used by tests)."""
    payload = bytes(payload)
    body = bytes([int(command), int(status)]) + len(payload).to_bytes(2, "little") + payload
    return bytes([REPLY_SYNC]) + body + crc16(body).to_bytes(2, "big")


# --- payloads -----------------------------------------------------------------------------------

def bytes_for(bits):
    """Whole bytes that hold ``bits`` bits."""
    return (bits + 7) // 8


def current_bytes(cfg):
    """Bytes of one current in a STIMULUS payload: ceil(input_width / 8)."""
    return bytes_for(cfg.input_width)


def spike_bytes(cfg):
    """Bytes of one spike count k in a reply: ceil(k_width / 8)."""
    return bytes_for(cfg.k_width)


def membrane_bytes(cfg):
    """Bytes of one membrane v' in a STIMULUS_FULL reply: ceil(width / 8)."""
    return bytes_for(cfg.width)


def update_bytes(cfg, membranes):
    """Reply bytes per update: the spike count, and with ``membranes`` the membrane too."""
    return spike_bytes(cfg) + (membrane_bytes(cfg) if membranes else 0)


def encode_currents(cfg, currents):
    """Currents (ints inside input_width) as a STIMULUS payload."""
    size = current_bytes(cfg)
    return b"".join(int(i).to_bytes(size, "little", signed=True) for i in currents)


def decode_updates(cfg, payload, membranes):
    """A STIMULUS(_FULL) reply payload as (spike counts, membranes or None), lists of ints."""
    kb, vb = spike_bytes(cfg), membrane_bytes(cfg)
    step = kb + (vb if membranes else 0)
    if len(payload) % step:
        raise ValueError(f"reply of {len(payload)} bytes is not a whole number of updates")
    spikes, v = [], ([] if membranes else None)
    for at in range(0, len(payload), step):
        spikes.append(int.from_bytes(payload[at:at + kb], "little", signed=True))
        if membranes:
            v.append(int.from_bytes(payload[at + kb:at + step], "little", signed=True))
    return spikes, v


def encode_write(name, value):
    """A WRITE payload for parameter ``name`` (threshold, decay or bias)."""
    if name not in PARAMETERS:
        raise InputError(f"parameter {value_text(name)} is unknown: allowed " + ", ".join(PARAMETERS))
    return bytes([PARAMETERS[name]]) + int(value).to_bytes(4, "little", signed=True)


def pack(fields, values):
    """``values`` (a dict) as the bytes of a reply layout of (name, bytes, signed) fields."""
    out = b""
    for name, size, signed in fields:
        out += int(values[name]).to_bytes(size, "little", signed=signed)
    return out


def unpack(fields, payload, what):
    """The bytes of a reply layout as a dict; ValueError unless ``payload`` has its size."""
    if len(payload) != layout_size(fields):
        raise ValueError(f"{what} reply has {len(payload)} bytes, expected {layout_size(fields)}")
    values, at = {}, 0
    for name, size, signed in fields:
        values[name] = int.from_bytes(payload[at:at + size], "little", signed=signed)
        at += size
    return values


def info_payload(cfg, *, clock_hz, divisor, max_payload=MAX_PAYLOAD):
    """The INFO reply payload of a board built for ``cfg`` (a constant in the gateware)."""
    return pack(INFO_FIELDS, {
        "version": VERSION, "kind": BoardKind.CORE, "reset": RESET_CODES[cfg.reset],
        "flags": int(cfg.signed) | int(cfg.programmable) << 1,
        "width": cfg.width, "input_width": cfg.input_width, "decay_shift": cfg.decay_shift,
        "spike_bits": cfg.spike_bits, "neurons": cfg.neurons,
        "threshold": cfg.threshold, "decay": cfg.decay, "bias": cfg.bias,
        "max_payload": max_payload, "divisor": divisor, "clock_hz": int(clock_hz),
        "initial_membrane": cfg.initial_membrane,
    })


def info_kind(payload):
    """The :class:`BoardKind` of an INFO reply payload (ValueError for another protocol
    version or an unknown kind)."""
    if len(payload) < 2:
        raise ValueError(f"INFO reply has {len(payload)} bytes")
    if payload[0] != VERSION:
        raise ValueError(f"board speaks protocol version {payload[0]}, this host speaks {VERSION}")
    try:
        return BoardKind(payload[1])
    except ValueError:
        raise ValueError(f"INFO reply names board kind {payload[1]}") from None


def decode_info(payload):
    """A core board's INFO reply payload as ``(LIFConfig, extras)``; extras holds version,
    max_payload, divisor and clock_hz."""
    if info_kind(payload) != BoardKind.CORE:
        raise ValueError("INFO reply is a network board's")
    values = unpack(INFO_FIELDS, payload, "INFO")
    if values["reset"] >= len(RESETS):
        raise ValueError(f"INFO reply names reset code {values['reset']}")
    cfg = LIFConfig(
        neurons=values["neurons"], width=values["width"], input_width=values["input_width"],
        threshold=values["threshold"], reset=RESETS[values["reset"]],
        signed=bool(values["flags"] & 1), decay_shift=values["decay_shift"],
        decay=values["decay"], bias=values["bias"], spike_bits=values["spike_bits"],
        initial_membrane=values["initial_membrane"], programmable=bool(values["flags"] & 2))
    extras = {key: values[key] for key in ("version", "max_payload", "divisor", "clock_hz")}
    return cfg, extras


def decode_status(payload):
    """A STATUS reply payload as a dict of STATUS_FIELDS (without reserved fields)."""
    return unpack(STATUS_FIELDS, payload, "STATUS")
