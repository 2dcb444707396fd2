"""Benchmarks; run each as a module from the repository root: ``python -m bench.golden``.

(Run as a file, ``bench/golden.py`` would shadow the ``golden`` package.)
"""

from lifq.spec import LIFConfig

# The core the golden and simulation benchmarks run: W = 16, reset-to-mod,
# a leak of β = 3900/2^12 (set ``neurons`` with ``replace``).
CONFIG = LIFConfig(width=16, threshold=64, reset="mod", decay=3900)
