"""Hostile input: every bad input of every sub-command, and of the Python API.

Each case is a command, the words its one-line error must contain, and the
class of mistake it belongs to.  For every case: exit status 2, exactly one
line on standard error naming what is wrong, nothing on standard output, no
traceback, and no file in the scratch folder created or changed.
"""

import json
import os
import stat
import subprocess
import sys

import numpy as np
import pytest

from lifq.golden import (LIFConfig, alexiewicz, decay_from_alpha, lif_real, simulate,
                         simulate_network, sqnr)
from lifq.hdl import generate
from lifq.spec import InputError, NetworkConfig

STIM = {"config": {"neurons": 2, "threshold": 100}, "currents": [[150, -30], [150, 0]]}
NETWORK = {"inputs": 2, "input_bits": 6, "layers": [
    {"threshold": 10, "weights": [[1, 2], [3, -1]]},
    {"threshold": 5, "weights": [[1, -1]]}]}
HUGE = "9" * 5000


def _files(folder):
    """Every file under ``folder`` with its bytes: what a failed command must not change."""
    return {path.relative_to(folder): path.read_bytes()
            for path in folder.rglob("*") if path.is_file()}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A folder of good inputs that the bad commands refer to."""
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "s.json").write_text(json.dumps(STIM))
    (folder / "c.toml").write_text("threshold = 90\n")
    (folder / "core.toml").write_text("neurons = 4\n")
    (folder / "net.json").write_text(json.dumps(NETWORK))
    (folder / "ns.json").write_text(json.dumps({"network": "net.json",
                                                 "inputs": [[1, 2], [3, 4]]}))
    np.savez(folder / "model.npz", W0=np.ones((3, 2)), b0=np.zeros(3), W1=np.ones((2, 3)),
             b1=np.zeros(2))
    np.savez(folder / "data.npz", x=np.array([[1, 2], [3, 4]]))
    (folder / "a_file").write_text("not a folder")
    process = subprocess.run([sys.executable, "-m", "lifq", "export", "net.json", "-o",
                              "m.nir"], cwd=folder, capture_output=True, text=True)
    assert process.returncode == 0, process.stderr
    return folder


class Bad:
    """A file the case writes first: ``Bad(name, text)`` stands for its name."""

    def __init__(self, name, text):
        self.name, self.text = name, text

    def __repr__(self):
        return f"Bad({self.name!r}, …)"


#: (class, arguments, words of the one-line error); ``@VAR=VALUE`` sets the environment.
CASES = [
    ('clobber', ['golden', 's.json', '-o', 's.json'],
     ['-o', 'would overwrite the input']),
    ('clobber', ['golden', 's.json', '--config', 'c.toml', '-o', 'c.toml'],
     ['would overwrite the input']),
    ('clobber', ['golden', 'ns.json', '-o', 'net.json'],
     ['would overwrite the input', 'net.json']),
    ('clobber', ['generate', 'core.toml', '-o', 'core.toml'],
     ['would overwrite the input']),
    ('clobber', ['simulate', 's.json', '--simulator', 'amaranth', '-o', 's.json'],
     ['would overwrite']),
    ('clobber', ['simulate', 's.json', '--simulator', 'amaranth', '--waves', 'w.vcd', '-o', 'w.vcd'],
     ['also', '--waves']),
    ('clobber', ['convert', 'model.npz', '--calibration', 'data.npz', '--reset', 'mod', '-o', 'model.npz'],
     ['would overwrite the input']),
    ('clobber', ['run', 's.json', '--port', '/dev/null', '-o', 's.json'],
     ['would overwrite the input']),
    ('output path', ['golden', 's.json', '-o', 'missing/r.json'],
     ['-o', 'does not exist']),
    ('output path', ['generate', 'core.toml', '-o', 'missing/c.v'],
     ['-o', 'does not exist']),
    ('output path', ['simulate', 's.json', '--simulator', 'amaranth', '--waves', 'missing/w.vcd'],
     ['--waves', 'does not exist']),
    ('output path', ['simulate', 's.json', '--simulator', 'amaranth', '--plot', 'missing/p.png'],
     ['--plot', 'does not exist']),
    ('output path', ['simulate', 's.json', '--simulator', 'amaranth', '--plot', 'p.svg'],
     ['--plot', 'unsupported format', '.png']),
    ('output path', ['simulate', 's.json', '--simulator', 'amaranth', '--waves', 'w.txt'],
     ['--waves', 'unsupported format']),
    ('output path', ['error', 'trains', '--plot', 'missing/p.png'],
     ['--plot', 'does not exist']),
    ('output path', ['error', 'sqnr', '--plot', 'p.svg'],
     ['--plot', 'unsupported format']),
    ('output path', ['error', 'hardware', '--plot-dir', 'a_file'],
     ['--plot-dir', 'is a file']),
    ('output path', ['accuracy', '--dataset', 'digits', '--plot', 'missing/p.png'],
     ['--plot', 'does not exist']),
    ('output path', ['convert', 'model.npz', '--calibration', 'data.npz', '--reset', 'mod', '-o', 'net.txt'],
     ['-o', 'unsupported format', '.json']),
    ('output path', ['import', 'm.nir', '-o', 'missing/n.json'],
     ['-o', 'does not exist']),
    ('output path', ['export', 'net.json', '-o', 'missing/m.nir'],
     ['-o', 'does not exist']),
    ('output path', ['build', '--board', 'icebreaker', '--build-dir', 'a_file'],
     ['--build-dir', 'is a file']),
    ('output path', ['demo', '--build-dir', 'a_file'],
     ['--build-dir', 'is a file']),
    ('output path', ['golden', 's.json', '-o', '.'],
     ['-o', 'is a folder']),
    ('number', ['error', 'sqnr', '--theta', 'inf'],
     ['--theta = inf', '0 (excluded) … 1e+09']),
    ('number', ['error', 'sqnr', '--sigma', 'nan'],
     ['--sigma = nan', 'out of range']),
    ('number', ['error', 'sqnr', '--sigma', '1e999'],
     ['--sigma = 1e999', 'out of range']),
    ('number', ['error', 'trains', '--amplitudes', '1', 'inf'],
     ['--amplitudes = inf', 'out of range']),
    ('number', ['error', 'trains', '--max-gap=-inf'],
     ['--max-gap = -inf', 'out of range']),
    ('number', ['error', 'hardware', '--amplitude', 'nan'],
     ['--amplitude = nan', 'out of range']),
    ('number', ['build', '--board', 'icebreaker', '--clock', 'inf'],
     ['--clock = inf', '0 (excluded) … 1000']),
    ('number', ['simulate', 's.json', '--simulator', 'amaranth', '--input-gaps', 'nan'],
     ['--input-gaps = nan', 'out of range']),
    ('number', ['simulate', 's.json', '--simulator', 'amaranth', '--output-stalls', '1'],
     ['--output-stalls = 1', '1 (excluded)']),
    ('number', ['convert', '--dataset', 'digits', '--reset', 'mod', '-o', 'n.json', '--percentile', 'nan'],
     ['--percentile = nan', 'out of range']),
    ('number', ['import', 'm.nir', '-o', 'n.json', '--scale', 'inf'],
     ['--scale', 'inf']),
    ('number', ['import', 'm.nir', '-o', 'n.json', '--dt', 'nan'],
     ['--dt', 'nan']),
    ('number', ['run', 's.json', '--port', '/dev/null', '--timeout', 'inf'],
     ['--timeout = inf', 'out of range']),
    ('size', ['error', 'trains', '--runs', '100000', '--spikes', '100000'],
     ['--runs × --spikes = 100000 × 100000', 'GiB of memory', 'allowed up to']),
    ('size', ['error', 'hardware', '--runs', '65536', '--steps', '100000'],
     ['--runs × --steps', 'allowed up to']),
    ('size', ['error', 'sqnr', '--max-steps', '1024', '--samples', '65536', '@LIFQ_MEMORY_LIMIT=1000000'],
     ['needs about', 'allowed up to 976.6 KiB']),
    ('size', ['golden', 's.json', '@LIFQ_MEMORY_LIMIT=100'],
     ['s.json', 'needs about', 'allowed up to']),
    ('early', ['build', '--board', 'icebreaker', '--baud', '1'],
     ['--baud = 1', "too slow for the link's 12 MHz clock", 'allowed 184 … 1500000']),
    ('early', ['build', '--board', 'icebreaker', '--baud', '0'],
     ['--baud = 0', 'out of range']),
    ('early', ['build', '--board', 'ulx3s', '--clock', '0.5'],
     ['--clock', 'out of range']),
    ('early', ['build', '--board', 'icebreaker', 'nothere.toml'],
     ['nothere.toml', 'no such file']),
    ('early', ['build', '--board', 'nosuch'],
     ['--board', 'nosuch', 'allowed']),
    ('integer', ['simulate', 's.json', '--simulator', 'amaranth', '--seed', '-1'],
     ['--seed = -1', '0 … 4294967295']),
    ('integer', ['simulate', 's.json', '--simulator', 'amaranth', '--seed', '4294967296'],
     ['--seed', 'out of']),
    ('integer', ['build', '--board', 'icebreaker', '--seed', '1.5'],
     ['--seed = 1.5', 'must be an integer']),
    ('integer', ['error', 'trains', '--seed', HUGE],
     ['--seed = 9999', '…']),
    ('integer', ['run', 's.json', '--port', '/dev/null', '--baud', '1000000000000000000000000000'],
     ['--baud', 'out of range', '12000000']),
    ('integer', ['demo', '--steps', '0'],
     ['--steps = 0', '1 … 10000']),
    ('integer', ['convert', '--dataset', 'digits', '--reset', 'mod', '-o', 'n.json', '--spike-bits', '9'],
     ['--spike-bits = 9', '1 … 8']),
    ('integer', ['convert', '--dataset', 'digits', '--reset', 'mod', '-o', 'n.json', '--input-bits', '99'],
     ['--input-bits = 99', '2 … 16']),
    ('integer', ['accuracy', '--dataset', 'digits', '--steps', '1,0'],
     ['--steps = 0', 'out of range']),
    ('integer', ['import', 'm.nir', '-o', 'n.json', '--spike-bits', '0'],
     ['--spike-bits', '1 … 8']),
    ('integer', ['import', 'm.nir', '-o', 'n.json', '--width', '99'],
     ['--width', '4 … 32']),
    ('parser', ['golden', Bad('dup.json', '{"config": {"neurons": 1, "neurons": 2}, "currents": [[1]]}')],
     ['dup.json', '"neurons" appears twice']),
    ('parser', ['golden', Bad('deep.json', "[" * 50000 + "]" * 50000)],
     ['deep.json', 'nested too deeply']),
    ('parser', ['golden', Bad('big.json', '{"config": {"neurons": 1}, "currents": [[' + HUGE + ']]}')],
     ['big.json', 'number out of range']),
    ('parser', ['golden', Bad('nan.json', '{"config": {"neurons": 1}, "currents": [[NaN]]}')],
     ['nan.json', 'NaN']),
    ('parser', ['golden', Bad('inf.json', '{"config": {"neurons": 1}, "currents": [[1e999]]}')],
     ['inf.json', '1e999']),
    ('parser', ['generate', Bad('dup.toml', 'neurons = 1\nneurons = 2\n')],
     ['dup.toml', 'TOML']),
    ('parser', ['golden', Bad('nsdup.json', '{"network": "net.json", "inputs": [[1, 2]], "inputs": [[1, 2]]}')],
     ['nsdup.json', '"inputs" appears twice']),
    ('parser', ['golden', Bad('empty.json', '')],
     ['empty.json', 'invalid JSON']),
    ('message', ['golden', Bad('long.json', '{"config": {"neurons": 1, "reset": "' + 'x' * 1_000_000 + '"}, "currents": [[1]]}')],
     ['reset = "xxxx', '… is unknown']),
    ('message', ['golden', Bad('bool.json', '{"config": {"neurons": true}, "currents": [[1]]}')],
     ['neurons = true', 'must be an integer']),
    ('message', ['golden', Bad('null.json', '{"config": {"reset": null}, "currents": [[1]]}')],
     ['reset = null']),
    ('message', ['golden', 's.json', '--config', Bad('zero.toml', 'threshold = 0\n')],
     ['zero.toml: threshold = 0', '1 … 32767']),
    ('message', ['golden', Bad('floats.json', '{"config": {"neurons": 2}, "currents": [[1, 2.5]]}')],
     ['currents[0][1] = 2.5', 'integer']),
]


@pytest.mark.parametrize("kind, arguments, words", CASES,
                         ids=[f"{c[0]}: {' '.join(map(str, c[1]))[:50]}" for c in CASES])
def test_bad_command_is_one_line_exit_2_and_changes_nothing(scratch, kind, arguments, words,
                                                            tmp_path):
    environment = dict(os.environ)
    folder = tmp_path / "work"
    folder.mkdir()
    for path, data in _files(scratch).items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
    command = []
    for argument in arguments:
        if isinstance(argument, Bad):
            (folder / argument.name).write_text(argument.text)
            argument = argument.name
        elif argument.startswith("@"):
            key, value = argument[1:].split("=")
            environment[key] = value
            continue
        command.append(argument)
    before = _files(folder)
    process = subprocess.run([sys.executable, "-m", "lifq", *command], cwd=folder,
                             capture_output=True, text=True, env=environment)
    lines = process.stderr.splitlines()
    assert process.returncode == 2, process.stderr[-2000:]
    assert process.stdout == ""
    assert len(lines) == 1, process.stderr[-2000:]
    assert "Traceback" not in process.stderr
    assert len(lines[0]) < 400, "the message is not shortened"
    for word in words:
        assert word in lines[0], lines[0]
    assert _files(folder) == before, "a failed command created or changed a file"


def test_the_table_covers_every_class_and_command():
    kinds = {kind for kind, _, _ in CASES}
    assert kinds == {"clobber", "output path", "number", "size", "early", "integer",
                     "parser", "message"}
    commands = {arguments[0] for _, arguments, _ in CASES}
    assert commands >= {"golden", "generate", "simulate", "error", "convert", "accuracy",
                        "import", "export", "build", "run", "demo"}
    for kind in kinds:
        assert sum(case[0] == kind for case in CASES) >= 4, kind


def test_a_failed_write_leaves_no_partial_file(scratch, tmp_path):
    """A file-size limit (ulimit -f) fails the write: the old file stays, no partial one."""
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "s.json").write_text(json.dumps({"config": {"neurons": 64},
                                               "currents": [[1] * 64] * 200}))
    (folder / "r.json").write_text("previous result\n")
    script = ("import resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048)); "
              "from lifq.cli import main; sys.exit(main(sys.argv[1:]))")
    process = subprocess.run([sys.executable, "-c", script, "golden", "s.json", "-o",
                              "r.json"], cwd=folder, capture_output=True, text=True)
    assert process.returncode == 2, process.stderr
    assert len(process.stderr.splitlines()) == 1 and "cannot write" in process.stderr
    assert (folder / "r.json").read_text() == "previous result\n"
    assert sorted(p.name for p in folder.iterdir()) == ["r.json", "s.json"]


def test_outputs_get_the_mode_a_plain_write_gives(tmp_path):
    """Atomic writes go through a private temporary file; the output still gets the
    mode of the file it replaces, or 0666 less the umask when new."""
    (tmp_path / "s.json").write_text(json.dumps({"config": {"neurons": 2},
                                                 "currents": [[1, 2]]}))
    (tmp_path / "kept.json").write_text("old\n")
    os.chmod(tmp_path / "kept.json", 0o640)
    script = ("import os, sys; os.umask(0o022); from lifq.cli import main; "
              "sys.exit(main(sys.argv[1:]))")
    for name in ("new.json", "kept.json"):
        process = subprocess.run([sys.executable, "-c", script, "golden", "s.json", "-o", name],
                                 cwd=tmp_path, capture_output=True, text=True)
        assert process.returncode == 0, process.stderr
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "kept.json").stat().st_mode) == 0o640
    assert (tmp_path / "kept.json").read_text() != "old\n"


# --- the Python API ---------------------------------------------------------------------

CFG = LIFConfig(neurons=2)
NET = NetworkConfig.from_dict(NETWORK)

API_CASES = [
    (lambda: simulate(CFG, [[1, 2]], v0=[1.5, 2.7]), r"v0\[0\] = 1.5 must be an integer"),
    (lambda: simulate(CFG, [[1, 2]], v0=[True, 0]), r"v0\[0\] = true must be an integer"),
    (lambda: simulate(CFG, np.array([[1.5, 2]], dtype=object)),
     r"currents\[0\]\[0\] = 1.5 must be an integer"),
    (lambda: simulate(CFG, [[True, 2]]), r"currents\[0\]\[0\] = true"),
    (lambda: simulate("not a config", [[1, 2]]), "cfg must be a lifq.spec.LIFConfig"),
    (lambda: simulate(CFG, [[2 ** 80, 0]]), "outside input_width"),
    (lambda: generate(CFG, name="my core"), "must be a Verilog identifier"),
    (lambda: generate(CFG, format="vhdl"), "format = \"vhdl\" is unknown"),
    (lambda: LIFConfig(threshold=True), "threshold = true must be an integer"),
    (lambda: LIFConfig(neurons=10 ** 400), "bit integer> is out of range"),
    (lambda: LIFConfig(reset=None), "reset = null is unknown"),
    (lambda: alexiewicz([1, 2], beta=True), "beta = true must be a number"),
    (lambda: alexiewicz([1.0, float("inf")]), r"x\[1\] = inf must be finite"),
    (lambda: alexiewicz("abc"), "x must hold numbers, not text"),
    (lambda: lif_real([1.0], [0.0], "1", 1.0), "theta = \"1\" must be a number"),
    (lambda: lif_real([1.0], [0.0], 1.0, float("nan")), "alpha = nan is out of range"),
    (lambda: sqnr([1, 2], [1, "a"]), "x_hat must hold numbers"),
    (lambda: decay_from_alpha(10 ** 400, 4), "alpha = .* is out of range"),
    (lambda: decay_from_alpha(1.0, 99), "decay_shift = 99 is out of range"),
    (lambda: simulate_network(NET, [[1.5, 2]]), "must be an integer"),
    (lambda: simulate_network(NET, [[True, 2]]), "true"),
]


@pytest.mark.parametrize("call, words", API_CASES, ids=[c[1][:40] for c in API_CASES])
def test_python_api_refuses_with_an_input_error(call, words):
    with pytest.raises(InputError, match=words) as caught:
        call()
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 400
