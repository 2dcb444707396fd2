"""Amaranth components of the lifq neuron core."""
