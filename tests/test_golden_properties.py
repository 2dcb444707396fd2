"""Property tests that pin the maths of SPEC §1–2 (hypothesis)."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lifq import golden
from lifq.golden import alexiewicz, leak, lif_real, simulate
from lifq.golden import model as golden_model
from lifq.spec import LIFConfig

settings.register_profile("lifq", max_examples=200, deadline=None)
settings.load_profile("lifq")


@st.composite
def mod_bounded(draw):
    """Signed reset-to-mod with |i + b| ≤ (2^q − 1)·θ at every step."""
    width = draw(st.integers(4, 32))
    threshold = draw(st.integers(1, 2 ** (width - 1) - 1))
    spike_bits = draw(st.integers(1, 8))
    decay_shift = draw(st.integers(0, 16))
    decay = draw(st.integers(0, 1 << decay_shift))
    input_width = draw(st.integers(2, 32))
    cfg = LIFConfig(neurons=draw(st.integers(1, 4)), width=width, input_width=input_width,
                    threshold=threshold, reset="mod", signed=True, spike_bits=spike_bits,
                    decay=decay, decay_shift=decay_shift)
    # i + b must stay within ±(2^q − 1)·θ and i within input_width.
    limit = cfg.k_max * threshold
    bias = draw(st.integers(max(cfg.current_min, -limit), min(cfg.current_max, limit)))
    cfg = cfg.replace(bias=bias)
    low = max(cfg.current_min, -limit - bias)
    high = min(cfg.current_max, limit - bias)
    steps = draw(st.integers(1, 30))
    currents = draw(st.lists(st.lists(st.integers(low, high), min_size=cfg.neurons,
                                      max_size=cfg.neurons), min_size=steps, max_size=steps))
    return cfg, np.array(currents, dtype=np.int64)


@given(mod_bounded())
def test_mod_keeps_membrane_below_threshold(case):
    cfg, currents = case
    _, v = simulate(cfg, currents)
    assert np.abs(v).max() <= cfg.threshold - 1


@given(mod_bounded())
def test_integer_leak_norm_of_error_equals_max_membrane(case):
    cfg, currents = case
    spikes, v = simulate(cfg, currents)
    error = currents + cfg.bias - spikes * cfg.threshold
    norm = alexiewicz(error, decay=cfg.decay, decay_shift=cfg.decay_shift)
    assert np.array_equal(norm, np.abs(v).max(axis=0))


@st.composite
def no_leak_no_saturation(draw, resets=("subtract", "mod")):
    """IF neurons on 32 bits with ≤ 64 steps of 16-bit currents: v cannot saturate."""
    reset = draw(st.sampled_from(resets))
    cfg = LIFConfig(neurons=draw(st.integers(1, 3)), width=32, input_width=16,
                    threshold=draw(st.integers(1, 40000)), reset=reset,
                    signed=draw(st.booleans()), spike_bits=draw(st.integers(1, 8)),
                    bias=draw(st.integers(-100, 100)), decay_shift=draw(st.integers(0, 16)))
    steps = draw(st.integers(1, 64))
    currents = draw(st.lists(st.lists(st.integers(-32000, 32000), min_size=cfg.neurons,
                                      max_size=cfg.neurons), min_size=steps, max_size=steps))
    return cfg, np.array(currents, dtype=np.int64)


@given(no_leak_no_saturation())
def test_cumulative_error_equals_membrane(case):
    cfg, currents = case
    spikes, v = simulate(cfg, currents)
    cumulative_error = np.cumsum(currents + cfg.bias - spikes * cfg.threshold, axis=0)
    assert np.array_equal(cumulative_error, v)


def _pre_reset_membranes(cfg, currents, v):
    """u_t = leak(v_{t−1}) + i_t + b, rebuilt from a run's own membranes."""
    previous = np.vstack([np.zeros((1, cfg.neurons), dtype=np.int64), v[:-1]])
    return leak(previous, cfg.decay, cfg.decay_shift) + currents + cfg.bias


