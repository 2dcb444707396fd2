"""PLL settings and instances: the core clock from a board's oscillator.

:func:`plan_clock` picks, for a requested frequency, either the oscillator
itself or the PLL setting that comes nearest (the same search as the
IceStorm ``icepll`` and Trellis ``ecppll`` tools); :func:`clock_instance`
makes the Amaranth ``Instance`` of that PLL.
"""

import dataclasses
import math

from amaranth.hdl import Instance

from lifq.spec import InputError, value_text

__all__ = ["ClockPlan", "plan_clock", "ice40_pll", "ecp5_pll", "clock_instance", "PLL_RANGES"]

# Output frequencies (Hz) each PLL can make, and its input range.
PLL_RANGES = {
    "ice40": {"output": (16e6, 275e6), "input": (10e6, 133e6)},
    "ecp5": {"output": (10e6, 400e6), "input": (8e6, 400e6)},
}


@dataclasses.dataclass(frozen=True)
class ClockPlan:
    """How the core clock is made.

    Attributes
    ----------
    family : str
        ``"ice40"`` or ``"ecp5"``.
    oscillator_hz : float
        The board oscillator.
    requested_hz : float
    frequency_hz : float
        What the oscillator or PLL actually makes.
    pll : dict or None
        Divider settings, None when the oscillator drives the core directly.
    """
    family: str
    oscillator_hz: float
    requested_hz: float
    frequency_hz: float
    pll: dict = None

    @property
    def frequency_mhz(self):
        return self.frequency_hz / 1e6


def ice40_pll(input_hz, output_hz):
    """Settings of an iCE40 ``SB_PLL40`` in SIMPLE feedback mode nearest to ``output_hz``.

    F_PFD = F_in / (DIVR + 1) in 10 … 133 MHz, F_VCO = F_PFD · (DIVF + 1) in
    533 … 1066 MHz, F_out = F_VCO / 2^DIVQ with DIVQ 1 … 6.
    """
    best = None
    for divr in range(16):
        pfd = input_hz / (divr + 1)
        if not 10e6 <= pfd <= 133e6:
            continue
        for divf in range(128):
            vco = pfd * (divf + 1)
            if not 533e6 <= vco <= 1066e6:
                continue
            for divq in range(1, 7):
                out = vco / 2 ** divq
                if best is None or abs(out - output_hz) < abs(best["output_hz"] - output_hz):
                    best = {"divr": divr, "divf": divf, "divq": divq,
                            "filter_range": _ice40_filter_range(pfd), "output_hz": out}
    if best is None:
        raise InputError(f"the iCE40 PLL cannot run from a {input_hz / 1e6:g} MHz input")
    return best


def _ice40_filter_range(pfd):
    for limit, value in ((17e6, 1), (26e6, 2), (44e6, 3), (66e6, 4), (101e6, 5)):
        if pfd < limit:
            return value
    return 6


def ecp5_pll(input_hz, output_hz):
    """Settings of an ECP5 ``EHXPLLL`` with CLKOP feedback nearest to ``output_hz``.

    F_PFD = F_in / CLKI_DIV ≥ 3.125 MHz, F_out = F_PFD · CLKFB_DIV,
    F_VCO = F_out · CLKOP_DIV in 400 … 800 MHz.
    """
    best = None
    for clki_div in range(1, 129):
        pfd = input_hz / clki_div
        if pfd < 3.125e6:
            break
        for clkfb_div in range(1, 81):
            out = pfd * clkfb_div
            if out > PLL_RANGES["ecp5"]["output"][1]:
                break
            if out < PLL_RANGES["ecp5"]["output"][0]:
                continue
            for clkop_div in range(1, 129):
                vco = out * clkop_div
                if vco > 800e6:
                    break
                if vco < 400e6:
                    continue
                if best is None or abs(out - output_hz) < abs(best["output_hz"] - output_hz):
                    best = {"clki_div": clki_div, "clkfb_div": clkfb_div,
                            "clkop_div": clkop_div, "output_hz": out, "vco_hz": vco}
                break  # every valid CLKOP_DIV gives the same output: take the first
    if best is None:
        raise InputError(f"the ECP5 PLL cannot run from a {input_hz / 1e6:g} MHz input")
    return best


