"""Benchmarks; run each as a module from the repository root: ``python -m bench.golden``.

(Run as a file, ``bench/golden.py`` would shadow the ``golden`` package.)
"""
