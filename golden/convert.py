"""ANN → SNN conversion of SPEC §7: a float ReLU MLP becomes a §6 network.

The recipe (per layer ℓ; B = ``weight_bits``, K = 2^q − 1 for reset-to-mod
and 1 for zero and subtract):

1. **What one input unit is worth.**  u_1 = ``input_scale`` (the float model
   sees u_1·x for the integer input x); u_ℓ = δ_{ℓ−1}, the value of one spike
   of the layer before.  The float weights applied to integer inputs are
   A_ℓ = W_ℓᶠ·u_ℓ.
2. **Weights**, symmetric per layer: s_ℓ = (2^(B−1) − 1)/max|A_ℓ|,
   W_ℓ = round(s_ℓ·A_ℓ); **bias** b_ℓ = round(s_ℓ·b_ℓᶠ), in the same units as
   the pre-activation.
3. **Threshold** of a hidden layer from the float ReLU activations h of the
   calibration data: the clipping point λ_ℓ is a percentile of the positive
   h (default 99.9), or the λ that minimises the quantisation error
   E[(h − Q(h))²] of the rate code (SQNR-optimal, Castagnetti et al. 2023).
   θ_ℓ = max(1, round(s_ℓ·λ_ℓ/K)): λ maps to K spikes per step under mod,
   one under zero and subtract.
4. **Spike value** δ_ℓ = θ_ℓ/s_ℓ, from the *rounded* θ, so its rounding is
   absorbed by the next layer's weights.
5. **initial_membrane** = ⌊θ/2⌋ (Bu et al. 2022; ``initial_membrane="zero"``
   turns it off): at T = 1 under mod the neuron then rounds to nearest and
   the layer is exactly the q-bit quantised ReLU k = clip(round(z/θ), 0, K).
6. Hidden neurons are unsigned (a ReLU is never negative); the **output
   layer integrates**: θ_L = 2^(W_L−1) − 1 lies above every membrane it can
   reach in ``steps`` timesteps, so it never spikes and its score is
   Σ_t(i_L + b_L) ≈ T·s_L·(float logits).

Widths are worst-case bounds, so nothing saturates: ``input_width`` holds
max_n Σ_j |W[n][j]|·max|a| and the bias, ``width`` holds |v0| plus ``steps``
steps of the largest drive (both capped at the 32 bits of SPEC §1, beyond
which saturation becomes possible).
"""

import dataclasses
import math
import numbers

import numpy as np

from lifq.spec import (LAYER_RANGES, NETWORK_RANGES, NEURON_RANGES, RESETS, InputError, LayerConfig,
                       LIFConfig, NetworkConfig, check_integer, value_text)

__all__ = ["FloatMLP", "Conversion", "LayerScale", "convert", "check_settings",
           "THRESHOLD_METHODS", "INITIAL_MEMBRANES", "clipping_point", "sqnr_clipping_point"]

THRESHOLD_METHODS = ("percentile", "sqnr")
INITIAL_MEMBRANES = ("half", "zero")
MAX_STEPS = 1 << 16

# Candidate clipping points of the SQNR-optimal threshold, relative to max h:
# log-spaced, 1.7 % apart, so that a long tail can be clipped far below its end.
SQNR_GRID = np.geomspace(1e-3, 1.0, 400)


