"""Checks of the Python API's numeric arguments: numbers, not booleans or text, finite."""

import numpy as np

from lifq.spec import InputError, value_text
from lifq.spec.ranges import Limit

__all__ = ["finite_array", "ALPHA", "BETA", "THETA"]

#: Leak rate α ≥ 0 of the continuous-time forms; ∞ forgets everything between spikes.
ALPHA = Limit(0, float("inf"), infinite=True)
#: Per-step leak factor β of the discrete norm.
BETA = Limit(0, 1)
#: A real-valued threshold θ > 0.
THETA = Limit(0, 1e300, above_low=True)


def finite_array(name, value, *, dimensions=None):
    """``value`` as a float64 array of finite numbers, or :class:`InputError`.

    Booleans, text and other objects are refused, not converted.
    """
    array = np.asarray(value) if not isinstance(value, np.ndarray) else value
    if array.dtype.kind == "O":
        for index, item in np.ndenumerate(array):
            if isinstance(item, (bool, np.bool_)) or not isinstance(item, (int, float, np.number)):
                raise InputError(f"{name}{''.join(f'[{i}]' for i in index)} = "
                                 f"{value_text(item)} must be a number")
    elif array.dtype.kind not in "iuf":
        kind = {"b": "booleans", "U": "text", "S": "bytes"}.get(array.dtype.kind,
                                                                 array.dtype.name)
        raise InputError(f"{name} must hold numbers, not {kind}")
    if dimensions is not None and array.ndim not in dimensions:
        raise InputError(f"{name} must have " + " or ".join(map(str, dimensions))
                         + f" dimension(s), not {array.ndim}")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise InputError(f"{name}{''.join(f'[{i}]' for i in index)} = {array[index]} must be "
                         "finite")
    return array
