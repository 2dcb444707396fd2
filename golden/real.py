"""The real-valued, continuous-time LIF neuron of Moser & Lunglmayr (SPEC §2).

It is the reference the integer model approximates: input spikes at times
t_n with real amplitudes a_n, the membrane decays by e^(−α·Δt) between
spikes, and fires when |u| ≥ θ with the same three resets as the hardware,
but with no width and no spike-count saturation.
"""

import math

import numpy as np

from lifq.spec import NEURON_RANGES, RESETS, InputError, value_text

from .arguments import ALPHA, THETA, finite_array
from .norms import decay_factors

__all__ = ["lif_real", "decay_from_alpha"]


def lif_real(amplitudes, times, theta, alpha, reset="mod", signed=True):
    """Run the real-valued LIF neuron over one input spike train.

    Parameters
    ----------
    amplitudes : array_like of float, shape (n,)
        Input spike amplitudes a_n.
    times : array_like of float, shape (n,)
        Non-decreasing spike times t_n.
    theta : float
        Threshold θ > 0.
    alpha : float
        Leak rate α ≥ 0; ``math.inf`` forgets everything between spikes.
    reset : str
        ``"zero"``, ``"subtract"`` or ``"mod"`` (k = trunc(u/θ), remainder kept).
    signed : bool
        Also fire negative spikes at u ≤ −θ.

    Returns
    -------
    out : ndarray of float, shape (n,)
        Output amplitude k·θ emitted at each input time (0 where silent).
    residual : ndarray of float, shape (n,)
        Membrane after each input spike and its reset.
    """
    if not isinstance(reset, str) or reset not in RESETS:
        raise InputError(f"reset = {value_text(reset)} is unknown: allowed " + ", ".join(RESETS))
    if not isinstance(signed, bool):
        raise InputError(f"signed = {value_text(signed)} must be true or false")
    theta = THETA.check(theta, "theta")
    amplitudes = finite_array("amplitudes", amplitudes, dimensions=(1,))
    times = finite_array("times", times, dimensions=(1,))
    if times.shape != amplitudes.shape:
        raise InputError("amplitudes and times must be 1-D arrays of the same length")
    factors = decay_factors(times, ALPHA.check(alpha, "alpha"))

    out = np.zeros_like(amplitudes)
    residual = np.zeros_like(amplitudes)
    u = 0.0
    for n, amplitude in enumerate(amplitudes):
        u = factors[n] * u + amplitude
        fires = u >= theta or (signed and u <= -theta)
        if fires and reset == "mod":
            # fmod is exact in IEEE arithmetic, so |remainder| < θ holds
            # bit for bit, which a u − trunc(u/θ)·θ computation cannot promise.
            remainder = math.fmod(u, theta)
            out[n] = round((u - remainder) / theta) * theta
            u = remainder
        elif fires:
            out[n] = math.copysign(theta, u)
            u = 0.0 if reset == "zero" else u - out[n]
        residual[n] = u
    return out, residual


def decay_from_alpha(alpha, decay_shift):
    """Integer leak factor d = round(2^F · e^(−α)) of a per-step leak rate α."""
    alpha = ALPHA.check(alpha, "alpha")
    decay_shift = NEURON_RANGES["decay_shift"].check("decay_shift", decay_shift)
    if math.isinf(alpha):
        return 0
    return int(round((1 << decay_shift) * math.exp(-alpha)))