@dataclasses.dataclass(frozen=True, eq=False)
class FloatMLP:
    """A float ReLU multi-layer perceptron: dense layers, ReLU between them.

    Parameters
    ----------
    weights : sequence of ndarray
        W_ℓ of shape (N_ℓ, N_{ℓ−1}), outputs × inputs (as ``torch.nn.Linear``).
    biases : sequence of ndarray
        b_ℓ of shape (N_ℓ,).
    input_scale : float
        The model sees ``input_scale · x`` for the integer network input x.
    """

    weights: tuple
    biases: tuple
    input_scale: float = 1.0

    def __post_init__(self):
        if len(self.weights) != len(self.biases) or not self.weights:
            raise InputError("a float model needs one bias per weight matrix and at least one "
                             "layer")
        weights, biases = [], []
        for number, (w, b) in enumerate(zip(self.weights, self.biases)):
            w = _finite(f"W{number}", w, 2)
            b = _finite(f"b{number}", b, 1)
            if b.shape[0] != w.shape[0]:
                raise InputError(f"b{number} has {b.shape[0]} value(s) but W{number} has "
                                 f"{w.shape[0]} row(s): one bias per output")
            if number and w.shape[1] != weights[-1].shape[0]:
                raise InputError(f"W{number} has {w.shape[1]} column(s) but W{number - 1} has "
                                 f"{weights[-1].shape[0]} row(s): W_ℓ is outputs × inputs")
            weights.append(w)
            biases.append(b)
        scale = self.input_scale
        if isinstance(scale, bool) or not isinstance(scale, numbers.Real) \
                or not math.isfinite(scale) or scale <= 0:
            raise InputError(f"input_scale = {value_text(scale)} must be a number > 0")
        object.__setattr__(self, "weights", tuple(weights))
        object.__setattr__(self, "biases", tuple(biases))
        object.__setattr__(self, "input_scale", float(scale))

    @classmethod
    def from_sklearn(cls, mlp, input_scale=1.0):
        """The float model of a fitted scikit-learn ``MLPClassifier`` with ReLU."""
        activation = getattr(mlp, "activation", None)
        if activation != "relu":
            raise InputError(f"the MLP's activation is {value_text(activation)}: conversion "
                             "needs \"relu\"")
        if mlp.coefs_[-1].shape[1] < 2:
            raise InputError("the MLP has one output: conversion needs one output per class")
        return cls(weights=tuple(c.T for c in mlp.coefs_), biases=tuple(mlp.intercepts_),
                   input_scale=input_scale)

    @classmethod
    def from_arrays(cls, arrays):
        """The float model of a mapping ``W0, b0, W1, b1, …`` (and ``input_scale``)."""
        count = sum(1 for key in arrays if key.startswith("W"))
        expected = {f"{name}{n}" for n in range(count) for name in "Wb"} | {"input_scale"}
        unknown = sorted(set(arrays) - expected)
        if unknown:
            raise InputError(f"unknown array {value_text(unknown[0])}: allowed W0, b0, W1, b1, … "
                             "(consecutive) and input_scale")
        missing = sorted(expected - set(arrays) - {"input_scale"})
        if missing or not count:
            raise InputError(f"missing array {missing[0] if missing else 'W0'!r}: a float "
                             "model is W0, b0, W1, b1, …")
        scale = arrays.get("input_scale", 1.0)
        if isinstance(scale, np.ndarray):
            if scale.shape != () or scale.dtype.kind not in "iuf":
                raise InputError("input_scale must be one number")
            scale = scale.item()
        return cls(weights=tuple(arrays[f"W{n}"] for n in range(count)),
                   biases=tuple(arrays[f"b{n}"] for n in range(count)), input_scale=scale)

    def to_arrays(self):
        """The mapping :meth:`from_arrays` reads (to save with ``np.savez``)."""
        arrays = {"input_scale": np.float64(self.input_scale)}
        for number, (w, b) in enumerate(zip(self.weights, self.biases)):
            arrays[f"W{number}"], arrays[f"b{number}"] = w, b
        return arrays

    @property
    def inputs(self):
        return self.weights[0].shape[1]

    @property
    def outputs(self):
        return self.weights[-1].shape[0]

    @property
    def sizes(self):
        return (self.inputs,) + tuple(w.shape[0] for w in self.weights)

    def hidden_activations(self, x):
        """The ReLU activations of every hidden layer for integer inputs x (S × N_0)."""
        return self._forward(x)[0]

    def logits(self, x):
        """The output layer's pre-activations for integer inputs x (S × N_0)."""
        return self._forward(x)[1]

    def predict(self, x):
        """argmax of the logits, per sample."""
        return np.argmax(self.logits(x), axis=1)

    def _forward(self, x):
        a = np.asarray(x, dtype=np.float64) * self.input_scale
        hidden = []
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            a = np.maximum(a @ w.T + b, 0.0)
            hidden.append(a)
        return hidden, a @ self.weights[-1].T + self.biases[-1]


