"""Random spike trains through the real-valued LIF neuron (SPEC §5.1).

The experiment of Moser & Lunglmayr (2023), Figs. 4–5: input trains η of n
spikes, gaps between spike times uniform in [0, max_gap] and amplitudes
uniform in [−Aθ, Aθ], go through :func:`lifq.golden.lif_real` with each reset;
the quantization error of one run is the leaky Alexiewicz norm
‖LIF(η) − η‖_{A,α}.  Theorem 1 of the paper says reset-to-mod keeps it
below θ for every train; the other resets give no such promise.

θ = 1 throughout: the neuron is scale invariant, so amplitudes and errors are
in units of θ.
"""

import dataclasses
import math

import numpy as np

from lifq.golden import alexiewicz, lif_real
from lifq.spec import RESETS
from lifq.spec.limits import check_fits
from lifq.spec.ranges import SEED_RANGE

from . import Limit, check_parameters

__all__ = ["LIMITS", "TrainErrors", "random_train_errors", "check_memory"]

# Ranges of the parameters of random_train_errors (and of the CLI options).
LIMITS = {
    "runs": Limit(1, 100_000, integer=True),
    "spike_counts": Limit(1, 100_000, integer=True),
    "amplitudes": Limit(0, 1e6, above_low=True),
    "alphas": Limit(0, math.inf, infinite=True),
    "max_gap": Limit(0, 1e6, above_low=True),
    "seed": Limit(*SEED_RANGE.bounds(), integer=True),
}

THETA = 1.0


@dataclasses.dataclass(frozen=True)
class TrainErrors:
    """Quantization errors of every run of every setting.

    Attributes
    ----------
    resets, alphas, amplitudes, spike_counts : tuple
        The axes of the experiment, in the order of ``errors``.
    errors : ndarray of float, shape (resets, alphas, amplitudes, spike_counts, runs)
        ‖LIF(η) − η‖_{A,α} of each run, in units of θ.
    settings : dict
        The remaining parameters (runs, max_gap, seed).
    """

    resets: tuple
    alphas: tuple
    amplitudes: tuple
    spike_counts: tuple
    errors: np.ndarray
    settings: dict

    def runs_of(self, reset, alpha, amplitude, spikes):
        """Errors of the runs of one setting, shape (runs,)."""
        return self.errors[self.resets.index(reset), self.alphas.index(alpha),
                           self.amplitudes.index(amplitude), self.spike_counts.index(spikes)]

    def summary(self):
        """One row per setting: the distribution of the error over the runs.

        Returns
        -------
        list of dict
            Keys reset, alpha, amplitude, spikes, min, q1, median, q3, max
            (in units of θ) and at_least_theta, the fraction of runs whose
            error reached θ.
        """
        rows = []
        for reset in self.resets:
            for alpha in self.alphas:
                for amplitude in self.amplitudes:
                    for spikes in self.spike_counts:
                        errors = self.runs_of(reset, alpha, amplitude, spikes)
                        q1, median, q3 = np.percentile(errors, [25, 50, 75])
                        rows.append({
                            "reset": reset, "alpha": alpha, "amplitude": amplitude,
                            "spikes": spikes, "min": float(errors.min()), "q1": float(q1),
                            "median": float(median), "q3": float(q3),
                            "max": float(errors.max()),
                            "at_least_theta": float(np.mean(errors >= THETA)),
                        })
        return rows

    def to_json(self):
        return {"experiment": "trains", "theta": THETA, **self.settings,
                "resets": list(self.resets), "alphas": list(self.alphas),
                "amplitudes": list(self.amplitudes), "spike_counts": list(self.spike_counts),
                "rows": self.summary()}


def check_memory(values, spell=str):
    """Refuse (:class:`InputError`) a run whose arrays would not fit in memory.

    The draws of the longest train length take 2 · runs · spikes doubles;
    the errors one double per reset, α, A, spike count and run.
    """
    runs, counts = values["runs"], values["spike_counts"]
    needed = 8 * (2 * runs * max(counts) + len(RESETS) * len(values.get("alphas", (1,)))
                  * len(values.get("amplitudes", (1,))) * len(counts) * runs)
    check_fits(needed, f"{spell('runs')} × {spell('spike_counts')} = {runs} × {max(counts)}")


def random_train_errors(runs=100, spike_counts=(10, 20, 50, 100, 200, 500),
                        amplitudes=(1.0, 1.5), alphas=(1.0, 0.1), max_gap=1.0, seed=2023,
                        resets=RESETS, progress=None):
    """Run the random-train experiment.

    Every reset, α and A sees the same trains (the amplitudes of one draw are
    scaled by A), so differences between settings are not sampling noise;
    each number of spikes gets trains of its own.

    Parameters
    ----------
    runs : int
        Random trains per setting.
    spike_counts : sequence of int
        Numbers of input spikes n.
    amplitudes : sequence of float
        A: amplitudes are uniform in [−Aθ, Aθ].
    alphas : sequence of float
        Leak rates α ≥ 0 (``math.inf`` forgets everything between spikes).
    max_gap : float
        Gaps between spike times are uniform in [0, max_gap].
    seed : int
        Seed of the numpy random generator.
    resets : sequence of str
        Resets to compare.
    progress : callable, optional
        Called as ``progress(done, total)`` while the sweep runs.

    Returns
    -------
    TrainErrors
    """
    spike_counts, amplitudes, alphas = tuple(spike_counts), tuple(amplitudes), tuple(alphas)
    values = dict(runs=runs, spike_counts=spike_counts, amplitudes=amplitudes, alphas=alphas,
                  max_gap=max_gap, seed=seed)
    check_parameters(values, LIMITS)
    check_memory(values)
    resets = tuple(resets)
    rng = np.random.default_rng(seed)
    errors = np.empty((len(resets), len(alphas), len(amplitudes), len(spike_counts), runs))
    # Work grows with the number of spikes; report progress in spikes simulated.
    total, done = runs * sum(spike_counts), 0
    for s, spikes in enumerate(spike_counts):
        times = np.cumsum(rng.uniform(0.0, max_gap, (runs, spikes)), axis=1)
        unit_amplitudes = rng.uniform(-1.0, 1.0, (runs, spikes))
        for run in range(runs):
            for a, amplitude in enumerate(amplitudes):
                eta = amplitude * THETA * unit_amplitudes[run]
                for l, alpha in enumerate(alphas):
                    # One column per reset: a single norm call covers all three.
                    differences = np.stack(
                        [lif_real(eta, times[run], THETA, alpha, reset=reset)[0] - eta
                         for reset in resets], axis=1)
                    errors[:, l, a, s, run] = alexiewicz(differences, times=times[run],
                                                         alpha=alpha)
            done += spikes
            if progress is not None:
                progress(done, total)
    return TrainErrors(resets, alphas, amplitudes, spike_counts, errors / THETA,
                       {"runs": runs, "max_gap": max_gap, "seed": seed})
