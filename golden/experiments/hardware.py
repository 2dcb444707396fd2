"""The bit-exact integer neuron against the real-valued one (SPEC §5.3).

Both models see the same integer input trains (one current per time step,
uniform in [−Aθ, Aθ]): the integer core of SPEC §1 (:func:`lifq.golden.simulate`,
or the RTL itself) and the real-valued LIF of SPEC §2 (:func:`lifq.golden.lif_real`
at unit spike gaps).  Three sweeps show what the hardware changes:

* **leak** — d = round(2^F·e^(−α)) and the truncating leak.  The hardware is
  an exact θ-quantizer for *its own* leak D(v) = trunc(v·d/2^F): the
  integer-leak norm ‖x − θk‖_{A,D} = max |v| ≤ θ − 1.  Measured with the exact
  leak e^(−α), the error can exceed θ, by at most the drift of
  :func:`exact_leak_bound`, a few LSBs when F is large.
* **spike_bits** — reset-to-mod keeps ‖x − θk‖_{A,D} < θ only while every
  input |i| ≤ (2^q − 1)·θ; beyond, the capped count leaves charge behind.
* **width** — saturating the membrane at W bits: reset-to-mod never reaches
  the clamp (|v| < θ), reset-by-subtraction piles up charge that the clamp
  then throws away.

Every run of a setting is one neuron of one core, so one simulation covers
all runs.  Errors are in LSBs (the integer unit of the currents).
"""

import dataclasses
import math

import numpy as np

from lifq.golden import alexiewicz, decay_from_alpha, lif_real, simulate
from lifq.spec import InputError, LIFConfig, value_text
from lifq.spec.limits import check_fits
from lifq.spec.ranges import SEED_RANGE

from . import Limit, check_parameters

__all__ = ["LIMITS", "SWEEPS", "HardwareSweeps", "hardware_vs_real", "exact_leak_bound",
           "check", "integer_model", "engine_name", "default_widths"]

LIMITS = {
    "runs": Limit(1, 65536, integer=True),  # one neuron per run in one core
    "steps": Limit(1, 100_000, integer=True),
    "theta": Limit(1, 2 ** 31 - 1, integer=True),
    "alphas": Limit(0, math.inf, infinite=True),
    "amplitude": Limit(0, 2 ** 31, above_low=True),
    "width_amplitude": Limit(0, 2 ** 31, above_low=True),
    "decay_shifts": Limit(0, 16, integer=True),
    "spike_bits": Limit(1, 8, integer=True),
    "spike_amplitudes": Limit(0, 2 ** 31, above_low=True),
    "widths": Limit(4, 32, integer=True),
    "seed": Limit(*SEED_RANGE.bounds(), integer=True),
}

SWEEPS = ("leak", "spike_bits", "width")

# Settings a sweep does not vary: 32-bit membranes (no clamp) outside the width
# sweep, the default leak precision outside the leak sweep, the SPEC's q.
FULL_WIDTH = 32
INPUT_WIDTH = 32
DECAY_SHIFT = 12
SPIKE_BITS = 4


@dataclasses.dataclass(frozen=True)
class HardwareSweeps:
    """Rows of the three sweeps (empty for a sweep not run).

    Attributes
    ----------
    leak, spike_bits, width : list of dict
        One row per setting; see :func:`hardware_vs_real` for the keys.
    settings : dict
        theta, runs, steps, amplitude, width_amplitude, engine, seed, and
        slow_alpha, the α of the spike_bits and width sweeps.
    """

    leak: list
    spike_bits: list
    width: list
    settings: dict

    def to_json(self):
        return {"experiment": "hardware", **self.settings, "leak": self.leak,
                "spike_bits": self.spike_bits, "width": self.width}


def default_widths(theta):
    """Membrane widths for the width sweep: the narrowest that holds θ, and up."""
    narrowest = max(4, int(theta).bit_length() + 1)
    return tuple(sorted({min(32, narrowest + extra) for extra in (0, 2, 4, 8)}))


