"""A progress bar on standard error for the CLI's longer jobs."""

import math
import sys
import time

__all__ = ["ProgressBar"]


class ProgressBar:
    """A one-line progress bar on standard error, for sweeps that take a while.

    It stays silent for the first ``delay`` seconds (quick sweeps never draw)
    and when the stream is not a terminal (logs and pipes stay clean), and
    erases itself when closed so the table starts on a clean line.

    Parameters
    ----------
    label : str
    stream : file, optional
        Default standard error.
    enabled : bool, optional
        Default: whether ``stream`` is a terminal.
    delay : float
        Seconds before the first draw.
    """

    WIDTH = 30

    def __init__(self, label, stream=None, enabled=None, delay=1.0):
        self.label = label
        self.stream = sys.stderr if stream is None else stream
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.delay = delay
        self.start = time.monotonic()
        self.last_draw = None
        self.line_length = 0

    def __call__(self, done, total):
        if not self.enabled:
            return
        now = time.monotonic()
        elapsed = now - self.start
        if elapsed < self.delay or (self.last_draw is not None and now - self.last_draw < 0.1
                                    and done < total):
            return
        self.last_draw = now
        fraction = done / total
        filled = int(self.WIDTH * fraction)
        left = elapsed * (total - done) / done if done else math.inf
        line = (f"{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
                f"{100 * fraction:3.0f}%  {left:4.0f} s left")
        self.stream.write("\r" + line.ljust(self.line_length))
        self.stream.flush()
        self.line_length = len(line)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.line_length:
            self.stream.write("\r" + " " * self.line_length + "\r")
            self.stream.flush()
