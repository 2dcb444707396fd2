"""Boards: UART, framed host link, host driver and bitstream builds.

The host driver runs unchanged against the simulated board top (UART, link
engine and core in Amaranth's simulator) through SimulatedTransport, and,
for ``lifq run``, through a pseudo-terminal that pyserial opens like a real
USB serial port.  The two bitstream builds run the real open toolchain.
"""

import gc
import json
import os
import pathlib
import random
import re
import warnings

import numpy as np
import pytest
from amaranth.hdl import Module, UnusedElaboratable
from amaranth.sim import Simulator

from conftest import expect_error_reply
from lifq.boards import protocol
from lifq.boards.build import (REPORT_KEYS, BuildError, TimingError, check_synthesis, check_timing,
                               format_report, uart_divisor)
from lifq.boards.host import Board, BoardError, check_compatible, run_stimulus
from lifq.boards.platforms import BOARDS, board_spec
from lifq.boards.pll import ecp5_pll, ice40_pll, plan_clock
from lifq.boards.protocol import Command, Status
from lifq.boards.simulation import PseudoTerminal, SimulatedTransport
from lifq.boards.uart import UARTReceiver, UARTTransmitter
from lifq.cli import main
from lifq.golden import simulate
from lifq.sim.files import load_stimulus
from lifq.spec import InputError, LIFConfig

VECTORS = pathlib.Path(os.environ.get(
    "LIFQ_VECTORS", pathlib.Path(__file__).resolve().parents[2] / "shared" / "vectors"))


# --- protocol ---------------------------------------------------------------------------------

def test_crc_is_ccitt_false_and_cancels_itself():
    assert protocol.crc16(b"123456789") == 0x29B1
    crc = protocol.CRC_INIT
    for byte in b"123456789":
        crc = protocol.crc16_update(crc, byte)
    assert crc == 0x29B1
    frame = protocol.encode_request(Command.STIMULUS, b"\x01\x02\xa5")
    assert protocol.crc16(frame[1:]) == 0          # CRC over the frame and its CRC


def test_info_payload_round_trips():
    cfg = LIFConfig(neurons=300, width=20, input_width=12, threshold=1000, reset="subtract",
                    signed=False, decay_shift=10, decay=1000, bias=-17, spike_bits=3,
                    programmable=False)
    payload = protocol.info_payload(cfg, clock_hz=24_000_000, divisor=208)
    assert len(payload) == protocol.layout_size(protocol.INFO_FIELDS)
    decoded, extras = protocol.decode_info(payload)
    assert decoded == cfg
    assert extras == {"version": protocol.VERSION, "max_payload": protocol.MAX_PAYLOAD,
                      "divisor": 208, "clock_hz": 24_000_000}


def test_update_bytes_follow_the_widths():
    cfg = LIFConfig(width=20, input_width=12, spike_bits=8)
    assert (protocol.current_bytes(cfg), protocol.spike_bytes(cfg),
            protocol.membrane_bytes(cfg)) == (2, 2, 3)
    payload = (b"".join(k.to_bytes(2, "little", signed=True) + v.to_bytes(3, "little", signed=True)
                        for k, v in [(-255, -524288), (3, 524287)]))
    assert protocol.decode_updates(cfg, payload, True) == ([-255, 3], [-524288, 524287])


# --- UART -------------------------------------------------------------------------------------

@pytest.mark.parametrize("divisor", [2, 3, 4, 7])
def test_uart_loopback_back_to_back(divisor):
    m = Module()
    m.submodules.tx = tx = UARTTransmitter(divisor)
    m.submodules.rx = rx = UARTReceiver(divisor)
    m.d.comb += rx.rx.eq(tx.tx)
    data = [random.Random(divisor).randrange(256) for _ in range(40)] + [0x00, 0xFF, 0xA5]
    received, errors = [], []

    async def send(ctx):
        for byte in data:
            ctx.set(tx.data.payload, byte)
            ctx.set(tx.data.valid, 1)
            await ctx.tick().until(tx.data.ready)
        ctx.set(tx.data.valid, 0)

    async def receive(ctx):
        ctx.set(rx.data.ready, 1)
        while len(received) < len(data):
            _, _, valid, payload, error = await ctx.tick().sample(rx.data.valid, rx.data.payload,
                                                                  rx.error)
            if valid:
                received.append(payload)
            if error:
                errors.append(len(received))

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(send, background=True)
    sim.add_testbench(receive)
    sim.run()
    assert received == data and errors == []


