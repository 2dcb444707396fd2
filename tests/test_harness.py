"""The file-driven harness (lifq.sim.harness): streaming stimuli at the simulators' speed (issue 19).

The campaign: 26 configurations (the corners of SPEC §1, most of them
widened to hundreds of neurons so that the golden model keeps up) plus a
full-rate job, in one bundle, with random currents, seeded input gaps and
output stalls, every update compared with the golden model.  Verilator
checks ≥ 5·10^7 updates in four rounds of fresh stimuli on one build;
Icarus ≥ 10^6, in two bundles of half the jobs each, running beside
Verilator on the second core.  Also: broken cores caught with timestep and neuron,
the same seed replaying the same cycles on both simulators, and the
netlists Yosys synthesises for both boards' FPGAs.

Seeds derive from ``LIFQ_SEED`` (default 1); every failure names it.
Nothing here depends on wall-clock time: tests count updates and compare
results.  (Throughput is measured by ``bench/simulation.py``.)
"""

import functools
import json
import os
import pathlib

import numpy as np
import pytest

from lifq.golden import simulate
from lifq.hdl.datapath import full_rate_neurons, latency
from lifq.sim.check import MISSING, describe_mismatch
from lifq.sim.harness import MAX_CORES, run_harness, start_harness
from lifq.sim.harness.scoreboard import decode_updates, payload_fields, score
from lifq.sim.harness.stream_files import (END, RESULTS_MAGIC, SENT, StreamPlan, lfsr_states,
                                           read_results, threshold, write_stimulus)
from lifq.sim.runner import Mutation, RtlJob
from lifq.sim.stimuli import corner_configs, random_currents
from lifq.spec import InputError, LIFConfig

BASE_SEED = int(os.environ.get("LIFQ_SEED", "1"))
SIMULATORS = ("verilator", "icarus")

#: Updates each campaign must check, and the configurations it must span.
REQUIRED_UPDATES = {"verilator": 50_000_000, "icarus": 1_000_000}
REQUIRED_CONFIGS = 24
#: Rounds of fresh stimuli on one build, and updates planned per round (a margin above).
ROUNDS = {"verilator": 4, "icarus": 1}
PLANNED_PER_ROUND = {"verilator": 12_700_000, "icarus": 1_000_000}
#: Timesteps per round of the cores whose corner is a small N: the golden
#: model costs ~20 µs a timestep whatever N, so they stay short.
SMALL_STEPS = {"verilator": 4000, "icarus": 400}

#: (input gaps, output stalls) cycled over the configurations.  Icarus pays for
#: every cycle of every core of the bundle, so it stalls less.
TRAFFIC = {"verilator": [(0.1, 0.1), (0.0, 0.0), (0.3, 0.5), (0.05, 0.2), (0.5, 0.05)],
           "icarus": [(0.1, 0.1), (0.0, 0.0), (0.15, 0.2), (0.05, 0.1), (0.2, 0.05)]}
#: Corners that are about N itself keep theirs; the others get these, in turn.
SMALL_N_CORNERS = {"n1_mod_q8", "n2_subtract", "n3_zero_unsigned", "n_below_depth",
                   "n_at_depth", "n_above_depth"}
WIDE_NEURONS = [256, 300, 512, 640, 1000, 1024, 777]
THROUGHPUT = "throughput"


def campaign_configs():
    """``{name: LIFConfig}``: the corners of SPEC §1, widened, plus two more."""
    configs = {}
    for index, (name, cfg) in enumerate(corner_configs()):
        if name not in SMALL_N_CORNERS:
            cfg = cfg.replace(neurons=WIDE_NEURONS[index % len(WIDE_NEURONS)])
        configs[name] = cfg
    configs["n4096_leak"] = LIFConfig(neurons=4096, decay=3900)
    configs["w12_zero_bias"] = LIFConfig(neurons=700, width=12, input_width=10, reset="zero",
                                         threshold=300, bias=-20, decay=4000)
    return configs


def _rate(cfg, gaps, stalls):
    """Updates per cycle a core roughly sustains: hazards below the depth, gaps, stalls."""
    return min(1.0, cfg.neurons / full_rate_neurons(cfg)) * (1 - gaps) * (1 - stalls)


