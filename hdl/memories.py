"""A memory whose read data passes through a register: block RAM's own on ECP5."""

from amaranth.hdl import Module, Signal
from amaranth.lib import memory, wiring

from . import ecp5
from .interfaces import memory_port_members

__all__ = ["RegisteredMemory"]


class RegisteredMemory(wiring.Component):
    """A memory read two enabled clock edges after the address: the read port's
    latch, then a register.

    Block RAM answers a read a cycle late and slowly (the ECP5 DP16KD ~6 ns
    from clock to data without its output register): a design that can
    wait a cycle more reads it through a register with nothing in front.
    Elaborated for an ECP5 platform (and at most 16384 words) the register
    is the DP16KD's own output register (:class:`lifq.hdl.ecp5.BlockRAM`);
    elsewhere an Amaranth memory and a register behind its read port, which
    Yosys and the simulators see as they are.  A read and a write of the
    same word in one cycle is not defined.

    Parameters
    ----------
    shape : ShapeLike
        Shape of a word.
    depth : int
        Number of words.

    Attributes
    ----------
    write : Out(memory.WritePort.Signature)
        ``data`` is written at ``addr`` on a clock edge with ``en``.
    read : Out(memory.ReadPort.Signature)
        ``data`` is the word at the ``addr`` of two enabled edges ago; an edge
        without ``en`` changes nothing.
    """

    def __init__(self, shape, depth):
        if depth < 1:
            raise ValueError(f"depth = {depth}: at least 1")
        self._shape = shape
        self._depth = depth
        super().__init__(memory_port_members(shape, depth))

    def elaborate(self, platform):
        m = Module()
        if ecp5.uses_ecp5(platform) and ecp5.memory_fits(self._depth):
            m.submodules.block_ram = block_ram = ecp5.BlockRAM(self._shape, self._depth)
            wiring.connect(m, wiring.flipped(self.write), block_ram.write)
            wiring.connect(m, wiring.flipped(self.read), block_ram.read)
            return m
        m.submodules.memory = store = memory.Memory(shape=self._shape,
                                                    depth=max(2, self._depth), init=[])
        write = store.write_port()
        read = store.read_port(transparent_for=())
        wiring.connect(m, wiring.flipped(self.write), write)
        m.d.comb += [read.addr.eq(self.read.addr), read.en.eq(self.read.en)]
        data = Signal.like(read.data, name="read_register", reset_less=True)
        with m.If(self.read.en):
            m.d.sync += data.eq(read.data)
        m.d.comb += self.read.data.eq(data)
        return m
