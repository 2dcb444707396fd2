"""``lifq simulate``: the RTL against the golden model from the CLI.

The amaranth simulator, option errors, failing simulators, and the
harness on Icarus and Verilator (RTL and netlists).  The vectors on Icarus
and Verilator through the same command are in tests/test_cocotb.py.
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
    (["--simulator", "amaranth", "--input-gaps", "1.5"],
     ["--input-gaps = 1.5", "0 … 1 (excluded)"]),
    (["--simulator", "amaranth", "--output-stalls", "x"],
     ["--output-stalls = x", "must be a number"]),
    (["--simulator", "amaranth", "--waves", "core.fst"],
     ["--waves", "unsupported format", ".vcd"]),
    ([], ["--simulator"]),
    (["--simulator", "amaranth", "--netlist", "ice40"], ["--netlist", "icarus or verilator"]),
    (["--simulator", "amaranth", "--testbench", "cocotb"], ["--testbench", "amaranth"]),
    (["--simulator", "icarus", "--testbench", "harness", "--waves", "w.vcd"],
     ["--waves", "no waveforms", "--testbench cocotb"]),
    (["--simulator", "icarus", "--testbench", "cocotb", "--netlist", "ice40"],
     ["--netlist", "harness"]),
    (["--simulator", "icarus", "--netlist", "ecp5"], ["ECP5", "Verilator only"]),
    (["--simulator", "verilator", "--netlist", "xilinx"], ["invalid choice", "xilinx"]),
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
    """The cocotb testbench on a simulator that fails to build or crashes (not a
    mismatch): one line naming the simulator and the log, exit 2, no traceback, no
    result file."""
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
    _assert_one_line_failure(stage, vector, tmp_path, capsys, ["--testbench", "cocotb"])


@pytest.mark.parametrize("stage", ["build", "run"])
def test_a_failing_harness_is_one_line_exit_2(stage, vector, tmp_path, monkeypatch, capsys):
    """The same for the harness: a testbench Icarus cannot compile, a harness that crashes."""
    from lifq.sim.harness import build

    if stage == "build":
        real_source = build._harness_source
        monkeypatch.setattr(build, "_harness_source", lambda name: (
            "module lifq_harness_tb; syntax error\n" if name == build.TESTBENCH
            else real_source(name)))
    else:
        monkeypatch.setattr(build.HarnessBuild, "run_command",
                            lambda self, stimulus, results: ["sh", "-c", "exit 3"])
    monkeypatch.setenv("LIFQ_BUILD_DIR", str(tmp_path / "builds"))
    _assert_one_line_failure(stage, vector, tmp_path, capsys, [])


def _assert_one_line_failure(stage, vector, tmp_path, capsys, options):
    result = tmp_path / "result.json"
    status = main(["simulate", str(vector.stim_path), "--simulator", "icarus", "-o",
                   str(result), *options])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"lifq simulate: error: icarus {stage}")
    assert "failed" in lines[0] and "log: " in lines[0]
    assert not result.exists()


# ---------------------------------------------------------------------------
# The harness through the CLI

def test_harness_reports_broken_rtl_with_timestep_and_neuron(tmp_path, monkeypatch, capsys):
    """A real RTL bug (a flipped membrane bit) through the harness: exit 1 with where."""
    import dataclasses

    import numpy as np

    from lifq.sim import harness
    from lifq.sim.runner import Mutation
    from lifq.sim.stimuli import random_currents
    from lifq.spec import LIFConfig

    cfg = LIFConfig(neurons=3, threshold=50, decay=3900)
    currents = random_currents(cfg, 40, np.random.default_rng(5))
    stim = tmp_path / "stim.json"
    stim.write_text(json.dumps({"config": cfg.to_dict(), "currents": currents.tolist()}))
    mutation = Mutation("flip", transfer=3 * 17 + 2, field="membrane", bit=3)
    real_run = harness.run_harness
    monkeypatch.setattr(harness, "run_harness", lambda jobs, *a, **k: real_run(
        [dataclasses.replace(job, mutation=mutation) for job in jobs], *a, **k))
    status = main(["simulate", str(stim), "--simulator", "icarus", "--seed", "11",
                   "-o", str(tmp_path / "result.json")])
    err = capsys.readouterr().err
    t, n = divmod(mutation.transfer, cfg.neurons)
    assert status == 1
    assert f"lifq simulate: icarus: MISMATCH at timestep {t}, neuron {n}: v expected" in err
    assert err.rstrip().endswith("(seed 11)")


def test_harness_seed_is_printed_and_replays(vector, tmp_path):
    runs = [lifq("simulate", str(vector.stim_path), "--simulator", "icarus", "--seed", "77",
                 "--input-gaps", "0.4", "--output-stalls", "0.4") for _ in range(2)]
    assert all(run.returncode == 0 for run in runs), runs[0].stderr
    assert runs[0].stderr == runs[1].stderr
    assert "icarus: all" in runs[0].stderr and "(seed 77)" in runs[0].stderr
    assert json.loads(runs[0].stdout) == vector.expect
    unseeded = lifq("simulate", str(vector.stim_path), "--simulator", "icarus")
    assert unseeded.returncode == 0 and "(seed " in unseeded.stderr


def test_cli_offers_the_harness_netlists():
    from lifq.commands import simulate as command
    from lifq.sim import harness

    assert command.NETLISTS == tuple(harness.NETLISTS)
    assert set(command.SIMULATORS) - {"amaranth"} == set(harness.SIMULATORS)


def test_netlist_through_the_cli(tmp_path):
    """The iCE40 netlist of a vector's core, on Icarus with Yosys's cell models."""
    stim = tmp_path / "stim.json"
    stim.write_text(json.dumps({"config": {"neurons": 2, "threshold": 100, "reset": "mod"},
                                "currents": [[150, -30], [150, 0], [-400, 7], [30, 500]]}))
    process = lifq("simulate", str(stim), "--simulator", "icarus", "--netlist", "ice40",
                   "--seed", "3")
    assert process.returncode == 0, process.stderr
    assert json.loads(process.stdout) == {"spikes": [[1, 0], [2, 0], [-4, 0], [0, 4]],
                                          "v": [[50, -30], [0, -30], [0, -23], [30, 77]]}
    assert process.stderr.startswith("lifq simulate: icarus, ice40 netlist: all 8 updates")
