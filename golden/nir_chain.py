"""The chain of a NIR graph: its nodes from the input to the output, found by following the edges.

Graphs written by real frameworks are not tidy: Sinabs names its nodes
``0``, ``1``, …, lists the edges in no particular order and may refer to an
``input`` node it does not write.  :func:`graph_chain` therefore never trusts
the order of the nodes or of the edges: it starts at the one entry of the
graph and follows the edges.  A node an edge names but the graph does not
hold is accepted at the two ends only, as the graph's input or output.

Anything that is not one straight chain — two inputs, a branch, a merge, a
recurrent edge, a node off the chain, a node type lifq cannot import — is
an :class:`lifq.spec.InputError` naming the node and what lifq supports.
"""

import dataclasses

from lifq.spec import InputError, value_text

__all__ = ["Chain", "graph_chain", "SUPPORTED", "node_kind"]

#: What lifq imports, for messages.
SUPPORTED = "lifq imports chains Input → (Affine|Linear → IF|LIF)… → Output"

# NIR node types lifq imports; Flatten is the identity on the flat vectors of SPEC §6.
_CHAIN_TYPES = ("Input", "Output", "Affine", "Linear", "IF", "LIF", "Flatten")
_WHY_NOT = {
    "Conv1d": "no convolutions", "Conv2d": "no convolutions",
    "SumPool2d": "no pooling", "AvgPool2d": "no pooling",
    "NIRGraph": "no subgraphs (snnTorch writes a recurrent layer as one)",
}


@dataclasses.dataclass(frozen=True)
class Chain:
    """The nodes of a graph in the order the signal passes them.

    Attributes
    ----------
    input_name : str
        The entry: an Input node, a name the edges use without a node, or the
        first computing node of a graph without an input.
    input_shape : tuple of int or None
        Shape of the Input node; None when the graph has no Input node.
    nodes : tuple of (str, nir.NIRNode)
        The computing nodes (neither Input nor Output) in signal order.
    output_name : str or None
        The Output node or name at the end; None when the chain just ends.
    output_shape : tuple of int or None
    """

    input_name: str
    input_shape: tuple
    nodes: tuple
    output_name: str
    output_shape: tuple


def node_kind(node):
    """The NIR type name of a node: ``"Affine"``, ``"IF"``, …"""
    return type(node).__name__


def graph_chain(graph):
    """Follow the edges of a NIR graph from its input to its output.

    Parameters
    ----------
    graph : nir.NIRGraph

    Returns
    -------
    Chain

    Raises
    ------
    InputError
        For an unsupported node type, a graph that is not one chain, or an
        edge that names an unknown node anywhere but at the ends.
    """
    nodes = dict(graph.nodes)
    edges = _edges(graph.edges)
    for name, node in nodes.items():
        kind = node_kind(node)
        if kind not in _CHAIN_TYPES:
            why = _WHY_NOT.get(kind, "")
            raise InputError(f"node {value_text(name)} is {kind}: {SUPPORTED}"
                             + (f" ({why})" if why else ""))
    successors = {name: [] for name in nodes}
    predecessors = {name: [] for name in nodes}
    for source, target in edges:
        successors.setdefault(source, []).append(target)
        predecessors.setdefault(target, []).append(source)
        successors.setdefault(target, [])
        predecessors.setdefault(source, [])
    _check_missing_nodes(nodes, successors, predecessors)
    recurrent = _recurrent_edge(successors)
    if recurrent:
        raise InputError(f"recurrent edge ({value_text(recurrent[0])}, "
                         f"{value_text(recurrent[1])}): {SUPPORTED}")
    start = _start(nodes, predecessors)
    order = _walk(start, successors, predecessors)
    on_chain = set(order)
    off_chain = [name for name in successors if name not in on_chain]
    if off_chain:
        raise InputError(f"node {value_text(off_chain[0])} is not on the chain from "
                         f"{value_text(start)}: {SUPPORTED}")
    return _chain(nodes, order)