def _finite(name, value, dimensions):
    array = np.asarray(value)
    if array.ndim != dimensions or 0 in array.shape:
        shape = "a non-empty matrix" if dimensions == 2 else "a non-empty vector"
        raise InputError(f"{name} must be {shape}, got shape {array.shape}")
    if array.dtype.kind not in "iuf":
        raise InputError(f"{name} must hold numbers, not {array.dtype.name}")
    array = array.astype(np.float64)  # a private copy, read-only below
    if not np.isfinite(array).all():
        raise InputError(f"{name} holds a NaN or an infinity")
    array.flags.writeable = False
    return array


@dataclasses.dataclass(frozen=True)
class LayerScale:
    """What the integers of one converted layer mean in the float model.

    Attributes
    ----------
    input_value : float
        Float value of one unit of the layer's input: ``input_scale`` for the
        first layer, the spike value δ of the layer before otherwise.
    weight_scale : float
        s_ℓ: integer weight = round(s_ℓ · float weight · input_value); the
        integer current is s_ℓ times the float pre-activation.
    clip : float or None
        λ_ℓ, the clipping point of a hidden layer's ReLU (float units).
    spike_value : float or None
        δ_ℓ = θ_ℓ/s_ℓ: the float activation one spike (k = 1) stands for.
    score_value : float or None
        Output layer: 1/s_L, the float logit one score unit per timestep
        stands for (score ≈ T·s_L·logit).
    """

    input_value: float
    weight_scale: float
    clip: float = None
    spike_value: float = None
    score_value: float = None


@dataclasses.dataclass(frozen=True)
class Conversion:
    """A converted network and the scales that say what its integers mean.

    Attributes
    ----------
    network : NetworkConfig
    scales : tuple of LayerScale
        One per layer.
    settings : dict
        The options of :func:`convert`, defaults filled in.
    """

    network: NetworkConfig
    scales: tuple
    settings: dict


def convert(model, calibration, *, reset="mod", spike_bits=4, weight_bits=8, input_bits=None,
            threshold="percentile", percentile=99.9, initial_membrane="half", steps=32):
    """Convert a float ReLU MLP into an integer LIF network (SPEC §7).

    Parameters
    ----------
    model : FloatMLP
    calibration : array_like of int, shape (S, N_0)
        Network inputs whose float ReLU activations set the thresholds
        (typically the training set).
    reset : str
        Reset of the hidden neurons: ``"zero"``, ``"subtract"`` or ``"mod"``.
    spike_bits : int
        q of the hidden neurons, 1 … 8 (reset-to-mod emits up to 2^q − 1).
    weight_bits : int
        B, 2 … 16.
    input_bits : int or None
        Bits of the network input; None: the fewest that hold the
        calibration data.
    threshold : str
        ``"percentile"`` (clipping point = ``percentile`` of the positive
        activations) or ``"sqnr"`` (the SQNR-optimal clipping point).
    percentile : float
        0 < p ≤ 100.
    initial_membrane : str
        ``"half"``: v0 = ⌊θ/2⌋ for the hidden layers; ``"zero"``: v0 = 0.
    steps : int
        The largest T the network is meant for: it sizes the membrane widths
        and, for ``threshold="sqnr"`` with zero or subtract, sets the number
        of levels of the rate code (T spikes at most).

    Returns
    -------
    Conversion
    """
    settings = check_settings(reset=reset, spike_bits=spike_bits, weight_bits=weight_bits,
                              threshold=threshold, percentile=percentile,
                              initial_membrane=initial_membrane, steps=steps)
    x = _checked_calibration(model, calibration)
    settings["input_bits"] = input_bits = _input_bits(x, input_bits)
    hidden = model.hidden_activations(x)
    value = model.input_scale                         # float value of one input unit
    largest_input = 1 << (input_bits - 1)             # max |x| in input_bits
    layers, scales = [], []
    for number, (w, b) in enumerate(zip(model.weights, model.biases)):
        weights, scale = _quantised(w * value, weight_bits)
        bias = np.rint(b * scale).astype(np.int64)
        current = int((np.abs(weights).sum(axis=1) * largest_input).max())
        input_width = _input_width(current, bias, number)
        drive = min(current, 1 << (input_width - 1)) + int(np.abs(bias).max())
        if number == len(model.weights) - 1:
            layers.append(_output_layer(weights, bias, weight_bits, input_width, drive, steps))
            scales.append(LayerScale(input_value=value, weight_scale=scale,
                                     score_value=1.0 / scale))
            break
        neuron, clip = _hidden_neuron(hidden[number], number, scale, settings, input_width,
                                      drive, len(weights))
        layers.append(LayerConfig(neuron=neuron, weights=weights, bias=bias,
                                  weight_bits=weight_bits))
        spike_value = neuron.threshold / scale
        scales.append(LayerScale(input_value=value, weight_scale=scale, clip=clip,
                                 spike_value=spike_value))
        value, largest_input = spike_value, neuron.k_max
    network = NetworkConfig(inputs=model.inputs, input_bits=input_bits, layers=tuple(layers))
    return Conversion(network=network, scales=tuple(scales), settings=settings)


