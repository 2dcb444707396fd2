"""The ECP5 primitive models lifq writes itself (Yosys ships MULT18X18D and DP16KD
without one), checked against Python and against Yosys's own inference.

The core's ECP5 netlist is proven against the golden model through these
models (``tests/test_harness.py``); here the models are proven on their own:
the multiplier against Python arithmetic, registered and not, and the block
RAM on memories Yosys infers and maps with its own address conventions,
against a reference memory in the testbench.
"""

import subprocess

import pytest
from amaranth.back import rtlil
from amaranth.hdl import Module, Value
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from lifq.hdl.memories import RegisteredMemory
from lifq.sim.harness.netlist import (SynthesisTarget, dp16kd_model, mult18x18d_model,
                                      simulation_sources, synthesise)
from lifq.hdl import LIFCore
from lifq.sim.tools import verilator_environment, yosys_driver_conflicts
from lifq.spec import LIFConfig


def _run_icarus(tmp_path, top, *models):
    (tmp_path / "check.v").write_text(top)
    for index, model in enumerate(models):
        (tmp_path / f"model{index}.v").write_text(model)
    subprocess.run(["iverilog", "-o", str(tmp_path / "check"), str(tmp_path / "check.v"),
                    *(str(tmp_path / f"model{index}.v") for index in range(len(models)))],
                   check=True)
    return subprocess.run(["vvp", "-n", str(tmp_path / "check")], capture_output=True,
                          text=True, check=True).stdout


def _mult_instance(parameters=""):
    return ("  MULT18X18D " + parameters + " m(" + ", ".join(
        [f".A{i}(a[{i}])" for i in range(18)] + [f".B{i}(b[{i}])" for i in range(18)]
        + [f".P{i}(p[{i}])" for i in range(36)]
        + [".SIGNEDA(sa)", ".SIGNEDB(sb)", ".CLK0(clk)", ".CE0(ce)", ".RST0(1'b0)"]) + ");")


def _product(a, b, sa, sb):
    def value(x, signed):
        return x - (1 << 18) if signed and x >> 17 else x
    return (value(a, sa) * value(b, sb)) & ((1 << 36) - 1)


CASES = [(3, 5, 0, 0), (0x3FFFF, 2, 1, 0), (0x3FFFF, 0x3FFFF, 1, 1), (0x3FFFF, 0x3FFFF, 0, 0),
         (0x20000, 0x1FFFF, 1, 1), (12345, 0x3FF00, 0, 1)]


def test_mult18x18d_model_multiplies_signed_and_unsigned(tmp_path):
    """Every register bypassed (as Yosys's own mapping leaves them)."""
    lines = ["module check;", "  reg [17:0] a, b; reg sa, sb, clk = 0, ce = 0; wire [35:0] p;",
             _mult_instance(), "  initial begin"]
    for a, b, sa, sb in CASES:
        lines.append(f"    a = {a}; b = {b}; sa = {sa}; sb = {sb}; #1 $display(\"%0d\", p);")
    lines += ["  end", "endmodule", ""]
    output = _run_icarus(tmp_path, "\n".join(lines), mult18x18d_model()).split()
    assert [int(x) for x in output] == [_product(*case) for case in CASES]


def test_registered_mult18x18d_model_takes_two_enabled_edges(tmp_path):
    """Input and output registers on CLK0/CE0, as lifq.hdl.ecp5 instantiates them: the
    product of operands taken at one enabled edge appears after the next enabled
    edge, and an edge without CE0 holds both registers."""
    registered = ('#(.REG_INPUTA_CLK("CLK0"), .REG_INPUTB_CLK("CLK0"), '
                  '.REG_OUTPUT_CLK("CLK0"))')
    lines = ["module check;", "  reg [17:0] a, b; reg sa, sb, clk = 0, ce = 1; wire [35:0] p;",
             _mult_instance(registered), "  task tick; begin #1 clk = 1; #1 clk = 0; end endtask",
             "  initial begin", "    a = 0; b = 0; sa = 0; sb = 0; tick; tick;"]   # registers 0
    for a, b, sa, sb in CASES:
        lines += [f"    a = {a}; b = {b}; sa = {sa}; sb = {sb}; ce = 1; tick;",
                  "    a = 7; b = 9; sa = 0; sb = 0; ce = 0; tick;",   # held: not taken
                  '    $display("%0d", p);',                            # not yet through
                  "    ce = 1; tick; $display(\"%0d\", p);"]             # through
    lines += ["  end", "endmodule", ""]
    output = [int(x) for x in _run_icarus(tmp_path, "\n".join(lines), mult18x18d_model()).split()]
    expected = []
    previous = 0
    for case in CASES:
        expected += [previous, _product(*case)]
        previous = _product(7, 9, 0, 0)    # taken by the last enabled edge
    assert output == expected


