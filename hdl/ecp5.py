"""The core's hard blocks as ECP5 primitives, with the registers Yosys does not pack.

Yosys maps an Amaranth memory to DP16KD block RAM without its output
register (``REGMODE = "NOREG"``: ~6 ns from clock to data) and ``$mul`` to a
MULT18X18D with every register bypassed (~4 ns through the array), so a core
built from the generic design runs at the speed of those two paths, well
below the fabric's.  Both blocks have registers of their own; these
components instantiate the primitives with them:

* :class:`BlockRAM` — DP16KD with the output register of its read port:
  the read latch and the output register stand for the generic design's
  memory read port and its ``membrane_read`` register (and for the board
  link's request buffer and its read register, :mod:`lifq.hdl.memories`);
* :class:`RegisteredMultiplier` — MULT18X18D with registered inputs and
  output: they stand for the ``leak_operands`` and ``leak_multiply``
  registers.

The core uses them only when elaborated for an ECP5 platform (an Amaranth
platform whose ``family`` is ``"ecp5"``) and when the shapes fit
(:func:`memory_fits`, :func:`multiplier_fits`); the generic design has the
same registers in the same places, so latency and results do not depend on
the platform.  ``lifq simulate --netlist ecp5`` simulates the synthesised
netlist with models of both primitives (:mod:`lifq.sim.harness.netlist`)
and checks it against the golden model.
"""

from amaranth.hdl import Cat, ClockSignal, Const, Instance, Module, Shape, Signal, Value, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from .interfaces import memory_port_members

__all__ = ["FAMILY", "RAM_CONFIGURATIONS", "MULTIPLIER_WIDTH", "uses_ecp5", "memory_fits",
           "multiplier_fits", "ram_configuration", "BlockRAM", "RegisteredMultiplier"]

#: The ``family`` of an Amaranth platform these primitives belong to.
FAMILY = "ecp5"
#: DP16KD data width → depth (a 16-kbit array, 18 kbit with the ninth bits).
RAM_CONFIGURATIONS = {18: 1024, 9: 2048, 4: 4096, 2: 8192, 1: 16384}
#: Operand width of MULT18X18D (each operand signed or unsigned).
MULTIPLIER_WIDTH = 18


def uses_ecp5(platform):
    """True when ``platform`` is an ECP5 one (Amaranth's ``LatticePlatform`` family)."""
    return getattr(platform, "family", None) == FAMILY


def memory_fits(depth):
    """One column of DP16KD (slices of the width, no address decoding) holds ``depth``
    words: up to 16384."""
    return 1 <= depth <= max(RAM_CONFIGURATIONS.values())


def multiplier_fits(a_shape, b_shape):
    """One MULT18X18D multiplies these shapes: each at most 18 bits with its sign."""
    return all(shape.width <= MULTIPLIER_WIDTH for shape in (a_shape, b_shape))


def ram_configuration(depth):
    """The widest DP16KD data width whose depth holds ``depth`` words."""
    if not memory_fits(depth):
        raise ValueError(f"depth = {depth} does not fit one DP16KD column: allowed 1 … "
                         f"{max(RAM_CONFIGURATIONS.values())}")
    return max(width for width, words in RAM_CONFIGURATIONS.items() if words >= depth)