def check_settings(*, reset, spike_bits, weight_bits, threshold, percentile,
                   initial_membrane, steps):
    """The options of :func:`convert` as a dict, or :class:`InputError` for the first bad one.

    :func:`convert` calls it; callers with a long job before the conversion
    (training) call it first to fail fast.
    """
    settings = dict(reset=reset, spike_bits=spike_bits, weight_bits=weight_bits,
                    threshold=threshold, percentile=percentile,
                    initial_membrane=initial_membrane, steps=steps)
    if settings["reset"] not in RESETS:
        raise InputError(f"reset = {value_text(settings['reset'])} is unknown: allowed "
                         + ", ".join(f'"{r}"' for r in RESETS))
    NEURON_RANGES["spike_bits"].check("spike_bits", settings["spike_bits"])
    LAYER_RANGES["weight_bits"].check("weight_bits", settings["weight_bits"])
    check_integer("steps", settings["steps"], 1, MAX_STEPS)
    for name, allowed in (("threshold", THRESHOLD_METHODS),
                          ("initial_membrane", INITIAL_MEMBRANES)):
        if settings[name] not in allowed:
            raise InputError(f"{name} = {value_text(settings[name])} is unknown: allowed "
                             + ", ".join(f'"{a}"' for a in allowed))
    p = settings["percentile"]
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 < p <= 100:
        raise InputError(f"percentile = {value_text(p)} is out of range: allowed 0 < p ≤ 100")
    return settings


def _checked_calibration(model, calibration):
    x = np.asarray(calibration)
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] != model.inputs:
        raise InputError(f"calibration data must be S×{model.inputs} (one input vector per "
                         f"row), got shape {x.shape}")
    if x.dtype.kind not in "iu":
        raise InputError(f"calibration data must be integer network inputs, not "
                         f"{x.dtype.name}")
    return x.astype(np.int64)


def _input_bits(x, input_bits):
    """The given ``input_bits`` (checked against x), or the fewest that hold x."""
    largest = max(int(x.max()), -int(x.min()) - 1, 0)
    low, high = NETWORK_RANGES["input_bits"].bounds()
    needed = max(low, largest.bit_length() + 1)
    if input_bits is None:
        if needed > high:
            raise InputError(f"the calibration data need {needed} input bits: allowed "
                             f"{low} … {high}")
        return needed
    input_bits = NETWORK_RANGES["input_bits"].check("input_bits", input_bits)
    if needed > input_bits:
        raise InputError(f"input_bits = {input_bits} cannot hold the calibration data: its "
                         f"values need {needed} bits")
    return input_bits


