"""The network hardware (issue #15) in its cocotb testbench, on Icarus and Verilator.

The testbench is layered as the core's (:mod:`lifq.cocotb_tests.network_tb`):
an event source with random gaps on the inputs, sinks with random
back-pressure and passive monitors on the output events and every layer's
updates, and a scoreboard that compares each transfer with
:func:`lifq.golden.simulate_network` as it arrives and names the first
difference by layer, sample, timestep and neuron.  Here: the network vectors
(all on Icarus, one on Verilator, whose build takes a minute), a random
networks with P > 1 (one of two samples, a clear between them), a broken core that
must be caught, and ``lifq simulate NETSTIM --testbench cocotb`` with a
waveform file.  The bulk of the RTL checks runs in the file-driven harness
(tests/test_network_rtl.py).  Seeds derive from ``LIFQ_SEED`` (default 1).
"""

import json

import numpy as np
import pytest

from conftest import VECTORS
from lifq.cli import main
from lifq.golden import simulate_network
from lifq.sim.mutation import Mutation
from lifq.sim.network_runner import run_network_cocotb
from lifq.spec import NetworkConfig
from test_network_hdl import BASE_SEED, CASES, GAPS, network_vector_names

NETWORK_VECTORS = VECTORS / "network"
#: Vectors per simulator: every one on Icarus; on Verilator one (a build each).
VECTOR_RUNS = ([("icarus", name) for name in network_vector_names()]
               + [("verilator", "two_layer_mod")])
#: Random networks of tests/test_network_hdl.py with P > 1: three layers, one of 9 to 20
#: neurons (above the pipeline depth) with every layer's updates; two layers, two
#: samples (a clear between them) and only the output layer's updates.
RANDOM_CASES = [CASES[2], CASES[10]]


def _vector(name):
    stimulus = json.loads((NETWORK_VECTORS / f"{name}.stim.json").read_text())
    expect = json.loads((NETWORK_VECTORS / f"{name}.expect.json").read_text())
    return NetworkConfig.from_dict(stimulus["network"]), np.array(stimulus["inputs"]), expect


@pytest.mark.parametrize("simulator, name", VECTOR_RUNS,
                         ids=[f"{s}-{n}" for s, n in VECTOR_RUNS])
def test_vector(simulator, name):
    net, inputs, expect = _vector(name)
    lanes = 1 + network_vector_names().index(name) % 2
    run = run_network_cocotb(net, inputs, simulator, lanes=lanes, seed=BASE_SEED, **GAPS)
    assert run.passed, run.report()
    for number, layer in enumerate(expect["layers"]):
        spikes, v = run.layer(number)
        assert spikes[0].tolist() == layer["spikes"] and v[0].tolist() == layer["v"], \
            f"{simulator}: layer {number} differs from {name}.expect.json"
    assert run.sent == sum(np.count_nonzero(x) + 1 for x in inputs)
    assert len(run.sample_cycles) == 1 and run.sample_cycles[0] > 0


@pytest.mark.parametrize("case", RANDOM_CASES, ids=[f"seed{c['seed']}" for c in RANDOM_CASES])
def test_random_network_with_lanes(case):
    net, inputs = case["net"], case["inputs"]
    assert case["lanes"] > 1
    run = run_network_cocotb(net, inputs, "icarus", lanes=case["lanes"], debug=case["debug"],
                             seed=case["seed"], **GAPS)
    assert run.passed, (f"seed {case['seed']} (lanes {case['lanes']}, sizes {net.sizes}): "
                        f"{run.report()}")
    golden = simulate_network(net, inputs)
    taken = [n for n, table in enumerate(run.updates) if table is not None]
    last = len(net.layers) - 1
    assert taken == (list(range(last + 1)) if case["debug"] else [last])
    for number in taken:
        assert np.array_equal(run.layer(number)[0], golden.layers[number][0])
        assert np.array_equal(run.layer(number)[1], golden.layers[number][1])
    assert np.array_equal(run.scores(), golden.scores)
    assert len(run.sample_cycles) == inputs.shape[0]


