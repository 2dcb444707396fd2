"""Test accuracy of a converted network against its float model, per reset and T.

The table of SPEC §7 as plain data: the float ANN's accuracy, the accuracy
of its integer weights with float activations (the weight quantisation
alone), and the SNN's accuracy and mean spike events per sample for every
reset and number of timesteps T, each sample shown the same input x at
every step (direct encoding).
"""

import dataclasses

import numpy as np

from lifq.spec import RESETS, InputError, check_integer, value_text

from .convert import MAX_STEPS, convert
from .network import simulate_network

__all__ = ["AccuracyTable", "accuracy_table", "snn_accuracy", "integer_weight_scores",
           "check_steps", "check_resets", "STEPS"]

STEPS = (1, 2, 4, 8, 16, 32)


@dataclasses.dataclass(frozen=True)
class AccuracyTable:
    """Accuracies as fractions (0 … 1).

    Attributes
    ----------
    dataset : str
    sizes : tuple of int
        N_0, N_1, …, N_L of the network.
    steps : tuple of int
        The T of the columns.
    resets : tuple of str
    ann : float
        The float model.
    ann_int : float
        The integer weights and biases of the reset-to-mod conversion with
        float ReLU activations (no activation quantisation).
    snn : dict
        reset → tuple of accuracies, one per T.
    events : dict
        reset → tuple of mean spike events per sample (non-zero k of every
        layer and step), one per T.
    settings : dict
        The conversion options.
    engine : str
        What ran the SNN: ``"golden"``, or the engine's ``name`` (a simulator).
    differing : dict or None
        With an engine: reset → tuple of the samples whose hardware outputs
        differ from the golden model (scores, or any transfer), one per T.
    cycles : dict or None
        With an engine: reset → tuple of the hardware's mean clock cycles per
        sample, one per T.
    """

    dataset: str
    sizes: tuple
    steps: tuple
    resets: tuple
    ann: float
    ann_int: float
    snn: dict
    events: dict
    settings: dict
    engine: str = "golden"
    differing: dict = None
    cycles: dict = None

    def first_within(self, reset, points=1.0):
        """The smallest T whose accuracy is within ``points`` percentage points
        of the float ANN's, or None."""
        for steps, accuracy in zip(self.steps, self.snn[reset]):
            if accuracy >= self.ann - points / 100:
                return steps
        return None

    def to_json(self):
        """``{"ann": a, "ann_int": a, "snn": {reset: {"T": a}}, "events": {…}, …}``."""
        def per_step(values):
            return {reset: {str(t): float(v) for t, v in zip(self.steps, values[reset])}
                    for reset in self.resets}
        document = {"dataset": self.dataset, "sizes": list(self.sizes), "ann": float(self.ann),
                    "ann_int": float(self.ann_int), "snn": per_step(self.snn),
                    "events": per_step(self.events), "settings": dict(self.settings),
                    "engine": self.engine}
        if self.differing is not None:
            document["differing"] = {reset: {str(t): int(v) for t, v in
                                             zip(self.steps, self.differing[reset])}
                                     for reset in self.resets}
            document["cycles"] = per_step(self.cycles)
        return document


