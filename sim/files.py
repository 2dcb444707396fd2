"""Reading config, stimulus and result files (SPEC §4).

Every problem with a file becomes an :class:`lifq.spec.InputError` whose one-line
message names the file and what is wrong with it.
"""

import contextlib
import json
import math
import os
import pathlib
import stat
import sys
import tempfile

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from lifq.golden import validate_currents
from lifq.spec import InputError, LIFConfig, value_text
from lifq.spec.limits import check_fits, size_text

__all__ = ["load_config", "load_stimulus", "stimulus_from_document", "load_result", "dump_result", "write_result",
           "write_text", "replacing", "read_text", "parse_json", "read_mapping", "Stimulus"]


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


#: Bytes of memory one byte of a JSON or TOML file may become while it is parsed
#: (Python objects for every number, then arrays): files that cannot fit are refused.
PARSE_EXPANSION = 16


def read_text(path):
    """The text of a file, or :class:`InputError` naming the file and what is wrong."""
    path = pathlib.Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror or error}") from None
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a file")
    check_fits(size * PARSE_EXPANSION, f"{path} ({size_text(size)})")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror or error}") from None


def _unique_keys(pairs):
    """An object hook: JSON objects with a key twice are an error (TOML refuses them too)."""
    document = {}
    for key, value in pairs:
        if key in document:
            raise _DuplicateKey(key)
        document[key] = value
    return document


class _DuplicateKey(Exception):
    pass


def _no_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:40]} does not fit a double")
    return value


def parse_json(path, text):
    """Strict JSON: no duplicate keys, no NaN or Infinity, numbers that fit."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant,
                          parse_float=_finite_float)
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: invalid JSON at line {error.lineno} column {error.colno}: "
                         f"{error.msg}") from None
    except _DuplicateKey as error:
        raise InputError(f"{path}: the key {value_text(error.args[0])} appears twice in one "
                         "object: allowed once") from None
    except RecursionError:
        raise InputError(f"{path}: nested too deeply to be a lifq file") from None
    except ValueError as error:
        # Integers of thousands of digits (Python refuses to convert them), NaN, 1e999.
        reason = str(error).split(";")[0].split(":")[0]
        raise InputError(f"{path}: invalid JSON: a number out of range ({reason})") from None


def read_mapping(path):
    text = read_text(path)
    if pathlib.Path(path).suffix.lower() == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise InputError(f"{path}: invalid TOML: {error}") from None
        except RecursionError:
            raise InputError(f"{path}: nested too deeply to be a lifq file") from None
        except ValueError as error:
            raise InputError(f"{path}: invalid TOML: a number out of range "
                             f"({str(error).split(';')[0]})") from None
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
    return stimulus_from_document(path, parse_json(path, read_text(path)), config_path)


def stimulus_from_document(path, document, config_path=None):
    """A :class:`Stimulus` from the parsed JSON of the stimulus file ``path``.

    An error in a parameter that ``config_path`` sets names that file; any
    other names the stimulus.
    """
    if not isinstance(document, dict):
        raise InputError(f"{path}: a stimulus must be a JSON object with "
                         f"\"config\" and \"currents\"")
    unknown = sorted(set(document) - {"config", "currents"})
    if unknown:
        raise InputError(f"{path}: unknown key {value_text(unknown[0])}: allowed \"config\", "
                         "\"currents\"")
    if "currents" not in document:
        raise InputError(f"{path}: missing \"currents\" (a T×N matrix of integers)")
    mapping = document.get("config", {})
    if not isinstance(mapping, dict):
        raise InputError(f"{path}: \"config\" must be an object of parameters")
    override = {}
    if config_path is not None:
        override = read_mapping(config_path)
        if not isinstance(override, dict):
            raise InputError(f"{config_path}: a config must be an object of parameters")
    try:
        config = LIFConfig.from_dict({**mapping, **override})
    except InputError as error:
        culprit = config_path if error.key in override else path
        raise InputError(f"{culprit}: {error}", key=error.key) from None
    try:
        return Stimulus(config, document["currents"])
    except InputError as error:
        raise InputError(f"{path}: {error}") from None


def dump_result(spikes, v):
    """The result file text: one JSON object, one timestep per line."""
    def matrix(rows):
        return "[" + ",\n  ".join(json.dumps([int(x) for x in row]) for row in rows) + "]"
    return f'{{"spikes": {matrix(spikes)},\n "v": {matrix(v)}}}\n'


@contextlib.contextmanager
def replacing(path):
    """A temporary path beside ``path`` to write to, moved onto ``path`` on success.

    The file appears complete or not at all: a failure (a full disk, a file
    size limit, an exception in the block) leaves ``path`` as it was and no
    partial file behind.  The temporary file keeps the extension, so tools
    that pick a format by it (matplotlib, wave writers) write the right one.
    """
    path = pathlib.Path(path)
    temporary = None
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix,
                                        dir=path.parent)
        os.close(handle)
        temporary = pathlib.Path(name)
        yield temporary
        # mkstemp makes the file private (0600): give it the mode of the file it replaces,
        # or of any new file (0666 less the umask), as a plain open() would.
        os.chmod(temporary, _mode_of(path))
        os.replace(temporary, path)
    except OSError as error:
        raise InputError(f"{path}: cannot write: {error.strerror or error}") from None
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def _mode_of(path):
    """The permission bits a file written at ``path`` should have."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_text(path, text):
    """Write ``text`` to ``path``, or to standard output when ``path`` is None or "-".

    The file appears complete or not at all (:func:`replacing`).
    """
    if path is None or str(path) == "-":
        sys.stdout.write(text)
        return
    with replacing(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def write_result(path, spikes, v):
    """Write a result file, or to standard output when ``path`` is None or "-"."""
    write_text(path, dump_result(spikes, v))


def load_result(path):
    """Read a result file; returns (spikes, v) as lists of lists."""
    document = parse_json(path, read_text(path))
    if not isinstance(document, dict) or set(document) != {"spikes", "v"}:
        raise InputError(f"{path}: a result must be a JSON object with \"spikes\" and \"v\"")
    return document["spikes"], document["v"]