def test_random_cases_cover_layers_samples_and_debug():
    assert {len(c["net"].layers) for c in RANDOM_CASES} == {2, 3}
    assert {c["inputs"].shape[0] for c in RANDOM_CASES} == {1, 2}
    assert {c["debug"] for c in RANDOM_CASES} == {True, False}
    assert max(max(c["net"].sizes[1:]) for c in RANDOM_CASES) >= 9


@pytest.mark.parametrize("change", [Mutation("flip", transfer=3, field="membrane", bit=0),
                                    Mutation("drop", transfer=2)],
                         ids=["flipped-membrane", "dropped-update"])
def test_a_broken_core_is_caught_with_layer_timestep_and_neuron(change):
    """The scoreboard is not vacuous: layer 0's core breaks one output transfer."""
    net, inputs, _ = _vector("two_layer_mod")
    run = run_network_cocotb(net, inputs, "icarus", seed=BASE_SEED, mutation=(0, change),
                             **GAPS)
    assert not run.passed
    assert run.mismatch is not None and run.mismatch.layer == 0
    neurons = net.layers[0].neuron.neurons
    text = str(run.mismatch)
    assert f"timestep {change.transfer // neurons}" in text
    assert f"neuron {change.transfer % neurons}" in text
    assert "MISMATCH" in run.report() and f"seed {BASE_SEED}" in run.report()
    assert run.log is not None and "MISMATCH at layer 0" in run.log.read_text()


def test_cli_simulate_network_with_cocotb_and_waves(capsys, tmp_path):
    stim = NETWORK_VECTORS / "two_layer_mod.stim.json"
    expect = json.loads((NETWORK_VECTORS / "two_layer_mod.expect.json").read_text())
    waves, result = tmp_path / "network.vcd", tmp_path / "result.json"
    status = main(["simulate", str(stim), "--simulator", "icarus", "--testbench", "cocotb",
                   "--lanes", "2", "--seed", "9", "--waves", str(waves), "-o", str(result)])
    message = capsys.readouterr().err.strip().splitlines()
    assert status == 0, message
    assert message == ["lifq simulate: icarus: all 16 updates and 7 output events of network "
                       "3-2-2 (4 steps) equal the golden network (seed 9)"]
    assert json.loads(result.read_text()) == expect
    text = waves.read_text()
    assert "events__valid" in text and "updates_0__payload" in text


def test_cli_network_testbench_options(capsys, tmp_path):
    stim = str(NETWORK_VECTORS / "two_layer_mod.stim.json")
    for arguments, words in [
            (["--simulator", "icarus", "--testbench", "harness", "--waves",
              str(tmp_path / "w.vcd")], ["--waves", "no waveforms", "--testbench cocotb"]),
            (["--simulator", "icarus", "--testbench", "cocotb", "--netlist", "ice40"],
             ["--netlist", "harness"]),
            (["--simulator", "amaranth", "--testbench", "cocotb"], ["--testbench", "amaranth"]),
            (["--simulator", "amaranth", "--waves", str(tmp_path / "w.fst")],
             ["--waves", "unsupported format"])]:
        assert main(["simulate", stim, *arguments]) == 2, arguments
        error = capsys.readouterr().err
        assert all(word in error for word in words), (arguments, error)
    assert not list(tmp_path.iterdir())


def test_cli_simulate_network_mismatch_with_cocotb_exits_1(monkeypatch, capsys, tmp_path):
    """A broken core through ``lifq simulate --testbench cocotb``: exit 1 and one line
    naming layer, timestep and neuron, as the harness path says it."""
    import lifq.sim.network_runner as network_runner

    honest = network_runner.run_network_cocotb

    def broken(*arguments, **options):
        return honest(*arguments, mutation=(0, Mutation("flip", transfer=3, field="membrane",
                                                        bit=0)), **options)

    monkeypatch.setattr(network_runner, "run_network_cocotb", broken)
    status = main(["simulate", str(NETWORK_VECTORS / "two_layer_mod.stim.json"),
                   "--simulator", "icarus", "--testbench", "cocotb", "--seed", "4",
                   "-o", str(tmp_path / "result.json")])
    message = capsys.readouterr().err.strip().splitlines()
    assert status == 1
    assert len(message) == 1 and message[0].startswith(
        "lifq simulate: icarus: MISMATCH at layer 0, sample 0, timestep 1, neuron 1")
    assert message[0].endswith("(seed 4)")
