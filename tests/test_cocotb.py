"""The generated Verilog against the golden model, in cocotb on Icarus and Verilator (issue 5).

The campaign: 14 configurations of :func:`sim.stimuli.corner_configs` run
on both simulators with random currents, random input gaps and output
back-pressure, and (programmable cores) parameter writes between timesteps,
valid and out-of-range, and clears.  All cores of one simulator run in one
*bundle* (:func:`sim.runner.run_jobs`): one Verilator build and one
simulator process serve every configuration.  The bulk of the streaming
updates — 5·10^7 on Verilator, 10^6 on Icarus — is checked by the
file-driven harness (tests/test_harness.py) over all the corners; this
campaign keeps what needs Python in the loop (parameter writes, clears).

Also: the hand-checked vectors on both simulators, a deliberately broken RTL
(one flipped bit, one dropped transfer) that must be caught with its
timestep and neuron, waveforms, and the plot.

Seeds: everything derives from ``LIFQ_SEED`` (default 1), which every
failure message names; ``LIFQ_SEED=… pytest tests/test_cocotb.py`` replays.
Builds are cached under ``build/rtl`` (or ``$LIFQ_BUILD_DIR``).
"""

import functools
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from lifq.golden import simulate
from lifq.hdl import ParameterAddress
from lifq.hdl.datapath import full_rate_neurons, latency
from lifq.sim.check import (MISSING, PARAMETER_NAMES, describe_mismatch, expected_outputs,
                            first_mismatch, normalize_parameter_writes)
from lifq.sim.runner import SIMULATORS, Mutation, RtlJob, run_jobs, run_rtl
from lifq.sim.stimuli import corner_configs, random_currents
from lifq.spec import InputError, LIFConfig

BASE_SEED = int(os.environ.get("LIFQ_SEED", "1"))

#: Neuron updates each campaign must check, and the configurations it must span.
REQUIRED_UPDATES = {"icarus": 25_000, "verilator": 90_000}
REQUIRED_CONFIGS = 12
#: Updates planned per campaign (a margin above the requirement).
PLANNED_UPDATES = {"icarus": 30_000, "verilator": 100_000}

#: (input gaps, output stalls) cycled over the configurations.
TRAFFIC = [(0.1, 0.1), (0.0, 0.0), (0.3, 0.5), (0.05, 0.2), (0.5, 0.05)]

#: The corners whose parameter writes and clears the campaign checks: every
#: reset, signed and unsigned, programmable and constant, no leak, leak and
#: d = 0, N from 1 to above the pipeline depth, W = 4 and 32.  (All 24 corners
#: stream through the harness, tests/test_harness.py; a bundle of 14 cores
#: builds in about half the time of one of 24.)
CAMPAIGN_CORNERS = ["n1_mod_q8", "n2_subtract", "n3_zero_unsigned", "n_below_depth",
                    "n_above_depth", "w4_subtract", "w32_mod_q8", "d0_memoryless",
                    "d0_constant", "d_between_constant", "f16_leak", "bias_min",
                    "zero_signed_leak", "subtract_unsigned_const"]
CONFIGS = {name: cfg for name, cfg in corner_configs() if name in CAMPAIGN_CORNERS}
NAMES = list(CONFIGS)
THROUGHPUT = "throughput"   # an extra gap-free job that checks one update per clock


def _parameter_writes(cfg, steps, rng):
    """A few writes between timesteps: valid values, out-of-range ones and
    address 3 (no register); returns ``[(t, register, value)]``."""
    if not cfg.programmable or steps < 3:
        return []
    fits = lambda value: -(1 << 31) <= value < (1 << 31)
    writes = []
    for t in sorted(rng.choice(np.arange(steps), size=min(4, steps), replace=False)):
        for register in rng.permutation(["threshold", "decay", "bias", 3])[:rng.integers(1, 4)]:
            register = int(register) if str(register) == "3" else str(register)
            if register == "threshold":
                valid = int(rng.integers(1, min(cfg.v_max, 4 * cfg.threshold) + 1))
                invalid = [0, -1, cfg.v_max + 1]
            elif register == "decay":
                valid = int(rng.integers(0, (1 << cfg.decay_shift) + 1))
                invalid = [-1, (1 << cfg.decay_shift) + 1]
            elif register == "bias":
                valid = int(rng.integers(cfg.current_min, cfg.current_max + 1))
                invalid = [cfg.current_max + 1, cfg.current_min - 1]
            else:
                valid, invalid = int(rng.integers(-100, 100)), []
            invalid = [value for value in invalid if fits(value)]
            value = int(rng.choice(invalid)) if invalid and rng.random() < 0.3 else valid
            writes.append((int(t), register, value))
    return writes