def _quantised(weights, bits):
    """Symmetric per-layer quantisation: (round(s·W), s) with s = (2^(B−1) − 1)/max|W|."""
    largest = (1 << (bits - 1)) - 1
    peak = float(np.abs(weights).max())
    scale = largest / peak if peak > 0 else 1.0
    return np.clip(np.rint(weights * scale), -largest, largest).astype(np.int64), scale


def _input_width(current, bias, number):
    """Bits of a current that never saturates: max Σ|W|·|a| and the bias fit."""
    low, high = NEURON_RANGES["input_width"].bounds()
    largest_bias = int(np.abs(bias).max())
    if largest_bias.bit_length() + 1 > high:
        raise InputError(f"layers[{number}]: the bias needs more than input_width = {high} "
                         "bits: lower weight_bits")
    bits = max(current, largest_bias).bit_length() + 1
    return min(max(bits, low), high)


def _membrane_width(reach, threshold=0):
    """Bits of a membrane that holds ±``reach`` and θ, at most 32."""
    low, high = NEURON_RANGES["width"].bounds()
    bits = max(reach.bit_length(), threshold.bit_length()) + 1
    return min(max(bits, low), high)


def _hidden_neuron(h, number, scale, settings, input_width, drive, neurons):
    """The neuron config of hidden layer ``number`` and its clipping point λ."""
    reset, spike_bits = settings["reset"], settings["spike_bits"]
    levels = (1 << spike_bits) - 1 if reset == "mod" else 1
    if not (h > 0).any():
        raise InputError(f"layers[{number}]: no positive ReLU activation on the calibration "
                         "data, so no threshold can be set")
    half = settings["initial_membrane"] == "half"
    if settings["threshold"] == "percentile":
        clip = clipping_point(h, settings["percentile"])
    else:
        clip = sqnr_clipping_point(h, levels if reset == "mod" else settings["steps"], half)
    threshold = max(1, int(np.rint(scale * clip / levels)))
    v0 = threshold // 2 if half else 0
    width = _membrane_width(v0 + settings["steps"] * drive, threshold)
    return LIFConfig(neurons=neurons, width=width, input_width=input_width, threshold=threshold,
                     reset=reset, signed=False, spike_bits=spike_bits,
                     initial_membrane=v0), clip


def _output_layer(weights, bias, weight_bits, input_width, drive, steps):
    """The integrating output layer: θ above every membrane reachable in ``steps``."""
    neuron = LIFConfig(neurons=len(weights), width=_membrane_width(steps * drive + 1),
                       input_width=input_width, threshold=1, reset="subtract", signed=True)
    neuron = neuron.replace(threshold=neuron.v_max)
    return LayerConfig(neuron=neuron, weights=weights, bias=bias, weight_bits=weight_bits)


def clipping_point(h, percentile):
    """The ``percentile`` of the positive entries of ``h`` (all neurons pooled)."""
    return float(np.percentile(h[h > 0], percentile))


def sqnr_clipping_point(h, levels, half=True):
    """The clipping point λ that minimises E[(h − Q(h))²] over the positive h.

    Q is the uniform quantiser of the rate code: step δ = λ/``levels``,
    Q(h) = clip(⌊h/δ + ½⌋, 0, levels)·δ with ``half`` (initial membrane θ/2,
    rounding to nearest), ⌊h/δ⌋ without.  Maximising the SQNR of Q is
    minimising this error (Castagnetti et al. 2023).  λ is searched on a grid
    of 400 points, log-spaced from 0.1 % to 100 % of max h.
    """
    h = h[h > 0]
    offset = 0.5 if half else 0.0
    best_error, best_clip = math.inf, float(h.max())
    for clip in SQNR_GRID * h.max():
        step = clip / levels
        quantised = np.clip(np.floor(h / step + offset), 0, levels) * step
        error = float(np.mean((h - quantised) ** 2))
        if error < best_error:
            best_error, best_clip = error, float(clip)
    return best_clip