@pytest.mark.parametrize("model, parameters", [
    (mult18x18d_model, '#(.REG_PIPELINE_CLK("CLK0"))'),
    (mult18x18d_model, '#(.REG_OUTPUT_CLK("CLK1"))'),
    (dp16kd_model, "#(.DATA_WIDTH_A(9), .DATA_WIDTH_B(18))"),
    (dp16kd_model, '#(.CSDECODE_B("0b001"))'),
    (dp16kd_model, "#(.INITVAL_05(320'h1))"),
])
def test_models_refuse_what_they_do_not_model(tmp_path, model, parameters):
    name = "MULT18X18D" if model is mult18x18d_model else "DP16KD"
    top = f"module check;\n  {name} {parameters} m();\nendmodule\n"
    output = _run_icarus(tmp_path, top, model())
    assert f"lifq: {name} in this configuration: no simulation model for it" in output


# ---------------------------------------------------------------------------
# DP16KD: the model against memories Yosys infers

#: (width, depth, kind): plain Amaranth memories, which Yosys maps to DP16KD at data
#: width 18, 9, 4, 2 and 1; and lifq.hdl.memories.RegisteredMemory, elaborated for the
#: ECP5 (lifq's own DP16KD instances with the output register: x18, x9) and too deep
#: for one column of block RAM (its generic memory and register, which Yosys maps).
MEMORIES = [(16, 512, "plain"), (12, 2048, "plain"), (7, 4096, "plain"), (3, 8192, "plain"),
            (2, 16384, "plain"), (8, 1024, "registered"), (16, 2048, "registered"),
            (4, 32768, "registered")]


class Memories(wiring.Component):
    """One memory per shape, each with a write port and a synchronous, non-transparent
    read port with an enable, all ports on the top."""

    def __init__(self, shapes):
        self._shapes = shapes
        super().__init__({f"m{index}": In(wiring.Signature({
            "waddr": Out(range(depth)), "wdata": Out(width), "wen": Out(1),
            "raddr": Out(range(depth)), "ren": Out(1), "rdata": In(width)}))
            for index, (width, depth, _) in enumerate(shapes)})

    def elaborate(self, platform):
        m = Module()
        for index, (width, depth, kind) in enumerate(self._shapes):
            ports = getattr(self, f"m{index}")
            if kind == "plain":
                m.submodules[f"memory{index}"] = store = memory.Memory(
                    shape=width, depth=depth, init=[])
                write, read = store.write_port(), store.read_port()
            else:
                m.submodules[f"memory{index}"] = store = RegisteredMemory(width, depth)
                write, read = store.write, store.read
            m.d.comb += [write.addr.eq(ports.waddr), write.data.eq(ports.wdata),
                         write.en.eq(ports.wen), read.addr.eq(ports.raddr),
                         read.en.eq(ports.ren), ports.rdata.eq(read.data)]
        return m


def _testbench(shapes, cycles):
    """Random writes and reads against a reference array per memory; a read of the
    word written in the same cycle is skipped (not defined for block RAM).  A
    plain memory answers one enabled edge after the address, a registered one two."""
    lines = ["module tb;", "  reg clk = 0, rst = 0;", "  integer cycle, errors = 0, reads = 0;"]
    connections = [".clk(clk)", ".rst(rst)"]
    for index, (width, depth, kind) in enumerate(shapes):
        bits = max(1, (depth - 1).bit_length())
        lines += [f"  reg [{bits - 1}:0] waddr{index}, raddr{index};",
                  f"  reg [{width - 1}:0] wdata{index}, expected{index}, latched{index};",
                  f"  reg wen{index} = 0, ren{index} = 0;",
                  f"  wire [{width - 1}:0] rdata{index};",
                  f"  reg [{width - 1}:0] reference{index} [0:{depth - 1}];",
                  f"  integer i{index};",
                  f"  initial begin for (i{index} = 0; i{index} < {depth}; "
                  f"i{index} = i{index} + 1) reference{index}[i{index}] = 0; "
                  f"expected{index} = 0; latched{index} = 0; end"]
        connections += [f".m{index}__{port}({port}{index})"
                        for port in ("waddr", "wdata", "wen", "raddr", "ren", "rdata")]
    lines.append("  top dut(" + ", ".join(connections) + ");")
    lines += ["  initial begin", f"    for (cycle = 0; cycle < {cycles}; cycle = cycle + 1) begin"]
    for index, (width, depth, kind) in enumerate(shapes):
        if kind == "plain":
            read = f"expected{index} = reference{index}[raddr{index}];"
        else:   # the latch's word moves to the register as the new one is read
            read = (f"expected{index} = latched{index}; "
                    f"latched{index} = reference{index}[raddr{index}];")
        lines += [f"      if (rdata{index} !== expected{index}) begin",
                  f'        if (errors < 5) $display("memory {index} cycle %0d: read %0d, '
                  f'expected %0d", cycle, rdata{index}, expected{index});',
                  "        errors = errors + 1;", "      end",
                  f"      waddr{index} = $urandom % {depth}; raddr{index} = $urandom % {depth};",
                  # Early on, mostly writes; then writes to a small window, so reads hit them.
                  f"      if (cycle > {cycles // 4}) begin waddr{index} = waddr{index} % 64; "
                  f"raddr{index} = raddr{index} % 64; end",
                  f"      wdata{index} = $urandom; wen{index} = $urandom % 2;",
                  f"      ren{index} = ($urandom % 4 != 0) && !(wen{index} && "
                  f"waddr{index} == raddr{index});",
                  f"      if (ren{index}) begin {read} reads = reads + 1; end",
                  f"      if (wen{index}) reference{index}[waddr{index}] = wdata{index};"]
    lines += ["      #1 clk = 1; #1 clk = 0;", "    end",
              '    if (errors == 0) $display("PASS %0d reads", reads);',
              '    else $display("FAIL %0d errors", errors);', "    $finish;", "  end",
              "endmodule", ""]
    return "\n".join(lines)


