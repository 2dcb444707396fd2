"""``lifq error trains|sqnr|hardware``: the quantization-error experiments of SPEC §5.

Each experiment prints a table (or, with ``--json``, one JSON object) and
optionally writes a PNG (``--plot FILE.png`` or ``--plot-dir DIR``).  The
numerics live in :mod:`lifq.golden.experiments`; this module only parses options,
checks them, shows progress and formats the output.
"""

import json
import math
import sys

import numpy as np

from lifq import error_tables
from lifq.golden.experiments import check_parameters, hardware, sqnr, trains
from lifq.options import SEED, Options
from lifq.outputs import OutputPlan
from lifq.progress import ProgressBar
from lifq.spec import InputError

PLOT_NAMES = {"trains": "error_trains.png", "sqnr": "error_sqnr.png",
              "hardware": "error_hardware.png"}


def register(subparsers):
    parser = subparsers.add_parser(
        "error", help="quantization-error experiments with tables and PNG plots",
        description="Quantization-error experiments of the papers (SPEC §5): what "
                    "reset-to-mod buys, printed as tables, --json or PNG plots.")
    experiments = parser.add_subparsers(dest="experiment", metavar="EXPERIMENT",
                                        required=True)
    _register_trains(experiments)
    _register_sqnr(experiments)
    _register_hardware(experiments)


def _common_options(options, name):
    where = options.parser.add_mutually_exclusive_group()
    where.add_argument("--plot", metavar="FILE.png", help="write the figure to this PNG file")
    where.add_argument("--plot-dir", metavar="DIR",
                       help=f"write the figure to DIR/{PLOT_NAMES[name]}")
    options.add("--json", action="store_true",
                help="print one JSON object instead of the table")
    options.add("--seed", limit=SEED, default=2023, help="random seed (default 2023)")


def _register_trains(experiments):
    parser = experiments.add_parser(
        "trains", help="random spike trains through the three resets (paper Figs. 4–5)",
        description="Random spike trains (gaps uniform in [0, max-gap], amplitudes uniform "
                    "in [−Aθ, Aθ]) through the real-valued LIF neuron with each reset: the "
                    "distribution of ‖LIF(η) − η‖_{A,α} over the runs.  Defaults are the "
                    "settings of Moser & Lunglmayr (2023).")
    options = Options(parser)
    options.add("--runs", limit=trains.LIMITS["runs"], default=100,
                help="random trains per setting (default 100)")
    options.add("--spikes", dest="spike_counts", limit=trains.LIMITS["spike_counts"], nargs="+",
                default=[10, 20, 50, 100, 200, 500], metavar="N",
                help="numbers of input spikes (default 10 20 50 100 200 500)")
    options.add("--amplitudes", limit=trains.LIMITS["amplitudes"], nargs="+", default=[1, 1.5],
                metavar="A",
                help="amplitude ranges A, in units of θ (default 1 1.5)")
    options.add("--alphas", limit=trains.LIMITS["alphas"], nargs="+", default=[1, 0.1],
                metavar="ALPHA", help="leak rates α ≥ 0, 'inf' allowed (default 1 0.1)")
    options.add("--max-gap", limit=trains.LIMITS["max_gap"], default=1,
                help="largest gap between spike times (default 1)")
    _common_options(options, "trains")
    parser.set_defaults(run=_run_trains, options=options, command="error trains")


def _register_sqnr(experiments):
    parser = experiments.add_parser(
        "sqnr", help="the IF neuron as a uniform quantizer: SQNR over time steps",
        description="Constant Gaussian inputs over T steps, rate decoding x̂ = θ·Σk/T, SQNR "
                    "against ReLU(x) for a fixed θ and the SQNR-optimal θ, T = 1 … max-steps, "
                    "for reset by subtraction (Castagnetti et al. 2023), to mod and to zero.")
    options = Options(parser)
    options.add("--max-steps", limit=sqnr.LIMITS["max_steps"], default=32,
                help="largest T (default 32)")
    options.add("--samples", limit=sqnr.LIMITS["samples"], default=10_000,
                help="Gaussian input samples (default 10000)")
    options.add("--sigma", limit=sqnr.LIMITS["sigma"], default=0.1,
                help="standard deviation of the inputs (default 0.1)")
    options.add("--theta", dest="fixed_theta", limit=sqnr.LIMITS["fixed_theta"], default=1,
                help="the fixed threshold to compare with (default 1)")
    options.add("--spike-bits", limit=sqnr.LIMITS["spike_bits"], default=4,
                help="q of reset-to-mod: up to 2^q − 1 spikes per step (default 4)")
    _common_options(options, "sqnr")
    parser.set_defaults(run=_run_sqnr, options=options, command="error sqnr")