def check(values, spell=str):
    """Check the parameters of :func:`hardware_vs_real`; raise :class:`InputError`.

    ``spell`` turns a parameter name into the name the message uses.
    """
    check_parameters(values, LIMITS, spell)
    theta = values.get("theta", 64)
    for name in ("amplitude", "width_amplitude", "spike_amplitudes"):
        for amplitude in np.atleast_1d(values.get(name, ())):
            if amplitude * theta > 2 ** (INPUT_WIDTH - 1) - 1:
                raise InputError(f"{spell(name)} = {amplitude:g} is out of range for "
                                 f"{spell('theta')} = {theta}: allowed A·θ ≤ "
                                 f"{2 ** (INPUT_WIDTH - 1) - 1}")
    narrowest = int(theta).bit_length() + 1
    for width in values.get("widths") or ():
        if width < narrowest:
            raise InputError(f"{spell('widths')} = {width} cannot hold {spell('theta')} = "
                             f"{theta}: allowed {narrowest} … 32")
    if "runs" in values and "steps" in values:
        # The draws, their currents, and simulate's spikes and membranes: ~6 doubles each.
        check_fits(6 * 8 * values["runs"] * values["steps"],
                   f"{spell('runs')} × {spell('steps')} = {values['runs']} × {values['steps']}")
    chosen = values.get("sweeps", ())
    for item in [chosen] if isinstance(chosen, str) else chosen:
        if item not in SWEEPS:
            raise InputError(f"{spell('sweeps')} = {value_text(item)} is unknown: allowed "
                             + ", ".join(SWEEPS))
    if "engine" in values:
        integer_model(values["engine"])


def exact_leak_bound(theta, alpha, decay, decay_shift):
    """Largest error of reset-to-mod hardware under the exact leak e^(−α), in LSBs.

    The hardware keeps S'_n = D(S'_{n−1}) + e_n = v_n with |v| ≤ θ − 1; the
    exact norm runs S_n = β·S_{n−1} + e_n with β = e^(−α).  Their difference
    obeys S_n − v_n = β·(S_{n−1} − v_{n−1}) + (β·v_{n−1} − D(v_{n−1})), and the
    last term is below c = |β − d/2^F|·(θ − 1) + 1 (the 1 is the truncation,
    absent when D is exact: d = 0 or d = 2^F).  Summing the geometric series,
    |S_n| < θ − 1 + c/(1 − β).

    Valid for reset-to-mod while no input exceeds (2^q − 1)·θ and the
    membrane never saturates.

    Returns
    -------
    float
        The bound; ``inf`` for α = 0 with an inexact leak.
    """
    beta = math.exp(-alpha)
    scale = 1 << decay_shift
    drift = abs(beta - decay / scale) * (theta - 1) + (1 if 0 < decay < scale else 0)
    if drift == 0:
        return float(theta - 1)
    if beta == 1:
        return math.inf
    return theta - 1 + drift / (1 - beta)


def integer_model(engine):
    """The integer simulator of an engine: ``model(cfg, currents) -> (spikes, v)``.

    ``engine`` is ``"golden"`` or an engine object of a higher layer (e.g.
    :class:`lifq.sim.engines.RtlEngine`): callable like :func:`simulate`,
    with a ``name``.
    """
    if engine == "golden":
        return simulate
    if callable(engine) and isinstance(getattr(engine, "name", None), str):
        return engine
    raise InputError(f"engine = {value_text(engine)} is unknown: allowed \"golden\" or an engine "
                     "object such as lifq.sim.engines.RtlEngine")


def engine_name(engine):
    return engine if isinstance(engine, str) else getattr(engine, "name", repr(engine))


