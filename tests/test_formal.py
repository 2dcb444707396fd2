"""Formal proofs of the LIF core (SymbiYosys through yowasp-sby, k-induction).

See sim/formal.py for the harness.  Each proof takes seconds; a missing
``yowasp-sby`` fails these tests (``make test`` installs it), it never skips them.
"""

import os

import pytest

from lifq.hdl import datapath
from lifq.sim import formal
from lifq.spec import LIFConfig

# Reset-to-mod with a real leak (d/2^F = 11/16), a bias, N = 3 < full rate (hazards
# stall the input) and 4θ − 1 = 147 > 2^(W−1) − 1: u does not fit W bits.
LEAKY = LIFConfig(neurons=3, width=8, threshold=37, spike_bits=2, decay_shift=4, decay=11,
                  bias=5, programmable=False)
# IF (no leak stages), a negative bias, the smallest width.
INTEGRATE = LIFConfig(neurons=2, width=6, threshold=9, spike_bits=2, bias=-3,
                      programmable=False)
# d = 0 forgets everything; one neuron (its memory still has two words); q = 3.
FORGET = LIFConfig(neurons=1, width=7, threshold=13, spike_bits=3, decay_shift=2, decay=0,
                   programmable=False)
# Programmable registers, the parameter port driven by the environment.
PROGRAMMABLE = LIFConfig(neurons=2, width=8, threshold=37, spike_bits=2, decay_shift=4,
                         decay=11)
# Streams only: N above full rate (never a hazard), reset to zero, unsigned; and
# reset by subtraction on a programmable core with one neuron.
WIDE = LIFConfig(neurons=8, width=6, threshold=9, reset="zero", signed=False,
                 programmable=False)
SUBTRACT = LIFConfig(neurons=1, width=6, threshold=9, reset="subtract", decay_shift=3,
                     decay=5)
# Bit-exact bounded checks: small enough for BMC past the second update of a neuron.
EXACT_MOD = LIFConfig(neurons=1, width=6, threshold=7, spike_bits=2, decay_shift=2, decay=3,
                      programmable=False)
EXACT_ZERO = LIFConfig(neurons=2, width=6, threshold=7, reset="zero", signed=False, bias=1,
                       programmable=False)

TIMEOUT = 300


def reach(cfg):
    """Cycles from reset to the second update of a neuron: clearing, two latencies."""
    return cfg.neurons + 2 * datapath.latency(cfg) + 6


@pytest.fixture(scope="module", autouse=True)
def sby():
    """yowasp-sby and its tools must be there: a missing tool is a failure, not a skip."""
    try:
        return formal.sby_tools()
    except formal.FormalToolMissing as error:
        pytest.fail(f"formal tools missing: {error}", pytrace=False)


def explain(result):
    tail = "\n".join(result.log.splitlines()[-25:])
    return (f"{result.name}: {result.status} after {result.seconds:.1f} s, failed: "
            f"{result.failed}\n{tail}")


# -- the proofs ------------------------------------------------------------------------

@pytest.mark.parametrize("cfg, depth, writes", [
    pytest.param(LEAKY, 12, False, id="mod-leak-N3"),
    pytest.param(INTEGRATE, 12, False, id="mod-if-N2"),
    pytest.param(FORGET, 12, False, id="mod-forget-N1"),
    pytest.param(PROGRAMMABLE, 6, False, id="programmable-idle-N2"),
    pytest.param(PROGRAMMABLE, 6, True, id="programmable-writes-N2"),
])
def test_theorem_1_and_streams_proven(cfg, depth, writes):
    """|v| ≤ θ − 1 for every output and stored membrane under |i + b| ≤ (2^q − 1)·θ,
    and the stream rules, by k-induction."""
    result = formal.prove("all", cfg, depth, parameter_writes=writes, timeout=TIMEOUT)
    assert result.passed, explain(result)
    assert "successful proof by k-induction" in result.log


@pytest.mark.parametrize("cfg, writes", [
    pytest.param(WIDE, False, id="zero-unsigned-N8"),
    pytest.param(SUBTRACT, True, id="subtract-programmable-N1"),
])
def test_streams_proven(cfg, writes):
    result = formal.prove("streams", cfg, 12, parameter_writes=writes, timeout=TIMEOUT)
    assert result.passed, explain(result)


@pytest.mark.parametrize("cfg, writes", [
    pytest.param(LEAKY, False, id="mod-leak-N3"),
    pytest.param(PROGRAMMABLE, True, id="programmable-writes-N2"),
])
def test_assumptions_leave_the_interesting_cases(cfg, writes):
    """Not vacuous: from reset, every Cover (k = ±(2^q − 1) with a remainder, a stalled
    update taken, a busy pipeline, an update after parameter writes) is reached."""
    result = formal.prove("all", cfg, reach(cfg), mode="cover", parameter_writes=writes,
                          timeout=TIMEOUT)
    assert result.passed, explain(result)