def test_uart_receiver_flags_a_break_and_recovers():
    m = Module()
    m.submodules.rx = rx = UARTReceiver(4)
    events = []

    async def bench(ctx):
        ctx.set(rx.data.ready, 1)
        ctx.set(rx.rx, 0)
        for _ in range(60):                         # 15 bit times low: stop bit missing
            _, _, error, valid = await ctx.tick().sample(rx.error, rx.data.valid)
            events.extend(["error"] * error + ["byte"] * valid)
        ctx.set(rx.rx, 1)
        await ctx.tick().repeat(20)
        for bit in (0, 0, 1, 0, 1, 0, 0, 1, 0, 1):    # start, 0x4A LSB first, stop
            ctx.set(rx.rx, bit)
            for _ in range(4):
                _, _, valid, payload = await ctx.tick().sample(rx.data.valid, rx.data.payload)
                if valid:
                    events.append(payload)
        for _ in range(8):
            _, _, valid, payload = await ctx.tick().sample(rx.data.valid, rx.data.payload)
            if valid:
                events.append(payload)

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert events == ["error", 0x4A]


def test_uart_divisor_is_validated():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedElaboratable)   # the half-built components
        with pytest.raises(ValueError, match="at least 2"):
            UARTTransmitter(1)
        with pytest.raises(TypeError):
            UARTReceiver(4.0)
        gc.collect()


# --- clocks and boards ------------------------------------------------------------------------

def test_ice40_pll_matches_icepll():
    # icepll -i 12 -o 24: DIVR 0, DIVF 63, DIVQ 5, FILTER_RANGE 1.
    assert ice40_pll(12e6, 24e6) == {"divr": 0, "divf": 63, "divq": 5, "filter_range": 1,
                                     "output_hz": 24e6}
    assert ice40_pll(12e6, 100e6)["output_hz"] == pytest.approx(100.5e6)


def test_ecp5_pll_reaches_the_target():
    for mhz in (50, 75, 100, 33.3):
        settings = ecp5_pll(25e6, mhz * 1e6)
        assert settings["output_hz"] == pytest.approx(mhz * 1e6, rel=0.003)
        assert 400e6 <= settings["vco_hz"] <= 800e6
        assert settings["output_hz"] == 25e6 / settings["clki_div"] * settings["clkfb_div"]


def test_bad_board_clock_and_baud_are_input_errors():
    with pytest.raises(InputError, match='--board = "de0" is unknown: allowed icebreaker, ulx3s'):
        board_spec("de0")
    for bad in (0, -5e6, float("nan"), 300e6, 13e6):
        with pytest.raises(InputError, match="--clock"):
            plan_clock("ice40", 12e6, bad, board="the iCEBreaker")
    assert plan_clock("ice40", 12e6, 12e6).pll is None
    with pytest.raises(InputError, match="too fast"):
        uart_divisor(24e6, 12_000_000)
    with pytest.raises(InputError, match="off"):
        uart_divisor(20e6, 1_500_000)
    assert uart_divisor(24e6, 115200) == 208


def test_cli_bad_build_input_is_one_line(capsys):
    for argv, words in [(["build", "--board", "nexys"], ['--board = "nexys"', "icebreaker"]),
                        (["build", "--board", "ulx3s", "--clock", "fast"], ["--clock", "number"]),
                        (["build", "--board", "icebreaker", "--clock", "1000"],
                         ["--clock = 1000 MHz", "16 … 275"]),
                        (["build", "--board", "icebreaker", "--baud", "-1"], ["--baud"])]:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("lifq build: error:")
        assert all(word in err for word in words), err