class _Comparison:
    """Runs configurations on one engine against the cached real-valued model."""

    def __init__(self, unit_currents, theta, engine):
        self.unit_currents = unit_currents
        self.theta = theta
        self.engine = engine
        self.model = integer_model(engine)
        self.times = np.arange(unit_currents.shape[0], dtype=np.float64)
        self._currents = {}
        self._real = {}

    def currents(self, amplitude):
        # The same uniform draw scaled by A: settings differ by A, not by noise.
        if amplitude not in self._currents:
            peak = round(amplitude * self.theta)
            self._currents[amplitude] = np.clip(np.round(self.unit_currents * amplitude
                                                         * self.theta), -peak, peak
                                                ).astype(np.int64)
        return self._currents[amplitude]

    def real_output(self, amplitude, alpha, reset):
        """Output θ·k of the real-valued neuron (no width, no count cap), shape (T, runs)."""
        key = (amplitude, alpha, reset)
        if key not in self._real:
            currents = self.currents(amplitude).astype(np.float64)
            self._real[key] = np.stack(
                [lif_real(column, self.times, self.theta, alpha, reset=reset)[0]
                 for column in currents.T], axis=1)
        return self._real[key]

    def measure(self, amplitude, alpha, **parameters):
        """One row of metrics for one core configuration.

        Keys: reset, width, decay_shift, decay, spike_bits, the integer-leak
        error ‖x − θk‖_{A,D} over the runs (integer_leak_median, _max,
        at_least_theta: fraction of runs ≥ θ), the same under the exact leak
        (exact_leak_median, _max, _at_least_theta), max_abs_v, saturated
        (fraction of runs whose membrane reached the clamp), steps_differ
        (fraction of steps where the output differs from the real model's),
        and engine_mismatches (entries that differ from the golden model;
        engines other than golden only).
        """
        currents = self.currents(amplitude)
        cfg = LIFConfig(neurons=currents.shape[1], input_width=INPUT_WIDTH,
                        threshold=self.theta, **parameters)
        spikes, v = self.model(cfg, currents)
        error = currents - spikes * self.theta
        integer_leak = alexiewicz(error, decay=cfg.decay, decay_shift=cfg.decay_shift)
        exact_leak = alexiewicz(error, times=self.times, alpha=alpha)
        real = self.real_output(amplitude, alpha, cfg.reset)
        row = {
            "reset": cfg.reset, "width": cfg.width, "decay_shift": cfg.decay_shift,
            "decay": cfg.decay, "spike_bits": cfg.spike_bits,
            "integer_leak_median": float(np.median(integer_leak)),
            "integer_leak_max": int(integer_leak.max()),
            "integer_leak_at_least_theta": float(np.mean(integer_leak >= self.theta)),
            "exact_leak_median": float(np.median(exact_leak)),
            "exact_leak_max": float(exact_leak.max()),
            "exact_leak_at_least_theta": float(np.mean(exact_leak >= self.theta)),
            "max_abs_v": int(np.abs(v).max()),
            "saturated": float(np.mean(((v == cfg.v_max) | (v == cfg.v_min)).any(axis=0))),
            "steps_differ": float(np.mean(spikes * self.theta != real)),
        }
        if self.engine != "golden":
            golden_spikes, golden_v = simulate(cfg, currents)
            row["engine_mismatches"] = int(np.sum((golden_spikes != spikes) | (golden_v != v)))
        return row


