"""Bad input to ``lifq golden``: exit status 2, one line naming the problem, nothing lost."""

import json
import subprocess
import sys

import pytest

from lifq.spec import InputError, LIFConfig

GOOD_CONFIG = {"neurons": 2, "threshold": 100}
GOOD_CURRENTS = [[150, -30], [150, 0]]


def stim(config=None, currents=None, **extra):
    document = {"config": GOOD_CONFIG if config is None else config,
                "currents": GOOD_CURRENTS if currents is None else currents}
    document.update(extra)
    return json.dumps(document)


# (name, stimulus text, extra CLI arguments, words the one-line error must contain)
CASES = [
    ("invalid JSON", '{"config": {', [], ["invalid JSON", "line 1"]),
    ("not an object", "[1, 2]", [], ["JSON object"]),
    ("missing currents", json.dumps({"config": GOOD_CONFIG}), [], ["missing", "currents"]),
    ("unknown top-level key", stim(extra=1), [], ["unknown key", "extra"]),
    ("config not an object", stim(config=[1]), [], ["config", "object"]),
    ("unknown parameter", stim(config={"neurons": 2, "treshold": 9}), [],
     ["unknown parameter", "treshold", "threshold"]),
    ("threshold zero", stim(config={"neurons": 2, "threshold": 0}), [],
     ["threshold = 0", "1 … 32767"]),
    ("threshold above width", stim(config={"neurons": 2, "width": 8, "threshold": 128}), [],
     ["threshold = 128", "1 … 127", "width = 8"]),
    ("threshold not an integer", stim(config={"neurons": 2, "threshold": 1.5}), [],
     ["threshold = 1.5", "integer"]),
    ("threshold a string", stim(config={"neurons": 2, "threshold": "64"}), [],
     ['threshold = "64"', "integer"]),
    ("unknown reset", stim(config={"neurons": 2, "reset": "soft"}), [],
     ['reset = "soft"', '"mod"']),
    ("width too small", stim(config={"neurons": 2, "width": 3, "threshold": 1}), [],
     ["width = 3", "4 … 32"]),
    ("width too large", stim(config={"neurons": 2, "width": 33}), [], ["width = 33", "4 … 32"]),
    ("input_width too small", stim(config={"neurons": 2, "input_width": 1}), [],
     ["input_width = 1", "2 … 32"]),
    ("neurons zero", stim(config={"neurons": 0}), [], ["neurons = 0", "1 … 65536"]),
    ("neurons too many", stim(config={"neurons": 65537}), [], ["neurons = 65537", "1 … 65536"]),
    ("decay above one", stim(config={"neurons": 2, "decay_shift": 4, "decay": 17}), [],
     ["decay = 17", "0 … 16", "decay_shift = 4"]),
    ("decay_shift too large", stim(config={"neurons": 2, "decay_shift": 17}), [],
     ["decay_shift = 17", "0 … 16"]),
    ("bias outside input_width", stim(config={"neurons": 2, "input_width": 8, "bias": 128}),
     [], ["bias = 128", "-128 … 127"]),
    ("spike_bits too large", stim(config={"neurons": 2, "spike_bits": 9}), [],
     ["spike_bits = 9", "1 … 8"]),
    ("signed not a bool", stim(config={"neurons": 2, "signed": "yes"}), [],
     ['signed = "yes"', "true or false"]),
    ("ragged currents", stim(currents=[[1, 2], [3]]), [], ["rows of equal length"]),
    ("wrong neuron count", stim(currents=[[1, 2, 3]]), [], ["3 column", "neurons = 2"]),
    ("one-dimensional currents", stim(currents=[1, 2]), [], ["T×N matrix", "1 dimension"]),
    ("no timesteps", stim(currents=[]), [], ["T×N matrix"]),
    ("current above input_width", stim(currents=[[1, 32768]]), [],
     ["currents[0][1] = 32768", "input_width = 16", "-32768 … 32767"]),
    ("current below input_width", stim(config={"neurons": 2, "input_width": 4},
                                       currents=[[0, 0], [-9, 0]]), [],
     ["currents[1][0] = -9", "-8 … 7"]),
    ("current a float", stim(currents=[[1, 2.5]]), [], ["currents[0][1] = 2.5", "integer"]),
    ("current a bool", stim(currents=[[True, 2]]), [], ["currents[0][0] = true", "integer"]),
    ("current beyond 64 bits", stim(currents=[[2 ** 70, 0]]), [], ["currents[0][0]", "outside"]),
    ("unknown option", stim(), ["--frobnicate"], ["unrecognized arguments", "--frobnicate"]),
]