def test_program_without_a_programmer_fails_before_building(capsys, monkeypatch, tmp_path):
    from lifq.boards.build import build_bitstream
    monkeypatch.setenv("ICEPROG", str(tmp_path / "no-iceprog"))
    with pytest.raises(BuildError, match="iceprog is not installed"):
        build_bitstream("icebreaker", build_dir=tmp_path / "build", program=True)
    assert not (tmp_path / "build").exists()
    assert main(["build", "--board", "icebreaker", "--program",
                 "--build-dir", str(tmp_path / "build")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "iceprog is not installed" in err


def test_a_netlist_with_a_driver_replaced_by_a_constant_is_a_build_error(tmp_path):
    (tmp_path / "lifq.rpt").write_text(
        "Warning: Driver-driver conflict for \\link.core.leak_product_product [3] between "
        "cell $flatten\\link.\\core.$702.O and constant 1'0 in lifq: Resolved using constant.\n")
    with pytest.raises(BuildError, match="Yosys replaced the driver of "
                                         "link.core.leak_product_product with a constant"):
        check_synthesis(tmp_path)
    (tmp_path / "lifq.rpt").write_text("Removed 3 unused cells and 5 unused wires.\n")
    check_synthesis(tmp_path)
    (tmp_path / "lifq.rpt").unlink()
    with pytest.raises(BuildError, match="no Yosys log"):
        check_synthesis(tmp_path)


def test_cli_timing_failure_is_exit_1_and_one_line(capsys, monkeypatch):
    import lifq.commands.build as command
    report = dict.fromkeys(REPORT_KEYS, 0)
    report.update(board="icebreaker", clock_mhz=48.0, fmax_mhz=31.5, bitstream="x/lifq.bin")

    def failing(*args, **kwargs):
        check_timing(report)
    monkeypatch.setattr(command, "build_bitstream", failing)
    assert main(["build", "--board", "icebreaker", "--clock", "48"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Fmax 31.50 MHz" in err and "48.00 MHz clock" in err


# --- host driver against the simulated board ---------------------------------------------------

def test_vectors_on_the_simulated_board(vector):
    stimulus = load_stimulus(vector.stim_path)
    transport = SimulatedTransport(stimulus.config)
    spikes, v = run_stimulus(Board(transport, "sim"), stimulus.config, stimulus.currents)
    assert spikes.tolist() == vector.expect["spikes"]
    assert v.tolist() == vector.expect["v"]
    assert transport.framing_errors == 0


def test_random_stimulus_of_ten_thousand_updates():
    """10 240 updates of the default core (the shipped bitstream's), spike counts only,
    requests pipelined; the last steps also read membranes back."""
    cfg = LIFConfig()
    rng = np.random.default_rng(2023)
    steps = 642
    currents = rng.integers(-3 * cfg.threshold, 3 * cfg.threshold, (steps, cfg.neurons))
    currents[rng.random(currents.shape) < 0.05] = cfg.current_max       # saturating bursts
    expect_spikes, expect_v = simulate(cfg, currents)

    board = Board(SimulatedTransport(cfg, divisor=2), "sim")
    board.connect()
    board.reset()
    before = board.status()
    body, tail = currents[:-2].ravel().tolist(), currents[-2:].ravel().tolist()
    spikes, none = board.stream(body, membranes=False)
    tail_spikes, tail_v = board.stream(tail, membranes=True)
    assert none is None
    assert len(spikes) >= 10_000
    assert np.array_equal(np.reshape(spikes + tail_spikes, currents.shape), expect_spikes)
    assert np.array_equal(np.reshape(tail_v, (2, cfg.neurons)), expect_v[-2:])
    after = board.status()
    assert after["updates"] - before["updates"] == currents.size
    assert after["errors"] == before["errors"] and after["next_neuron"] == 0


@pytest.mark.parametrize("cfg", [
    LIFConfig(neurons=1, width=32, spike_bits=8, threshold=1000, decay=4000, bias=-3),
    LIFConfig(neurons=5, width=8, input_width=4, threshold=3, reset="zero", signed=False,
              spike_bits=1, programmable=False),
    LIFConfig(neurons=3, width=10, input_width=17, threshold=200, reset="subtract"),
], ids=["w32-q8-one-neuron", "w8-i4-fixed", "w10-i17"])
def test_odd_widths_on_the_simulated_board(cfg):
    """Byte sizes 1 … 4 for currents, 1 … 2 for spike counts, 1 … 4 for membranes."""
    rng = np.random.default_rng(cfg.neurons)
    currents = rng.integers(cfg.current_min, cfg.current_max, (10, cfg.neurons), endpoint=True)
    spikes, v = run_stimulus(Board(SimulatedTransport(cfg), "sim"), cfg, currents)
    expect_spikes, expect_v = simulate(cfg, currents)
    assert np.array_equal(spikes, expect_spikes) and np.array_equal(v, expect_v)


def test_run_time_parameters_and_fewer_neurons():
    """A board built with defaults runs a stimulus with other threshold, leak and bias (WRITE)
    and fewer neurons (padded); running twice starts from zero each time (RESET)."""
    board_cfg = LIFConfig(neurons=4)
    cfg = LIFConfig(neurons=3, threshold=50, decay=3500, bias=-7, spike_bits=4)
    currents = np.random.default_rng(5).integers(-400, 400, (12, 3))
    board = Board(SimulatedTransport(board_cfg), "sim")
    for _ in range(2):
        spikes, v = run_stimulus(board, cfg, currents)
        expect_spikes, expect_v = simulate(cfg, currents)
        assert np.array_equal(spikes, expect_spikes) and np.array_equal(v, expect_v)
    status = board.status()
    assert (status["threshold"], status["decay"], status["bias"]) == (50, 3500, -7)


def test_incompatible_or_fixed_cores_are_input_errors():
    board_cfg = LIFConfig(neurons=4, programmable=False)
    with pytest.raises(InputError, match="width = 16 but the stimulus needs width = 12"):
        check_compatible(board_cfg, LIFConfig(neurons=4, width=12))
    with pytest.raises(InputError, match="neurons = 4 but the stimulus needs neurons = 5"):
        check_compatible(board_cfg, LIFConfig(neurons=5))
    with pytest.raises(InputError, match="constant threshold = 64"):
        check_compatible(board_cfg, LIFConfig(neurons=4, threshold=65))
    board = Board(SimulatedTransport(board_cfg), "sim")
    board.connect()
    with pytest.raises(BoardError) as error:
        board.write_parameter("threshold", 80)
    assert error.value.status == Status.UNSUPPORTED


class TestBadFrames:
    """Every kind of bad frame gets an error reply and changes nothing: the stimulus
    continues across them exactly as the golden model says."""

    CFG = LIFConfig(neurons=4, width=12, threshold=100)   # input_width 12: 2 bytes per current

    @pytest.fixture(scope="class")
    @classmethod
    def session(cls):
        transport = SimulatedTransport(cls.CFG)
        board = Board(transport, "sim")
        board.connect()
        board.reset()
        currents = np.random.default_rng(9).integers(-900, 900, (8, 4))
        spikes, v = board.stream(currents[:3].ravel().tolist(), membranes=True)
        yield transport, board, currents, [spikes, v]

    def expect_error(self, board, transport, raw, status, *, before=None):
        expect_error_reply(board, transport, raw, status, ("next_neuron", "updates", "threshold", "decay", "bias"), before=before)

    def stimulus(self, values):
        return protocol.encode_request(
            Command.STIMULUS_FULL, protocol.encode_currents(self.CFG, values))

    def test_corrupted_checksum(self, session):
        transport, board, _, _ = session
        frame = bytearray(self.stimulus([5, 6, 7, 8]))
        frame[6] ^= 0x10                                # a payload bit flips on the line
        self.expect_error(board, transport, bytes(frame), Status.BAD_CHECKSUM)

    def test_corrupted_length_is_caught_and_drained(self, session):
        transport, board, _, _ = session
        frame = bytearray(self.stimulus([1, 2, 3, 4, 0xA5, 0xA5]))
        frame[2] = 4                                    # claims 4 of 12 payload bytes
        self.expect_error(board, transport, bytes(frame), Status.BAD_CHECKSUM)

    def test_truncated_frame_times_out(self, session):
        transport, board, _, _ = session
        self.expect_error(board, transport, self.stimulus([1, 2, 3, 4])[:-5], Status.TIMEOUT)
        self.expect_error(board, transport, bytes([protocol.REQUEST_SYNC]), Status.TIMEOUT)

    def test_oversized_frame(self, session):
        transport, board, _, _ = session
        payload = protocol.encode_currents(self.CFG, [1] * 300)    # 600 bytes > 512
        self.expect_error(board, transport, protocol.encode_request(Command.STIMULUS, payload),
                          Status.TOO_LONG)

    def test_unknown_command_and_bad_lengths(self, session):
        transport, board, _, _ = session
        self.expect_error(board, transport, protocol.encode_request(0x7F, b"\x00\x01"),
                          Status.UNKNOWN_COMMAND)
        self.expect_error(board, transport, protocol.encode_request(Command.RESET, b"\x00"),
                          Status.BAD_LENGTH)
        self.expect_error(board, transport, protocol.encode_request(Command.STIMULUS, b""),
                          Status.BAD_LENGTH)
        self.expect_error(board, transport, protocol.encode_request(Command.STIMULUS, b"\x01" * 3),
                          Status.BAD_LENGTH)
        self.expect_error(board, transport, protocol.encode_request(Command.WRITE, b"\x00" * 4),
                          Status.BAD_LENGTH)

    def test_values_out_of_range(self, session):
        transport, board, _, _ = session
        outside = (2048).to_bytes(2, "little")          # does not fit input_width = 12
        self.expect_error(board, transport,
                          protocol.encode_request(Command.STIMULUS, b"\x00\x00" + outside),
                          Status.BAD_VALUE)
        for name, value in (("threshold", 0), ("threshold", 2048), ("decay", 4097),
                            ("bias", -2049)):
            self.expect_error(board, transport, protocol.encode_request(
                Command.WRITE, protocol.encode_write(name, value)), Status.BAD_VALUE)
        self.expect_error(board, transport,
                          protocol.encode_request(Command.WRITE, b"\x03" + bytes(4)),
                          Status.BAD_VALUE)

    def test_line_error_inside_a_frame(self, session):
        transport, board, _, _ = session
        before = board.status()
        frame = self.stimulus([1, 2, 3, 4])
        transport.write(frame[:5])
        transport.write_break(15)
        transport.write(frame[5:])
        self.expect_error(board, transport, b"", Status.LINE_ERROR, before=before)

    def test_noise_between_frames_is_ignored(self, session):
        transport, board, _, _ = session
        before = board.status()
        transport.write(bytes([0x00, 0x5A, 0xFF, 0x13]))
        transport.idle(64)
        transport.write_break(12)                       # a break outside a frame: no reply
        after = board.status()
        assert after["errors"] == before["errors"]
        assert after["frames"] == (before["frames"] + 1) % 2 ** 16

    def test_state_survived_every_bad_frame(self, session):
        # Runs last in this class (pytest keeps definition order).
        transport, board, currents, (spikes, v) = session
        more_spikes, more_v = board.stream(currents[3:].ravel().tolist(), membranes=True)
        expect_spikes, expect_v = simulate(self.CFG, currents)
        assert np.array_equal(np.reshape(spikes + more_spikes, currents.shape), expect_spikes)
        assert np.array_equal(np.reshape(v + more_v, currents.shape), expect_v)
        assert transport.framing_errors == 0


# --- lifq run through a pseudo-terminal ---------------------------------------------------------

@pytest.fixture
def serial_board():
    """A pseudo-terminal whose far end is a simulated board: pyserial opens it like
    /dev/ttyUSB1.  Returns a function config -> port name (None: nothing answers)."""
    opened = []

    def start(config):
        terminal = PseudoTerminal(SimulatedTransport(config) if config is not None else None)
        opened.append(terminal)
        return terminal.port

    yield start
    for terminal in opened:
        terminal.close()


#: Seconds ``lifq run`` waits for a reply from the simulated board behind a pseudo-terminal:
#: the simulation is thousands of times slower than a board, more so on a busy machine.
SIMULATED_BOARD_TIMEOUT = 60


def test_lifq_run_matches_lifq_golden(serial_board, tmp_path, capsys):
    stim = VECTORS / "mod_signed_basic.stim.json"
    port = serial_board(LIFConfig(neurons=2, threshold=100))
    board_out, golden_out = tmp_path / "board.json", tmp_path / "golden.json"
    # A simulated board is far slower than a real one: wait for it as long as it takes.
    assert main(["run", "--port", port, str(stim), "-o", str(board_out), "--check",
                 "--timeout", str(SIMULATED_BOARD_TIMEOUT)]) == 0
    assert main(["golden", str(stim), "-o", str(golden_out)]) == 0
    assert board_out.read_text() == golden_out.read_text()


def test_lifq_run_without_a_board_is_one_line(serial_board, tmp_path, capsys):
    stim = tmp_path / "stim.json"
    stim.write_text(json.dumps({"config": {"neurons": 2}, "currents": [[1, 2]]}))
    port = serial_board(None)
    assert main(["run", "--port", port, str(stim), "--timeout", "0.5"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no lifq board answers" in err
    assert main(["run", "--port", str(tmp_path / "ttyNONE"), str(stim)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot open the serial port" in err


# --- bitstreams ---------------------------------------------------------------------------------

@pytest.mark.parametrize("board", list(BOARDS))
def test_bitstream_builds_and_meets_timing(board, tmp_path, capsys):
    assert main(["build", "--board", board, "--json", "--build-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    report = json.loads(out)
    assert tuple(report) == REPORT_KEYS
    spec = BOARDS[board]
    assert report["board"] == board and report["device"] == spec.device
    assert report["clock_mhz"] == pytest.approx(spec.default_clock_hz / 1e6)
    assert report["fmax_mhz"] >= report["clock_mhz"]
    for key in ("logic_cells", "flip_flops", "block_rams", "dsps"):
        assert isinstance(report[key], int) and report[key] > 0, key
    assert report["logic_cells"] < spec.capacity["logic_cells"]
    assert pathlib.Path(report["bitstream"]).stat().st_size > 10_000
    table = format_report(report)
    assert f"{report['fmax_mhz']:.2f} MHz (timing met)" in table
    # The same numbers at a clock above Fmax fail loudly.
    with pytest.raises(TimingError, match="timing not met"):
        check_timing({**report, "clock_mhz": report["fmax_mhz"] + 1})
    # The link's state machines reach the bitstream one-hot (lifq.boards.encoding):
    # left to itself, Yosys keeps Amaranth's FSMs binary.
    log = (tmp_path / "lifq.rpt").read_text()
    recoded = set(re.findall(r"Recoding FSM `\$fsm\$\\([\w.]+)\$\d+' from module `\\lifq' "
                             r"using `one-hot' encoding", log))
    assert {f"link.{name}_state" for name in (
        "engine.parser.parser", "engine.executor.executor", "engine.executor.reader.reader",
        "engine.executor.framer.framer", "receiver.fsm")} <= recoded, recoded


def test_a_design_too_large_names_what_ran_out():
    """nextpnr's log of the digits network at P = 2 on the UP5K (it needs 32 of the 30
    block RAMs): the build error says what does not fit instead of the placer's words."""
    from lifq.boards.build import _does_not_fit

    log = ("Info: Device utilisation:\n"
           "Info: \t         ICESTORM_LC:    4455/   5280    84%\n"
           "Info: \t        ICESTORM_RAM:      32/     30   106%\n"
           "ERROR: Unable to place cell 'link.network.layer_0.core.membranes.0.0_RAM', no BELs "
           "remaining to implement cell type 'ICESTORM_RAM'\n")
    assert _does_not_fit(log, "ice40") == "32 block RAMs of 30"
    assert _does_not_fit(log.replace("ICESTORM_RAM", "DP16KD"), "ecp5") == "32 block RAMs of 30"
    assert _does_not_fit("ERROR: Unable to route", "ice40") is None
