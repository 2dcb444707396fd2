"""Data sets for conversion experiments, and the float MLP trained on them.

One data set so far: the handwritten digits that ship with scikit-learn
(``load_digits``: 1797 images of 8×8 pixels, values 0 … 16, ten classes).
The pixels are the network's integer inputs x, the same x every timestep;
the float MLP sees x/16.  The split is fixed:
``train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)``
(1257 training and 540 test samples).

scikit-learn is imported when a function here runs, not on import.
"""

import dataclasses
import functools

import numpy as np

from lifq.spec import NEURON_RANGES, InputError, value_text

from .convert import FloatMLP

__all__ = ["Dataset", "DATASETS", "load_dataset", "load_digits", "train_mlp"]

DATASETS = ("digits",)
SEED = 0


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """A classification data set split into training and test samples.

    Attributes
    ----------
    name : str
    x_train, x_test : ndarray of int64, shape (S, N_0)
        Integer network inputs, one sample per row.
    y_train, y_test : ndarray of int64, shape (S,)
        Class labels 0 … classes − 1.
    input_scale : float
        The float model sees ``input_scale · x``.
    classes : int
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    input_scale: float
    classes: int

    @property
    def inputs(self):
        return self.x_train.shape[1]


def load_dataset(name):
    """A data set by name (see :data:`DATASETS`)."""
    if name != "digits":
        raise InputError(f"dataset = {value_text(name)} is unknown: allowed "
                         + ", ".join(f'"{n}"' for n in DATASETS))
    return load_digits()


@functools.cache
def load_digits():
    """scikit-learn's digits, pixels 0 … 16 as integers, in the fixed split."""
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    x, y = sklearn_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.3, random_state=SEED, stratify=y)
    return Dataset(name="digits", x_train=_read_only(x_train), y_train=_read_only(y_train),
                   x_test=_read_only(x_test), y_test=_read_only(y_test),
                   input_scale=1 / 16, classes=10)


def _read_only(array):
    array = np.asarray(array).astype(np.int64)
    array.flags.writeable = False
    return array


def train_mlp(dataset, hidden=(64,), seed=SEED):
    """A float ReLU MLP trained on ``dataset`` (scikit-learn's ``MLPClassifier``).

    Deterministic: Adam with the fixed ``seed`` and at most 2000 epochs.
    Results are cached per (dataset, hidden, seed) within a process.

    Parameters
    ----------
    dataset : Dataset
    hidden : tuple of int
        Neurons of each hidden layer, e.g. ``(64,)`` or ``(64, 64)``.
    seed : int

    Returns
    -------
    FloatMLP
    """
    hidden = tuple(NEURON_RANGES["neurons"].check(f"hidden[{number}]", size)
                   for number, size in enumerate(hidden))
    if not hidden:
        raise InputError("hidden must name at least one hidden layer size")
    return _trained(dataset, hidden, seed)


@functools.cache
def _trained(dataset, hidden, seed):
    from sklearn.neural_network import MLPClassifier

    mlp = MLPClassifier(hidden_layer_sizes=hidden, activation="relu", random_state=seed,
                        max_iter=2000)
    mlp.fit(dataset.x_train * dataset.input_scale, dataset.y_train)
    return FloatMLP.from_sklearn(mlp, input_scale=dataset.input_scale)