def accuracy_table(model, dataset, *, steps=STEPS, resets=RESETS, progress=None, engine=None,
                   **options):
    """Convert ``model`` for each reset and measure it on the test set.

    Parameters
    ----------
    model : FloatMLP
    dataset : lifq.golden.datasets.Dataset
        The training inputs calibrate the thresholds; the test set is measured.
    steps : sequence of int
        The T to measure, each 1 … 65536.
    resets : sequence of str
    progress : callable, optional
        Called as ``progress(done, total)`` after each (reset, T) cell.
    engine : callable, optional
        The SNN's hardware: ``engine(net, inputs)`` for inputs S × T × N_0
        returns an object with ``scores`` (S × N_L), ``predictions`` (S,),
        ``differing`` (S, bool: a transfer unlike the golden model's) and
        ``cycles`` (per sample), and has a ``name``.  None: the golden model.
    **options
        Conversion options of :func:`lifq.golden.convert.convert` (not
        ``reset`` or ``steps``).

    Returns
    -------
    AccuracyTable

    Notes
    -----
    One network per reset, sized for the largest T, serves every T; only
    the SQNR-optimal threshold of zero and subtract depends on T, and then
    each T gets its own conversion.
    """
    steps = check_steps(steps)
    resets = check_resets(resets)
    x, y = dataset.x_test, dataset.y_test
    mod = convert(model, dataset.x_train, reset="mod", steps=steps[-1], **options)
    ann = _fraction(model.predict(x), y)
    ann_int = _fraction(np.argmax(integer_weight_scores(mod.network, x), axis=1), y)
    snn, events, differing, cycles = {}, {}, {}, {}
    total, done = len(resets) * len(steps), 0
    for reset in resets:
        per_step = options.get("threshold") == "sqnr" and reset != "mod"
        shared = mod if reset == "mod" else None
        cells = []
        for t in steps:
            if per_step:
                net = convert(model, dataset.x_train, reset=reset, steps=t, **options).network
            else:
                shared = shared or convert(model, dataset.x_train, reset=reset,
                                           steps=steps[-1], **options)
                net = shared.network
            cells.append(_measure(net, x, y, t, engine))
            done += 1
            if progress is not None:
                progress(done, total)
        snn[reset], events[reset], differing[reset], cycles[reset] = map(tuple, zip(*cells))
    hardware = engine is not None
    return AccuracyTable(dataset=dataset.name, sizes=mod.network.sizes, steps=steps,
                         resets=resets, ann=ann, ann_int=ann_int, snn=snn, events=events,
                         settings={key: value for key, value in mod.settings.items()
                                   if key not in ("reset", "steps")},
                         engine=engine.name if hardware else "golden",
                         differing=differing if hardware else None,
                         cycles=cycles if hardware else None)


def snn_accuracy(net, x, y, steps):
    """Accuracy and mean spike events per sample of ``net`` on inputs x held for ``steps``."""
    return _measure(net, x, y, steps)[:2]


def _measure(net, x, y, steps, engine=None):
    """One cell: accuracy, mean spike events per sample and, with an engine, the samples
    unlike the golden model and the mean cycles per sample (else None, None)."""
    samples, inputs = x.shape
    held = np.broadcast_to(x[:, None, :], (samples, steps, inputs))
    golden = simulate_network(net, held, record=False)
    if engine is None:
        return _fraction(golden.predictions, y), float(golden.events.mean()), None, None
    hardware = engine(net, held)
    unlike = hardware.differing | (hardware.scores != golden.scores).any(axis=1)
    return (_fraction(hardware.predictions, y), float(golden.events.mean()),
            int(np.count_nonzero(unlike)), float(np.mean(hardware.cycles)))


def integer_weight_scores(net, x):
    """Output pre-activations of ``net``'s integer weights and biases with float ReLUs.

    Hidden activations are ReLU(W·a + b)/θ, in units of one spike but neither
    rounded nor clipped: what is left is the error of the weight
    quantisation alone.
    """
    a = np.asarray(x, dtype=np.float64)
    for layer in net.layers[:-1]:
        a = np.maximum(a @ layer.weights.T + layer.bias, 0.0) / layer.neuron.threshold
    output = net.layers[-1]
    return a @ output.weights.T + output.bias


def _fraction(predictions, labels):
    return float(np.mean(np.asarray(predictions) == np.asarray(labels)))


def check_steps(steps):
    """``steps`` as a tuple of ascending numbers of timesteps, or :class:`InputError`."""
    steps = tuple(check_integer("steps", t, 1, MAX_STEPS) for t in steps)
    if not steps:
        raise InputError("steps must name at least one number of timesteps")
    if list(steps) != sorted(set(steps)):
        raise InputError(f"steps = {value_text(list(steps))} must be ascending without repeats")
    return steps


def check_resets(resets):
    """``resets`` as a tuple of distinct reset names, or :class:`InputError`."""
    resets = tuple(resets)
    for reset in resets:
        if reset not in RESETS:
            raise InputError(f"reset = {value_text(reset)} is unknown: allowed "
                             + ", ".join(f'"{r}"' for r in RESETS))
    if not resets or len(set(resets)) != len(resets):
        raise InputError(f"resets = {value_text(list(resets))} must name each reset at most "
                         "once, at least one")
    return resets