@st.composite
def small_inputs(draw):
    """Any config with |i + b| ≤ θ − 1, where subtract keeps |u| < 2θ."""
    width = draw(st.integers(4, 20))
    threshold = draw(st.integers(1, 2 ** (width - 1) - 1))
    decay_shift = draw(st.integers(0, 16))
    cfg = LIFConfig(neurons=draw(st.integers(1, 3)), width=width, threshold=threshold,
                    signed=draw(st.booleans()), spike_bits=draw(st.integers(1, 8)),
                    decay_shift=decay_shift, decay=draw(st.integers(0, 1 << decay_shift)))
    limit = min(threshold - 1, cfg.current_max)
    bias = draw(st.integers(-limit, limit))
    steps = draw(st.integers(1, 40))
    low, high = max(cfg.current_min, -limit - bias), min(cfg.current_max, limit - bias)
    currents = draw(st.lists(st.lists(st.integers(low, high), min_size=cfg.neurons,
                                      max_size=cfg.neurons), min_size=steps, max_size=steps))
    return cfg.replace(bias=bias), np.array(currents, dtype=np.int64)


@given(small_inputs())
def test_mod_equals_subtract_while_below_two_thresholds(case):
    cfg, currents = case
    mod = simulate(cfg.replace(reset="mod"), currents)
    subtract = simulate(cfg.replace(reset="subtract"), currents)
    u = _pre_reset_membranes(cfg, currents, subtract[1])
    # The regime the claim is about (unsigned neurons never fire below zero).
    assert (np.abs(u) if cfg.signed else u).max() < 2 * cfg.threshold
    assert np.array_equal(mod[0], subtract[0])
    assert np.array_equal(mod[1], subtract[1])


@given(no_leak_no_saturation(resets=("subtract",)), st.integers(0, 16))
def test_mod_equals_subtract_up_to_first_large_membrane(case, decay):
    cfg, currents = case
    cfg = cfg.replace(decay=min(decay, 1 << cfg.decay_shift))
    mod_cfg = cfg.replace(reset="mod")
    mod_spikes, mod_v = simulate(mod_cfg, currents)
    sub_spikes, sub_v = simulate(cfg, currents)
    u = _pre_reset_membranes(cfg, currents, sub_v)
    for n in range(cfg.neurons):
        large = np.flatnonzero(np.abs(u[:, n]) >= 2 * cfg.threshold)
        end = large[0] if len(large) else len(u)
        assert np.array_equal(mod_spikes[:end, n], sub_spikes[:end, n])
        assert np.array_equal(mod_v[:end, n], sub_v[:end, n])
        if len(large) and (cfg.signed or u[end, n] > 0):
            # At |u| ≥ 2θ mod emits |k| ≥ 2 (up to its k_max), subtract only 1.
            assert abs(mod_spikes[end, n]) >= min(2, mod_cfg.k_max)
            assert abs(sub_spikes[end, n]) == 1


@st.composite
def saturating(draw):
    width = draw(st.integers(4, 12))
    decay_shift = draw(st.integers(0, 16))
    cfg = LIFConfig(neurons=draw(st.integers(1, 3)), width=width,
                    input_width=draw(st.integers(width, 32)),
                    threshold=draw(st.integers(1, 2 ** (width - 1) - 1)),
                    reset=draw(st.sampled_from(["zero", "subtract", "mod"])),
                    signed=draw(st.booleans()), spike_bits=draw(st.integers(1, 8)),
                    decay_shift=decay_shift, decay=draw(st.integers(0, 1 << decay_shift)))
    steps = draw(st.integers(1, 30))
    currents = draw(st.lists(st.lists(st.integers(cfg.current_min, cfg.current_max),
                                      min_size=cfg.neurons, max_size=cfg.neurons),
                             min_size=steps, max_size=steps))
    return cfg, np.array(currents, dtype=np.int64)


