"""Error norms of SPEC §2: the (leaky) Alexiewicz norm in its three forms, and SQNR."""

import math

import numpy as np

from lifq.spec import NEURON_RANGES, InputError, check_integer

from .arguments import ALPHA, BETA, finite_array
from .model import leak

__all__ = ["alexiewicz", "decay_factors", "sqnr"]


def alexiewicz(x, beta=1.0, *, times=None, alpha=None, decay=None, decay_shift=None):
    """Leaky Alexiewicz norm of a train ``x``, in one of three forms.

    * discrete (default): S_n = β·S_{n−1} + x_n, result max_n |S_n|;
      β = 1 is the plain norm max_n |Σ_{i≤n} x_i|, β = 0 is max |x_n|.
    * continuous time (``times`` and ``alpha``): spikes at times t_n,
      S_n = e^(−α(t_n − t_{n−1}))·S_{n−1} + x_n; ``alpha = math.inf`` forgets
      everything between spikes.
    * integer leak (``decay`` and ``decay_shift``): S_n = D(S_{n−1}) + x_n with
      the hardware leak D(S) = trunc(S·d/2^F), exact for integer trains.

    Parameters
    ----------
    x : array_like, shape (T,) or (T, N)
        The train; a 2-D train gives one norm per column.
    beta : float
        Per-step leak factor of the discrete form, 0 … 1.

    Returns
    -------
    float or int, or ndarray of shape (N,)
        The norm (an exact integer in the integer-leak form).
    """
    if (times is None) != (alpha is None):
        raise InputError("the continuous-time norm needs both times and alpha")
    if (decay is None) != (decay_shift is None):
        raise InputError("the integer-leak norm needs both decay and decay_shift")
    if times is not None and decay is not None:
        raise InputError("choose one form: times/alpha or decay/decay_shift")

    if decay is not None:
        decay_shift = NEURON_RANGES["decay_shift"].check("decay_shift", decay_shift)
        decay = check_integer("decay", decay, 0, 1 << decay_shift)
        x = finite_array("x", x, dimensions=(1, 2))
        if (x != np.round(x)).any() or np.abs(x).max(initial=0) > 2.0 ** 52:
            raise InputError("x of the integer-leak norm must hold integers below 2^52")
        x = x.astype(np.int64)
        forget = lambda s, n: leak(s, decay, decay_shift)
        s = np.zeros(x.shape[1:], dtype=np.int64)
    else:
        x = finite_array("x", x, dimensions=(1, 2))
        s = np.zeros(x.shape[1:], dtype=np.float64)
        if times is None:
            beta = BETA.check(beta, "beta")
            forget = lambda s, n: beta * s
        else:
            times = finite_array("times", times, dimensions=(1,))
            if times.shape != x.shape[:1]:
                raise InputError("times must hold one time per spike")
            factors = decay_factors(times, ALPHA.check(alpha, "alpha"))
            forget = lambda s, n: factors[n] * s

    largest = np.zeros_like(s)
    for n in range(x.shape[0]):
        s = forget(s, n) + x[n]
        largest = np.maximum(largest, np.abs(s))
    return largest if largest.ndim else largest.item()


def decay_factors(times, alpha):
    """e^(−α·Δt) between consecutive spikes (the first factor is irrelevant)."""
    gaps = np.diff(times, prepend=times[:1] if len(times) else times)
    if (gaps < 0).any():
        raise InputError("times must not decrease")
    if math.isinf(alpha):
        return np.zeros_like(gaps)
    return np.exp(-alpha * gaps)


def sqnr(x, x_hat):
    """Signal-to-quantization-noise ratio 10·log10(E[x²] / E[(x − x̂)²]) in dB.

    Returns ``inf`` for a perfect reconstruction.
    """
    x = finite_array("x", x)
    x_hat = finite_array("x_hat", x_hat)
    if x.shape != x_hat.shape:
        raise InputError(f"x and x_hat must have one shape, not {x.shape} and {x_hat.shape}")
    noise = np.mean((x - x_hat) ** 2)
    signal = np.mean(x ** 2)
    if noise == 0:
        return math.inf
    return 10.0 * math.log10(signal / noise)
