"""NIR files (HDF5) read and written with the ``nir`` package, every failure one line.

:func:`read_nir` turns whatever goes wrong — a missing file, a file that is
not HDF5, an HDF5 file that is no NIR graph, a node type ``nir`` does not
know — into an :class:`lifq.spec.InputError` naming the file.  It reads
without ``nir``'s type check: graphs written by real frameworks often fail
it (Sinabs' refer to an ``input`` node they do not write), and lifq's
importer checks what it needs itself.

``nir`` (and h5py) are imported when a file is read or written, not with
:mod:`lifq.golden`.
"""

import pathlib

from lifq.spec import InputError, value_text

__all__ = ["read_nir", "write_nir"]


def read_nir(path):
    """The NIR graph of an HDF5 file written by ``nir.write``.

    Parameters
    ----------
    path : str or path

    Returns
    -------
    nir.NIRGraph

    Raises
    ------
    InputError
        One line naming the file and what is wrong with it.
    """
    import h5py
    import nir

    path = pathlib.Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a file")
    try:
        is_hdf5 = h5py.is_hdf5(path)
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror or error}") from None
    if not is_hdf5:
        raise InputError(f"{path}: not a NIR file: NIR graphs are HDF5 files (nir.write), "
                         "this is not HDF5")
    unknown = _unknown_node_type(path)
    if unknown:
        raise InputError(f"{path}: {unknown}")
    try:
        graph = nir.read(path, type_check=False)
    # nir.read parses an arbitrary HDF5 file: its failures are KeyError, AssertionError,
    # TypeError, ValueError or OSError depending on what is missing; all mean the same.
    except Exception as error:  # noqa: BLE001
        raise InputError(f"{path}: not a NIR graph nir {nir.version} can read: "
                         f"{_reason(error)}") from None
    if not isinstance(graph, nir.NIRGraph):
        raise InputError(f"{path}: holds a single {type(graph).__name__} node, not a NIR "
                         "graph")
    return graph


def _unknown_node_type(path):
    """A sentence naming the first node whose type ``nir`` does not know, or None."""
    import h5py
    import nir

    known = set(nir.ir.__all__)
    try:
        with h5py.File(path, "r") as handle:
            nodes = handle.get("node/nodes")
            if not isinstance(nodes, h5py.Group):
                return None     # nir.read names what is missing
            for name, node in nodes.items():
                kind = node.get("type") if isinstance(node, h5py.Group) else None
                if not isinstance(kind, h5py.Dataset):
                    continue
                kind = kind[()]
                kind = kind.decode("utf-8", "replace") if isinstance(kind, bytes) else str(kind)
                if kind not in known:
                    return (f"node {value_text(name)} has type {value_text(kind)}, which nir "
                            f"{nir.version} does not know")
    except OSError as error:
        return f"cannot read: {error.strerror or error}"
    return None


def _reason(error):
    """The first line of an exception's message, or its type when it has none."""
    text = str(error).strip().splitlines()
    if not text:
        return type(error).__name__
    return text[0] if len(text[0]) <= 120 else text[0][:119] + "…"


def write_nir(path, graph):
    """Write a NIR graph to an HDF5 file (``nir.write``).

    Writes ``path`` directly; callers that must never leave a partial file
    write to a temporary path and move it into place.

    Raises
    ------
    InputError
        When the file cannot be written.
    """
    import nir

    try:
        nir.write(path, graph)
    except OSError as error:
        raise InputError(f"{path}: cannot write: {error.strerror or error}") from None