def plan_clock(family, oscillator_hz, requested_hz, *, board="the board"):
    """The clock plan for ``requested_hz``: the oscillator, or the nearest PLL output.

    Raises :class:`lifq.spec.InputError` for a frequency that is not a positive
    number or outside what the PLL can make.
    """
    if (isinstance(requested_hz, bool) or not isinstance(requested_hz, (int, float))
            or not math.isfinite(requested_hz) or requested_hz <= 0):
        raise InputError(f"--clock = {value_text(requested_hz)} must be a positive number of MHz")
    if abs(requested_hz - oscillator_hz) < 1:
        return ClockPlan(family, oscillator_hz, requested_hz, oscillator_hz, None)
    low, high = PLL_RANGES[family]["output"]
    if not low <= requested_hz <= high:
        raise InputError(f"--clock = {requested_hz / 1e6:g} MHz is out of range for {board}: "
                         f"allowed {oscillator_hz / 1e6:g} MHz (the oscillator) or "
                         f"{low / 1e6:g} … {high / 1e6:g} MHz (the PLL)")
    solve = {"ice40": ice40_pll, "ecp5": ecp5_pll}[family]
    settings = solve(oscillator_hz, requested_hz)
    return ClockPlan(family, oscillator_hz, requested_hz, settings["output_hz"], settings)


def clock_instance(plan, clock_in, clock_out, lock, *, reference_out=None):
    """The PLL ``Instance`` of ``plan``.

    Parameters
    ----------
    clock_in
        iCE40: the oscillator pin's ``IOValue`` (the PLL sits on the pad);
        ECP5: the oscillator as a signal.
    clock_out, lock : Signal
        Driven by the PLL.
    reference_out : Signal, optional
        iCE40 only: driven with the oscillator itself (an ``SB_PLL40_2_PAD``
        instead of an ``SB_PLL40_PAD``: the pad feeds the PLL, and nothing
        else can reach it).
    """
    settings = plan.pll
    if plan.family == "ice40":
        common = dict(
            p_FEEDBACK_PATH="SIMPLE",
            p_DIVR=settings["divr"], p_DIVF=settings["divf"], p_DIVQ=settings["divq"],
            p_FILTER_RANGE=settings["filter_range"],
            i_PACKAGEPIN=clock_in, i_RESETB=1, i_BYPASS=0, o_LOCK=lock)
        if reference_out is not None:
            return Instance("SB_PLL40_2_PAD", p_PLLOUT_SELECT_PORTB="GENCLK", **common,
                            o_PLLOUTGLOBALA=reference_out, o_PLLOUTGLOBALB=clock_out)
        return Instance("SB_PLL40_PAD", **common, o_PLLOUTGLOBAL=clock_out)
    if plan.family == "ecp5":
        return Instance(
            "EHXPLLL",
            a_FREQUENCY_PIN_CLKI=f"{plan.oscillator_hz / 1e6:g}",
            a_FREQUENCY_PIN_CLKOP=f"{plan.frequency_hz / 1e6:g}",
            a_ICP_CURRENT="12", a_LPF_RESISTOR="8", a_MFG_ENABLE_FILTEROPAMP="1",
            a_MFG_GMCREF_SEL="2",
            p_PLLRST_ENA="DISABLED", p_INTFB_WAKE="DISABLED", p_STDBY_ENABLE="DISABLED",
            p_DPHASE_SOURCE="DISABLED", p_OUTDIVIDER_MUXA="DIVA", p_OUTDIVIDER_MUXB="DIVB",
            p_OUTDIVIDER_MUXC="DIVC", p_OUTDIVIDER_MUXD="DIVD",
            p_CLKI_DIV=settings["clki_div"], p_CLKFB_DIV=settings["clkfb_div"],
            p_CLKOP_ENABLE="ENABLED", p_CLKOP_DIV=settings["clkop_div"],
            p_CLKOP_CPHASE=settings["clkop_div"] - 1, p_CLKOP_FPHASE=0,
            p_FEEDBK_PATH="CLKOP",
            i_RST=0, i_STDBY=0, i_CLKI=clock_in, i_CLKFB=clock_out,
            i_PHASESEL0=0, i_PHASESEL1=0, i_PHASEDIR=1, i_PHASESTEP=1, i_PHASELOADREG=1,
            i_PLLWAKESYNC=0, i_ENCLKOP=0,
            o_CLKOP=clock_out, o_LOCK=lock)
    raise ValueError(f"no PLL for family {plan.family!r}")