def test_dp16kd_model_reads_what_yosys_block_ram_wrote(tmp_path):
    """Memories of every DP16KD data width, inferred and mapped by synth_ecp5 (its own
    address and byte-enable conventions), simulated through lifq's model: every
    read returns what the reference memory holds.  In the same netlist
    RegisteredMemory's DP16KD instances (the board link's request buffer) and
    its generic form answer two enabled edges after the address."""
    shapes = MEMORIES
    (tmp_path / "top.il").write_text(rtlil.convert(Memories(shapes), name="top",
                                                   emit_src=False,
                                                   platform=SynthesisTarget("ecp5")))
    synthesise(tmp_path / "top.il", "top", "ecp5", tmp_path / "top_ecp5.v", tmp_path / "synth.log")
    netlist = (tmp_path / "top_ecp5.v").read_text()
    for width in (18, 9, 4, 2, 1):    # every data width, from Yosys's own choice
        assert f".DATA_WIDTH_A(32'd{width})" in netlist, width
    assert netlist.count('.REGMODE_B("OUTREG")') == 3    # RegisteredMemory: 1 + 2 blocks
    sources, includes, defines = simulation_sources("ecp5", "verilator", tmp_path)
    (tmp_path / "tb.v").write_text(_testbench(shapes, 3000))
    # --binary runs the testbench's delays as coroutines: C++20 (the wheel does not say so).
    command = ["verilator", "--binary", "-CFLAGS", "-std=gnu++20 -fcoroutines", "-j", "2",
               "--top-module", "tb", "-Wno-fatal", "-Wno-lint", "-Wno-style",
               "--Mdir", str(tmp_path / "obj"),
               *(f"-I{include}" for include in includes), *(f"-D{name}" for name in defines),
               str(tmp_path / "tb.v"), str(tmp_path / "top_ecp5.v"), *map(str, sources)]
    subprocess.run(command, check=True, env=verilator_environment(), capture_output=True)
    run = subprocess.run([str(tmp_path / "obj" / "Vtb")], capture_output=True, text=True,
                         env=verilator_environment())
    assert "PASS" in run.stdout, run.stdout[-2000:]
    assert int(run.stdout.split("PASS ")[1].split()[0]) > len(shapes) * 3000 // 2


def test_ice40_netlist_keeps_the_leak_of_a_core_whose_output_never_stalls(tmp_path):
    """A core with ``updates.ready`` tied high (as the boards' crossing drives it) has
    constant pipeline enables; Yosys then packed the fabric copy of the leak product
    into the SB_MAC16 as well and resolved the clash with a constant, which took the
    leak, the multiplier and the membrane memory out of the netlist.  The synthesis
    must succeed without a driver conflict and keep both hard blocks."""
    core = LIFCore(LIFConfig())
    m = Module()
    m.submodules.core = core
    m.d.comb += core.updates.ready.eq(1)
    ports = [core.currents.valid, Value.cast(core.currents.payload), core.currents.ready,
             core.updates.valid, Value.cast(core.updates.payload), core.clear,
             core.parameters.valid, Value.cast(core.parameters.payload), core.parameters.ready]
    (tmp_path / "core.il").write_text(
        rtlil.convert(m, name="top", ports=ports, platform=SynthesisTarget("ice40")))
    synthesise(tmp_path / "core.il", "top", "ice40", tmp_path / "core.v", tmp_path / "core.log")
    netlist = (tmp_path / "core.v").read_text()
    assert "\n  SB_MAC16 " in netlist and "\n  SB_RAM40_4K " in netlist


def test_a_driver_conflict_in_the_synthesis_log_is_found():
    log = ("Warning: Driver-driver conflict for \\link.core.leak_product_product [0] between "
           "cell $flatten\\link.\\core.$702.O and constant 1'0 in lifq: Resolved using "
           "constant.\nWarning: Driver-driver conflict for \\link.core.leak_product_product [1] "
           "between cell $flatten\\link.\\core.$702.O and constant 1'0 in lifq: Resolved using "
           "constant.\n")
    assert yosys_driver_conflicts(log) == ["link.core.leak_product_product"]
    assert yosys_driver_conflicts("Removed 3 unused cells and 5 unused wires.") == []
