"""lifq as a user installs it: a wheel in a fresh virtual environment, run outside the checkout.

The wheel holds one import package, ``lifq``; the testbench comes with it,
and RTL builds land in the current directory's ``build/``, never inside
site-packages.  Takes about a minute: a venv, an install (from pip's cache
on a warm machine) and one Verilator build.
"""

import json
import os
import pathlib
import subprocess
import sys
import venv

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
VECTORS = pathlib.Path(os.environ.get("LIFQ_VECTORS", ROOT.parent / "shared" / "vectors"))


def _run(*command, cwd=None, env=None):
    process = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True,
                             text=True)
    assert process.returncode == 0, f"{command}: {process.stderr[-3000:]}"
    return process


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(lifq executable, site-packages) of a fresh venv holding the wheel with [sim]."""
    base = tmp_path_factory.mktemp("install")
    wheels = base / "wheels"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", wheels, ROOT)
    (wheel,) = wheels.glob("lifq-*.whl")
    environment = base / "venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    python = environment / "bin" / "python"
    _run(python, "-m", "pip", "install", "--quiet", f"{wheel}[sim]")
    site = pathlib.Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                                           "['purelib'])").stdout.strip())
    return environment / "bin" / "lifq", site


def test_one_import_package(installed):
    _, site = installed
    assert (site / "lifq" / "golden" / "model.py").exists()
    assert (site / "lifq" / "cocotb_tests" / "test_lif_core.py").exists()
    for generic in ("golden", "hdl", "sim", "boards", "cocotb_tests", "build"):
        assert not (site / generic).exists(), f"site-packages/{generic} installed"


def test_golden_generate_and_simulate_outside_the_checkout(installed, tmp_path):
    lifq, site = installed
    work = tmp_path / "work"
    work.mkdir()
    stim = VECTORS / "mod_signed_basic.stim.json"
    expect = json.loads((VECTORS / "mod_signed_basic.expect.json").read_text())
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "LIFQ_BUILD_DIR", "VIRTUAL_ENV")}

    golden = _run(lifq, "golden", stim, cwd=work, env=env)
    assert json.loads(golden.stdout) == expect

    (work / "core.toml").write_text("neurons = 4\nreset = \"subtract\"\n")
    generated = _run(lifq, "generate", "core.toml", "-o", "core.v", cwd=work, env=env)
    assert "module lif_core" in (work / "core.v").read_text()
    assert "latency" in generated.stderr

    for simulator in ("amaranth", "icarus", "verilator"):
        result = work / f"{simulator}.json"
        run = _run(lifq, "simulate", stim, "--simulator", simulator, "--seed", "5", "-o", result,
                   cwd=work, env=env)
        assert json.loads(result.read_text()) == expect, simulator
        assert "equal the golden model" in run.stderr
    # RTL builds in the working directory, nothing written into the installation.
    assert sorted(p.name for p in (work / "build" / "rtl").iterdir()) == ["icarus", "verilator"]
    assert not (site / "build").exists()
    assert not list((site / "lifq").rglob("sim_build"))


def test_network_simulate_outside_the_checkout(installed, tmp_path):
    """The network harness's sources (C++, SystemVerilog and their shared headers) are
    installed: a network vector runs on both simulators from the wheel."""
    lifq, _ = installed
    stim = VECTORS / "network" / "two_layer_mod.stim.json"
    expect = json.loads((VECTORS / "network" / "two_layer_mod.expect.json").read_text())
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "LIFQ_BUILD_DIR", "VIRTUAL_ENV")}
    for simulator in ("icarus", "verilator"):
        result = tmp_path / f"{simulator}.json"
        run = _run(lifq, "simulate", stim, "--simulator", simulator, "--seed", "5", "--lanes",
                   "2", "-o", result, cwd=tmp_path, env=env)
        assert json.loads(result.read_text()) == expect, simulator
        assert "equal the golden network" in run.stderr
