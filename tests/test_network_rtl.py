"""The network hardware (issue #15) on Icarus and Verilator, through the file-driven harness.

The same checks as ``tests/test_network_hdl.py`` (Amaranth's simulator) on
the generated Verilog: every layer's updates and the output layer's events
transfer by transfer against :func:`lifq.golden.simulate_network`, with
random input gaps and output back-pressure; every network vector, a subset
of the random networks, a broken core caught with its layer, timestep and
neuron, the digits test set at T = 1 on Verilator with exactly the golden
accuracy, and the commands ``lifq simulate NETSTIM`` and ``lifq accuracy
--engine``.  Seeds derive from ``LIFQ_SEED`` (default 1) and are named in
failure messages.
"""

import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import VECTORS
from lifq.cli import main
from lifq.golden import simulate_network
from lifq.sim.engines import NetworkRtlEngine
from lifq.sim.harness import run_network_harness
from lifq.sim.mutation import Mutation
from lifq.spec import NetworkConfig
from test_network_hdl import BASE_SEED, CASES, GAPS, network_vector_names

SIMULATORS = ("icarus", "verilator")
NETWORK_VECTORS = VECTORS / "network"
#: Random networks of tests/test_network_hdl.py run here too: every reset, both
#: signednesses, 1–3 layers, P = 1…4, saturating sums (the first eight cover them).
RTL_CASES = {"verilator": CASES[:8], "icarus": CASES[8:12]}


def _vector(name):
    stimulus = json.loads((NETWORK_VECTORS / f"{name}.stim.json").read_text())
    expect = json.loads((NETWORK_VECTORS / f"{name}.expect.json").read_text())
    return NetworkConfig.from_dict(stimulus["network"]), np.array(stimulus["inputs"]), expect


@pytest.mark.parametrize("simulator", SIMULATORS)
@pytest.mark.parametrize("name", network_vector_names())
def test_vector(name, simulator):
    net, inputs, expect = _vector(name)
    lanes = 1 + sorted(network_vector_names()).index(name) % 2
    run = run_network_harness(net, inputs, simulator, lanes=lanes, seed=BASE_SEED, **GAPS)
    assert run.passed, run.report()
    for number, layer in enumerate(expect["layers"]):
        spikes, v = run.layer(number)
        assert spikes[0].tolist() == layer["spikes"] and v[0].tolist() == layer["v"], \
            f"{simulator}: layer {number} differs from {name}.expect.json"


@pytest.mark.parametrize("simulator, case",
                         [(s, c) for s, cases in RTL_CASES.items() for c in cases],
                         ids=[f"{s}-seed{c['seed']}" for s, cases in RTL_CASES.items()
                              for c in cases])
def test_random_network(simulator, case):
    net, inputs = case["net"], case["inputs"]
    run = run_network_harness(net, inputs, simulator, lanes=case["lanes"], debug=case["debug"],
                              seed=case["seed"], **GAPS)
    assert run.passed, (f"seed {case['seed']} (lanes {case['lanes']}, sizes {net.sizes}): "
                        f"{run.report()}; network {net.to_dict()}")
    golden = simulate_network(net, inputs)
    last = len(net.layers) - 1
    assert np.array_equal(run.layer(last)[0], golden.layers[last][0])
    assert np.array_equal(run.scores(), golden.scores)
    assert not run.differing_samples().any()


def test_random_subset_covers_both_simulators_and_the_features():
    for cases in RTL_CASES.values():
        assert {len(c["net"].layers) for c in cases} == {1, 2, 3}
        assert {c["lanes"] for c in cases} == {1, 2, 3, 4}
    resets = {layer.neuron.reset for c in RTL_CASES["verilator"] for layer in c["net"].layers}
    signed = {layer.neuron.signed for c in RTL_CASES["verilator"] for layer in c["net"].layers}
    assert resets == {"zero", "subtract", "mod"} and signed == {True, False}


@pytest.mark.parametrize("simulator", SIMULATORS)
@pytest.mark.parametrize("change", [Mutation("flip", transfer=3, field="membrane", bit=0),
                                    Mutation("drop", transfer=2)],
                         ids=["flipped-membrane", "dropped-update"])
def test_a_broken_core_is_caught_with_layer_timestep_and_neuron(simulator, change):
    """The scoreboard is not vacuous: a core of layer 0 that breaks one output transfer."""
    net, inputs, _ = _vector("two_layer_mod")
    run = run_network_harness(net, inputs, simulator, seed=BASE_SEED, mutation=(0, change),
                              **GAPS)
    assert not run.passed
    assert run.mismatch is not None and run.mismatch.layer == 0
    text = str(run.mismatch)
    neurons = net.layers[0].neuron.neurons
    assert f"timestep {change.transfer // neurons}" in text
    assert f"neuron {change.transfer % neurons}" in text
    assert run.differing_samples().all()
    assert "MISMATCH" in run.report() and f"seed {BASE_SEED}" in run.report()


# -- the digits network --------------------------------------------------------------------