def _campaign_jobs(simulator):
    """One job per configuration, sized so every job takes about as many cycles.

    A core with fewer neurons than its pipeline depth waits on hazards, about
    depth / N cycles per update, so it gets proportionally fewer updates.
    """
    weights = {name: min(1.0, cfg.neurons / full_rate_neurons(cfg))
               for name, cfg in CONFIGS.items()}
    per_weight = PLANNED_UPDATES[simulator] / sum(weights.values())
    jobs = []
    for index, (name, cfg) in enumerate(CONFIGS.items()):
        rng = np.random.default_rng([BASE_SEED, index])
        steps = max(8, int(np.ceil(per_weight * weights[name] / cfg.neurons)))
        gaps, stalls = TRAFFIC[index % len(TRAFFIC)]
        # Every other configuration is cleared twice on the way (membranes back to v0).
        clears = sorted(int(t) for t in rng.choice(np.arange(1, steps), 2, replace=False)) \
            if index % 2 else []
        jobs.append(RtlJob(cfg, random_currents(cfg, steps, rng), seed=BASE_SEED * 1000 + index,
                           input_gaps=gaps, output_stalls=stalls, name=name,
                           parameter_writes=_parameter_writes(cfg, steps, rng), clears=clears))
    # Full rate: no gaps, no stalls, N above the pipeline depth.
    cfg = CONFIGS["n_above_depth"]
    rng = np.random.default_rng([BASE_SEED, 999])
    jobs.append(RtlJob(cfg, random_currents(cfg, 2000 // cfg.neurons, rng), seed=BASE_SEED,
                       input_gaps=0.0, output_stalls=0.0, name=THROUGHPUT))
    return jobs


def _once(function):
    """Like functools.cache, but a failure is remembered too: a broken build
    fails every test that needs it once, instead of being rebuilt per test."""
    outcomes = {}

    @functools.wraps(function)
    def wrapper(*args):
        if args not in outcomes:
            try:
                outcomes[args] = (True, function(*args))
            except Exception as error:  # noqa: BLE001 — re-raised below, every time
                outcomes[args] = (False, error)
        ok, value = outcomes[args]
        if not ok:
            raise value
        return value
    return wrapper


@_once
def campaign(simulator):
    """Run (once per session) every configuration on ``simulator``."""
    jobs = _campaign_jobs(simulator)
    start = time.monotonic()
    runs = run_jobs(jobs, simulator)
    elapsed = time.monotonic() - start
    return {job.name: (job, run) for job, run in zip(jobs, runs)}, elapsed


def _failure(simulator, name, job, run):
    return (f"{simulator}, {name} (LIFQ_SEED={BASE_SEED}, testbench seed {job.seed}): "
            f"{describe_mismatch(run.mismatch)}\n{run.report()}\nconfig {job.cfg}")


@pytest.mark.parametrize("simulator", SIMULATORS)
@pytest.mark.parametrize("name", NAMES)
def test_configuration_matches_golden(name, simulator):
    runs, _ = campaign(simulator)
    job, run = runs[name]
    assert run.passed, _failure(simulator, name, job, run)
    # The scoreboard's verdict, cross-checked on the returned arrays.
    assert np.array_equal(run.spikes, run.expected_spikes), _failure(simulator, name, job, run)
    assert np.array_equal(run.v, run.expected_v), _failure(simulator, name, job, run)
    assert (run.neurons == np.arange(job.cfg.neurons)).all()
    if not job.parameter_writes and not job.clears:
        spikes, v = simulate(job.cfg, job.currents)
        assert np.array_equal(run.spikes, spikes) and np.array_equal(run.v, v)


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_campaign_size_and_coverage(simulator, record_property):
    runs, elapsed = campaign(simulator)
    updates = sum(run.spikes.size for name, (_, run) in runs.items())
    configs = {json.dumps(job.cfg.to_dict(), sort_keys=True) for job, _ in runs.values()}
    record_property(f"{simulator}_updates", updates)
    record_property(f"{simulator}_seconds", round(elapsed, 1))
    print(f"{simulator}: {updates} updates over {len(configs)} configurations in "
          f"{elapsed:.1f} s (LIFQ_SEED={BASE_SEED})")
    assert updates >= REQUIRED_UPDATES[simulator]
    assert len(configs) >= REQUIRED_CONFIGS
    cfgs = [job.cfg for job, _ in runs.values()]
    assert {cfg.reset for cfg in cfgs} == {"zero", "subtract", "mod"}
    assert {cfg.signed for cfg in cfgs} == {True, False}
    assert {cfg.programmable for cfg in cfgs} == {True, False}
    assert any(cfg.decay == 1 << cfg.decay_shift for cfg in cfgs)      # no leak
    assert any(0 < cfg.decay < 1 << cfg.decay_shift for cfg in cfgs)   # leak
    assert any(cfg.decay == 0 for cfg in cfgs)                         # forgets
    assert any(cfg.neurons < full_rate_neurons(cfg) for cfg in cfgs)
    assert any(cfg.neurons > full_rate_neurons(cfg) for cfg in cfgs)
    assert sum(len(job.parameter_writes or []) > 0 for job, _ in runs.values()) >= 5
    # Clears that change the outcome: the core's membranes really went back to v0.
    cleared = [job for job, _ in runs.values() if job.clears]
    assert len(cleared) >= 6
    assert sum(not np.array_equal(expected_outputs(job.cfg, job.currents,
                                                   job.parameter_writes, job.clears)[1],
                                  expected_outputs(job.cfg, job.currents,
                                                   job.parameter_writes)[1])
               for job in cleared) >= 3
    assert all(run.passed for _, run in runs.values()), [
        name for name, (_, run) in runs.items() if not run.passed]


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_full_rate_one_update_per_clock(simulator):
    """Without gaps and stalls, N above the depth: one update per clock."""
    runs, _ = campaign(simulator)
    job, run = runs[THROUGHPUT]
    assert run.passed, _failure(simulator, THROUGHPUT, job, run)
    cfg, updates = job.cfg, run.spikes.size
    # Clearing N membranes after reset, then one update per cycle, then the latency.
    assert run.cycles <= cfg.neurons + updates + latency(cfg) + 4, (run.cycles, updates)


# ---------------------------------------------------------------------------
# Hand-checked vectors, and a broken RTL that must be caught with its timestep
# and neuron.  On Verilator both share one bundle (one build).

MUTANT_CFG = LIFConfig(neurons=3, threshold=50, decay=3900)
MUTANT_STEPS = 40
MUTATIONS = {
    "membrane": Mutation("flip", transfer=3 * 17 + 2, field="membrane", bit=3),
    "spike_count": Mutation("flip", transfer=3 * 25 + 1, field="spike_count", bit=1),
    "drop": Mutation("drop", transfer=3 * 30 + 1),
    "duplicate": Mutation("duplicate", transfer=3 * 12 + 0),
}


def _mutant_currents():
    return random_currents(MUTANT_CFG, MUTANT_STEPS, np.random.default_rng([BASE_SEED, 5]))


@_once
def _extras(simulator):
    """Runs of the mutants (``mutant:KIND``) and, on Verilator, of every vector
    (``vector:NAME``; Icarus runs the vectors one by one through run_rtl)."""
    from conftest import Vector, vector_names
    jobs = [RtlJob(MUTANT_CFG, _mutant_currents(), seed=BASE_SEED, name=f"mutant:{kind}",
                   mutation=mutation) for kind, mutation in MUTATIONS.items()]
    if simulator == "verilator":
        for name in vector_names():
            vector = Vector(name)
            jobs.append(RtlJob(LIFConfig.from_dict(vector.stim["config"]),
                               vector.stim["currents"], name=f"vector:{name}",
                               seed=BASE_SEED, input_gaps=0.3, output_stalls=0.3))
    return {job.name: run for job, run in zip(jobs, run_jobs(jobs, simulator))}


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_vector_on_rtl(vector, simulator):
    """Icarus: one run_rtl per vector (the CLI's path); Verilator: one bundle for all."""
    cfg = LIFConfig.from_dict(vector.stim["config"])
    if simulator == "icarus":
        run = run_rtl(cfg, vector.stim["currents"], simulator, seed=BASE_SEED,
                      input_gaps=0.3, output_stalls=0.3)
    else:
        run = _extras(simulator)[f"vector:{vector.name}"]
    spikes, v = run
    assert run.passed, run.report()
    assert spikes.tolist() == vector.expect["spikes"]
    assert v.tolist() == vector.expect["v"]


@pytest.mark.parametrize("simulator", SIMULATORS)
@pytest.mark.parametrize("kind", ["membrane", "spike_count"])
def test_flipped_output_bit_is_caught(simulator, kind):
    currents, mutation = _mutant_currents(), MUTATIONS[kind]
    run = _extras(simulator)[f"mutant:{kind}"]
    t, n = divmod(mutation.transfer, MUTANT_CFG.neurons)
    assert not run.passed
    expected_spikes, expected_v = simulate(MUTANT_CFG, currents)
    field = "v" if kind == "membrane" else "spikes"
    expected = (expected_v if kind == "membrane" else expected_spikes)[t, n]
    assert run.mismatch[:4] == (t, n, field, expected)
    assert run.error_count == 1  # exactly the one broken transfer
    message = run.errors[0]["message"]
    assert f"timestep {t}, neuron {n}:" in message and f"expected {expected}" in message
    assert (run.errors[0]["timestep"], run.errors[0]["neuron"]) == (t, n)
    # The testbench's replay information is in the report.
    assert f"LIFQ_SEED={run.seed}" in run.report()


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_dropped_transfer_is_caught(simulator):
    run = _extras(simulator)["mutant:drop"]
    t, n = divmod(MUTATIONS["drop"].transfer, MUTANT_CFG.neurons)
    assert not run.passed
    first = run.errors[0]
    assert first["kind"] == "order" and (first["timestep"], first["neuron"]) == (t, n)
    assert f"timestep {t}, neuron {n}:" in first["message"]
    assert run.error_kinds["lost"] == 1 and "extra" not in run.error_kinds
    assert run.mismatch[:2] >= (t, n)
    # The last transfer never came.
    assert run.spikes[-1, -1] == MISSING


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_duplicated_transfer_is_caught(simulator):
    run = _extras(simulator)["mutant:duplicate"]
    # The copy arrives where the next transfer belongs.
    t, n = divmod(MUTATIONS["duplicate"].transfer + 1, MUTANT_CFG.neurons)
    assert not run.passed
    first = run.errors[0]
    assert first["kind"] == "order" and (first["timestep"], first["neuron"]) == (t, n)
    assert run.error_kinds["extra"] == 1 and "lost" not in run.error_kinds
    assert run.mismatch[:2] >= (t, n)


# ---------------------------------------------------------------------------
# Waveforms, unpacking, the plot

@pytest.mark.parametrize("simulator,suffix", [("icarus", ".fst"), ("icarus", ".vcd"),
                                              ("verilator", ".vcd")])
def test_waves_and_unpacking(simulator, suffix, tmp_path):
    cfg = LIFConfig(neurons=2, threshold=100, reset="mod")
    currents = [[150, -30], [150, 0], [-400, 7], [30, 500]]
    waves = tmp_path / f"sub dir/core{suffix}"
    cwd = os.getcwd()
    os.chdir(tmp_path)  # run_rtl must not depend on the current directory
    try:
        result = run_rtl(cfg, currents, simulator=simulator, waves=waves, seed=BASE_SEED)
    finally:
        os.chdir(cwd)
    spikes, v = result
    expected_spikes, expected_v = simulate(cfg, currents)
    assert np.array_equal(spikes, expected_spikes) and np.array_equal(v, expected_v)
    assert spikes.dtype == np.int64 and v.shape == (4, 2)
    assert result.waves == waves and waves.stat().st_size > 0
    head = waves.read_bytes()[:4096]
    if suffix == ".vcd":
        assert b"$timescale" in head and b"$var" in head
    else:
        assert b"$var" not in head  # FST is binary


def test_plot_traces(tmp_path):
    from lifq.sim.plot import plot_traces
    cfg = LIFConfig(neurons=5, threshold=100, decay=3900)
    currents = random_currents(cfg, 300, np.random.default_rng(BASE_SEED))
    golden = simulate(cfg, currents)
    rtl_v = golden[1].copy()
    rtl_v[120, 2] += 1
    path = tmp_path / "traces.png"
    mismatch = plot_traces(path, cfg, currents, (golden[0], rtl_v), golden)
    assert mismatch == (120, 2, "v", int(golden[1][120, 2]), int(golden[1][120, 2]) + 1)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plot_traces(tmp_path / "equal.png", cfg, currents, golden, golden, neurons=[4]) is None


# ---------------------------------------------------------------------------
# sim.check and run_rtl's argument checks (no simulator)

def test_first_mismatch():
    spikes = np.zeros((3, 2), dtype=np.int64)
    v = np.arange(6, dtype=np.int64).reshape(3, 2)
    assert first_mismatch(spikes, v, spikes.copy(), v.copy()) is None
    got_spikes, got_v = spikes.copy(), v.copy()
    got_v[2, 0] = 9
    got_spikes[1, 1] = 1
    got_v[1, 1] = 7
    assert first_mismatch(spikes, v, got_spikes, got_v) == (1, 1, "spikes", 0, 1)
    got_spikes[1, 1] = 0
    assert first_mismatch(spikes, v, got_spikes, got_v) == (1, 1, "v", 3, 7)
    got_v[1, 1] = MISSING
    assert first_mismatch(spikes, v, got_spikes, got_v) == (1, 1, "v", 3, None)
    assert "no output transfer" in describe_mismatch((1, 1, "v", 3, None))
    assert first_mismatch(spikes.tolist(), v.tolist(), spikes.tolist(), v.tolist()) is None
    with pytest.raises(ValueError, match="shapes differ"):
        first_mismatch(spikes, v, spikes[:2], v[:2])


def test_expected_outputs_segments_continue_from_membranes():
    cfg = LIFConfig(neurons=3, threshold=50, decay=3000, bias=2)
    currents = random_currents(cfg, 30, np.random.default_rng(BASE_SEED))
    plain = simulate(cfg, currents)
    # Rejected values and address 3 change nothing.
    ignored = {5: {"threshold": 0, "decay": 4097, "bias": 1 << 20}, 9: {3: 17}}
    for got, want in zip(expected_outputs(cfg, currents, ignored), plain):
        assert np.array_equal(got, want)
    spikes, v = expected_outputs(cfg, currents, {10: {"threshold": 20, "bias": -3}})
    assert np.array_equal(spikes[:10], plain[0][:10]) and np.array_equal(v[:10], plain[1][:10])
    tail = simulate(cfg.replace(threshold=20, bias=-3), currents[10:], v0=plain[1][9])
    assert np.array_equal(spikes[10:], tail[0]) and np.array_equal(v[10:], tail[1])


def test_parameter_addresses_match_the_core():
    assert PARAMETER_NAMES == {int(a): a.name.lower() for a in ParameterAddress}
    assert normalize_parameter_writes({4: {"bias": 1, "threshold": 2}, 1: {3: 0}}) == [
        (1, 3, 0), (4, 2, 1), (4, 0, 2)]
    with pytest.raises(ValueError, match="unknown register"):
        normalize_parameter_writes({0: {"gain": 1}})
    with pytest.raises(ValueError, match="32 signed bits"):
        normalize_parameter_writes({0: {"bias": 1 << 31}})


def test_run_rtl_checks_arguments_before_building():
    cfg = LIFConfig(neurons=2, programmable=False)
    with pytest.raises(ValueError, match="simulator"):
        run_rtl(cfg, [[0, 0]], simulator="xsim")
    with pytest.raises(InputError):
        run_rtl(cfg, [[0, 1 << 20]], simulator="icarus")
    with pytest.raises(ValueError, match="programmable"):
        run_rtl(cfg, [[0, 0]], simulator="icarus", parameter_writes={0: {"bias": 1}})
    with pytest.raises(ValueError, match="input_gaps"):
        run_rtl(cfg, [[0, 0]], simulator="icarus", input_gaps=1.0)


def test_runner_import_is_cheap():
    code = ("import sys; import lifq.sim.runner, lifq.sim.check; "
            "heavy = [m for m in ('amaranth', 'cocotb', 'cocotb_tools', 'matplotlib') "
            "if m in sys.modules]; assert not heavy, heavy")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    process = subprocess.run([sys.executable, "-c", code], cwd="/", capture_output=True,
                             text=True, env={**os.environ, "PYTHONPATH": root})
    assert process.returncode == 0, process.stderr


# ---------------------------------------------------------------------------
# ``lifq simulate`` on Icarus and Verilator

def _lifq(*arguments):
    return subprocess.run([sys.executable, "-m", "lifq", *arguments], capture_output=True,
                          text=True)


def test_cli_simulate_icarus(vector, tmp_path):
    result, plot = tmp_path / "result.json", tmp_path / "traces.png"
    process = _lifq("simulate", str(vector.stim_path), "--simulator", "icarus", "-o",
                    str(result), "--seed", str(BASE_SEED), "--plot", str(plot))
    assert process.returncode == 0, process.stderr
    assert json.loads(result.read_text()) == vector.expect
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_simulate_verilator_with_waves(tmp_path):
    """The config of test_waves_and_unpacking: its trace build is reused."""
    stim = tmp_path / "stim.json"
    stim.write_text(json.dumps({"config": {"neurons": 2, "threshold": 100, "reset": "mod"},
                                "currents": [[150, -30], [150, 0], [-400, 7], [30, 500]]}))
    waves = tmp_path / "core.vcd"
    process = _lifq("simulate", str(stim), "--simulator", "verilator", "--waves", str(waves))
    assert process.returncode == 0, process.stderr
    assert json.loads(process.stdout) == {"spikes": [[1, 0], [2, 0], [-4, 0], [0, 4]],
                                          "v": [[50, -30], [0, -30], [0, -23], [30, 77]]}
    assert "updates__valid" in waves.read_text()


def test_cli_simulate_reports_broken_rtl(tmp_path, monkeypatch, capsys):
    """A real RTL bug (a flipped membrane bit) through the CLI: exit 1 with where."""
    from lifq.cli import main
    from lifq.sim import runner

    cfg, currents = MUTANT_CFG, _mutant_currents()
    stim = tmp_path / "stim.json"
    stim.write_text(json.dumps({"config": cfg.to_dict(), "currents": currents.tolist()}))
    mutation = MUTATIONS["membrane"]
    real_run_rtl = runner.run_rtl
    monkeypatch.setattr(runner, "run_rtl",
                        lambda *a, **k: real_run_rtl(*a, mutation=mutation, **k))
    status = main(["simulate", str(stim), "--simulator", "icarus", "--testbench", "cocotb",
                   "-o", str(tmp_path / "result.json")])
    t, n = divmod(mutation.transfer, cfg.neurons)
    assert status == 1
    assert f"timestep {t}, neuron {n}" in capsys.readouterr().err