@given(saturating())
def test_saturation_never_wraps(case):
    cfg, currents = case
    spikes, v = simulate(cfg, currents)
    assert v.min() >= cfg.v_min and v.max() <= cfg.v_max
    u = _pre_reset_membranes(cfg, currents, v)
    unsaturated = u - spikes * cfg.threshold
    if cfg.reset == "zero":
        unsaturated[spikes != 0] = 0
    # Saturation only moves a membrane toward zero and never flips its sign.
    assert np.all(np.sign(v) == np.sign(unsaturated))
    assert np.all(np.abs(v) <= np.abs(unsaturated))
    assert np.all((v == unsaturated) | (v == cfg.v_min) | (v == cfg.v_max))
    assume(np.any(v != unsaturated))  # keep the examples that did saturate


@given(st.lists(st.tuples(st.floats(-1.0, 1.0), st.floats(0.0, 5.0)), min_size=1, max_size=80),
       st.floats(0.01, 100.0), st.floats(0.1, 10.0),
       st.one_of(st.floats(0.0, 20.0), st.just(math.inf)))
def test_real_mod_error_stays_below_threshold(train, theta, scale, alpha):
    amplitudes = np.array([a for a, _ in train]) * scale * theta
    times = np.cumsum([gap for _, gap in train])
    out, residual = lif_real(amplitudes, times, theta, alpha, reset="mod", signed=True)
    assert np.abs(residual).max() < theta
    error = alexiewicz(amplitudes - out, times=times, alpha=alpha)
    assert error < theta * (1 + 1e-9)  # the same bound, up to float rounding of the norm
    assert np.allclose(out / theta, np.round(out / theta))  # multiples of θ


@given(st.lists(st.integers(-3000, 3000), min_size=1, max_size=60), st.integers(1, 1000),
       st.sampled_from(["zero", "subtract", "mod"]), st.booleans())
def test_real_model_equals_integer_model_without_leak(currents, threshold, reset, signed):
    cfg = LIFConfig(neurons=1, width=32, threshold=threshold, reset=reset, signed=signed,
                    spike_bits=8)
    if reset == "mod":  # the real model has no k saturation
        assume(max(abs(c) for c in currents) < cfg.k_max * threshold)
    spikes, v = simulate(cfg, np.array(currents)[:, None])
    out, residual = lif_real(currents, np.arange(len(currents)), threshold, 0.0, reset, signed)
    assert np.array_equal(out, spikes[:, 0] * threshold)
    assert np.array_equal(residual, v[:, 0])


@st.composite
def any_run(draw):
    """Any config of SPEC §1, currents anywhere in input_width, any start membranes."""
    width = draw(st.integers(4, 32))
    decay_shift = draw(st.integers(0, 16))
    cfg = LIFConfig(neurons=draw(st.integers(1, 4)), width=width,
                    input_width=draw(st.integers(2, 32)),
                    threshold=draw(st.integers(1, 2 ** (width - 1) - 1)),
                    reset=draw(st.sampled_from(["zero", "subtract", "mod"])),
                    signed=draw(st.booleans()), spike_bits=draw(st.integers(1, 8)),
                    decay_shift=decay_shift, decay=draw(st.integers(0, 1 << decay_shift)))
    cfg = cfg.replace(bias=draw(st.integers(cfg.current_min, cfg.current_max)))
    steps = draw(st.integers(1, 20))
    current = st.integers(cfg.current_min, cfg.current_max)
    currents = draw(st.lists(st.lists(current, min_size=cfg.neurons, max_size=cfg.neurons),
                             min_size=steps, max_size=steps))
    v0 = draw(st.lists(st.integers(cfg.v_min, cfg.v_max), min_size=cfg.neurons,
                       max_size=cfg.neurons))
    return cfg, np.array(currents, dtype=np.int64), np.array(v0, dtype=np.int64)


