"""lifq → NIR: a §6 network as the chain ``Input → (Affine → IF|LIF)… → Output``.

Layer ℓ becomes an ``Affine`` node (its integer weights and biases) and an
``IF`` node (no leak, d = 2^F) or a ``LIF`` node (τ = 1/(1 − d/2^F),
r = τ, v_leak = 0: time in steps, dt = 1, see
:mod:`lifq.golden.nir_conventions`), with v_threshold = θ for every neuron
and v_reset = 0.  Arrays are float32 when every value fits it exactly
(what torch-based frameworks expect), float64 otherwise.

What NIR has no field for is written into the nodes' ``metadata``:
``lifq_reset``, ``lifq_signed``, ``lifq_spike_bits``, ``lifq_width``,
``lifq_input_width``, ``lifq_initial_membrane``, ``lifq_decay_shift``,
``lifq_decay`` and ``lifq_programmable`` on each IF/LIF node,
``lifq_weight_bits`` on each Affine node and ``lifq_input_bits`` on the
graph.  :func:`lifq.golden.nir_import.from_nir` reads them back, so an
export followed by an import gives the same network.
"""

import numpy as np

from lifq.spec import NetworkConfig

from .nir_conventions import METADATA_PREFIX, NEURON_METADATA, tau_from_decay

__all__ = ["to_nir", "node_names"]

# float32 holds every integer up to 2^24 exactly.
_FLOAT32_EXACT = 1 << 24


def node_names(number, leaky):
    """The names lifq gives layer ``number``'s nodes: ``("affine0", "if0")`` or ``"lif0"``."""
    return f"affine{number}", f"{'lif' if leaky else 'if'}{number}"


def to_nir(net):
    """A NIR graph of a lifq network.

    Parameters
    ----------
    net : NetworkConfig

    Returns
    -------
    nir.NIRGraph
        Nodes ``input``, ``affine0``, ``if0`` (or ``lif0``), …, ``output``
        in a chain, type-checked by ``nir``.
    """
    import nir

    if not isinstance(net, NetworkConfig):
        raise TypeError(f"net must be a NetworkConfig, not {type(net).__name__}")
    nodes = {"input": nir.Input(input_type=np.array([net.inputs]))}
    order = ["input"]
    for number, layer in enumerate(net.layers):
        neuron = layer.neuron
        leaky = neuron.decay != 1 << neuron.decay_shift
        affine_name, neuron_name = node_names(number, leaky)
        nodes[affine_name] = nir.Affine(
            weight=_numbers(layer.weights), bias=_numbers(layer.bias),
            metadata={METADATA_PREFIX + "weight_bits": layer.weight_bits})
        nodes[neuron_name] = _neuron_node(nir, neuron, leaky)
        order += [affine_name, neuron_name]
    nodes["output"] = nir.Output(output_type=np.array([net.outputs]))
    order.append("output")
    return nir.NIRGraph(nodes=nodes, edges=list(zip(order[:-1], order[1:])),
                        metadata={METADATA_PREFIX + "input_bits": net.input_bits})


def _neuron_node(nir, neuron, leaky):
    """The IF or LIF node of a layer's neurons, its lifq parameters in the metadata."""
    count = neuron.neurons
    threshold = _numbers(np.full(count, neuron.threshold))
    zeros = np.zeros(count, dtype=threshold.dtype)
    metadata = {METADATA_PREFIX + key: getattr(neuron, key) for key in NEURON_METADATA}
    if not leaky:
        return nir.IF(r=np.ones(count, dtype=threshold.dtype), v_threshold=threshold,
                      v_reset=zeros, metadata=metadata)
    tau = np.full(count, tau_from_decay(neuron.decay, neuron.decay_shift), dtype=threshold.dtype)
    return nir.LIF(tau=tau, r=tau.copy(), v_leak=zeros.copy(), v_threshold=threshold,
                   v_reset=zeros, metadata=metadata)


def _numbers(integers):
    """Integers as float32 when it holds them all exactly, else float64."""
    integers = np.asarray(integers)
    exact = integers.size == 0 or int(np.abs(integers).max()) <= _FLOAT32_EXACT
    return integers.astype(np.float32 if exact else np.float64)
