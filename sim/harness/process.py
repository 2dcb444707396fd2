"""One run of a harness build: its folder, seed, pacing, and the simulator's process.

Both harnesses (:mod:`.run` for bundles of cores, :mod:`.network_run` for
networks) set up a run and start their simulator this way, so that the
caller can prepare the next stimulus or compute the golden model while it
runs.
"""

import os
import pathlib
import random
import shutil
import subprocess
import tempfile

from ..build_cache import default_build_dir
from ..tools import SimulationError

__all__ = ["SimulatorProcess", "default_seed", "checked_probability", "run_label", "run_folder",
           "build_root"]


def default_seed(seed):
    """``seed`` as an int; when None, ``$LIFQ_SEED`` or else a random one."""
    if seed is None:
        return (int(os.environ["LIFQ_SEED"]) if os.environ.get("LIFQ_SEED")
                else random.SystemRandom().randrange(1 << 31))
    return int(seed)


def checked_probability(name, value):
    """A chance per cycle as a float in [0, 1), or ValueError naming it."""
    value = float(value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} = {value} must lie in [0, 1)")
    return value


def run_label(simulator, netlist):
    """How a run names itself: the simulator, plus the netlist family."""
    return simulator if netlist is None else f"{simulator}, {netlist} netlist"


def run_folder(build):
    """A new folder for one run under the build's ``runs/``."""
    runs = build.folder / "runs"
    runs.mkdir(exist_ok=True)
    return pathlib.Path(tempfile.mkdtemp(prefix="run-", dir=runs))


def build_root(build_dir):
    """The build cache's root: ``build_dir``, else the default."""
    return pathlib.Path(build_dir if build_dir is not None else default_build_dir()).resolve()


class SimulatorProcess:
    """The simulator of a harness build, started on a stimulus file.

    Parameters
    ----------
    build : lifq.sim.harness.build.HarnessBuild
    run_dir : pathlib.Path
        The run's folder: its stimulus, result and log (``sim.log``).
    stimulus, results : pathlib.Path
        The files the harness reads and writes.
    label : str
        How messages name the run (the simulator, plus the netlist family).

    Raises
    ------
    lifq.sim.tools.SimulationError
        When the simulator does not start.
    """

    def __init__(self, build, run_dir, stimulus, results, label):
        self.run_dir, self.label = run_dir, label
        self.log = run_dir / "sim.log"
        self._log_file = open(self.log, "w")
        try:
            self._process = subprocess.Popen(
                build.run_command(stimulus, results), cwd=run_dir, stdout=self._log_file,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        except OSError as error:
            self._log_file.close()
            raise SimulationError(f"{label} run of the harness did not start ({error.strerror})",
                                  self.log) from None

    def wait(self):
        """Wait for the simulator; :class:`SimulationError` unless it exited with 0."""
        status = self._process.wait()
        self._log_file.close()
        if status != 0:
            raise SimulationError(f"{self.label} run of the harness failed (exit status "
                                  f"{status})", self.log)

    def unreadable(self, error):
        """The :class:`SimulationError` of a result file that ``error`` says is incomplete."""
        return SimulationError(f"{self.label} harness wrote no complete result ({error})",
                               self.log)

    def clean_up(self, keep):
        """Delete the run's folder unless ``keep``; returns the log to report, or None."""
        if keep:
            return self.log
        shutil.rmtree(self.run_dir, ignore_errors=True)
        return None
