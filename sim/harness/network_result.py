"""What a network harness run produced, next to what the golden network says."""

import dataclasses
import pathlib

import numpy as np

from lifq.spec import NetworkConfig

__all__ = ["NetworkRtlRun"]


@dataclasses.dataclass
class NetworkRtlRun:
    """The transfers of a network on a simulator, checked against the golden network.

    Attributes
    ----------
    net : lifq.spec.NetworkConfig
    samples, steps : int
        S and T of the inputs.
    lanes : list of int
        P of every layer.
    updates : list of (ndarray of int64, shape (transfers, 3)) or None
        Per layer, every update (neuron, k, v') in arrival order; None for a
        hidden layer whose updates the run did not take (without ``debug``).
    events : ndarray of int64, shape (transfers, 3)
        The output layer's events (index, value, end) in arrival order.
    expected : lifq.golden.network.BatchResult
        The golden network on the same inputs (every layer recorded).
    mismatch : lifq.sim.harness.network_scoreboard.Mismatch or None
        The first difference: the lowest layer's first wrong update, else the
        first wrong event; ``str()`` of it names layer, sample, timestep, neuron.
    hung : str or None
        Set when the run stopped because nothing moved any more.
    passed : bool
        No mismatch and no hang.
    seed : int
    simulator : str
        The simulator, plus the netlist family if one was simulated.
    cycles : int
        Cycles the run took after reset (including the drain after the end).
    sample_cycles : ndarray of int64
        Per sample whose outputs all arrived: cycles from its first input
        transfer to its last output transfer, both included.
    sent : int
        Input beats (events and markers) the network took.
    log : pathlib.Path or None
        The simulator's log (kept when the run failed or ``keep`` was set).
    """
    net: NetworkConfig
    samples: int
    steps: int
    lanes: list
    updates: list
    events: np.ndarray
    expected: object
    mismatch: object
    hung: str
    passed: bool
    seed: int
    simulator: str
    cycles: int
    sample_cycles: np.ndarray
    sent: int
    log: pathlib.Path = None

    def layer(self, number):
        """(spikes, v) of layer ``number`` as the RTL sent them, int64 arrays (S, T, N_ℓ).

        Raises
        ------
        ValueError
            When the run did not take that layer's updates, or not all of them.
        """
        table = self.updates[number]
        neurons = self.net.layers[number].neurons
        wanted = self.samples * self.steps * neurons
        if table is None or len(table) < wanted:
            raise ValueError(f"layer {number}: "
                             + ("its updates were not taken (run with debug)" if table is None
                                else f"{len(table)} of {wanted} updates arrived"))
        table = table[:wanted].reshape(self.samples, self.steps, neurons, 3)
        return table[..., 1], table[..., 2]

    def complete_samples(self):
        """Samples (from the first) whose output-layer updates all arrived."""
        per_sample = self.steps * self.net.outputs
        return min(self.samples, len(self.updates[-1]) // per_sample)

    def scores(self):
        """The scores of SPEC §6 from the output layer's updates, int64 (S, N_L): θ_L·Σ_t k
        + the last v'.  Rows of samples whose updates did not all arrive are absent from
        the result (it has :meth:`complete_samples` rows)."""
        done = self.complete_samples()
        outputs = self.net.outputs
        table = self.updates[-1][:done * self.steps * outputs].reshape(done, self.steps,
                                                                         outputs, 3)
        theta = self.net.layers[-1].neuron.threshold
        return theta * table[..., 1].sum(axis=1) + table[:, -1, :, 2]

    def predictions(self):
        """argmax of every sample's scores (lowest n on ties); −1 for a sample whose
        updates did not all arrive."""
        predictions = np.full(self.samples, -1, dtype=np.int64)
        scores = self.scores()
        predictions[:len(scores)] = np.argmax(scores, axis=1)
        return predictions

    def differing_samples(self):
        """Per sample, whether any of its transfers differs from the golden network, bool (S,).

        A sample differs when one of its updates (of every layer the run took)
        differs or did not arrive, or when the output events go wrong in it or
        before it (a wrong event puts every later one out of place).
        """
        differing = np.zeros(self.samples, dtype=bool)
        for number, table in enumerate(self.updates):
            if table is None:
                continue
            spikes, v = self.expected.layers[number]
            expected = np.stack([np.broadcast_to(np.arange(spikes.shape[-1]), spikes.shape),
                                 spikes, v], axis=-1).reshape(self.samples, -1, 3)
            got = np.full(expected.shape, np.iinfo(np.int64).min, dtype=np.int64)
            arrived = min(len(table), expected.shape[0] * expected.shape[1])
            got.reshape(-1, 3)[:arrived] = table[:arrived]
            differing |= (got != expected).any(axis=(1, 2))
            if len(table) > arrived:         # extra transfers belong to the last sample
                differing[-1] = True
        if self.mismatch is not None and self.mismatch.stream == "events":
            differing[self.mismatch.sample if self.mismatch.sample is not None else -1:] = True
        return differing

    def report(self):
        """One line on what went wrong (or that nothing did)."""
        if self.passed:
            transfers = sum(len(table) for table in self.updates if table is not None)
            return (f"{self.simulator}: all {transfers} updates and {len(self.events)} events "
                    f"equal the golden network (seed {self.seed})")
        what = str(self.mismatch) if self.mismatch is not None else self.hung
        return (f"{self.simulator}: MISMATCH at {what} (seed {self.seed}, replay with "
                f"LIFQ_SEED={self.seed}; log {self.log})")
