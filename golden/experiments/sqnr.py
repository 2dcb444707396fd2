"""The IF neuron as a uniform quantizer of a constant input (SPEC §5.2).

Castagnetti et al. (2023): a non-leaky IF neuron with soft reset (reset by
subtraction) that sees a constant input x for T steps fires
clip(⌊T·x/θ⌋, 0, T) times, so rate decoding x̂ = θ·Σk/T is a uniform
quantizer of ReLU(x) with step θ/T and range [0, θ].  For inputs of scale
σ, the default θ = 1 wastes almost all of its levels; the θ that maximises
the SQNR buys the same accuracy with a fraction of the steps.

The same sweep runs with reset-to-zero, which throws away the overshoot and
is no longer uniform, and with reset-to-mod, which emits up to 2^q − 1
spikes per step and so quantizes with (2^q − 1)·T levels.

The neuron is :func:`lifq.golden.simulate`, one neuron per input sample, in fixed
point: θ is mapped to ``resolution`` LSBs (2^20 unless the inputs need more
headroom), so the integer neuron matches the real-valued one up to input
rounding of θ/2^21, far below the quantization step θ/T.  The integer model,
unlike :func:`lifq.golden.lif_real`, caps the count per step at 2^q − 1; without
that cap reset-to-mod would have no optimal θ (a smaller θ would always be
better).
"""

import dataclasses

import numpy as np

from lifq.golden import simulate, sqnr
from lifq.spec import RESETS, InputError, LIFConfig
from lifq.spec.limits import check_fits
from lifq.spec.ranges import SEED_RANGE

from . import Limit, check_parameters

__all__ = ["LIMITS", "SqnrSweep", "sqnr_over_steps", "rate_decoded", "steps_to_match"]

LIMITS = {
    "max_steps": Limit(1, 1024, integer=True),
    "samples": Limit(10, 65536, integer=True),  # one neuron per sample in one core
    "sigma": Limit(0, 1e6, above_low=True),
    "fixed_theta": Limit(0, 1e9, above_low=True),
    "spike_bits": Limit(1, 8, integer=True),
    "seed": Limit(*SEED_RANGE.bounds(), integer=True),
}

# Fixed point of the neuron: θ is this many LSBs, ...
RESOLUTION = 1 << 20
# ... and currents must fit a 32-bit input (SPEC §1: input_width ≤ 32).
CURRENT_MAX = (1 << 31) - 1

# Candidate thresholds for the optimum, relative to σ: log-spaced, 4.7 % apart.
THETA_GRID = np.geomspace(1 / 200, 20, 181)


@dataclasses.dataclass(frozen=True)
class SqnrSweep:
    """SQNR of rate decoding over the number of steps, per reset.

    Attributes
    ----------
    steps : ndarray of int, shape (S,)
        T = 1 … max_steps.
    resets : tuple of str
    fixed_theta : float
    sqnr_fixed : ndarray, shape (resets, S)
        SQNR in dB with θ = ``fixed_theta``.
    optimal_theta : ndarray, shape (resets, S)
        The θ of the grid with the highest SQNR at each T.
    sqnr_optimal : ndarray, shape (resets, S)
        SQNR in dB at that θ.
    settings : dict
        sigma, samples, spike_bits, seed.
    """

    steps: np.ndarray
    resets: tuple
    fixed_theta: float
    sqnr_fixed: np.ndarray
    optimal_theta: np.ndarray
    sqnr_optimal: np.ndarray
    settings: dict

    def matching_steps(self, reset):
        """For each T, the steps the fixed θ needs to reach the optimal θ's SQNR at T.

        Returns
        -------
        list of int or None
            None where no T' ≤ max_steps is enough.
        """
        r = self.resets.index(reset)
        return steps_to_match(self.steps, self.sqnr_fixed[r], self.sqnr_optimal[r])

    def summary(self):
        """One row per T and reset."""
        rows = []
        for r, reset in enumerate(self.resets):
            matching = self.matching_steps(reset)
            for s, steps in enumerate(self.steps):
                rows.append({"reset": reset, "steps": int(steps),
                             "sqnr_fixed_db": float(self.sqnr_fixed[r, s]),
                             "optimal_theta": float(self.optimal_theta[r, s]),
                             "sqnr_optimal_db": float(self.sqnr_optimal[r, s]),
                             "fixed_theta_steps_to_match": matching[s]})
        return rows

    def to_json(self):
        return {"experiment": "sqnr", "fixed_theta": self.fixed_theta, **self.settings,
                "max_steps": int(self.steps[-1]), "resets": list(self.resets),
                "rows": self.summary()}


