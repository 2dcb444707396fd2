"""The files a command writes: checked before any work, written whole or not at all.

A command declares its inputs and outputs to an :class:`OutputPlan` first.
The plan refuses, with one line naming the option, an output that would
overwrite an input or another output, whose folder does not exist or cannot
be written, that is a folder, or whose format is not one the option writes.
Only then does the work start.  Each output is then written to a temporary
file beside it and moved into place once complete (:meth:`OutputPlan.writing`),
so a failure — a full disk, a file-size limit, an interrupt — leaves the
previous file as it was and no partial file behind.
"""

import os
import pathlib

from lifq.sim.files import replacing, write_text
from lifq.spec import InputError, value_text

__all__ = ["OutputPlan", "STDOUT"]

#: What ``-o -`` and a missing ``-o`` mean: standard output.
STDOUT = "-"


def _same_file(a, b):
    """Whether two paths name the same file (existing or not)."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


class OutputPlan:
    """The inputs and outputs of one command run.

    Parameters
    ----------
    inputs : iterable of path
        Files the command reads; no output may be one of them.
    """

    def __init__(self, inputs=()):
        self._inputs = [pathlib.Path(p) for p in inputs if p is not None and str(p) != STDOUT]
        self._outputs = {}   # path → option

    def add(self, option, path, *, suffixes=None, kind="file"):
        """Check an output path now; returns it as a Path (None for no output or stdout).

        Parameters
        ----------
        option : str
            How the message names it, e.g. ``"-o"`` or ``"--waves"``.
        path : str or path or None
        suffixes : sequence of str, optional
            The formats the option writes, by extension (e.g. ``(".png",)``).
        kind : ``"file"`` or ``"folder"``
            A folder output (a build directory) may exist already; if not, it
            must be creatable (the work creates it).
        """
        if path is None or str(path) == STDOUT:
            return None
        text = str(path)
        path = pathlib.Path(path)
        if not text.strip():
            raise InputError(f"{option} = {value_text(text)}: an empty path")
        if suffixes is not None and path.suffix.lower() not in suffixes:
            raise InputError(f"{option} = {value_text(text)}: unsupported format "
                             f"{value_text(path.suffix or '(none)')}: allowed "
                             + ", ".join(suffixes))
        if kind == "folder":
            return self._add_folder(option, path, text)
        parent = path.parent
        if not parent.is_dir():
            raise InputError(f"{option} = {value_text(text)}: folder "
                             f"{value_text(str(parent))} does not exist")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise InputError(f"{option} = {value_text(text)}: folder "
                             f"{value_text(str(parent))} is not writable")
        if path.is_dir():
            raise InputError(f"{option} = {value_text(text)} is a folder: allowed a file name")
        for source in self._inputs:
            if _same_file(path, source):
                raise InputError(f"{option} = {value_text(text)} would overwrite the input "
                                 f"{value_text(str(source))}: choose another file")
        for other, other_option in self._outputs.items():
            if _same_file(path, other):
                raise InputError(f"{option} = {value_text(text)} is also {other_option}: "
                                 "choose two different files")
        self._outputs[path] = option
        return path

    def _add_folder(self, option, path, text):
        """A folder output: it may exist; it is created by the work, not here."""
        if path.exists():
            if not path.is_dir():
                raise InputError(f"{option} = {value_text(text)} is a file: allowed a folder")
            if not os.access(path, os.W_OK | os.X_OK):
                raise InputError(f"{option} = {value_text(text)} is not writable")
            return path
        ancestor = path.parent
        while not ancestor.exists() and ancestor != ancestor.parent:
            ancestor = ancestor.parent
        if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
            raise InputError(f"{option} = {value_text(text)}: cannot create it in "
                             f"{value_text(str(ancestor))}")
        return path

    def writing(self, path):
        """A context: a temporary path beside ``path`` to write to, moved onto ``path``
        on success (:func:`lifq.sim.files.replacing`)."""
        return replacing(path)

    def write_text(self, path, text):
        """Write ``text`` to ``path`` (standard output when ``path`` is None), atomically."""
        write_text(path, text)


def stimulus_inputs(stimulus, document, config=None):
    """The files a stimulus command reads, for :class:`OutputPlan`: the stimulus, the
    ``--config`` and, for a network stimulus naming its network by path, that file
    (relative to the stimulus)."""
    inputs = [stimulus, config]
    if isinstance(document, dict) and isinstance(document.get("network"), str):
        inputs.append(pathlib.Path(stimulus).parent / document["network"])
    return inputs
