"""Random configurations and currents that reach the corners of SPEC §1.

Used by the tests, the benchmarks and ``lifq simulate`` alike, so that every
simulator sees the same kind of stimulus.
"""

import numpy as np

from lifq.hdl.datapath import full_rate_neurons
from lifq.spec import RESETS, LIFConfig

__all__ = ["random_config", "random_currents", "corner_configs"]


def random_config(rng, **fixed):
    """A random valid config; keyword arguments pin parameters."""
    width = fixed.get("width", int(rng.choice([4, 5, 8, 12, 16, 24, 32])))
    decay_shift = fixed.get("decay_shift", int(rng.integers(0, 17)))
    input_width = fixed.get("input_width", int(rng.integers(2, 33)))
    bias_limit = 1 << (input_width - 1)
    decay_choice = rng.choice(["none", "zero", "between"])
    params = {
        "neurons": int(rng.choice([1, 2, 3, 5, 9, 16, 31])),
        "width": width,
        "input_width": input_width,
        "threshold": int(rng.integers(1, 1 << (width - 1))),
        "reset": str(rng.choice(RESETS)),
        "signed": bool(rng.integers(0, 2)),
        "decay_shift": decay_shift,
        "decay": {"none": 1 << decay_shift, "zero": 0,
                  "between": int(rng.integers(0, (1 << decay_shift) + 1))}[decay_choice],
        "bias": int(rng.integers(-bias_limit, bias_limit)) if rng.random() < 0.5 else 0,
        "spike_bits": int(rng.integers(1, 9)),
        "programmable": bool(rng.integers(0, 2)),
    }
    params.update(fixed)
    if "threshold" not in fixed:
        params["threshold"] = min(params["threshold"], (1 << (params["width"] - 1)) - 1)
    if "decay" not in fixed:
        params["decay"] = min(params["decay"], 1 << params["decay_shift"])
    if "bias" not in fixed:
        limit = 1 << (params["input_width"] - 1)
        params["bias"] = max(-limit, min(limit - 1, params["bias"]))
    return LIFConfig(**params)


def random_currents(cfg, steps, rng):
    """T×N currents: a mix of values around ±θ·k_max, of the whole input range and
    of its extremes (minimum, maximum, 0, ±1)."""
    shape = (steps, cfg.neurons)
    low, high = cfg.current_min, cfg.current_max
    span = min(high, 3 * cfg.threshold * cfg.k_max)
    near = rng.integers(-span, span + 1, shape)
    anywhere = rng.integers(low, high + 1, shape, dtype=np.int64)
    extremes = rng.choice(np.array([low, high, 0, -1, 1], dtype=np.int64), shape)
    pick = rng.random(shape)
    currents = np.where(pick < 0.6, near, np.where(pick < 0.8, anywhere, extremes))
    return np.clip(currents, low, high).astype(np.int64)


def corner_configs():
    """Hand-picked configs for the corners of SPEC §1, as (name, LIFConfig)."""
    deep = LIFConfig(reset="mod", spike_bits=8)
    depth = full_rate_neurons(deep)
    corners = {
        "n1_mod_q8": dict(neurons=1, reset="mod", spike_bits=8, decay=3000, bias=-5),
        "n2_subtract": dict(neurons=2, reset="subtract", threshold=100, decay=4000),
        "n3_zero_unsigned": dict(neurons=3, reset="zero", signed=False, threshold=20),
        "n_below_depth": dict(neurons=depth - 1, reset="mod", spike_bits=8, decay=2048),
        "n_at_depth": dict(neurons=depth, reset="mod", spike_bits=8, decay=2048),
        "n_above_depth": dict(neurons=depth + 1, reset="mod", spike_bits=8, decay=2048),
        "w4_mod_q1": dict(neurons=4, width=4, input_width=4, threshold=3, spike_bits=1),
        "w4_subtract": dict(neurons=5, width=4, input_width=6, threshold=7, reset="subtract"),
        "w32_mod_q8": dict(neurons=6, width=32, input_width=32, threshold=(1 << 31) - 1,
                           spike_bits=8, decay=65535, decay_shift=16),
        "w32_small_theta": dict(neurons=4, width=32, input_width=32, threshold=3,
                                spike_bits=8, bias=-(1 << 31)),
        "d0_memoryless": dict(neurons=3, decay=0, bias=5, threshold=10),
        "d0_constant": dict(neurons=3, decay=0, bias=-7, threshold=10, programmable=False),
        "d_full_constant": dict(neurons=3, threshold=10, programmable=False),
        "d_between_constant": dict(neurons=12, decay=1234, threshold=50, programmable=False),
        "f0": dict(neurons=2, decay_shift=0, decay=1, threshold=9),
        "f0_leak_all": dict(neurons=2, decay_shift=0, decay=0, threshold=9),
        "f16_leak": dict(neurons=2, decay_shift=16, decay=1, threshold=9),
        "q8_unsigned": dict(neurons=10, spike_bits=8, signed=False, threshold=1),
        "bias_max": dict(neurons=2, input_width=8, bias=127, threshold=40),
        "bias_min": dict(neurons=2, input_width=8, bias=-128, threshold=40, signed=False),
        "input_wider": dict(neurons=3, width=8, input_width=24, threshold=100),
        "input_narrow": dict(neurons=3, width=24, input_width=2, threshold=1, spike_bits=2),
        "zero_signed_leak": dict(neurons=4, reset="zero", decay=3500, threshold=200),
        "subtract_unsigned_const": dict(neurons=4, reset="subtract", signed=False,
                                        threshold=77, decay=3900, programmable=False),
    }
    return [(name, LIFConfig(**params)) for name, params in corners.items()]
