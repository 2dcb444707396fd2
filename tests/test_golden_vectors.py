"""The golden model reproduces every hand-checked vector, through the API and the CLI."""

import json
import subprocess
import sys

from lifq.golden import simulate
from lifq.spec import LIFConfig


def test_simulate_reproduces_vector(vector):
    cfg = LIFConfig.from_dict(vector.stim["config"])
    spikes, v = simulate(cfg, vector.stim["currents"])
    assert spikes.tolist() == vector.expect["spikes"]
    assert v.tolist() == vector.expect["v"]


def test_cli_golden_reproduces_vector(vector, tmp_path):
    result = tmp_path / "result.json"
    process = subprocess.run([sys.executable, "-m", "lifq", "golden", str(vector.stim_path),
                              "-o", str(result)], capture_output=True, text=True)
    assert process.returncode == 0, process.stderr
    assert json.loads(result.read_text()) == vector.expect


def test_cli_golden_writes_stdout_without_output(vector):
    process = subprocess.run([sys.executable, "-m", "lifq", "golden", str(vector.stim_path)],
                             capture_output=True, text=True)
    assert process.returncode == 0, process.stderr
    assert json.loads(process.stdout) == vector.expect
