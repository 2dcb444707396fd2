"""The Amaranth core against the golden model, in Amaranth's simulator (issue 4).

Seeds: every random test derives its seed from ``LIFQ_SEED`` (default 1) and
names it in its id and failure message; ``LIFQ_SEED=… pytest -k …`` replays.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

from lifq.golden import simulate
from lifq.hdl import LIFCore, generate
from lifq.hdl.datapath import full_rate_neurons, latency
from lifq.sim.amaranth_sim import run_amaranth
from lifq.sim.check import expected_outputs
from lifq.sim.stimuli import corner_configs, random_config, random_currents
from lifq.sim.tools import compile_icarus, lint_verilog
from lifq.spec import LIFConfig

BASE_SEED = int(os.environ.get("LIFQ_SEED", "1"))
RANDOM_CONFIGS = 20


def assert_matches_golden(cfg, currents, run, seed):
    """Transfer by transfer: neuron order, spike count and membrane."""
    spikes, v = simulate(cfg, currents)
    steps, neurons = currents.shape
    expected_order = np.tile(np.arange(neurons), (steps, 1))
    for t in range(steps):
        for n in range(neurons):
            got = (run.neurons[t, n], run.spikes[t, n], run.v[t, n])
            expected = (expected_order[t, n], spikes[t, n], v[t, n])
            assert got == expected, (
                f"seed {seed}: transfer {t * neurons + n} (timestep {t}, neuron {n}): "
                f"expected (neuron, k, v') = {expected}, got {got}; config {cfg}")


def test_vectors_in_amaranth_simulation(vector):
    cfg = LIFConfig.from_dict(vector.stim["config"])
    run = run_amaranth(cfg, np.array(vector.stim["currents"]), seed=BASE_SEED,
                       input_gaps=0.3, output_stalls=0.3)
    assert run.spikes.tolist() == vector.expect["spikes"]
    assert run.v.tolist() == vector.expect["v"]


def _configs():
    cases = [pytest.param(cfg, id=name) for name, cfg in corner_configs()]
    for index in range(RANDOM_CONFIGS):
        seed = BASE_SEED * 1000 + index
        cases.append(pytest.param(random_config(np.random.default_rng(seed)),
                                  id=f"random-seed{seed}"))
    return cases


CONFIGS = _configs()


def test_configuration_count_covers_issue():
    assert len(CONFIGS) >= 40
    configs = [case.values[0] for case in CONFIGS]
    assert {cfg.neurons for cfg in configs} >= {1, 2, 3}
    assert {cfg.width for cfg in configs} >= {4, 32}
    assert {cfg.spike_bits for cfg in configs if cfg.reset == "mod"} >= {1, 8}
    assert any(cfg.decay == 0 for cfg in configs)
    assert any(cfg.decay == 1 << cfg.decay_shift for cfg in configs)
    assert any(0 < cfg.decay < 1 << cfg.decay_shift for cfg in configs)
    assert any(cfg.bias != 0 for cfg in configs)
    assert any(cfg.neurons < full_rate_neurons(cfg) for cfg in configs)
    assert any(cfg.neurons > full_rate_neurons(cfg) for cfg in configs)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_random_stimulus_with_gaps_and_backpressure(cfg, request):
    seed = BASE_SEED * 7919 + sum(map(ord, request.node.callspec.id))
    rng = np.random.default_rng(seed)
    steps = max(8, 240 // cfg.neurons)
    currents = random_currents(cfg, steps, rng)
    run = run_amaranth(cfg, currents, seed=seed, input_gaps=float(rng.uniform(0, 0.5)),
                       output_stalls=float(rng.uniform(0, 0.5)))
    assert_matches_golden(cfg, currents, run, seed)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_verilog_compiles_and_lints(cfg, tmp_path):
    path = tmp_path / "lif_core.v"
    path.write_text(generate(cfg, "verilog"))
    icarus = compile_icarus(path, tmp_path / "a.out")
    assert icarus.returncode == 0, icarus.stderr
    lint = lint_verilog(path)
    assert lint.returncode == 0, lint.stderr


def measured_rate(run):
    """Updates per clock between the first and the last output transfer."""
    cycles = run.output_cycles
    return (len(cycles) - 1) / (cycles[-1] - cycles[0])


@pytest.mark.parametrize("reset, spike_bits, programmable",
                         [("mod", 8, True), ("mod", 1, False), ("subtract", 4, True),
                          ("zero", 4, False)])
def test_one_update_per_clock_from_full_rate_neurons(reset, spike_bits, programmable):
    base = LIFConfig(reset=reset, spike_bits=spike_bits, programmable=programmable, decay=3000)
    depth = full_rate_neurons(base)
    rng = np.random.default_rng(BASE_SEED)
    for neurons in (depth, depth + 1, 4 * depth):
        cfg = base.replace(neurons=neurons)
        currents = random_currents(cfg, 2000 // neurons + 2, rng)
        run = run_amaranth(cfg, currents)
        assert_matches_golden(cfg, currents, run, BASE_SEED)
        assert measured_rate(run) == 1.0, f"N = {neurons}: {measured_rate(run):.3f} per clock"
    assert latency(base) == depth  # the write-back edge counts in both


@pytest.mark.parametrize("neurons", [1, 2, 3, 5])
def test_fewer_neurons_than_stages_are_exact_at_n_over_depth(neurons):
    cfg = LIFConfig(neurons=neurons, reset="mod", spike_bits=8, decay=3500, bias=3)
    rng = np.random.default_rng(BASE_SEED + neurons)
    currents = random_currents(cfg, 400 // neurons, rng)
    run = run_amaranth(cfg, currents)
    assert_matches_golden(cfg, currents, run, BASE_SEED + neurons)
    # Each update waits for its neuron's previous one to leave the pipeline.
    assert measured_rate(run) == pytest.approx(neurons / full_rate_neurons(cfg), rel=0.02)


@pytest.mark.parametrize("cfg", [LIFConfig(neurons=20), LIFConfig(neurons=2, spike_bits=8),
                                 LIFConfig(neurons=5, reset="zero", programmable=False)])
def test_latency_is_cycles_from_input_to_output(cfg):
    run = run_amaranth(cfg, np.zeros((3, cfg.neurons), dtype=np.int64))
    assert run.output_cycles[0] - run.input_cycles[0] == latency(cfg)
    # After reset the core clears its N membranes before it takes a current.
    assert run.input_cycles[0] == cfg.neurons + 1


def test_constant_no_leak_core_drops_the_multiplier_stages():
    programmable = LIFConfig(neurons=4)
    constant = programmable.replace(programmable=False)
    # leak_operands, leak_multiply, leak_product and leak_truncate
    assert full_rate_neurons(programmable) == full_rate_neurons(constant) + 4
    assert "parameters__valid" in generate(programmable)
    assert "parameters__valid" not in generate(constant)


def test_parameter_writes_between_timesteps():
    cfg = LIFConfig(neurons=3, threshold=50, decay=4000, bias=2)
    rng = np.random.default_rng(BASE_SEED)
    currents = random_currents(cfg, 30, rng)
    writes = {10: {"threshold": 31, "decay": 2048},
              20: {"bias": -9, "threshold": 1 << 15, "decay": 4097}}  # two out of range
    run = run_amaranth(cfg, currents, seed=BASE_SEED, input_gaps=0.2, output_stalls=0.2,
                       parameter_writes=writes)
    spikes, v = expected_outputs(cfg, currents, writes)
    assert np.array_equal(run.spikes, spikes) and np.array_equal(run.v, v)
    # The writes took effect (θ 31 from t = 10, bias −9 from t = 20) and the
    # out-of-range ones did not: the same result as writing only the valid ones.
    assert not np.array_equal(v, simulate(cfg, currents)[1])
    valid_only = {10: {"threshold": 31, "decay": 2048}, 20: {"bias": -9}}
    assert np.array_equal(v, expected_outputs(cfg, currents, valid_only)[1])


def test_core_rejects_non_config():
    with pytest.raises(TypeError, match="LIFConfig"):
        LIFCore({"neurons": 4})


def _lifq(*arguments):
    return subprocess.run([sys.executable, "-m", "lifq", *arguments], capture_output=True,
                          text=True)


@pytest.mark.parametrize("suffix, text", [(".json", '{"neurons": 3, "reset": "subtract"}'),
                                          (".toml", 'neurons = 3\nreset = "subtract"\n')])
def test_cli_generate_verilog_and_rtlil(tmp_path, suffix, text):
    config = tmp_path / f"core{suffix}"
    config.write_text(text)
    verilog = tmp_path / "core.v"
    process = _lifq("generate", str(config), "-o", str(verilog), "--name", "my_core")
    assert process.returncode == 0, process.stderr
    assert "module my_core(" in verilog.read_text()
    assert f"latency {latency(LIFConfig(neurons=3, reset='subtract'))} cycles" in process.stderr
    assert compile_icarus(verilog, tmp_path / "a.out").returncode == 0
    rtlil = _lifq("generate", str(config), "--format", "rtlil")
    assert rtlil.returncode == 0 and "module \\lif_core" in rtlil.stdout


@pytest.mark.parametrize("arguments, words", [
    (["--format", "vhdl"], ["invalid choice", "vhdl"]),
    (["--name", "3core"], ["--name", "identifier"]),
])
def test_cli_generate_bad_options(tmp_path, arguments, words):
    config = tmp_path / "core.json"
    config.write_text("{}")
    process = _lifq("generate", str(config), *arguments)
    assert process.returncode == 2 and len(process.stderr.splitlines()) == 1
    assert all(word in process.stderr for word in words)


def test_cli_generate_bad_config(tmp_path):
    config = tmp_path / "core.json"
    config.write_text('{"width": 40}')
    process = _lifq("generate", str(config), "-o", str(tmp_path / "core.v"))
    assert process.returncode == 2
    assert process.stderr.strip().endswith("width = 40 is out of range: allowed 4 … 32")
    assert not (tmp_path / "core.v").exists()
