"""``lifq simulate --simulator amaranth``: the RTL against the golden model from the CLI.

(Icarus and Verilator through the same command are in tests/test_cocotb.py.)
"""

import json
import subprocess
import sys

import pytest

from lifq.cli import main
from lifq.sim import amaranth_sim


def lifq(*arguments):
    return subprocess.run([sys.executable, "-m", "lifq", *arguments], capture_output=True,
                          text=True)


def test_vector_on_amaranth(vector, tmp_path):
    result = tmp_path / "result.json"
    process = lifq("simulate", str(vector.stim_path), "--simulator", "amaranth", "-o",
                   str(result), "--seed", "5")
    assert process.returncode == 0, process.stderr
    assert json.loads(result.read_text()) == vector.expect
    assert "equal the golden model (seed 5)" in process.stderr


def test_waves_and_plot(vector, tmp_path):
    waves, plot = tmp_path / "core.vcd", tmp_path / "traces.png"
    process = lifq("simulate", str(vector.stim_path), "--simulator", "amaranth",
                   "--waves", str(waves), "--plot", str(plot))
    assert process.returncode == 0, process.stderr
    assert json.loads(process.stdout) == vector.expect
    assert "updates__valid" in waves.read_text()
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_mismatch_is_reported_with_timestep_and_neuron(vector, monkeypatch, capsys):
    """A core whose membrane LSB flips at timestep 1, neuron 0 exits 1 naming both."""
    real_run = amaranth_sim.run_amaranth

    def broken_run(*args, **kwargs):
        run = real_run(*args, **kwargs)
        if run.v.shape[0] > 1:
            run.v[1, 0] ^= 1
        return run

    monkeypatch.setattr(amaranth_sim, "run_amaranth", broken_run)
    status = main(["simulate", str(vector.stim_path), "--simulator", "amaranth", "--seed", "3"])
    stderr = capsys.readouterr().err
    if len(vector.expect["v"]) > 1:
        expected_v = vector.expect["v"][1][0]
        assert status == 1
        assert (f"MISMATCH at timestep 1, neuron 0: v expected {expected_v}, "
                f"got {expected_v ^ 1} (seed 3)") in stderr
    else:
        assert status == 0


@pytest.mark.parametrize("arguments, words", [
    (["--simulator", "ghdl"], ["invalid choice", "ghdl"]),
    (["--simulator", "amaranth", "--input-gaps", "1.5"], ["probability", "1.5", "0 ≤ p < 1"]),
    (["--simulator", "amaranth", "--output-stalls", "x"], ["probability", "'x'"]),
    (["--simulator", "amaranth", "--waves", "core.fst"], ["--waves", "VCD only"]),
    ([], ["--simulator"]),
])
def test_bad_options(vector, arguments, words):
    process = lifq("simulate", str(vector.stim_path), *arguments)
    assert process.returncode == 2
    assert len(process.stderr.splitlines()) == 1, process.stderr
    assert all(word in process.stderr for word in words), process.stderr


def test_bad_stimulus_is_an_input_error(tmp_path):
    stim = tmp_path / "stim.json"
    stim.write_text(json.dumps({"config": {"neurons": 2, "width": 8},
                                "currents": [[1, 300]]}))
    process = lifq("simulate", str(stim), "--simulator", "amaranth")
    assert process.returncode == 2
    assert "currents[0][1] = 300 is outside input_width = 8" in process.stderr


@pytest.mark.parametrize("stage", ["build", "run"])
def test_a_failing_simulator_is_one_line_exit_2(stage, vector, tmp_path, monkeypatch, capsys):
    """A simulator that fails to build or crashes (not a mismatch): one line naming
    the simulator and the log, exit 2, no traceback, no result file."""
    from lifq.sim import runner

    class Broken:
        def build(self, **options):
            if stage == "build":
                raise RuntimeError("iverilog: syntax error in line 3\nand more lines")
            (options["build_dir"]).mkdir(parents=True, exist_ok=True)

        def test(self, **options):
            raise RuntimeError("vvp: segmentation fault")

    monkeypatch.setattr(runner, "cocotb_runner", lambda *arguments: Broken())
    monkeypatch.setenv("LIFQ_BUILD_DIR", str(tmp_path / "builds"))
    result = tmp_path / "result.json"
    status = main(["simulate", str(vector.stim_path), "--simulator", "icarus", "-o",
                   str(result)])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"lifq simulate: error: icarus {stage}")
    assert "failed" in lines[0] and "log: " in lines[0]
    assert not result.exists()
