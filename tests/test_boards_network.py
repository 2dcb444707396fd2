"""Network boards (SPEC §6): the host driver against the simulated network board.

The board top in Amaranth's simulator — UART, frame parser, network executor
and the network, as in the bitstream — runs behind the simulated transport
and, for ``lifq run`` and ``lifq classify``, behind a pseudo-terminal.  Every
result must equal the golden model: the network vectors, random networks
(every byte size of the payloads), digits samples; bad frames are rejected
and change nothing.  The two bitstream builds of the digits network run the
real open toolchain.
"""

import json
import os
import pathlib

import numpy as np
import pytest

from conftest import expect_error_reply
from lifq.boards import network_protocol, protocol
from lifq.boards.build import NETWORK_REPORT_KEYS, format_report
from lifq.boards.host import Board, run_stimulus
from lifq.boards.network_host import (check_network, classify, input_requests,
                                      run_network_stimulus)
from lifq.boards.network_protocol import NetworkShape
from lifq.boards.platforms import BOARDS
from lifq.boards.protocol import Command, Status
from lifq.boards.simulation import PseudoTerminal, SimulatedTransport
from lifq.cli import main
from lifq.golden import simulate_network
from lifq.golden.datasets import load_digits
from lifq.sim.network_files import load_network, load_network_stimulus
from lifq.spec import InputError, LayerConfig, LIFConfig, NetworkConfig

VECTORS = pathlib.Path(os.environ.get(
    "LIFQ_VECTORS", pathlib.Path(__file__).resolve().parents[2] / "shared" / "vectors"))
NETWORK_VECTORS = sorted((VECTORS / "network").glob("*.stim.json"))
#: Seconds ``lifq run`` and ``lifq classify`` wait for a reply from the simulated board
#: behind a pseudo-terminal (the simulation is thousands of times slower than a board).
SIMULATED_BOARD_TIMEOUT = 60


def vector_id(path):
    return path.name[:-len(".stim.json")]


def expect_of(path):
    return json.loads(path.with_name(vector_id(path) + ".expect.json").read_text())


def assert_equal_results(got, expect):
    """A network result (``NetworkResult``) equals a golden one, layer by layer."""
    for number, ((spikes, v), (want_spikes, want_v)) in enumerate(zip(got.layers,
                                                                     expect.layers)):
        assert np.array_equal(spikes, want_spikes), f"layer {number} spikes"
        assert np.array_equal(v, want_v), f"layer {number} membranes"
    assert np.array_equal(got.scores, expect.scores)
    assert got.prediction == expect.prediction


@pytest.fixture(scope="module")
def digits_net(tmp_path_factory):
    """The digits network of ``lifq convert --dataset digits --reset mod`` (64-64-10)."""
    path = tmp_path_factory.mktemp("digits") / "net.json"
    assert main(["convert", "--dataset", "digits", "--reset", "mod", "-o", str(path)]) == 0
    return path


def small_net(threshold=10, weight=1):
    neuron = LIFConfig(neurons=2, threshold=threshold, reset="mod", programmable=False)
    return NetworkConfig(inputs=3, input_bits=6, layers=[
        LayerConfig(neuron=neuron, weights=[[1, 2, -1], [3, 0, weight]])])


# --- protocol ---------------------------------------------------------------------------------

def test_network_info_round_trips():
    net = load_network_stimulus(NETWORK_VECTORS[0]).network
    payload = network_protocol.network_info_payload(net, [1, 2], clock_hz=24_000_000,
                                                    divisor=208)
    assert len(payload) == network_protocol.network_info_size(len(net.layers))
    assert protocol.info_kind(payload) == protocol.BoardKind.NETWORK
    description, extras = network_protocol.decode_network_info(payload)
    assert description == network_protocol.network_description(net, [1, 2])
    assert extras == {"version": protocol.VERSION, "max_payload": protocol.MAX_PAYLOAD,
                      "divisor": 208, "clock_hz": 24_000_000}
    assert NetworkShape.of(description) == NetworkShape.of(net)
    with pytest.raises(ValueError, match="network board's"):
        protocol.decode_info(payload)
    core = protocol.info_payload(LIFConfig(), clock_hz=1, divisor=4)
    with pytest.raises(ValueError, match="core board's"):
        network_protocol.decode_network_info(core)