@pytest.fixture(scope="module")
def digits():
    from lifq.golden.datasets import load_digits, train_mlp

    data = load_digits()
    return data, train_mlp(data, (64,))


@pytest.mark.parametrize("simulator, lanes, samples", [("verilator", 4, 540),
                                                        ("icarus", 2, 6)])
def test_digits_at_one_step_equal_the_golden_network(digits, simulator, lanes, samples):
    """The digits test set (all 540 samples on Verilator) at T = 1 through the hardware:
    every sample's scores and transfers equal the golden network's, so the accuracy is
    exactly the golden accuracy."""
    from lifq.golden.convert import convert

    data, model = digits
    net = convert(model, data.x_train, reset="mod", steps=1).network
    x = data.x_test[:samples, None, :]
    golden = simulate_network(net, x, record=False)
    result = NetworkRtlEngine(simulator, lanes=lanes, seed=BASE_SEED)(net, x)
    assert not result.differing.any(), result.run.report()
    assert np.array_equal(result.scores, golden.scores)
    assert np.array_equal(result.predictions, golden.predictions)
    assert len(result.cycles) == samples and (result.cycles > 0).all()
    if samples == len(data.x_test):
        accuracy = np.mean(result.predictions == data.y_test)
        assert accuracy == np.mean(golden.predictions == data.y_test) > 0.95


# -- the commands ----------------------------------------------------------------------------

def _lifq(*arguments, cwd):
    return subprocess.run([sys.executable, "-m", "lifq", *map(str, arguments)], cwd=cwd,
                          capture_output=True, text=True)


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_cli_simulate_network_vector(simulator, tmp_path):
    stim = NETWORK_VECTORS / "capped_counts.stim.json"
    expect = json.loads((NETWORK_VECTORS / "capped_counts.expect.json").read_text())
    process = _lifq("simulate", stim, "--simulator", simulator, "--lanes", "2", "--seed", "9",
                    "-o", tmp_path / "result.json", cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    assert json.loads((tmp_path / "result.json").read_text()) == expect
    assert (f"lifq simulate: {simulator}: all 12 updates and 12 output events of network "
            "1-1-2 (4 steps) equal the golden network (seed 9)") in process.stderr


def test_cli_simulate_network_mismatch_exits_1(monkeypatch, capsys, tmp_path):
    """``lifq simulate`` on a network whose hardware is broken: exit 1, one line with
    layer, timestep and neuron; the result file holds what the hardware sent (as for a
    core), for a look at the difference."""
    import lifq.sim.harness as harness

    honest = harness.run_network_harness

    def broken(*arguments, **options):
        return honest(*arguments, mutation=(1, Mutation("flip", transfer=1, field="spike_count",
                                                        bit=0)), **options)

    monkeypatch.setattr(harness, "run_network_harness", broken)
    output = tmp_path / "result.json"
    status = main(["simulate", str(NETWORK_VECTORS / "two_layer_mod.stim.json"),
                   "--simulator", "verilator", "--seed", "4", "-o", str(output)])
    message = capsys.readouterr().err.strip().splitlines()
    assert status == 1
    assert len(message) == 1 and message[0].startswith("lifq simulate: verilator: MISMATCH at "
                                                        "layer 1, sample 0, timestep 0, "
                                                        "neuron 1")
    assert message[0].endswith("(seed 4)")
    expect = json.loads((NETWORK_VECTORS / "two_layer_mod.expect.json").read_text())
    got = json.loads(output.read_text())
    assert got["layers"][0] == expect["layers"][0]
    assert abs(got["layers"][1]["spikes"][0][1] - expect["layers"][1]["spikes"][0][1]) == 1


def test_cli_accuracy_on_verilator_equals_the_golden_table(tmp_path):
    """``lifq accuracy --engine verilator``: the whole digits test set through the
    hardware, the same accuracies as the golden model's table, ≠golden counts of 0."""
    arguments = ("accuracy", "--dataset", "digits", "--steps", "1,2", "--resets", "mod,zero",
                 "--json")
    golden = _lifq(*arguments, cwd=tmp_path)
    hardware = _lifq(*arguments, "--engine", "verilator", "--lanes", "8", cwd=tmp_path)
    assert golden.returncode == 0 and hardware.returncode == 0, hardware.stderr
    golden, hardware = json.loads(golden.stdout), json.loads(hardware.stdout)
    assert hardware["engine"] == "verilator" and golden["engine"] == "golden"
    assert hardware["snn"] == golden["snn"]
    assert hardware["differing"] == {"mod": {"1": 0, "2": 0}, "zero": {"1": 0, "2": 0}}
    cycles = hardware["cycles"]["mod"]
    assert 0 < cycles["1"] < cycles["2"]
    text = _lifq("accuracy", "--dataset", "digits", "--steps", "1", "--resets", "mod",
                 "--engine", "icarus", "--lanes", "0", cwd=tmp_path)
    assert text.returncode == 2 and "--lanes = 0" in text.stderr