@pytest.mark.parametrize("cfg", [
    pytest.param(EXACT_MOD, id="mod-leak-N1"),
    pytest.param(EXACT_ZERO, id="zero-unsigned-N2"),
])
def test_bit_exact_bounded(cfg):
    """Bounded (BMC from reset past the second update of a neuron): every output equals
    SPEC §1, for any currents, gaps and stalls, through the hazard stalls."""
    result = formal.prove("exact", cfg, reach(cfg), mode="bmc", timeout=TIMEOUT)
    assert result.passed, explain(result)
    cover = formal.prove("exact", cfg, reach(cfg), mode="cover", timeout=TIMEOUT)
    assert cover.passed, explain(cover)


@pytest.mark.skipif(not os.environ.get("LIFQ_FORMAL_SLOW"),
                    reason="about 2 minutes: set LIFQ_FORMAL_SLOW=1")
def test_bit_exact_with_parameter_writes():
    """Bounded: writes of θ, d and b apply to exactly the currents taken after them."""
    cfg = LIFConfig(neurons=2, width=6, threshold=7, spike_bits=1, decay_shift=2, decay=3)
    result = formal.prove("exact", cfg, 22, mode="bmc", parameter_writes=True, timeout=600)
    assert result.passed, explain(result)
    # Three writes (each held until its range check is registered and the pipeline
    # is empty) and an update through the pipeline: 42 cycles since the core's
    # stages were split (26 before).
    cover = formal.prove("exact", cfg, 42, mode="cover", parameter_writes=True, timeout=TIMEOUT)
    assert cover.passed, explain(cover)


# -- the proofs can fail ---------------------------------------------------------------

def test_divide_off_by_one_breaks_theorem_1():
    # A divide step comparing with > instead of >=: |u| = θ leaves v' = θ.
    proof = formal.prove("bound", LEAKY, reach(LEAKY), mutation="divide_gt", timeout=TIMEOUT)
    assert proof.status == "FAIL", explain(proof)          # a counterexample from reset
    # Without the helper invariants the theorem's own assertions fail.
    bmc = formal.prove("bound", LEAKY, reach(LEAKY), mutation="divide_gt", mode="bmc",
                       strengthen=False, timeout=TIMEOUT)
    assert bmc.status == "FAIL", explain(bmc)
    assert "output membrane: |v'| <= theta - 1" in bmc.failed, explain(bmc)
    exact = formal.prove("exact", EXACT_MOD, 16, mutation="divide_gt", mode="bmc",
                         timeout=TIMEOUT)
    assert exact.status == "FAIL", explain(exact)


def test_dropped_input_breaks_streams():
    # currents.ready while the output stalls: the taken current never enters the pipeline.
    proof = formal.prove("streams", LEAKY, reach(LEAKY), mutation="ready_ignores_stall",
                         timeout=TIMEOUT)
    assert proof.status == "FAIL", explain(proof)
    bmc = formal.prove("streams", INTEGRATE, reach(INTEGRATE), mutation="ready_ignores_stall",
                       mode="bmc", strengthen=False, timeout=TIMEOUT)
    assert bmc.status == "FAIL", explain(bmc)


def test_induction_needs_the_invariant():
    # The theorem alone is true but not inductive: k-induction cannot close it.
    result = formal.prove("bound", LEAKY, 6, strengthen=False, timeout=TIMEOUT)
    assert result.status == "UNKNOWN", explain(result)


# -- the harness itself ----------------------------------------------------------------

def test_missing_sby_is_reported(monkeypatch):
    monkeypatch.setattr(formal.sby, "_find", lambda program: None)
    with pytest.raises(formal.FormalToolMissing, match="yowasp-sby is missing"):
        formal.prove("bound", LEAKY, 2)


def test_bad_arguments():
    with pytest.raises(ValueError, match="mutation"):
        formal.prove("bound", LEAKY, 2, mutation="nonsense")
    with pytest.raises(ValueError, match="properties"):
        formal.FormalHarness(LEAKY, "nonsense")
    with pytest.raises(ValueError, match="reset"):
        formal.FormalHarness(WIDE, "bound")


def test_a_proof_on_a_machine_that_never_ran_yowasp(monkeypatch, tmp_path):
    """A fresh machine: the first run of each YoWASP tool compiles it and says so on
    standard error, which smtbmc would read as a solver reply.  The runner compiles
    the tools first, so the first proof passes too."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("YOWASP_CACHE_DIR", str(tmp_path / "cache" / "YoWASP"))
    result = formal.prove("all", INTEGRATE, 12, timeout=TIMEOUT)
    assert result.passed, explain(result)
    assert "successful proof by k-induction" in result.log
    assert list((tmp_path / "cache" / "YoWASP").rglob("*")), "the cache was not used"