def steps_to_match(steps, sqnr_fixed, sqnr_optimal):
    """Smallest T' with sqnr_fixed(T') ≥ sqnr_optimal(T), for each T (None if none)."""
    matching = []
    for target in sqnr_optimal:
        enough = np.flatnonzero(np.asarray(sqnr_fixed) >= target)
        matching.append(int(steps[enough[0]]) if enough.size else None)
    return matching


def rate_decoded(x, theta, max_steps, reset="subtract", spike_bits=4):
    """Rate-decoded x̂ = θ·Σk/T of constant inputs, for every T = 1 … max_steps.

    Parameters
    ----------
    x : ndarray of float, shape (samples,)
        Constant inputs, one neuron each (at most 65536).
    theta : float
        Threshold θ > 0.
    max_steps : int
    reset : str
    spike_bits : int
        q; caps reset-to-mod at 2^q − 1 spikes per step.

    Returns
    -------
    ndarray of float, shape (max_steps, samples)
        Row T − 1 is x̂ after T steps: the count of the first T steps of one
        run, since the input does not change.
    """
    x = np.asarray(x, dtype=np.float64)
    # Map θ to RESOLUTION LSBs, or fewer when large inputs would not fit 32 bits.
    largest = float(np.abs(x).max()) if x.size else 0.0
    lsbs = RESOLUTION if largest == 0 else min(RESOLUTION, int(CURRENT_MAX * theta / largest))
    if lsbs < 1:
        raise InputError(f"theta = {theta:g} is too small for inputs up to {largest:g}: "
                         f"allowed ≥ {largest / CURRENT_MAX:g}")
    currents = np.round(x * (lsbs / theta)).astype(np.int64)
    # IF neuron (no leak: decay defaults to 2^F), positive spikes only, as in the paper.
    cfg = LIFConfig(neurons=x.size, width=32, input_width=32, threshold=lsbs, reset=reset,
                    signed=False, spike_bits=spike_bits)
    spikes, _ = simulate(cfg, np.broadcast_to(currents, (max_steps, x.size)))
    steps = np.arange(1, max_steps + 1)[:, None]
    return theta * np.cumsum(spikes, axis=0) / steps


def sqnr_over_steps(max_steps=32, samples=10_000, sigma=0.1, fixed_theta=1.0, spike_bits=4,
                    seed=2023, resets=("subtract", "mod", "zero"), progress=None):
    """SQNR of rate decoding of ReLU(x), x ~ N(0, σ²), for T = 1 … max_steps.

    For each reset: with θ = ``fixed_theta`` and with the θ that maximises the
    SQNR at each T, searched on a log grid from σ/200 to 20σ (4.7 % apart)
    that also holds ``fixed_theta``, so the optimum is never worse than it.

    Parameters
    ----------
    max_steps : int
    samples : int
        Gaussian input samples (one neuron each).
    sigma : float
        Standard deviation of the inputs.
    fixed_theta : float
    spike_bits : int
        q of reset-to-mod.
    seed : int
    resets : sequence of str
    progress : callable, optional
        Called as ``progress(done, total)``.

    Returns
    -------
    SqnrSweep
    """
    check_parameters(dict(max_steps=max_steps, samples=samples, sigma=sigma,
                          fixed_theta=fixed_theta, spike_bits=spike_bits, seed=seed), LIMITS)
    # simulate's spikes and membranes, its float rows and the decoded rates.
    check_fits(5 * 8 * max_steps * samples, f"max_steps × samples = {max_steps} × {samples}")
    resets = tuple(resets)
    unknown = [r for r in resets if r not in RESETS]
    if unknown:
        raise ValueError(f"reset = {unknown[0]!r} is unknown: allowed " + ", ".join(RESETS))
    x = np.random.default_rng(seed).normal(0.0, sigma, samples)
    target = np.maximum(x, 0.0)
    thetas = np.unique(np.append(sigma * THETA_GRID, fixed_theta))
    fixed_index = int(np.flatnonzero(thetas == fixed_theta)[0])

    # table[r, j, s]: SQNR of reset r with thetas[j] after s + 1 steps.
    table = np.empty((len(resets), thetas.size, max_steps))
    total = len(resets) * thetas.size
    for r, reset in enumerate(resets):
        for j, theta in enumerate(thetas):
            decoded = rate_decoded(x, theta, max_steps, reset, spike_bits)
            table[r, j] = [sqnr(target, row) for row in decoded]
            if progress is not None:
                progress(r * thetas.size + j + 1, total)
    best = table.argmax(axis=1)
    return SqnrSweep(
        steps=np.arange(1, max_steps + 1), resets=resets, fixed_theta=float(fixed_theta),
        sqnr_fixed=table[:, fixed_index, :],
        optimal_theta=thetas[best],
        sqnr_optimal=np.take_along_axis(table, best[:, None, :], axis=1)[:, 0, :],
        settings={"sigma": sigma, "samples": samples, "spike_bits": spike_bits, "seed": seed})