class BlockRAM(wiring.Component):
    """A memory of ``depth`` words in DP16KD block RAM, read through its output register.

    Port A writes, port B reads.  Slices of the word go into blocks side by
    side, each configured for the widest data width whose depth holds the
    memory, so no address decoding or output multiplexer is needed.  A write
    and a read of the same word in one cycle is not defined; the core never
    does both.

    Parameters
    ----------
    shape : ShapeLike
        Shape of a word.
    depth : int
        Number of words, 1 … 16384.

    Attributes
    ----------
    write : Out(memory.WritePort.Signature)
        ``data`` is written at ``addr`` on a clock edge with ``en``.
    read : Out(memory.ReadPort.Signature)
        On an edge with ``en``, the word at ``addr`` goes into the read latch
        and the latch's previous word into the output register, ``data``.
        Without ``en`` both hold: ``data`` is the word read two enabled edges ago.
    blocks : int
        DP16KD instances used.
    """

    def __init__(self, shape, depth):
        self._data_width = ram_configuration(depth)
        self._depth = depth
        self._shape = shape
        super().__init__(memory_port_members(shape, depth))

    @property
    def blocks(self):
        return -(-Shape.cast(self._shape).width // self._data_width)

    def elaborate(self, platform):
        m = Module()
        data_width = self._data_width
        width = len(self.read.data)
        # DP16KD addresses count bits of an 18-bit row: the word address sits above
        # log2 of the data width (x9 and x18 use 8/16-bit rows plus ninth bits).
        shift = {1: 0, 2: 1, 4: 2, 9: 3, 18: 4}[data_width]
        address_bits = max(1, ceil_log2(self._depth))

        def address(value, byte_enables):
            bits = Cat(Const(byte_enables, shift), value[:address_bits])
            return Cat(bits, Const(0, 14 - len(bits)))

        # In x18 mode the two lowest address bits are the write's byte enables.
        write_address = address(self.write.addr, 0b11 if data_width == 18 else 0)
        read_address = address(self.read.addr, 0)
        data_out = []
        for index in range(self.blocks):
            low = index * data_width
            piece = Value.cast(self.write.data)[low:low + data_width]
            write_data = Cat(piece, Const(0, 18 - len(piece)))
            read_data = Signal(18, name=f"block_{index}_data")
            m.submodules[f"block_{index}"] = Instance(
                "DP16KD",
                p_DATA_WIDTH_A=data_width, p_DATA_WIDTH_B=data_width,
                p_REGMODE_A="NOREG", p_REGMODE_B="OUTREG",
                p_RESETMODE="SYNC", p_ASYNC_RESET_RELEASE="SYNC",
                p_CSDECODE_A="0b000", p_CSDECODE_B="0b000",
                p_WRITEMODE_A="NORMAL", p_WRITEMODE_B="NORMAL", p_GSR="DISABLED",
                i_CLKA=ClockSignal(), i_CEA=self.write.en, i_OCEA=Const(1), i_WEA=self.write.en,
                i_RSTA=Const(0), **_bits("i_CSA", Const(0, 3)),
                **_bits("i_ADA", write_address), **_bits("i_DIA", write_data),
                i_CLKB=ClockSignal(), i_CEB=self.read.en, i_OCEB=self.read.en, i_WEB=Const(0),
                i_RSTB=Const(0), **_bits("i_CSB", Const(0, 3)),
                **_bits("i_ADB", read_address), **_bits("i_DIB", Const(0, 18)),
                **_bits("o_DOB", read_data))
            data_out.append(read_data[:min(data_width, width - low)])
        m.d.comb += self.read.data.eq(Cat(*data_out))
        return m


def _bits(prefix, value):
    """Keyword arguments of an Instance for a bus of single-bit ports: prefix0, prefix1, …"""
    return {f"{prefix}{bit}": value[bit] for bit in range(len(value))}


class RegisteredMultiplier(wiring.Component):
    """``product`` = ``a`` · ``b`` in one MULT18X18D, inputs and output registered.

    Parameters
    ----------
    a_shape, b_shape : Shape
        Shapes of the operands, each at most 18 bits with its sign.

    Attributes
    ----------
    a, b : In(a_shape), In(b_shape)
        Operands, taken into the input registers on an edge with ``enable``.
    enable : In(1)
        Clock enable of all three registers.
    product : Out(signed(a + b bits))
        The product of the operands taken one enabled edge before the last:
        two enabled edges after ``a`` and ``b`` are taken it is valid.
    """

    def __init__(self, a_shape, b_shape):
        if not multiplier_fits(a_shape, b_shape):
            raise ValueError(f"operands of {a_shape.width} and {b_shape.width} bits: a "
                             f"MULT18X18D takes at most {MULTIPLIER_WIDTH} each")
        self._a_shape, self._b_shape = a_shape, b_shape
        width = a_shape.width + b_shape.width + (not (a_shape.signed and b_shape.signed))
        super().__init__({"a": In(a_shape), "b": In(b_shape), "enable": In(1),
                          "product": Out(signed(width))})

    def elaborate(self, platform):
        m = Module()
        registers = {}
        for stage in ("INPUTA", "INPUTB", "OUTPUT"):
            registers.update({f"p_REG_{stage}_CLK": "CLK0", f"p_REG_{stage}_CE": "CE0",
                              f"p_REG_{stage}_RST": "RST0"})
        # Operands extended to 18 bits by their own sign rule; SIGNEDx says which.
        a, b = Value.cast(self.a), Value.cast(self.b)
        product = Signal(36, name="product_bits")
        m.submodules.multiplier = Instance(
            "MULT18X18D",
            **registers,
            p_REG_INPUTC_CLK="NONE", p_REG_PIPELINE_CLK="NONE", p_GSR="DISABLED",
            p_CLK0_DIV="ENABLED", p_HIGHSPEED_CLK="NONE", p_CAS_MATCH_REG="FALSE",
            p_SOURCEB_MODE="B_SHIFT", p_MULT_BYPASS="DISABLED", p_RESETMODE="SYNC",
            **_bits("i_A", _extend(a, 18)),
            **_bits("i_B", _extend(b, 18)),
            **_bits("i_C", Const(0, 18)),
            i_SIGNEDA=Const(int(self._a_shape.signed)), i_SIGNEDB=Const(int(self._b_shape.signed)),
            i_SOURCEA=Const(0), i_SOURCEB=Const(0),
            i_CLK0=ClockSignal(), i_CE0=self.enable, i_RST0=Const(0),
            **_bits("o_P", product))
        m.d.comb += self.product.eq(product[:len(self.product)].as_signed())
        return m


def _extend(value, width):
    """``value`` sign- or zero-extended (by its shape) to ``width`` bits."""
    top = value[-1] if value.shape().signed else Const(0)
    return Cat(value, top.replicate(width - len(value)))
