"""Simulator runners and the stimulus / result file formats of SPEC §4."""
