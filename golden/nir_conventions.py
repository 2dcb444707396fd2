"""How lifq reads and writes NIR's continuous-time neurons (SPEC §8): the conventions in one place.

NIR describes neurons by differential equations; lifq's neuron (SPEC §1) is
a discrete step.  Both directions of the exchange use the forward-Euler step
of length ``dt`` (the framework's time step):

IF, ``dv/dt = r·I``
    v ← v + r·dt·I: no leak (d = 2^F) and an input gain g = r·dt.
LIF, ``τ·dv/dt = (v_leak − v) + r·I`` with v_leak = 0
    v ← (1 − dt/τ)·v + (r·dt/τ)·I: the leak factor β = 1 − dt/τ, stored as
    d = round(2^F·β), and the input gain g = r·dt/τ.

The gain multiplies the whole input of a neuron, so import folds it into
that neuron's row of weights and its bias; it may differ between neurons,
β may not (a layer shares d).  snnTorch writes τ = dt/(1 − β) and r = τ/dt
with dt = 10⁻⁴, so β comes back exactly and g = 1; Norse steps with
dt = 10⁻³ by default; Sinabs measures τ in steps (dt = 1) and writes r = 1.

Errors of the leak mapping, for one step of a membrane v:

* d/2^F is β rounded to F fraction bits: |β − d/2^F| ≤ 2^−(F+1)
  (1.2·10⁻⁴ for F = 12), so the leak differs by at most |v|·2^−(F+1);
* trunc(v·d/2^F) rounds the leaked membrane toward zero: less than 1 more;
* a framework that leaks by e^(−dt/τ) instead of 1 − dt/τ (Sinabs' LIF)
  differs by about (dt/τ)²/2, which no integer mapping removes.

Each error is at most |v|·2^−(F+1) + 1 per step; the membrane forgets it at
the rate β, so its effect on the membrane stays below
(v_max·2^−(F+1) + 1)/(1 − β) for β < 1.

lifq's export writes dt = 1 (time in steps): β = d/2^F, τ = 1/(1 − β),
r = τ (g = 1), and IF for d = 2^F.  What NIR has no field for goes into the
``metadata`` of the nodes under the keys below; import reads them back, so
export then import gives the same network.
"""

import math

__all__ = ["METADATA_PREFIX", "NEURON_METADATA", "WEIGHT_METADATA", "GRAPH_METADATA",
           "decay_from_tau", "tau_from_decay", "input_gain"]

#: Every metadata key lifq writes starts with this.
METADATA_PREFIX = "lifq_"

#: Neuron (IF, LIF) node metadata: the §1 parameters NIR does not store.
NEURON_METADATA = ("reset", "signed", "spike_bits", "width", "input_width", "initial_membrane",
                   "decay_shift", "decay", "programmable")

#: Affine or Linear node metadata.
WEIGHT_METADATA = ("weight_bits",)

#: Graph metadata.
GRAPH_METADATA = ("input_bits",)


def decay_from_tau(tau, dt, decay_shift):
    """β = 1 − dt/τ and d = round(2^F·β) for a LIF node's time constant.

    Parameters
    ----------
    tau : float
        τ, > 0.
    dt : float
        The framework's time step, > 0, at most τ (β ≥ 0).
    decay_shift : int
        F.

    Returns
    -------
    beta : float
    decay : int
        d, in 0 … 2^F.
    """
    beta = 1.0 - dt / tau
    return beta, int(round(beta * (1 << decay_shift)))


def tau_from_decay(decay, decay_shift, dt=1.0):
    """τ of the LIF node whose leak factor is d/2^F with time step ``dt``: dt/(1 − β).

    Infinite for d = 2^F (no leak; lifq exports that as IF).
    """
    beta = decay / (1 << decay_shift)
    return math.inf if beta == 1.0 else dt / (1.0 - beta)


def input_gain(kind, r, dt, tau=None):
    """The factor a neuron applies to its input in one step: r·dt (IF) or r·dt/τ (LIF).

    ``r`` (and ``tau``) may be arrays: one gain per neuron.
    """
    return r * dt if kind == "IF" else r * dt / tau