def _register_hardware(experiments):
    parser = experiments.add_parser(
        "hardware", help="integer hardware neuron vs the real-valued one",
        description="The bit-exact integer neuron against the real-valued LIF on the same "
                    "random integer trains: how leak rounding (F), the spike-count cap (q) "
                    "and the membrane width (W) move the error, and where |error| < θ holds.")
    options = Options(parser)
    options.add("--runs", limit=hardware.LIMITS["runs"], default=100,
                help="random trains per setting, one neuron each (default 100)")
    options.add("--steps", limit=hardware.LIMITS["steps"], default=200,
                help="time steps per train (default 200)")
    options.add("--theta", limit=hardware.LIMITS["theta"], default=64,
                help="threshold θ in LSB (default 64)")
    options.add("--alphas", limit=hardware.LIMITS["alphas"], nargs="+", default=[1, 0.1],
                metavar="ALPHA",
                help="leak rates of the leak sweep; the other sweeps use the smallest "
                     "(default 1 0.1)")
    options.add("--amplitude", limit=hardware.LIMITS["amplitude"], default=1.5,
                help="A of the leak sweep: currents in [−Aθ, Aθ] (default 1.5)")
    options.add("--decay-shifts", limit=hardware.LIMITS["decay_shifts"], nargs="+",
                default=[2, 4, 6, 8, 10, 12, 16],
                metavar="F", help="leak fraction bits F of the leak sweep")
    options.add("--spike-bits", limit=hardware.LIMITS["spike_bits"], nargs="+",
                default=[1, 2, 3, 4], metavar="Q",
                help="q of the spike-bits sweep (default 1 2 3 4)")
    options.add("--spike-amplitudes", limit=hardware.LIMITS["spike_amplitudes"], nargs="+",
                default=[1, 2, 4, 8, 16],
                metavar="A", help="A of the spike-bits sweep (default 1 2 4 8 16)")
    options.add("--widths", limit=hardware.LIMITS["widths"], nargs="+", metavar="W",
                help="membrane widths of the width sweep (default: the narrowest that "
                     "holds θ, +2, +4, +8)")
    options.add("--width-amplitude", limit=hardware.LIMITS["width_amplitude"], default=4,
                help="A of the width sweep (default 4)")
    options.add("--sweep", dest="sweeps", choices=["leak", "spike-bits", "width", "all"],
                default="all", help="which sweep to run (default all)")
    options.add("--engine", choices=("golden", "verilator"), default="golden",
                help="integer model: the golden model or the RTL on Verilator "
                     "(default golden)")
    _common_options(options, "hardware")
    parser.set_defaults(run=_run_hardware, options=options, command="error hardware")


# --- running ---------------------------------------------------------------

def _run_trains(args):
    numbers = args.options.values(args)
    values = {name: numbers[name] for name in
              ("runs", "spike_counts", "amplitudes", "alphas", "max_gap", "seed")}
    check_parameters(values, trains.LIMITS, args.options.spell)
    trains.check_memory(values, args.options.spell)
    plot = _plot_path(args, "trains")
    with ProgressBar("lifq error trains") as progress:
        result = trains.random_train_errors(**values, progress=progress)
    _report(args, result, plot, error_tables.print_trains, "plot_trains")


def _run_sqnr(args):
    numbers = args.options.values(args)
    values = {name: numbers[name] for name in
              ("max_steps", "samples", "sigma", "fixed_theta", "spike_bits", "seed")}
    check_parameters(values, sqnr.LIMITS, args.options.spell)
    plot = _plot_path(args, "sqnr")
    with ProgressBar("lifq error sqnr") as progress:
        result = sqnr.sqnr_over_steps(**values, progress=progress)
    _report(args, result, plot, error_tables.print_sqnr, "plot_sqnr")


def _run_hardware(args):
    numbers = args.options.values(args)
    sweeps = hardware.SWEEPS if args.sweeps == "all" else (args.sweeps.replace("-", "_"),)
    values = {name: numbers[name] for name in
              ("runs", "steps", "theta", "alphas", "amplitude", "decay_shifts", "spike_bits",
               "spike_amplitudes", "width_amplitude", "seed")}
    values["widths"] = numbers["widths"] or hardware.default_widths(values["theta"])
    hardware.check({**values, "sweeps": sweeps}, args.options.spell)
    plot = _plot_path(args, "hardware")
    values.update(sweeps=sweeps, engine=_engine(args.engine))
    with ProgressBar(f"lifq error hardware ({args.engine})") as progress:
        result = hardware.hardware_vs_real(**values, progress=progress)
    _report(args, result, plot, error_tables.print_hardware, "plot_hardware")


def _engine(name):
    """The integer model behind ``--engine``: the golden model or the RTL."""
    if name == "golden":
        return name
    from lifq.sim.engines import RtlEngine
    return RtlEngine(name)


def _plot_path(args, name):
    """The PNG to write (or None), checked before a long sweep starts."""
    if args.plot is None and args.plot_dir is None:
        return None
    try:
        import matplotlib  # noqa: F401  (the plot extra)
    except ModuleNotFoundError:
        raise InputError("--plot needs matplotlib: pip install 'lifq[plot]'") from None
    plan = OutputPlan()
    if args.plot is not None:
        return plan.add("--plot", args.plot, suffixes=(".png",))
    directory = plan.add("--plot-dir", args.plot_dir, kind="folder")
    if not directory.exists():
        return directory / PLOT_NAMES[name]  # a new folder: created when the plot is written
    return plan.add("--plot-dir", directory / PLOT_NAMES[name], suffixes=(".png",))


def _report(args, result, plot, print_table, plot_function):
    if plot is not None:
        from lifq.golden.experiments import plots
        plot.parent.mkdir(parents=True, exist_ok=True)
        with OutputPlan().writing(plot) as temporary:
            getattr(plots, plot_function)(result, temporary)
    if args.json:
        print(json.dumps(_plain(result.to_json()), indent=2, ensure_ascii=False))
    else:
        print_table(result)
    if plot is not None:
        sys.stdout.flush()  # keep the table and this note in order on a terminal
        print(f"lifq error {args.experiment}: wrote {plot}", file=sys.stderr)


def _plain(value):
    """JSON-ready copy: numpy scalars as Python numbers, ±inf and NaN as strings.

    Strict JSON has no Infinity; "inf" (e.g. α = inf) reads back with float().
    """
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(item) for item in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else str(value)
    return value
