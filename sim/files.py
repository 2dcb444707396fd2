"""Reading config, stimulus and result files (SPEC §4).

Every problem with a file becomes an :class:`lifq.spec.InputError` whose one-line
message names the file and what is wrong with it.
"""

import json
import os
import pathlib
import sys
import tempfile

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from lifq.golden import validate_currents
from lifq.spec import InputError, LIFConfig

__all__ = ["load_config", "load_stimulus", "load_result", "dump_result", "write_result",
           "write_text", "read_text", "parse_json", "read_mapping", "Stimulus"]


class Stimulus:
    """A validated stimulus: the core's config and its T×N current matrix.

    Attributes
    ----------
    config : LIFConfig
    currents : ndarray of int64, shape (T, N)
    """

    def __init__(self, config, currents):
        self.config = config
        self.currents = validate_currents(config, currents)

    @property
    def steps(self):
        return self.currents.shape[0]


def read_text(path):
    path = pathlib.Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read: {error}") from None


def parse_json(path, text):
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: invalid JSON at line {error.lineno} column {error.colno}: "
                         f"{error.msg}") from None


def read_mapping(path):
    text = read_text(path)
    if pathlib.Path(path).suffix.lower() == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise InputError(f"{path}: invalid TOML: {error}") from None
    return parse_json(path, text)


def load_config(path):
    """Read a JSON or TOML config file (by extension; JSON otherwise)."""
    mapping = read_mapping(path)
    try:
        return LIFConfig.from_dict(mapping)
    except InputError as error:
        raise InputError(f"{path}: {error}") from None


def load_stimulus(path, config_path=None):
    """Read a stimulus file; parameters in ``config_path`` override its config.

    Returns
    -------
    Stimulus
    """
    document = parse_json(path, read_text(path))
    if not isinstance(document, dict):
        raise InputError(f"{path}: a stimulus must be a JSON object with "
                         f"\"config\" and \"currents\"")
    unknown = sorted(set(document) - {"config", "currents"})
    if unknown:
        raise InputError(f"{path}: unknown key {unknown[0]!r}: allowed \"config\", \"currents\"")
    if "currents" not in document:
        raise InputError(f"{path}: missing \"currents\" (a T×N matrix of integers)")
    mapping = document.get("config", {})
    if not isinstance(mapping, dict):
        raise InputError(f"{path}: \"config\" must be an object of parameters")
    if config_path is not None:
        mapping = {**mapping, **read_mapping(config_path)}
    try:
        return Stimulus(LIFConfig.from_dict(mapping), document["currents"])
    except InputError as error:
        raise InputError(f"{path}: {error}") from None


def dump_result(spikes, v):
    """The result file text: one JSON object, one timestep per line."""
    def matrix(rows):
        return "[" + ",\n  ".join(json.dumps([int(x) for x in row]) for row in rows) + "]"
    return f'{{"spikes": {matrix(spikes)},\n "v": {matrix(v)}}}\n'


def write_text(path, text):
    """Write ``text`` to ``path``, or to standard output when ``path`` is None or "-".

    The file appears complete or not at all: the text goes to a temporary
    file beside it, which replaces ``path`` only once it is written.
    """
    if path is None or str(path) == "-":
        sys.stdout.write(text)
        return
    path = pathlib.Path(path)
    temporary = None
    try:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent or ".",
                                         prefix=f".{path.name}.", suffix=".tmp",
                                         delete=False) as handle:
            temporary = pathlib.Path(handle.name)
            handle.write(text)
        os.replace(temporary, path)
    except OSError as error:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write: {error.strerror or error}") from None


def write_result(path, spikes, v):
    """Write a result file, or to standard output when ``path`` is None or "-"."""
    write_text(path, dump_result(spikes, v))


def load_result(path):
    """Read a result file; returns (spikes, v) as lists of lists."""
    document = parse_json(path, read_text(path))
    if not isinstance(document, dict) or set(document) != {"spikes", "v"}:
        raise InputError(f"{path}: a result must be a JSON object with \"spikes\" and \"v\"")
    return document["spikes"], document["v"]