def campaign_jobs(simulator, round_index):
    """The jobs of one round: one per configuration and the full-rate job.

    Every wide core gets as many timesteps as keeps it busy for the same
    number of cycles, so the bundle's cores finish together.
    """
    configs = campaign_configs()
    pattern = TRAFFIC[simulator]
    traffic = {name: pattern[index % len(pattern)] for index, name in enumerate(configs)}
    wide = [name for name in configs if name not in SMALL_N_CORNERS]
    cycles = PLANNED_PER_ROUND[simulator] / sum(_rate(configs[name], *traffic[name])
                                                for name in wide)
    jobs = []
    for index, (name, cfg) in enumerate(configs.items()):
        gaps, stalls = traffic[name]
        if name in SMALL_N_CORNERS:
            steps = SMALL_STEPS[simulator]
        else:
            steps = max(8, int(np.ceil(cycles * _rate(cfg, gaps, stalls) / cfg.neurons)))
        rng = np.random.default_rng([BASE_SEED, round_index, index])
        jobs.append(RtlJob(cfg, random_currents(cfg, steps, rng), name=name,
                           seed=BASE_SEED * 100_000 + round_index * 1000 + index,
                           input_gaps=gaps, output_stalls=stalls))
    # Full rate: no gaps, no stalls, N above the pipeline depth.
    cfg = configs["n_above_depth"]
    rng = np.random.default_rng([BASE_SEED, round_index, 999])
    jobs.append(RtlJob(cfg, random_currents(cfg, 4000 // cfg.neurons, rng), name=THROUGHPUT,
                       seed=BASE_SEED, input_gaps=0.0, output_stalls=0.0))
    return jobs


def _once(function):
    """Like functools.cache, but a failure is remembered too (and re-raised each time)."""
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


def _summary(job, run):
    """What the campaign keeps of a run (the arrays of 5·10^7 updates would not fit)."""
    return {"cfg": job.cfg, "updates": int(run.spikes.size), "passed": run.passed,
            "cycles": run.cycles, "failure": None if run.passed else
            (f"{job.name} (LIFQ_SEED={BASE_SEED}, harness seed {job.seed}): "
             f"{describe_mismatch(run.mismatch)}\n{run.report()}\nconfig {job.cfg}")}


def _verilator_rounds():
    """Every round on Verilator: ``{name: [summary per round]}``.

    The next round's stimulus is drawn, and each round's golden model
    computed, while the simulator runs.
    """
    summaries = {}
    running = start_harness(campaign_jobs("verilator", 0), "verilator")
    for round_index in range(1, ROUNDS["verilator"] + 1):
        upcoming = (campaign_jobs("verilator", round_index)
                    if round_index < ROUNDS["verilator"] else None)
        for job, run in zip(running.jobs, running.finish()):
            summaries.setdefault(job.name, []).append(_summary(job, run))
        if upcoming is not None:
            running = start_harness(upcoming, "verilator")
    return summaries


@_once
def campaigns():
    """Both campaigns, once per session: ``{simulator: {name: [summary per round]}}``.

    Icarus runs its jobs as two bundles in two processes, started first, so
    that they use the machine's second core while Verilator builds and runs.
    """
    jobs = campaign_jobs("icarus", 0)
    icarus = [start_harness(jobs[half::2], "icarus") for half in (0, 1)]
    results = {"verilator": _verilator_rounds(), "icarus": {}}
    for running in icarus:
        for job, run in zip(running.jobs, running.finish()):
            results["icarus"][job.name] = [_summary(job, run)]
    return results


def campaign(simulator):
    return campaigns()[simulator]


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_campaign_checks_every_update(simulator):
    failures = [s["failure"] for rounds in campaign(simulator).values() for s in rounds
                if not s["passed"]]
    assert not failures, "\n".join(failures[:3])


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_campaign_size_and_coverage(simulator, record_property):
    summaries = campaign(simulator)
    updates = sum(s["updates"] for rounds in summaries.values() for s in rounds)
    cfgs = [rounds[0]["cfg"] for rounds in summaries.values()]
    configs = {json.dumps(cfg.to_dict(), sort_keys=True) for cfg in cfgs}
    record_property(f"{simulator}_harness_updates", updates)
    print(f"{simulator} harness: {updates} updates over {len(configs)} configurations in "
          f"{ROUNDS[simulator]} round(s) (LIFQ_SEED={BASE_SEED})")
    assert updates >= REQUIRED_UPDATES[simulator]
    assert len(configs) >= REQUIRED_CONFIGS
    assert len(summaries) <= MAX_CORES
    assert {cfg.reset for cfg in cfgs} == {"zero", "subtract", "mod"}
    assert {cfg.signed for cfg in cfgs} == {True, False}
    assert {cfg.programmable for cfg in cfgs} == {True, False}
    assert any(cfg.decay == 1 << cfg.decay_shift for cfg in cfgs)      # no leak
    assert any(0 < cfg.decay < 1 << cfg.decay_shift for cfg in cfgs)   # leak
    assert any(cfg.decay == 0 for cfg in cfgs)                         # forgets
    assert any(cfg.neurons < full_rate_neurons(cfg) for cfg in cfgs)
    assert any(cfg.neurons > full_rate_neurons(cfg) for cfg in cfgs)
    assert any(cfg.width == 32 for cfg in cfgs) and any(cfg.width == 4 for cfg in cfgs)
    # Every configuration checked a real share, in every round.
    assert all(s["updates"] >= min(SMALL_STEPS.values()) for rounds in summaries.values()
               for s in rounds)


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_full_rate_one_update_per_clock(simulator):
    """Without gaps and stalls, N above the depth: one update per clock."""
    for summary in campaign(simulator)[THROUGHPUT]:
        cfg, updates = summary["cfg"], summary["updates"]
        assert summary["passed"], summary["failure"]
        # Clearing N membranes after reset, one update per cycle, then the latency.
        assert summary["cycles"] <= cfg.neurons + updates + latency(cfg) + 4, summary


# ---------------------------------------------------------------------------
# Broken cores, caught with timestep and neuron; the same seed, the same run

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
def mutant_runs(simulator):
    """A healthy core and the four broken ones, in one bundle: ``{name: RtlRun}``."""
    jobs = [RtlJob(MUTANT_CFG, _mutant_currents(), seed=BASE_SEED, name="healthy",
                   input_gaps=0.2, output_stalls=0.3)]
    jobs += [RtlJob(MUTANT_CFG, _mutant_currents(), seed=BASE_SEED, name=kind, mutation=mutation,
                    input_gaps=0.2, output_stalls=0.3) for kind, mutation in MUTATIONS.items()]
    return {job.name: run for job, run in zip(jobs, run_harness(jobs, simulator))}


@pytest.mark.parametrize("simulator", SIMULATORS)
@pytest.mark.parametrize("kind", ["membrane", "spike_count"])
def test_flipped_output_bit_is_caught(simulator, kind):
    run, mutation = mutant_runs(simulator)[kind], MUTATIONS[kind]
    t, n = divmod(mutation.transfer, MUTANT_CFG.neurons)
    expected_spikes, expected_v = simulate(MUTANT_CFG, _mutant_currents())
    field = "v" if kind == "membrane" else "spikes"
    expected = int((expected_v if kind == "membrane" else expected_spikes)[t, n])
    assert not run.passed
    assert run.mismatch[:4] == (t, n, field, expected)
    assert run.error_count == 1  # exactly the one broken transfer
    message = run.errors[0]["message"]
    assert f"timestep {t}, neuron {n}:" in message and f"expected {expected}" in message
    assert (run.errors[0]["timestep"], run.errors[0]["neuron"]) == (t, n)
    assert f"LIFQ_SEED={run.seed}" in run.report() and run.log is not None


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_dropped_transfer_is_caught(simulator):
    run = mutant_runs(simulator)["drop"]
    t, n = divmod(MUTATIONS["drop"].transfer, MUTANT_CFG.neurons)
    first = run.errors[0]
    assert not run.passed
    assert first["kind"] == "order" and (first["timestep"], first["neuron"]) == (t, n)
    assert f"timestep {t}, neuron {n}:" in first["message"]
    assert run.error_kinds["lost"] == 1 and "extra" not in run.error_kinds
    assert run.spikes[-1, -1] == MISSING and "lost transfers" in run.hung


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_duplicated_transfer_is_caught(simulator):
    run = mutant_runs(simulator)["duplicate"]
    t, n = divmod(MUTATIONS["duplicate"].transfer + 1, MUTANT_CFG.neurons)
    first = run.errors[0]
    assert not run.passed
    assert first["kind"] == "order" and (first["timestep"], first["neuron"]) == (t, n)
    assert run.error_kinds["extra"] == 1 and "lost" not in run.error_kinds


def test_a_seed_replays_the_same_cycles_on_both_simulators():
    """The LFSRs draw the same gaps and stalls in Verilator and Icarus: same seed, same
    cycle counts, cycle for cycle the same run; the healthy core of the bundle passes."""
    icarus, verilator = mutant_runs("icarus"), mutant_runs("verilator")
    assert icarus["healthy"].passed and verilator["healthy"].passed
    for name in icarus:
        assert icarus[name].cycles == verilator[name].cycles, name
        assert np.array_equal(icarus[name].v, verilator[name].v), name
    # Stalls really happened: more cycles than updates plus clearing and latency.
    healthy = icarus["healthy"]
    assert healthy.cycles > healthy.spikes.size + MUTANT_CFG.neurons + latency(MUTANT_CFG) + 8


def test_another_seed_is_another_run(tmp_path):
    cfg = MUTANT_CFG
    currents = _mutant_currents()
    runs = run_harness([RtlJob(cfg, currents, seed=seed, input_gaps=0.3, output_stalls=0.3)
                        for seed in (BASE_SEED, BASE_SEED, BASE_SEED + 1)], "icarus")
    assert all(run.passed for run in runs)
    assert runs[0].cycles == runs[1].cycles != runs[2].cycles
    assert [run.seed for run in runs] == [BASE_SEED, BASE_SEED, BASE_SEED + 1]


# ---------------------------------------------------------------------------
# The netlists Yosys synthesises for the boards' FPGAs

NETLIST_CFG = LIFConfig(neurons=16, threshold=64, decay=3900)   # the boards' core, with a leak
#: Device primitives each netlist must contain: logic, carry, flip-flops, memory, multiplier.
PRIMITIVES = {"ice40": ["SB_LUT4", "SB_CARRY", "SB_DFF", "SB_RAM40_4K", "SB_MAC16"],
              "ecp5": ["LUT4", "CCU2C", "TRELLIS_FF", "DP16KD", "MULT18X18D"]}


@pytest.mark.parametrize("simulator, family", [("icarus", "ice40"), ("verilator", "ecp5")])
def test_synthesised_netlist_matches_golden(simulator, family):
    """Each board's netlist on a random stimulus.  (The iCE40 netlist also runs on
    Verilator, ~20× faster, but its build would cost make test another 15 s.)"""
    steps = 2000 if simulator == "verilator" else 250
    currents = random_currents(NETLIST_CFG, steps, np.random.default_rng([BASE_SEED, 19]))
    job = RtlJob(NETLIST_CFG, currents, seed=BASE_SEED, input_gaps=0.1, output_stalls=0.2)
    (run,) = run_harness([job], simulator, netlist=family, keep=True)
    assert run.passed, run.report()
    assert run.simulator == f"{simulator}, {family} netlist"
    assert run.spikes.size == steps * NETLIST_CFG.neurons
    netlist = (pathlib.Path(run.log).parents[2] / f"lif_bundle_{family}.v").read_text()
    for primitive in PRIMITIVES[family]:
        assert f"\n  {primitive} " in netlist, primitive
    if family == "ecp5":   # lifq.hdl.ecp5's primitives, with their registers
        assert '.REGMODE_B("OUTREG")' in netlist
        assert '.REG_OUTPUT_CLK("CLK0")' in netlist and '.REG_INPUTA_CLK("CLK0")' in netlist


#: ECP5 cores whose memories take every DP16KD data width lifq.hdl.ecp5 picks
#: (x18, x9 in two blocks, x4 in four, x1 in sixteen), a constant leak, and a
#: core too wide for one MULT18X18D (the generic multiplier).
ECP5_CFGS = [LIFConfig(neurons=300, threshold=64, decay=3900, reset="zero"),
             LIFConfig(neurons=2000, threshold=1000, decay=3000, programmable=False),
             LIFConfig(neurons=4096, threshold=900, decay=3500, spike_bits=2),
             LIFConfig(neurons=9000, threshold=700, decay=3700, reset="subtract"),
             LIFConfig(neurons=40, width=24, threshold=5000, decay=4000)]


def test_ecp5_primitives_match_golden_for_every_memory_shape():
    """One build of five cores: every core's ECP5 netlist — its DP16KD blocks at each
    data width, the registered MULT18X18D or, for W = 24, Yosys's own multiplier —
    equal to the golden model, with input gaps and output stalls (the block RAM's
    output register and the multiplier's registers must hold on a stall)."""
    rng = np.random.default_rng([BASE_SEED, 23])
    jobs = [RtlJob(cfg, random_currents(cfg, max(3, 2 * 4096 // cfg.neurons), rng),
                   seed=BASE_SEED + index, input_gaps=0.1, output_stalls=0.3)
            for index, cfg in enumerate(ECP5_CFGS)]
    runs = run_harness(jobs, "verilator", netlist="ecp5", keep=True)
    for run in runs:
        assert run.passed, run.report()
    netlist = (pathlib.Path(runs[0].log).parents[2] / "lif_bundle_ecp5.v").read_text()
    for width in (18, 9, 4, 1):
        assert f".DATA_WIDTH_B(32'd{width})" in netlist, width
    assert netlist.count("\n  MULT18X18D ") >= 4   # three registered ones, Yosys's for W = 24


def test_ecp5_netlist_needs_verilator():
    with pytest.raises(InputError, match="Verilator only"):
        run_harness([RtlJob(NETLIST_CFG, [[0] * 16])], "icarus", netlist="ecp5")


# ---------------------------------------------------------------------------
# Files, scoreboard and arguments (no simulator)

def test_stimulus_file_layout(tmp_path):
    path = tmp_path / "stimulus.bin"
    currents = [np.array([[1, -2], [3, -4]]), np.array([[-(1 << 31)], [(1 << 31) - 1]])]
    write_stimulus(path, [StreamPlan(currents[0], 7, 0.25, 0.5), StreamPlan(currents[1], 8, 0, 0)],
                   reset_cycles=3, stall_window=5000, drain_cycles=80)
    raw = path.read_bytes()
    assert raw[:8] == b"LIFQSTM1"
    assert np.frombuffer(raw[8:24], "<u4").tolist() == [2, 3, 5000, 80]
    first = np.frombuffer(raw[24:56], "<u8")
    assert first[0] == 4 and first[1] == 88
    assert np.frombuffer(raw[40:56], "<u4").tolist() == [*lfsr_states(7), 16384, 32768]
    assert np.frombuffer(raw[88:104], "<i4").tolist() == [1, -2, 3, -4]
    assert np.frombuffer(raw[104:112], "<i4").tolist() == [-(1 << 31), (1 << 31) - 1]
    assert threshold(0.1) == 6554 and all(lfsr_states(seed)[0] for seed in range(100))


def _result_file(path, blocks, cores):
    words = [np.frombuffer(RESULTS_MAGIC, "<u4"), np.array([cores, 0], "<u4")]
    for kind, core, values in blocks:
        words.append(np.array([kind << 16 | core, len(values)], "<u4"))
        words.append(np.array(values, "<u8").view("<u4"))
    np.concatenate(words).tofile(path)


def test_result_files_of_both_harnesses_read_alike(tmp_path):
    """Blocks of many updates (Verilator) and of one (Icarus) give the same arrays."""
    updates = {0: [5, 6, 7], 1: [1 << 40, 9]}
    tail = [(SENT, 0, [3]), (SENT, 1, [2]), (2, 0, [11]), (2, 1, [12]), (END, 0, [20])]
    _result_file(tmp_path / "blocks.bin", [(0, 0, updates[0]), (0, 1, updates[1]), *tail], 2)
    single = [(0, 1, [1 << 40]), (0, 0, [5]), (0, 0, [6]), (0, 1, [9]), (0, 0, [7])]
    _result_file(tmp_path / "single.bin", single + tail, 2)
    for name in ("blocks.bin", "single.bin"):
        output = read_results(tmp_path / name, 2)
        assert [p.tolist() for p in output.payloads] == [updates[0], updates[1]], name
        assert output.sent == [3, 2] and output.last_output == [11, 12]
        assert output.cycles == 20 and not output.stalled
    _result_file(tmp_path / "cut.bin", single, 2)
    with pytest.raises(ValueError, match="stopped before the end"):
        read_results(tmp_path / "cut.bin", 2)
    with pytest.raises(ValueError, match="2 cores, expected 3"):
        read_results(tmp_path / "blocks.bin", 3)


def _payloads(cfg, neurons, spikes, v):
    fields = payload_fields(cfg)
    words = np.zeros(len(neurons), dtype=np.uint64)
    for values, (offset, width, _) in zip((neurons, spikes, v), fields.values()):
        words |= (np.asarray(values, dtype=np.int64).astype(np.uint64)
                  & np.uint64((1 << width) - 1)) << np.uint64(offset)
    return words


def test_scoreboard_reports_like_the_cocotb_scoreboard():
    cfg = LIFConfig(neurons=2, width=8, threshold=10)
    currents = np.array([[30, -30], [5, 0], [-7, 12]])
    spikes, v = simulate(cfg, currents)
    neurons = np.tile(np.arange(2), 3)
    job = RtlJob(cfg, currents, seed=4)
    words = _payloads(cfg, neurons, spikes.reshape(-1), v.reshape(-1))
    assert decode_updates(cfg, words)[2].tolist() == v.reshape(-1).tolist()
    good = score("icarus", job, (spikes, v), words, sent=6, last_output=30, stall_window=99)
    assert good.passed and good.cycles == 31 and good.error_count == 0

    bad_v = v.reshape(-1).copy()
    bad_v[3] += 1
    run = score("icarus", job, (spikes, v), _payloads(cfg, neurons, spikes.reshape(-1), bad_v),
                sent=6, last_output=30, stall_window=99)
    assert not run.passed and run.mismatch == (1, 1, "v", int(v[1, 1]), int(v[1, 1]) + 1)
    assert run.errors[0]["message"] == (f"timestep 1, neuron 1: membrane expected {v[1, 1]}, "
                                        f"got {v[1, 1] + 1}")

    lost = score("icarus", job, (spikes, v), words[:4], sent=6, last_output=30, stall_window=99)
    assert lost.error_kinds == {"lost": 1} and lost.spikes[2, 0] == MISSING
    assert lost.errors[-1]["message"] == "timestep 2, neuron 0: lost output transfers: received 4 of 6"
    assert lost.hung.startswith("all 6 currents taken but only 4 updates received")

    extra = score("icarus", job, (spikes, v), np.concatenate([words, words[:1]]), sent=6,
                  last_output=30, stall_window=99)
    assert extra.error_kinds == {"extra": 1} and extra.errors[0]["kind"] == "extra"


def test_harness_rejects_what_it_cannot_do():
    cfg = LIFConfig(neurons=2)
    with pytest.raises(ValueError, match="cocotb"):
        run_harness([RtlJob(cfg, [[0, 0]], parameter_writes={0: {"bias": 1}})], "icarus")
    with pytest.raises(ValueError, match="cocotb"):
        run_harness([RtlJob(cfg, [[0, 0]], clears=[0])], "icarus")
    with pytest.raises(ValueError, match="1 … 64 jobs"):
        run_harness([RtlJob(cfg, [[0, 0]])] * 65, "icarus")
    with pytest.raises(ValueError, match="input_gaps"):
        run_harness([RtlJob(cfg, [[0, 0]], input_gaps=1.0)], "icarus")
    with pytest.raises(InputError):
        run_harness([RtlJob(cfg, [[0, 1 << 20]])], "icarus")
    with pytest.raises(ValueError, match="simulator"):
        run_harness([RtlJob(cfg, [[0, 0]])], "xsim")
    with pytest.raises(ValueError, match="netlist"):
        run_harness([RtlJob(cfg, [[0, 0]])], "verilator", netlist="gowin")