def _edges(edges):
    """The edges as (source, target) string pairs."""
    pairs = []
    for edge in edges:
        try:
            source, target = edge
        except (TypeError, ValueError):
            raise InputError(f"edge {value_text(str(edge))} is not a pair of node "
                             "names") from None
        pairs.append((_name(source), _name(target)))
    return pairs


def _name(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _check_missing_nodes(nodes, successors, predecessors):
    """An edge may name a node the graph lacks only at an end (an implied Input or Output)."""
    for name in successors:
        if name in nodes:
            continue
        if predecessors[name] and successors[name]:
            raise InputError(f"the edges pass through node {value_text(name)}, which the graph "
                             "does not hold")


def _recurrent_edge(successors):
    """The first edge that closes a cycle (depth-first search), or None."""
    state = {}                                  # name → "open" while on the path, "done"
    for root in successors:
        if root in state:
            continue
        stack = [(root, iter(successors[root]))]
        state[root] = "open"
        while stack:
            name, targets = stack[-1]
            target = next(targets, None)
            if target is None:
                state[name] = "done"
                stack.pop()
            elif state.get(target) == "open":
                return name, target
            elif target not in state:
                state[target] = "open"
                stack.append((target, iter(successors[target])))
    return None


def _start(nodes, predecessors):
    """The one entry: an Input node, or the one node no edge leads to."""
    inputs = [name for name, node in nodes.items() if node_kind(node) == "Input"]
    roots = [name for name, sources in predecessors.items() if not sources]
    starts = inputs or roots
    if len(starts) != 1:
        if not starts:
            raise InputError(f"the graph has no input: every node has an edge into it (a "
                             f"recurrent graph): {SUPPORTED}")
        names = ", ".join(value_text(name) for name in starts[:3])
        raise InputError(f"the graph has {len(starts)} inputs ({names}): {SUPPORTED}")
    return starts[0]


def _walk(start, successors, predecessors):
    """The names from ``start`` along the only edge out of each, to the end."""
    order, current = [start], start
    while successors[current]:
        following = successors[current]
        if len(following) > 1:
            names = ", ".join(value_text(name) for name in following[:3])
            raise InputError(f"node {value_text(current)} feeds {len(following)} nodes "
                             f"({names}): {SUPPORTED}")
        target = following[0]
        if len(predecessors[target]) > 1:
            names = ", ".join(value_text(name) for name in predecessors[target][:3])
            raise InputError(f"node {value_text(target)} has {len(predecessors[target])} "
                             f"inputs ({names}): {SUPPORTED}")
        order.append(target)
        current = target
    return order


def _chain(nodes, order):
    """A :class:`Chain` from the names in signal order."""
    first, last = order[0], order[-1]
    first_node, last_node = nodes.get(first), nodes.get(last)
    has_input = first_node is None or node_kind(first_node) == "Input"
    has_output = len(order) > 1 and (last_node is None or node_kind(last_node) == "Output")
    inner = order[1 if has_input else 0:len(order) - 1 if has_output else len(order)]
    for name in inner:
        kind = node_kind(nodes[name]) if name in nodes else None
        if kind is None:
            raise InputError(f"the edges pass through node {value_text(name)}, which the graph "
                             "does not hold")
        if kind in ("Input", "Output"):
            raise InputError(f"node {value_text(name)} ({kind}) is inside the chain: "
                             f"{SUPPORTED}")
    return Chain(input_name=first,
                 input_shape=_shape(first, first_node, "input_type", "input") if has_input
                 else None,
                 nodes=tuple((name, nodes[name]) for name in inner),
                 output_name=last if has_output else None,
                 output_shape=_shape(last, last_node, "output_type", "output") if has_output
                 else None)


def _shape(name, node, attribute, key):
    """The shape an Input or Output node declares, as a tuple of ints (None if absent)."""
    if node is None:
        return None
    types = getattr(node, attribute, None)
    shape = types.get(key) if isinstance(types, dict) else None
    if shape is None:
        return None
    try:
        return tuple(int(size) for size in list(shape))
    except (TypeError, ValueError):
        raise InputError(f"node {value_text(name)}: its shape "
                         f"{value_text(str(shape))} is not a list of sizes") from None

