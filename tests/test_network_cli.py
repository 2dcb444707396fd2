"""``lifq golden`` on network stimuli, ``lifq convert`` and ``lifq accuracy``: results,
files, and bad input (exit status 2, one line on stderr, nothing written)."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import VECTORS
from lifq.golden import convert, simulate_network
from lifq.golden.datasets import load_digits, train_mlp
from lifq.sim.network_files import load_network, write_network

NETWORK_VECTORS = VECTORS / "network"
VECTOR_NAMES = sorted(p.name[:-len(".stim.json")] for p in NETWORK_VECTORS.glob("*.stim.json"))


def run_lifq(*arguments, cwd=None):
    return subprocess.run([sys.executable, "-m", "lifq", *map(str, arguments)],
                          capture_output=True, text=True, cwd=cwd)


def test_there_are_network_vectors():
    assert VECTOR_NAMES, f"no network vectors in {NETWORK_VECTORS}"


@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_cli_golden_reproduces_network_vector(name, tmp_path):
    expect = json.loads((NETWORK_VECTORS / f"{name}.expect.json").read_text())
    result = tmp_path / "result.json"
    process = run_lifq("golden", NETWORK_VECTORS / f"{name}.stim.json", "-o", result)
    assert process.returncode == 0, process.stderr
    assert json.loads(result.read_text()) == expect
    process = run_lifq("golden", NETWORK_VECTORS / f"{name}.stim.json")
    assert process.returncode == 0, process.stderr
    assert json.loads(process.stdout) == expect
    assert len(process.stdout.splitlines()) > len(expect["layers"][0]["spikes"])  # a row a line


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_network_by_path_relative_to_the_stimulus(suffix, tmp_path):
    stimulus = json.loads((NETWORK_VECTORS / "bias_leak_initial.stim.json").read_text())
    expect = json.loads((NETWORK_VECTORS / "bias_leak_initial.expect.json").read_text())
    (tmp_path / "nets").mkdir()
    net_path = tmp_path / "nets" / f"net{suffix}"
    write_network(net_path, load_network_document(stimulus["network"]))
    stim_path = tmp_path / "stim.json"
    stim_path.write_text(json.dumps({"network": f"nets/net{suffix}",
                                     "inputs": stimulus["inputs"]}))
    process = run_lifq("golden", "stim.json", cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    assert json.loads(process.stdout) == expect


def load_network_document(document):
    from lifq.spec import NetworkConfig
    return NetworkConfig.from_dict(document)


def test_network_files_round_trip(tmp_path):
    net = convert(train_mlp(load_digits(), (64,)), load_digits().x_train, reset="mod").network
    for name in ("net.json", "net.npz"):
        write_network(tmp_path / name, net)
        assert load_network(tmp_path / name) == net
    assert (tmp_path / "net.npz").stat().st_size < (tmp_path / "net.json").stat().st_size


# --- bad input ----------------------------------------------------------------

GOOD_NETWORK = {"inputs": 3, "input_bits": 6, "layers": [
    {"neurons": 2, "threshold": 10, "weights": [[1, 2, -1], [3, 0, 1]]},
    {"neurons": 2, "threshold": 5, "weights": [[1, -1], [2, 1]]}]}
GOOD_INPUTS = [[5, 5, 5], [0, 10, -3]]


def network(layer0=None, layer1=None, **keys):
    layers = [{**GOOD_NETWORK["layers"][0], **(layer0 or {})},
              {**GOOD_NETWORK["layers"][1], **(layer1 or {})}]
    return {**GOOD_NETWORK, "layers": layers, **keys}


def stim(net=None, inputs=None, **extra):
    return json.dumps({"network": GOOD_NETWORK if net is None else net,
                       "inputs": GOOD_INPUTS if inputs is None else inputs, **extra})


NPZ_WITH_STRAY_ARRAY = "stray.npz"

# (name, stimulus text, other files {name: text}, extra arguments, words of the one line)
BAD_GOLDEN = [
    ("empty layer list", stim(net=network(layers=[])), {}, [], ["layers = []", "non-empty"]),
    ("weight out of weight_bits", stim(net=network(layer1={"weights": [[1, -1], [2, 300]]})),
     {}, [], ["layers[1].weights[1][1] = 300", "-128 … 127", "weight_bits = 8"]),
    ("weight out of 4 bits", stim(net=network(layer0={"weight_bits": 4,
                                                      "weights": [[1, 2, -9], [3, 0, 1]]})),
     {}, [], ["layers[0].weights[0][2] = -9", "-8 … 7", "weight_bits = 4"]),
    ("non-integer weight", stim(net=network(layer0={"weights": [[1, 2.5, -1], [3, 0, 1]]})),
     {}, [], ["layers[0].weights[0][1] = 2.5", "integer"]),
    ("bool weight", stim(net=network(layer0={"weights": [[1, 2, -1], [3, True, 1]]})), {}, [],
     ["layers[0].weights[1][1] = true", "integer"]),
    ("bias list of wrong length", stim(net=network(layer1={"bias": [1, 2, 3]})), {}, [],
     ["layers[1].bias has 3 value(s)", "neurons = 2"]),
    ("bias outside input_width", stim(net=network(layer0={"input_width": 8, "bias": 128})), {},
     [], ["layers[0].bias = 128", "-128 … 127", "input_width = 8"]),
    ("bool bias", stim(net=network(layer0={"bias": [0, False]})), {}, [],
     ["layers[0].bias[1] = false", "integer"]),
    ("threshold out of range", stim(net=network(layer1={"threshold": 0})), {}, [],
     ["layers[1].threshold = 0", "1 … 32767", "width = 16"]),
    ("neurons not the weight rows", stim(net=network(layer0={"neurons": 3})), {}, [],
     ["layers[0].weights has 2 row(s)", "neurons = 3"]),
    ("weight columns not the inputs", stim(net=network(inputs=4)), {}, [],
     ["layers[0].weights has 3 column(s)", "inputs = 4"]),
    ("weight columns not the layer before",
     stim(net=network(layer1={"weights": [[1, -1, 0], [2, 1, 0]]})), {}, [],
     ["layers[1].weights has 3 column(s)", "layers[0].neurons = 2"]),
    ("ragged weights", stim(net=network(layer0={"weights": [[1, 2, -1], [3, 0]]})), {}, [],
     ["layers[0].weights", "rows of equal length"]),
    ("unknown layer key", stim(net=network(layer0={"tau": 2})), {}, [],
     ['layers[0]: unknown key "tau"']),
    ("unknown network key", stim(net=network(outputs=2)), {}, [],
     ['unknown network key "outputs"']),
    ("input_bits out of range", stim(net=network(input_bits=17)), {}, [],
     ["input_bits = 17", "2 … 16"]),
    ("network without inputs", stim(net={"layers": GOOD_NETWORK["layers"]}), {}, [],
     ['needs "inputs"']),
    ("layer not an object", stim(net=network(layers=[3])), {}, [], ["layers[0] must be an object"]),
    ("input out of input_bits", stim(inputs=[[5, 5, 5], [0, 32, -3]]), {}, [],
     ["inputs[1][1] = 32", "-32 … 31", "input_bits = 6"]),
    ("T×N0 mismatch", stim(inputs=[[5, 5], [0, 10]]), {}, [],
     ["2 column(s)", "inputs = 3"]),
    ("ragged inputs", stim(inputs=[[5, 5, 5], [0, 10]]), {}, [], ["rows of equal length"]),
    ("no timesteps", stim(inputs=[]), {}, [], ["inputs must be a T×N0 matrix"]),
    ("one-dimensional inputs", stim(inputs=[1, 2, 3]), {}, [], ["inputs must be a T×N0"]),
    ("non-integer input", stim(inputs=[[5, 5, 0.5]]), {}, [], ["inputs[0][2] = 0.5", "integer"]),
    ("bool input", stim(inputs=[[5, False, 5]]), {}, [], ["inputs[0][1] = false", "integer"]),
    ("wrong stimulus key", json.dumps({"network": GOOD_NETWORK, "input": GOOD_INPUTS}), {}, [],
     ['unknown key "input"', '"inputs"']),
    ("missing inputs", json.dumps({"network": GOOD_NETWORK}), {}, [], ['missing "inputs"']),
    ("network neither object nor path", stim(net=7), {}, [],
     ['"network" must be a network object or the path']),
    ("missing network file", stim(net="absent.json"), {}, [], ["absent.json: no such file"]),
    ("invalid network file", stim(net="net.json"), {"net.json": '{"inputs": 3,'}, [],
     ["net.json: invalid JSON"]),
    ("error inside the network file", stim(net="net.json"),
     {"net.json": json.dumps(network(layer1={"threshold": -1}))}, [],
     ["net.json: layers[1].threshold = -1"]),
    ("not an npz network", stim(net="net.npz"), {"net.npz": "not a zip"}, [],
     ["net.npz: not an .npz file"]),
    ("npz with a stray array", stim(net=NPZ_WITH_STRAY_ARRAY), {}, [],
     ['stray.npz: unknown array "weights_5"']),
    ("--config with a network", stim(), {"core.toml": "threshold = 5\n"},
     ["--config", "core.toml"], ["--config", "network"]),
]


def _stray_npz(path):
    arrays = {"network": np.array(json.dumps({"inputs": 3, "layers": [
        {"threshold": 10}]})), "weights_0": np.ones((2, 3), dtype=np.int16),
        "weights_5": np.ones((1, 1), dtype=np.int16)}
    np.savez(path, **arrays)


@pytest.mark.parametrize("name, text, files, arguments, words", BAD_GOLDEN,
                         ids=[case[0] for case in BAD_GOLDEN])
def test_bad_network_stimulus_is_one_line_exit_2(tmp_path, name, text, files, arguments, words):
    (tmp_path / "stim.json").write_text(text)
    for file_name, content in files.items():
        (tmp_path / file_name).write_text(content)
    _stray_npz(tmp_path / NPZ_WITH_STRAY_ARRAY)
    process = run_lifq("golden", "stim.json", "-o", "result.json", *arguments, cwd=tmp_path)
    assert process.returncode == 2
    assert process.stdout == ""
    lines = process.stderr.splitlines()
    assert len(lines) == 1, process.stderr
    assert lines[0].startswith("lifq golden: error: ")
    for word in words:
        assert word in lines[0]
    assert not (tmp_path / "result.json").exists()


@pytest.fixture(scope="module")
def float_model_files(tmp_path_factory):
    """A trained float model as MODEL.npz and the digits training inputs as DATA.npz."""
    directory = tmp_path_factory.mktemp("model")
    digits = load_digits()
    np.savez(directory / "model.npz", **train_mlp(digits, (64,)).to_arrays())
    np.savez(directory / "data.npz", x=digits.x_train)
    np.savez(directory / "floats.npz", x=digits.x_train.astype(float))
    np.savez(directory / "narrow.npz", x=digits.x_train[:, :10])
    np.savez(directory / "no_bias.npz", W0=np.ones((3, 64)))
    return directory


BAD_TOOLS = [
    ("convert: neither dataset nor model", ["convert", "--reset", "mod"],
     ["either --dataset or a MODEL.npz"]),
    ("convert: both dataset and model", ["convert", "--dataset", "digits", "model.npz",
                                         "--calibration", "data.npz", "--reset", "mod"],
     ["either --dataset or a MODEL.npz"]),
    ("convert: model without calibration", ["convert", "model.npz", "--reset", "mod"],
     ["needs --calibration"]),
    ("convert: missing model", ["convert", "absent.npz", "--calibration", "data.npz",
                                "--reset", "mod"], ["absent.npz: no such file"]),
    ("convert: model without biases", ["convert", "no_bias.npz", "--calibration", "data.npz",
                                       "--reset", "mod"], ["no_bias.npz: missing array 'b0'"]),
    ("convert: float calibration", ["convert", "model.npz", "--calibration", "floats.npz",
                                    "--reset", "mod"], ["floats.npz: x[0][0]", "integer"]),
    ("convert: calibration of wrong width", ["convert", "model.npz", "--calibration",
                                             "narrow.npz", "--reset", "mod"],
     ["narrow.npz: x has 10 column(s)", "64 inputs"]),
    ("convert: calibration without x", ["convert", "model.npz", "--calibration", "model.npz",
                                        "--reset", "mod"], ['model.npz: missing "x"']),
    ("convert: unknown reset", ["convert", "--dataset", "digits", "--reset", "soft"],
     ["--reset", "soft"]),
    ("convert: spike_bits out of range", ["convert", "--dataset", "digits", "--reset", "mod",
                                          "--spike-bits", "9"], ["--spike-bits = 9", "1 … 8"]),
    ("convert: percentile zero", ["convert", "--dataset", "digits", "--reset", "mod",
                                  "--percentile", "0"], ["--percentile = 0", "0 (excluded) … 100"]),
    ("convert: input_bits too small", ["convert", "model.npz", "--calibration", "data.npz",
                                       "--reset", "mod", "--input-bits", "4"],
     ["input_bits = 4 cannot hold the calibration data"]),
    ("convert: bad hidden sizes", ["convert", "--dataset", "digits", "--hidden", "64,x",
                                   "--reset", "mod"], ["--hidden = x", "must be an integer"]),
    ("convert: unwritable output", ["convert", "model.npz", "--calibration", "data.npz",
                                    "--reset", "mod", "-o", "no/such/dir/net.json"],
     ["-o = ", "does not exist"]),
    ("accuracy: zero steps", ["accuracy", "--dataset", "digits", "--steps", "0,1"],
     ["steps = 0", "1 … 65536"]),
    ("accuracy: steps not ascending", ["accuracy", "--dataset", "digits", "--steps", "4,2"],
     ["ascending"]),
    ("accuracy: unknown reset", ["accuracy", "--dataset", "digits", "--resets", "mod,soft"],
     ["--resets", "soft"]),
    ("accuracy: plot not a png", ["accuracy", "--dataset", "digits", "--plot", "out.jpg"],
     ["--plot", ".png"]),
    ("accuracy: unknown dataset", ["accuracy", "--dataset", "mnist"], ["--dataset", "mnist"]),
]


@pytest.mark.parametrize("name, arguments, words", BAD_TOOLS, ids=[c[0] for c in BAD_TOOLS])
def test_bad_conversion_input_is_one_line_exit_2(float_model_files, tmp_path, name, arguments,
                                                 words):
    for path in float_model_files.iterdir():
        shutil.copy(path, tmp_path)
    if arguments[0] == "convert" and "-o" not in arguments:
        arguments = [*arguments, "-o", "net.json"]
    process = run_lifq(*arguments, cwd=tmp_path)
    assert process.returncode == 2
    assert process.stdout == ""
    lines = process.stderr.splitlines()
    assert len(lines) == 1, process.stderr
    for word in words:
        assert word in lines[0]
    assert not (tmp_path / "net.json").exists()
    assert not list(tmp_path.glob("*.png")) and not list(tmp_path.glob(".*.tmp"))


# --- conversion and accuracy ------------------------------------------------------

def test_convert_dataset_writes_the_network_of_the_api(tmp_path):
    process = run_lifq("convert", "--dataset", "digits", "--reset", "subtract", "--spike-bits",
                       "3", "--weight-bits", "6", "-o", tmp_path / "net.npz")
    assert process.returncode == 0, process.stderr
    digits = load_digits()
    expected = convert(train_mlp(digits, (64,)), digits.x_train, reset="subtract",
                       spike_bits=3, weight_bits=6).network
    assert load_network(tmp_path / "net.npz") == expected
    assert "spike = " in process.stdout and "score unit = " in process.stdout


def test_convert_model_file_then_golden(float_model_files, tmp_path):
    net_path = tmp_path / "net.json"
    process = run_lifq("convert", float_model_files / "model.npz", "--calibration",
                       float_model_files / "data.npz", "--reset", "mod", "--sqnr", "-o",
                       net_path)
    assert process.returncode == 0, process.stderr
    digits = load_digits()
    net = load_network(net_path)
    assert net == convert(train_mlp(digits, (64,)), digits.x_train, reset="mod",
                          threshold="sqnr").network
    # A network stimulus that names the converted file: one test sample, four steps.
    sample = digits.x_test[0]
    (tmp_path / "stim.json").write_text(json.dumps({"network": "net.json",
                                                    "inputs": [sample.tolist()] * 4}))
    process = run_lifq("golden", tmp_path / "stim.json")
    assert process.returncode == 0, process.stderr
    result = json.loads(process.stdout)
    expected = simulate_network(net, np.tile(sample, (4, 1)))
    assert result["scores"] == expected.scores.tolist()
    assert result["prediction"] == expected.prediction == digits.y_test[0]


def test_accuracy_json_and_plot(tmp_path):
    plot = tmp_path / "accuracy.png"
    process = run_lifq("accuracy", "--dataset", "digits", "--steps", "1,2",
                       "--resets", "subtract,mod", "--json", "--plot", plot)
    assert process.returncode == 0, process.stderr
    document = json.loads(process.stdout)
    assert set(document["snn"]) == set(document["events"]) == {"subtract", "mod"}
    assert set(document["snn"]["mod"]) == {"1", "2"}
    assert 0.95 < document["ann"] <= 1
    assert document["snn"]["mod"]["1"] >= document["ann"] - 0.01
    assert plot.read_bytes()[:4] == b"\x89PNG"
    assert process.stderr.strip() == f"lifq accuracy: wrote {plot}"


def test_accuracy_table_text():
    process = run_lifq("accuracy", "--dataset", "digits", "--steps", "1,4", "--resets", "mod")
    assert process.returncode == 0, process.stderr
    assert "float ANN 97.78 %" in process.stdout
    assert "mod 97.41/44.6" in " ".join(process.stdout.split())
    assert "within 1 point of the float ANN: mod at T = 1" in process.stdout
    assert process.stderr == ""  # no progress bar off a terminal


def test_demo_network_stage(capsys):
    from lifq.commands.demo import network_stage
    table = network_stage()
    assert table.steps == (1, 2, 4)
    assert table.snn["mod"][0] >= table.ann - 0.01
    output = capsys.readouterr().out
    assert "digits: 1257 training / 540 test samples" in output
    assert "within 1 point of the float ANN:" in output