def hardware_vs_real(runs=100, steps=200, theta=64, alphas=(1.0, 0.1), amplitude=1.5,
                     decay_shifts=(2, 4, 6, 8, 10, 12, 16), spike_bits=(1, 2, 3, 4),
                     spike_amplitudes=(1, 2, 4, 8, 16), widths=None, width_amplitude=4.0,
                     sweeps=SWEEPS,
                     engine="golden", seed=2023, progress=None):
    """Run the hardware sweeps.

    Parameters
    ----------
    runs : int
        Random input trains per setting (neurons of the simulated core).
    steps : int
        Time steps of each train.
    theta : int
        Threshold θ in LSBs.
    alphas : sequence of float
        Leak rates of the leak sweep; the other sweeps use the smallest, where
        charge lingers longest.
    amplitude : float
        A of the leak sweep: currents uniform in [−Aθ, Aθ].
    decay_shifts : sequence of int
        F of the leak sweep (reset-to-mod, q = 4, 32-bit membrane).
    spike_bits : sequence of int
        q of the spike_bits sweep (reset-to-mod, F = 12, 32-bit membrane).
    spike_amplitudes : sequence of float
        A of the spike_bits sweep.
    widths : sequence of int, optional
        W of the width sweep (every reset, q = 4, F = 12); default
        :func:`default_widths`.
    width_amplitude : float
        A of the width sweep; large enough by default that reset-by-subtraction
        outgrows the narrow widths, small enough (≤ 2^q − 1) for reset-to-mod.
    sweeps : sequence of str
        Which of ``"leak"``, ``"spike_bits"``, ``"width"`` to run.
    engine : str or engine object
        ``"golden"`` (:func:`lifq.golden.simulate`) or an engine of a higher
        layer such as :class:`lifq.sim.engines.RtlEngine` (the RTL).
    seed : int
    progress : callable, optional
        Called as ``progress(done, total)`` after each configuration.

    Returns
    -------
    HardwareSweeps
        Rows as :meth:`_Comparison.measure` makes them, plus the swept
        values: leak rows add alpha, beta_hardware (d/2^F) and
        exact_leak_bound; spike_bits rows add amplitude and k_max; width rows
        add amplitude.
    """
    alphas, decay_shifts = tuple(alphas), tuple(decay_shifts)
    spike_bits, spike_amplitudes = tuple(spike_bits), tuple(spike_amplitudes)
    widths = default_widths(theta) if widths is None else tuple(widths)
    sweeps = (sweeps,) if isinstance(sweeps, str) else tuple(sweeps)
    check(dict(runs=runs, steps=steps, theta=theta, alphas=alphas, amplitude=amplitude,
               decay_shifts=decay_shifts, spike_bits=spike_bits,
               spike_amplitudes=spike_amplitudes, widths=widths,
               width_amplitude=width_amplitude, sweeps=sweeps,
               engine=engine, seed=seed))
    unit_currents = np.random.default_rng(seed).uniform(-1.0, 1.0, (steps, runs))
    comparison = _Comparison(unit_currents, theta, engine)
    slow_alpha = min(alphas)

    plan = []  # (sweep, extra row fields, measure arguments)
    if "leak" in sweeps:
        for alpha in alphas:
            for shift in decay_shifts:
                decay = decay_from_alpha(alpha, shift)
                plan.append(("leak", {"alpha": alpha, "beta_hardware": decay / (1 << shift),
                                      "exact_leak_bound": exact_leak_bound(theta, alpha,
                                                                           decay, shift)},
                             dict(amplitude=amplitude, alpha=alpha, reset="mod",
                                  width=FULL_WIDTH, decay_shift=shift, decay=decay,
                                  spike_bits=SPIKE_BITS)))
    if "spike_bits" in sweeps:
        for bits in spike_bits:
            for spike_amplitude in spike_amplitudes:
                plan.append(("spike_bits", {"amplitude": spike_amplitude,
                                            "k_max": (1 << bits) - 1},
                             dict(amplitude=spike_amplitude, alpha=slow_alpha, reset="mod",
                                  width=FULL_WIDTH, decay_shift=DECAY_SHIFT,
                                  decay=decay_from_alpha(slow_alpha, DECAY_SHIFT),
                                  spike_bits=bits)))
    if "width" in sweeps:
        for reset in ("zero", "subtract", "mod"):
            for width in widths:
                plan.append(("width", {"amplitude": width_amplitude},
                             dict(amplitude=width_amplitude, alpha=slow_alpha, reset=reset,
                                  width=width, decay_shift=DECAY_SHIFT,
                                  decay=decay_from_alpha(slow_alpha, DECAY_SHIFT),
                                  spike_bits=SPIKE_BITS)))

    rows = {sweep: [] for sweep in SWEEPS}
    for done, (sweep, extra, arguments) in enumerate(plan, start=1):
        rows[sweep].append({**extra, **comparison.measure(**arguments)})
        if progress is not None:
            progress(done, len(plan))
    settings = {"theta": theta, "runs": runs, "steps": steps, "amplitude": amplitude,
                "width_amplitude": width_amplitude, "slow_alpha": slow_alpha,
                "engine": engine_name(engine), "seed": seed}
    return HardwareSweeps(rows["leak"], rows["spike_bits"], rows["width"], settings)
