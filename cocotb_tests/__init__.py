"""The cocotb testbench of the LIF core, installed with lifq (``lifq.cocotb_tests``).

:mod:`.streams` holds generic stream verification components, :mod:`.lifq_tb`
the core's own (parameter source, scoreboard, testbench), and
:mod:`.test_lif_core` the cocotb test that :mod:`lifq.sim.runner` runs.
"""