def test_hash_names_the_hardware_network():
    net = small_net()
    assert network_protocol.network_hash(net) == network_protocol.network_hash(small_net())
    assert network_protocol.network_hash(net) != network_protocol.network_hash(small_net(weight=2))
    # ``programmable`` changes nothing in a network's hardware, nor its hash.
    programmable = NetworkConfig(inputs=3, input_bits=6, layers=[
        net.layers[0].replace(neuron=net.layers[0].neuron.replace(programmable=True))])
    assert network_protocol.network_hash(programmable) == network_protocol.network_hash(net)
    assert len(network_protocol.network_hash(net)) == network_protocol.HASH_BYTES


def test_request_table_and_payload_sizes():
    wide = NetworkConfig(inputs=300, input_bits=10, layers=[LayerConfig(
        neuron=LIFConfig(neurons=3, width=32, input_width=24, threshold=1000, spike_bits=8),
        weights=np.ones((3, 300), dtype=int))])
    assert (network_protocol.index_bytes(wide), network_protocol.value_bytes(wide)) == (2, 2)
    assert network_protocol.trace_step_bytes(wide) == 3 * (2 + 4)
    assert network_protocol.result_size(wide) == 8 + 3 * (4 + 4)
    assert network_protocol.encode_events(wide, [(299, -512)]) == bytes([0x2B, 0x01, 0x00, 0xFE])
    assert network_protocol.encode_run(258, clear_first=True) == bytes([2, 1, 1])
    formats = {request.command: request for request in network_protocol.network_requests(wide)}
    assert formats[Command.WRITE].supported is False
    run_full = formats[Command.RUN_FULL].fields[0]
    assert (run_full.low, run_full.high) == (1, network_protocol.MAX_REPLY // 18)
    assert {field.name: (field.low, field.high) for field in formats[Command.INPUT].fields} \
        == {"index": (0, 299), "value": (-512, 511)}


def test_networks_a_board_cannot_hold_are_input_errors():
    outputs = LayerConfig(neuron=LIFConfig(neurons=11000), weights=np.ones((11000, 1), dtype=int))
    with pytest.raises(InputError, match="11000 neurons need a result of 66008 bytes.*"
                                         "allowed up to 10921 output neurons"):
        network_protocol.check_board_network(NetworkConfig(inputs=1, layers=[outputs]))
    deep = [LayerConfig(neuron=LIFConfig(neurons=1), weights=[[1]])] * 256
    with pytest.raises(InputError, match="at most 255 layers, not 256"):
        network_protocol.check_board_network(NetworkConfig(inputs=1, layers=deep))


# --- the simulated board ----------------------------------------------------------------------

@pytest.mark.parametrize("path", NETWORK_VECTORS, ids=vector_id)
def test_network_vectors_on_the_simulated_board(path):
    stimulus = load_network_stimulus(path)
    transport = SimulatedTransport(stimulus.network)
    result = run_network_stimulus(Board(transport, "sim"), stimulus.network, stimulus.inputs)
    expect = expect_of(path)
    for (spikes, v), layer in zip(result.layers, expect["layers"]):
        assert spikes.tolist() == layer["spikes"] and v.tolist() == layer["v"]
    assert result.scores.tolist() == expect["scores"]
    assert result.prediction == expect["prediction"]
    assert transport.framing_errors == 0


def random_network(rng, inputs, sizes, *, input_bits, wide):
    """A random network; ``wide`` picks 32-bit membranes, q = 8 and per-neuron biases
    (the widest reply fields), otherwise narrow, leaky, unsigned or zero-reset layers."""
    layers, fan_in = [], inputs
    for number, neurons in enumerate(sizes):
        if wide:
            neuron = LIFConfig(neurons=neurons, width=32, input_width=24,
                               threshold=int(rng.integers(50, 400)), reset="mod", spike_bits=8,
                               initial_membrane=int(rng.integers(-20, 20)))
            bias = rng.integers(-300, 300, neurons)
        else:
            reset = ("zero", "subtract", "mod")[number % 3]
            neuron = LIFConfig(neurons=neurons, width=10, input_width=8,
                               threshold=int(rng.integers(3, 60)), reset=reset,
                               signed=bool(number % 2), decay_shift=4, decay=13, spike_bits=3)
            bias = int(rng.integers(-20, 20))
        weights = rng.integers(-7, 8, (neurons, fan_in))
        weights[rng.random(weights.shape) < 0.3] = 0
        layers.append(LayerConfig(neuron=neuron, weights=weights, bias=bias, weight_bits=4))
        fan_in = neurons
    return NetworkConfig(inputs=inputs, input_bits=input_bits, layers=layers)


@pytest.mark.parametrize("wide", [False, True], ids=["narrow", "wide"])
def test_random_network_on_the_simulated_board(wide):
    """A random three-layer network: one sample step by step (with repeated and empty
    input vectors), then three samples of T = 3 classified, all equal to the golden model.
    The narrow network has 1-byte fields, leaks, unsigned and zero-reset layers and two
    lanes per layer; the wide one 300 inputs (2-byte indices), 10-bit inputs, q = 8
    (2-byte spike counts) and 32-bit membranes, and small request buffers, so that an
    input takes several INPUT frames."""
    rng = np.random.default_rng(20 + wide)
    if wide:
        net = random_network(rng, 300, [4, 3, 2], input_bits=10, wide=True)
        transport = SimulatedTransport(net, max_payload=64, lanes=1)
    else:
        net = random_network(rng, 7, [6, 5, 4], input_bits=5, wide=False)
        transport = SimulatedTransport(net, lanes=2)
    x = rng.integers(net.input_min, net.input_max + 1, (6, net.inputs))
    x[rng.random(x.shape) < (0.85 if wide else 0.4)] = 0
    x[2] = x[1]                    # a run of two equal steps: one RUN_FULL of 2
    x[4] = 0                       # an empty step: an INPUT without events
    board = Board(transport, "sim")
    assert_equal_results(run_network_stimulus(board, net, x), simulate_network(net, x))
    if wide:
        assert len(input_requests(board, net, x[0])) > 1    # INPUT, then INPUT_MORE
    samples = x[[0, 3, 5]]
    result = classify(board, samples, 3)
    expect = simulate_network(net, np.broadcast_to(samples[:, None], (3, 3, net.inputs)),
                              record=False)
    assert np.array_equal(result.scores, expect.scores)
    assert np.array_equal(result.predictions, expect.predictions)
    assert (result.cycles > 0).all()
    assert transport.framing_errors == 0


def test_digits_samples_on_the_simulated_board(digits_net):
    """20 test samples of the digits network at T = 1, then 2 at T = 4: the scores and
    predictions the board gives equal the golden model's; the board counts the cycles."""
    net = load_network(digits_net)
    digits = load_digits()
    board = Board(SimulatedTransport(net), "sim")
    check_network(board, net)
    for count, steps in ((20, 1), (2, 4)):
        x = digits.x_test[:count]
        result = classify(board, x, steps)
        expect = simulate_network(net, np.broadcast_to(x[:, None], (count, steps, net.inputs)),
                                  record=False)
        assert np.array_equal(result.scores, expect.scores)
        assert np.array_equal(result.predictions, expect.predictions)
        # Every non-zero pixel costs 64 cycles in the first layer (one lane).
        events = np.count_nonzero(x, axis=1)
        assert (result.cycles >= 64 * steps * events).all()
        assert (result.cycles < 64 * steps * events + 2000 * steps).all()
    assert np.mean(result.predictions == digits.y_test[:2]) >= 0.5
    status = board.status()
    assert status["steps"] == 20 + 2 * 4 and status["sample_steps"] == 4
    assert status["errors"] == 0 and status["cycles"] == result.cycles[-1]


class TestNetworkBadFrames:
    """Every kind of bad frame gets an error reply and changes nothing: a sample runs two
    steps, takes every bad frame, runs two more, and its result equals the golden model's
    four steps of the same input."""

    NET = NetworkConfig(inputs=5, input_bits=6, layers=[
        LayerConfig(neuron=LIFConfig(neurons=3, threshold=20, spike_bits=3),
                    weights=[[3, -2, 1, 0, 4], [1, 1, 1, 1, 1], [-5, 2, 0, 3, 1]], bias=[2, 0, -3]),
        LayerConfig(neuron=LIFConfig(neurons=2, width=12, threshold=9),
                    weights=[[2, -1, 3], [-3, 2, 1]])])
    X = np.array([7, -3, 0, 31, -32])

    @pytest.fixture(scope="class")
    @classmethod
    def session(cls):
        transport = SimulatedTransport(cls.NET)
        board = Board(transport, "sim")
        check_network(board, cls.NET)
        board.reset()
        board.request(Command.INPUT, network_protocol.encode_events(
            cls.NET, [(j, x) for j, x in enumerate(cls.X) if x]))
        board.request(Command.RUN, network_protocol.encode_run(2))
        yield transport, board

    def expect_error(self, board, transport, raw, status, *, before=None):
        expect_error_reply(board, transport, raw, status, ("steps", "sample_steps", "cycles"), before=before)

    def request(self, command, payload=b""):
        return protocol.encode_request(command, payload)

    def events(self, events):
        return self.request(Command.INPUT, network_protocol.encode_events(self.NET, events))

    def test_corrupted_checksum(self, session):
        transport, board = session
        frame = bytearray(self.events([(0, 1), (1, 1)]))
        frame[5] ^= 0x04                                # an input value flips on the line
        self.expect_error(board, transport, bytes(frame), Status.BAD_CHECKSUM)
        frame = bytearray(self.request(Command.RUN, network_protocol.encode_run(3)))
        frame[4] ^= 0x01
        self.expect_error(board, transport, bytes(frame), Status.BAD_CHECKSUM)

    def test_truncated_frames_time_out(self, session):
        transport, board = session
        self.expect_error(board, transport, self.events([(0, 5), (4, 2)])[:-3], Status.TIMEOUT)
        self.expect_error(board, transport,
                          self.request(Command.RUN, network_protocol.encode_run(1))[:-1],
                          Status.TIMEOUT)

    def test_oversized_frame(self, session):
        transport, board = session
        payload = network_protocol.encode_events(self.NET, [(1, 1)] * 300)   # 600 bytes
        self.expect_error(board, transport, self.request(Command.INPUT, payload),
                          Status.TOO_LONG)

    def test_unknown_commands_and_bad_lengths(self, session):
        transport, board = session
        for command in (Command.STIMULUS, Command.STIMULUS_FULL, 0x7F):
            self.expect_error(board, transport, self.request(command, b"\x01\x00"),
                              Status.UNKNOWN_COMMAND)
        for command, payload in ((Command.RESULT, b"\x00"), (Command.RESET, b"\x01"),
                                 (Command.RUN, b"\x01\x00"), (Command.RUN_FULL, b"\x01" * 4),
                                 (Command.INPUT, b"\x01\x02\x03"),
                                 (Command.INPUT_MORE, b"\x01")):
            self.expect_error(board, transport, self.request(command, payload),
                              Status.BAD_LENGTH)
        self.expect_error(board, transport, self.request(Command.WRITE, bytes(5)),
                          Status.UNSUPPORTED)

    def test_values_out_of_range(self, session):
        transport, board = session
        for events in ([(5, 1)], [(0, 1), (255, 3)], [(2, 32)], [(1, -33)]):
            raw = b"".join(bytes([j]) + int(x).to_bytes(1, "little", signed=True)
                           for j, x in events)
            self.expect_error(board, transport, self.request(Command.INPUT, raw),
                              Status.BAD_VALUE)
            self.expect_error(board, transport, self.request(Command.INPUT_MORE, raw),
                              Status.BAD_VALUE)
        for command, payload in ((Command.RUN, bytes([0, 0, 0])),
                                 (Command.RUN, bytes([1, 0, 2])),
                                 (Command.RUN_FULL, bytes([0, 0, 1])),
                                 (Command.RUN_FULL, network_protocol.encode_run(
                                     network_protocol.max_full_steps(self.NET) + 1))):
            self.expect_error(board, transport, self.request(command, payload),
                              Status.BAD_VALUE)

    def test_line_error_inside_a_frame(self, session):
        transport, board = session
        before = board.status()
        frame = self.events([(0, 1), (1, 2), (2, 3)])
        transport.write(frame[:6])
        transport.write_break(15)
        transport.write(frame[6:])
        self.expect_error(board, transport, b"", Status.LINE_ERROR, before=before)

    def test_sample_survived_every_bad_frame(self, session):
        # Runs last in this class (pytest keeps definition order).
        transport, board = session
        parts = network_protocol.decode_result(
            self.NET, board.request(Command.RUN, network_protocol.encode_run(2)))
        expect = simulate_network(self.NET, np.tile(self.X, (4, 1)))
        assert parts.steps == 4
        assert np.array_equal(parts.scores(self.NET.layers[-1].neuron.threshold), expect.scores)
        assert np.array_equal(parts.membranes, expect.layers[-1][1][-1])
        assert transport.framing_errors == 0


def test_host_refuses_another_network():
    board = Board(SimulatedTransport(small_net()), "sim")
    check_network(board, small_net())
    with pytest.raises(InputError, match=r"layers\[0\].threshold = 10 on the board, 11 in x"):
        check_network(board, small_net(threshold=11), "x")
    with pytest.raises(InputError) as error:
        check_network(board, small_net(weight=2), "net.json")
    message = str(error.value)
    assert "the same layers but other weights or biases" in message
    assert network_protocol.network_hash(small_net()).hex() in message
    assert network_protocol.network_hash(small_net(weight=2)).hex() in message
    assert "\n" not in message
    with pytest.raises(InputError, match=r"holds a network \(3-2\), not a single core"):
        run_stimulus(board, LIFConfig(neurons=2), [[1, 2]])
    core_board = Board(SimulatedTransport(LIFConfig(neurons=2)), "sim")
    with pytest.raises(InputError, match="holds a single core .* not a network"):
        run_network_stimulus(core_board, small_net(), [[1, 2, 3]])


# --- lifq run and lifq classify through a pseudo-terminal ---------------------------------------

@pytest.mark.parametrize("path", NETWORK_VECTORS, ids=vector_id)
def test_lifq_run_network_matches_lifq_golden(path, tmp_path):
    with PseudoTerminal(SimulatedTransport(load_network_stimulus(path).network)) as terminal:
        board_out, golden_out = tmp_path / "board.json", tmp_path / "golden.json"
        assert main(["run", "--port", terminal.port, str(path), "-o", str(board_out),
                     "--check", "--timeout", str(SIMULATED_BOARD_TIMEOUT)]) == 0
    assert main(["golden", str(path), "-o", str(golden_out)]) == 0
    assert board_out.read_text() == golden_out.read_text()


def test_lifq_classify_through_a_pseudo_terminal(digits_net, capsys):
    net = load_network(digits_net)
    with PseudoTerminal(SimulatedTransport(net)) as terminal:
        assert main(["classify", "--port", terminal.port, "--dataset", "digits", "--steps", "1",
                     "--limit", "3", "--network", str(digits_net),
                     "--timeout", str(SIMULATED_BOARD_TIMEOUT)]) == 0
        out = capsys.readouterr().out
        assert "digits: 3 test samples, T = 1, network 64-64-10" in out
        assert "accuracy     100.00 % (3 of 3)" in out
        assert "cycles per sample" in out and "samples/s at 1000 MHz" in out
        assert "golden model equal on all 3 samples" in out
        assert main(["classify", "--port", terminal.port, "--dataset", "digits", "--steps", "2",
                     "--limit", "1", "--json", "--network", str(digits_net),
                     "--timeout", str(SIMULATED_BOARD_TIMEOUT)]) == 0
        summary = json.loads(capsys.readouterr().out)
        assert summary["samples"] == 1 and summary["steps"] == 2
        assert summary["golden_equal"] is True
        assert summary["clock_hz"] == 10 ** 9 and summary["cycles_per_sample"] > 64


def test_lifq_run_refuses_another_network_in_one_line(tmp_path, capsys):
    stim = tmp_path / "stim.json"
    stim.write_text(json.dumps({"network": small_net(threshold=12).to_dict(),
                                "inputs": [[1, 2, 3]]}))
    with PseudoTerminal(SimulatedTransport(small_net())) as terminal:
        assert main(["run", "--port", terminal.port, str(stim),
                     "--timeout", str(SIMULATED_BOARD_TIMEOUT)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "layers[0].threshold = 10 on the board, 12 in" in err
        assert main(["classify", "--port", terminal.port, "--dataset", "digits", "--steps", "1",
                     "--timeout", str(SIMULATED_BOARD_TIMEOUT)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "(3-2) does not fit digits" in err


@pytest.mark.parametrize("argv, words", [
    (["classify", "--port", "x", "--dataset", "digits", "--steps", "0"], ["--steps = 0"]),
    (["classify", "--port", "x", "--dataset", "digits", "--steps", "1", "--limit", "541"],
     ["--limit = 541", "1 … 540"]),
    (["classify", "--port", "x", "--dataset", "digits", "--steps", "70000"], ["65535"]),
    (["build", "--board", "icebreaker", "--lanes", "2"], ["--lanes applies to a network"]),
    (["build", "--board", "ulx3s", "--lanes", "0", "NET"], ["--lanes = 0"]),
])
def test_cli_bad_network_input_is_one_line(argv, words, capsys, tmp_path):
    argv = [str(tmp_path / "net.json") if arg == "NET" else arg for arg in argv]
    (tmp_path / "net.json").write_text(json.dumps(small_net().to_dict()))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"lifq {argv[0]}: error:")
    assert all(word in err for word in words), err


# --- bitstreams ---------------------------------------------------------------------------------

@pytest.mark.parametrize("board", list(BOARDS))
def test_network_bitstream_builds_and_meets_timing(board, digits_net, tmp_path, capsys):
    assert main(["build", "--board", board, str(digits_net), "--json",
                 "--build-dir", str(tmp_path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert tuple(report) == NETWORK_REPORT_KEYS
    spec = BOARDS[board]
    assert report["clock_mhz"] == pytest.approx(spec.default_clock_hz / 1e6)
    assert report["fmax_mhz"] >= report["clock_mhz"]
    assert report["logic_cells"] < spec.capacity["logic_cells"]
    assert report["block_rams"] <= spec.capacity["block_rams"]
    assert report["lanes"] == [1, 1]
    assert report["weight_bits"] == 64 * 64 * 8 + 10 * 64 * 8
    assert 0 < report["weight_block_rams"] <= report["block_rams"]
    assert pathlib.Path(report["bitstream"]).stat().st_size > 10_000
    table = format_report(report)
    assert f"{report['weight_bits']} bits in {report['weight_block_rams']} block RAMs" in table
    print(f"\n{table}")      # shown with -s: the figures of the README
