"""The fields of NIR nodes as lifq needs them: finite float arrays, one value per neuron,
shapes and the ``lifq_*`` metadata.

Frameworks store a layer's parameters as scalars, as vectors or with a
leading batch axis (Sinabs), as numpy arrays or torch tensors; these
helpers accept all of them and turn every other shape, a NaN or an
infinity into an :class:`lifq.spec.InputError` naming the node and field.
"""

import numpy as np

from lifq.spec import InputError, value_text

from .nir_chain import node_kind
from .nir_conventions import METADATA_PREFIX

__all__ = ["fits", "shape_text", "float_array", "matrix", "per_neuron", "shared",
           "lifq_metadata", "FLOAT_NOISE"]

#: A value within this (relative, at least absolute) distance of another is equal to it:
#: float32 products such as r·dt/τ = 1 ± 1e-7 are no differences and no roundings.
FLOAT_NOISE = 1e-6


def fits(shape, size):
    """Whether some trailing axes of ``shape`` hold ``size`` values (leading ones are batch
    or time axes, as Sinabs writes them)."""
    product = 1
    for length in reversed(shape):
        product *= length
        if product == size:
            return True
    return not shape and size == 1


def shape_text(shape):
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def float_array(node_name, field, value):
    """A node's field as a finite float64 array."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError, RuntimeError):
        raise InputError(f"node {value_text(node_name)}: {field} is not an array of "
                         "numbers") from None
    if array.dtype.kind not in "iuf":
        raise InputError(f"node {value_text(node_name)}: {field} must hold numbers, not "
                         f"{array.dtype.name}")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise InputError(f"node {value_text(node_name)}: {field} holds a NaN or an infinity")
    return array


def matrix(name, node):
    """The weight matrix of an Affine or Linear node, outputs × inputs."""
    weight = float_array(name, "weight", node.weight)
    if weight.ndim != 2 or 0 in weight.shape:
        raise InputError(f"node {value_text(name)} ({node_kind(node)}): weight has shape "
                         f"{shape_text(weight.shape)}: lifq imports dense layers, a non-empty "
                         "2-D weight (outputs × inputs)")
    return weight


def per_neuron(node_name, field, value, count):
    """A parameter of ``count`` neurons from a scalar, a vector, or rows that repeat it
    (a leading batch axis)."""
    array = float_array(node_name, field, value)
    if array.size == 1:
        return np.full(count, array.reshape(-1)[0])
    if array.ndim >= 1 and array.shape[-1] == count:
        rows = array.reshape(-1, count)
        if (rows != rows[0]).any():
            raise InputError(f"node {value_text(node_name)}: {field} has shape "
                             f"{shape_text(array.shape)} whose rows differ: one value per "
                             "neuron (leading axes may only repeat them)")
        return rows[0]
    raise InputError(f"mismatched shapes: node {value_text(node_name)}: {field} has shape "
                     f"{shape_text(array.shape)} but the layer has {count} neurons")


def shared(node_name, field, values, what):
    """The one value all neurons of a layer must share."""
    low, high = float(values.min()), float(values.max())
    if high - low > FLOAT_NOISE * max(abs(low), abs(high)):
        raise InputError(f"node {value_text(node_name)}: {field} differs between neurons "
                         f"({low:g} … {high:g}): lifq supports {what}")
    return float(values[0])


def lifq_metadata(owner, metadata, keys):
    """The ``lifq_*`` entries of a node's metadata as plain Python values, by key."""
    if not isinstance(metadata, dict):
        return {}
    values = {}
    for key, value in metadata.items():
        key = key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)
        if not key.startswith(METADATA_PREFIX):
            continue            # another tool's metadata
        name = key[len(METADATA_PREFIX):]
        if name not in keys:
            raise InputError(f"{owner}: unknown metadata {value_text(key)}: lifq writes "
                             + ", ".join(METADATA_PREFIX + k for k in keys))
        values[name] = _plain(value)
    return values


def _plain(value):
    """A metadata value as read from HDF5 (numpy scalars, bytes) as a Python value."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.generic):
        return value.item()
    return value