@pytest.mark.parametrize("name, text, arguments, words", CASES, ids=[c[0] for c in CASES])
def test_bad_stimulus_is_one_line_exit_2(tmp_path, name, text, arguments, words):
    path = tmp_path / "stim.json"
    path.write_text(text)
    output = tmp_path / "result.json"
    process = subprocess.run([sys.executable, "-m", "lifq", "golden", str(path), "-o",
                              str(output), *arguments], capture_output=True, text=True)
    assert process.returncode == 2
    assert process.stdout == ""
    lines = process.stderr.splitlines()
    assert len(lines) == 1, process.stderr
    for word in words:
        assert word in lines[0]
    assert not output.exists()  # nothing half-written


def run_lifq(*arguments):
    return subprocess.run([sys.executable, "-m", "lifq", *arguments], capture_output=True,
                          text=True)


def test_missing_file(tmp_path):
    process = run_lifq("golden", str(tmp_path / "absent.json"))
    assert process.returncode == 2
    assert process.stderr.strip() == f"lifq golden: error: {tmp_path / 'absent.json'}: no such file"


def test_directory_instead_of_file(tmp_path):
    process = run_lifq("golden", str(tmp_path))
    assert process.returncode == 2
    assert "is a directory" in process.stderr and len(process.stderr.splitlines()) == 1


def test_unwritable_output(tmp_path):
    path = tmp_path / "stim.json"
    path.write_text(stim())
    process = run_lifq("golden", str(path), "-o", str(tmp_path / "no" / "such" / "r.json"))
    assert process.returncode == 2
    assert len(process.stderr.splitlines()) == 1
    assert "-o = " in process.stderr and "does not exist" in process.stderr


def test_missing_stimulus_argument():
    process = run_lifq("golden")
    assert process.returncode == 2
    assert len(process.stderr.splitlines()) == 1 and "STIM" in process.stderr


def test_toml_config_overrides_stimulus(tmp_path):
    path = tmp_path / "stim.json"
    path.write_text(stim(currents=[[250, 0]]))
    config = tmp_path / "core.toml"
    config.write_text('threshold = 50\nreset = "subtract"\n')
    process = run_lifq("golden", str(path), "--config", str(config))
    assert process.returncode == 0, process.stderr
    assert json.loads(process.stdout) == {"spikes": [[1, 0]], "v": [[200, 0]]}


def test_invalid_toml_config(tmp_path):
    path = tmp_path / "stim.json"
    path.write_text(stim())
    config = tmp_path / "core.toml"
    config.write_text("threshold = = 5\n")
    process = run_lifq("golden", str(path), "--config", str(config))
    assert process.returncode == 2
    assert "invalid TOML" in process.stderr and len(process.stderr.splitlines()) == 1


def test_toml_config_out_of_range(tmp_path):
    path = tmp_path / "stim.json"
    path.write_text(stim())
    config = tmp_path / "core.toml"
    config.write_text("spike_bits = 0\n")
    process = run_lifq("golden", str(path), "--config", str(config))
    assert process.returncode == 2
    assert "spike_bits = 0" in process.stderr and "1 … 8" in process.stderr


def test_python_api_raises_value_error():
    with pytest.raises(ValueError, match=r"threshold = 200 is out of range: allowed 1 … 127"):
        LIFConfig(width=8, threshold=200)
    assert issubclass(InputError, ValueError)


def test_defaults_follow_spec():
    cfg = LIFConfig()
    assert (cfg.neurons, cfg.width, cfg.input_width, cfg.threshold, cfg.reset, cfg.signed,
            cfg.decay_shift, cfg.decay, cfg.bias, cfg.spike_bits, cfg.programmable) == \
        (16, 16, 16, 64, "mod", True, 12, 4096, 0, 4, True)
    assert LIFConfig(width=8).input_width == 8
    assert LIFConfig(decay_shift=3).decay == 8