def _stepped(cfg, currents, v0):
    """The reference: golden.step, one timestep at a time."""
    spikes, membranes, v = [], [], v0
    for current in currents:
        k, v = golden.step(cfg, v, current)
        spikes.append(k)
        membranes.append(v)
    return np.array(spikes), np.array(membranes)


@given(any_run())
def test_simulate_equals_the_reference_step(case):
    """simulate's float64 roundings and skipped clips must not change a bit."""
    cfg, currents, v0 = case
    fast, reference = simulate(cfg, currents, v0), _stepped(cfg, currents, v0)
    assert fast[0].dtype == fast[1].dtype == np.int64
    assert np.array_equal(fast[0], reference[0]) and np.array_equal(fast[1], reference[1])


@given(any_run(), st.integers(1, 9))
def test_simulate_is_exact_across_blocks_of_timesteps(case, block_elements):
    """simulate converts currents and results a block of timesteps at a time;
    the membranes must carry over from block to block (blocks of 1 to 9 rows here)."""
    from unittest import mock

    cfg, currents, v0 = case
    with mock.patch.object(golden_model, "_BLOCK_ELEMENTS", block_elements):
        fast = simulate(cfg, currents, v0)
    reference = _stepped(cfg, currents, v0)
    assert np.array_equal(fast[0], reference[0]) and np.array_equal(fast[1], reference[1])


@pytest.mark.parametrize("threshold", [1, 3, 2 ** 31 - 1])
@pytest.mark.parametrize("reset", ["zero", "subtract", "mod"])
def test_simulate_is_exact_at_the_widest_config(threshold, reset):
    """W = 32, 32-bit currents, F = 16: the largest products and quotients of SPEC §1."""
    cfg = LIFConfig(neurons=6, width=32, input_width=32, decay_shift=16, decay=(1 << 16) - 1,
                    threshold=threshold, reset=reset, spike_bits=8, bias=-(2 ** 31))
    low, high = cfg.current_min, cfg.current_max
    currents = np.array([[low, high, high, low, 0, 1], [high, high, low, low, -1, 0]] * 3)
    v0 = np.array([cfg.v_min, cfg.v_max, cfg.v_min + 1, cfg.v_max - 1, -threshold, threshold])
    fast, reference = simulate(cfg, currents, v0), _stepped(cfg, currents, v0)
    assert np.array_equal(fast[0], reference[0]) and np.array_equal(fast[1], reference[1])
    # The run does reach the wide values (reset-to-zero with a small θ fires them away).
    assert np.abs(fast[1]).max() >= 2 ** 30 or (reset == "zero" and threshold < 2 ** 30)


@given(mod_bounded())
def test_theorem_1_fast_path_equals_general_path(case):
    """simulate skips clip and saturation under Theorem 1; that must not change a bit."""
    from unittest import mock

    cfg, currents = case
    assert golden_model._theorem_1_holds(cfg, int(currents.min()), int(currents.max()),
                                         np.zeros(cfg.neurons))
    fast = simulate(cfg, currents)
    with mock.patch.object(golden_model, "_theorem_1_holds", lambda *arguments: False):
        general = simulate(cfg, currents)
    assert np.array_equal(fast[0], general[0]) and np.array_equal(fast[1], general[1])


@pytest.mark.parametrize("v0, words", [
    ([0, 0, 0], "one membrane per neuron: 2, not 3"),
    ([128, 0], r"v0\[0\] = 128 is out of range: allowed -128 … 127 for width = 8"),
    ([0, -129], r"v0\[1\] = -129 is out of range: allowed -128 … 127 for width = 8"),
    ([1.5, 2.7], r"v0\[0\] = 1.5 must be an integer"),
    ([True, 0], r"v0\[0\] = true must be an integer"),
])
def test_bad_start_membranes_are_input_errors(v0, words):
    cfg = LIFConfig(neurons=2, width=8)
    with pytest.raises(golden.InputError, match=words):
        simulate(cfg, [[1, 2]], v0)
