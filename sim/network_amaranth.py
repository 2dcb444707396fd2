"""Run a network (SPEC §6) on Amaranth's simulator and compare it with the golden model.

A driver turns each timestep's inputs into events (the non-zero x[j] as
(j, x[j]) in ascending j, then the marker) and offers them with random idle
gaps; monitors take the output layer's events and the updates of every
layer (the network is built with ``debug``) with random back-pressure; a
passive observer records the events that pass between layers and counts the
cycles each layer accumulates.  Several samples run back to back with a
clear between them, as a host would run a data set.

:func:`first_mismatch` compares a run with :func:`lifq.golden.simulate_network`
transfer by transfer and names the first difference (layer, sample,
timestep, neuron).
"""

import dataclasses
import random

import numpy as np
from amaranth.sim import Simulator

from lifq.golden import simulate_network
from lifq.golden.network import validate_inputs
from lifq.hdl import Network

__all__ = ["NetworkRun", "run_network", "input_events", "expected_transfers", "first_mismatch"]

CLOCK_PERIOD = 10e-9


def input_events(x):
    """The events of one timestep's input vector: (j, x[j]) for x[j] ≠ 0, ascending j."""
    return [(int(j), int(x[j])) for j in np.flatnonzero(x)]


@dataclasses.dataclass
class NetworkRun:
    """What the network produced.

    Attributes
    ----------
    updates : list of ndarray of int64, shape (transfers, 3), or None
        Per layer, every update transfer as (neuron, k, v'), in order; None
        for a layer whose updates the network did not expose.
    events : list of list of (index, value, end)
        Per layer, every event transfer out of it (hidden layers: into the
        FIFO after it; the output layer: out of the network), markers as
        ``(None, None, 1)``.
    input_cycles : list of int
        The clock cycle of every input transfer, markers included.
    sample_cycles : list of int
        Per sample, cycles from its first input transfer to its last output
        transfer (the output layer's last update or marker).
    accumulate_cycles : list of list of int
        Per layer, the cycles in which it accumulated one word (P synaptic
        operations), in order.
    cycles : int
        Cycles the whole run took.
    completed : bool
        Every expected output arrived (False: the run stopped at
        ``max_cycles``).
    samples, steps : int
    lanes : list of int
    """

    updates: list
    events: list
    input_cycles: list
    sample_cycles: list
    accumulate_cycles: list
    cycles: int
    completed: bool
    samples: int
    steps: int
    lanes: list

    def layer(self, number):
        """(spikes, v) of a layer, int64 arrays (S, T, N_ℓ); needs a completed run."""
        table = self.updates[number]
        neurons = len(table) // (self.samples * self.steps)
        table = table.reshape(self.samples, self.steps, neurons, 3)
        return table[..., 1], table[..., 2]


def run_network(net, inputs, *, lanes=1, fifo_depth=None, debug=True, updates=True, seed=0,
                input_gaps=0.0, output_stalls=0.0, max_cycles=None, waves=None):
    """Simulate ``net`` on T×N_0 inputs (one sample) or S×T×N_0 (S samples, a clear
    between two samples).

    Parameters
    ----------
    net : lifq.spec.NetworkConfig
    inputs : array_like of int, shape (T, N_0) or (S, T, N_0)
    lanes, fifo_depth, debug, updates
        As for :class:`lifq.hdl.Network`: the update streams of the network
        are all taken.  Without ``debug`` the hidden layers' updates are not
        seen (their events still are).
    seed : int
        Seed of the gaps and the back-pressure.
    input_gaps, output_stalls : float
        Probability, each cycle, that the driver withholds its next event or
        that a monitor is not ready.
    max_cycles : int, optional
        Stop after this many cycles (the run is then not ``completed``);
        the default is generous for the stimulus.
    waves : str, optional
        Path of a VCD file to write.
    """
    inputs = validate_inputs(net, inputs)
    x = inputs if inputs.ndim == 3 else inputs[None]
    samples, steps, _ = x.shape
    dut = Network(net, lanes=lanes, fifo_depth=fifo_depth, debug=debug, updates=updates)
    count = len(net.layers)
    monitored = [n for n in range(count) if (debug and n < count - 1)
                 or (updates and n == count - 1)]
    expected_updates = [samples * steps * layer.neurons if n in monitored else 0
                        for n, layer in enumerate(net.layers)]
    expected_markers = samples * steps
    if max_cycles is None:
        per_step = sum(layer.fan_in * dut.layers[n].groups + layer.neurons + 40
                       for n, layer in enumerate(net.layers))
        slowdown = 1.0 / max(0.05, 1.0 - max(input_gaps, output_stalls))
        max_cycles = int(2000 + 4 * slowdown * samples * steps * per_step)

    taken = [[] for _ in range(count)]
    update_cycles = [[] for _ in range(count)]
    events = [[] for _ in range(count)]
    event_cycles = [[] for _ in range(count)]
    input_cycles = []
    first_inputs = []
    accumulate = [[] for _ in range(count)]
    cycle = [0]
    markers = [0] * count

    def received_sample(number):
        """Every output of sample ``number`` has been taken (all layers)."""
        done = number + 1
        return (all(len(taken[n]) >= done * steps * net.layers[n].neurons
                    for n in monitored)
                and all(marks >= done * steps for marks in markers))

    def finished():
        return (all(len(taken[n]) >= expected_updates[n] for n in range(count))
                and all(marks >= expected_markers for marks in markers))

    async def driver(ctx):
        rng = random.Random(seed)
        stream = dut.inputs
        for sample in range(samples):
            if sample:
                while not received_sample(sample - 1):
                    await ctx.tick()
                ctx.set(dut.clear, 1)
                await ctx.tick()
                ctx.set(dut.clear, 0)
            for t in range(steps):
                beats = [(j, value, 0) for j, value in input_events(x[sample, t])]
                for index, value, end in beats + [(0, 0, 1)]:
                    while rng.random() < input_gaps:
                        await ctx.tick()
                    ctx.set(stream.payload, {"index": index, "value": value, "end": end})
                    ctx.set(stream.valid, 1)
                    await ctx.tick().until(stream.ready)
                    input_cycles.append(cycle[0])
                    if len(first_inputs) == sample:
                        first_inputs.append(cycle[0])
                    ctx.set(stream.valid, 0)

    def update_monitor(number):
        stream = dut.layer_updates(number)

        async def monitor(ctx):
            rng = random.Random(seed * 7919 + 101 * number + 1)
            while len(taken[number]) < expected_updates[number]:
                ready = rng.random() >= output_stalls
                ctx.set(stream.ready, ready)
                _, _, valid, payload = await ctx.tick().sample(stream.valid, stream.payload)
                if ready and valid:
                    taken[number].append((payload.neuron, payload.spike_count,
                                            payload.membrane))
                    update_cycles[number].append(cycle[0])
            ctx.set(stream.ready, 0)
        return monitor

    async def event_monitor(ctx):
        rng = random.Random(seed * 7919 + 7)
        stream = dut.events
        last = count - 1
        while markers[last] < expected_markers:
            ready = rng.random() >= output_stalls
            ctx.set(stream.ready, ready)
            _, _, valid, payload = await ctx.tick().sample(stream.valid, stream.payload)
            if ready and valid:
                _record_event(events[last], payload)
                event_cycles[last].append(cycle[0])
                markers[last] += payload.end
        ctx.set(stream.ready, 0)

    async def observer(ctx):
        """Counts cycles, watches the streams between layers and the accumulators;
        ends the simulation when everything arrived or at ``max_cycles``."""
        watched = []
        for layer in dut.layers[:-1]:
            watched += [layer.events.valid, layer.events.ready, layer.events.payload]
        flags = [layer.synapses.accumulating for layer in dut.layers]
        while not finished() and cycle[0] < max_cycles:
            sampled = await ctx.tick().sample(*watched, *flags)
            values = sampled[2:]
            for number in range(count - 1):
                valid, ready, payload = values[3 * number:3 * number + 3]
                if valid and ready:
                    _record_event(events[number], payload)
                    markers[number] += payload.end
            for number, flag in enumerate(values[3 * (count - 1):]):
                if flag:
                    accumulate[number].append(cycle[0])
            cycle[0] += 1

    simulator = Simulator(dut)
    simulator.add_clock(CLOCK_PERIOD)
    simulator.add_testbench(driver, background=True)
    for number in monitored:
        simulator.add_testbench(update_monitor(number), background=True)
    simulator.add_testbench(event_monitor, background=True)
    simulator.add_testbench(observer)
    if waves:
        with simulator.write_vcd(waves):
            simulator.run()
    else:
        simulator.run()

    completed = finished()
    sample_cycles = []
    if completed:
        per_sample = steps * net.outputs
        for sample, start in enumerate(first_inputs):
            end = _marker_cycle(events[-1], event_cycles[-1], (sample + 1) * steps)
            if count - 1 in monitored:
                end = max(end, update_cycles[-1][(sample + 1) * per_sample - 1])
            sample_cycles.append(end - start + 1)
    return NetworkRun(
        updates=[np.array(u, dtype=np.int64).reshape(-1, 3) if n in monitored else None
                 for n, u in enumerate(taken)],
        events=events, input_cycles=input_cycles, sample_cycles=sample_cycles,
        accumulate_cycles=accumulate, cycles=cycle[0], completed=completed,
        samples=samples, steps=steps, lanes=dut.lanes)


def _record_event(target, payload):
    if payload.end:
        target.append((None, None, 1))
    else:
        target.append((int(payload.index), int(payload.value), 0))


def _marker_cycle(events, cycles, number):
    """The cycle of the ``number``-th marker (1-based)."""
    seen = 0
    for event, when in zip(events, cycles):
        seen += event[2]
        if seen == number:
            return when
    raise ValueError(f"fewer than {number} markers")


def expected_transfers(net, inputs):
    """What the network must send, from the golden model.

    Returns
    -------
    updates : list of ndarray of int64, shape (transfers, 3)
        Per layer, (neuron, k, v') of every update, samples then steps then
        neurons.
    events : list of list of (index, value, end)
        Per layer, the events then the marker of every step.
    """
    inputs = validate_inputs(net, inputs)
    x = inputs if inputs.ndim == 3 else inputs[None]
    result = simulate_network(net, x)
    updates, events = [], []
    for spikes, v in result.layers:
        samples, steps, neurons = spikes.shape
        index = np.broadcast_to(np.arange(neurons), spikes.shape)
        updates.append(np.stack([index, spikes, v], axis=-1).reshape(-1, 3))
        sequence = []
        for k in spikes.reshape(samples * steps, neurons):
            sequence += [(n, value, 0) for n, value in input_events(k)] + [(None, None, 1)]
        events.append(sequence)
    return updates, events


def first_mismatch(net, inputs, run):
    """The first transfer at which ``run`` differs from the golden model, as a
    sentence naming the layer, sample, timestep and neuron; None when equal."""
    inputs = validate_inputs(net, inputs)
    x = inputs if inputs.ndim == 3 else inputs[None]
    samples, steps, _ = x.shape
    expected_updates, expected_events = expected_transfers(net, x)
    for number, (got, expected) in enumerate(zip(run.updates, expected_updates)):
        if got is None:
            continue
        neurons = net.layers[number].neurons
        for position in range(max(len(got), len(expected))):
            sample, rest = divmod(position, steps * neurons)
            t, n = divmod(rest, neurons)
            mine = tuple(int(v) for v in got[position]) if position < len(got) else None
            theirs = tuple(int(v) for v in expected[position]) if position < len(expected) \
                else None
            if mine != theirs:
                return (f"layer {number}, sample {sample}, timestep {t}, neuron {n} (update "
                        f"transfer {position}): expected (neuron, k, v') = {theirs}, got {mine}")
    for number, (got, expected) in enumerate(zip(run.events, expected_events)):
        step = 0
        for position in range(max(len(got), len(expected))):
            mine = got[position] if position < len(got) else None
            theirs = expected[position] if position < len(expected) else None
            if mine != theirs:
                sample, t = divmod(step, steps)
                return (f"layer {number}, sample {sample}, timestep {t}: event transfer "
                        f"{position}: expected (index, value, end) = {theirs}, got {mine}")
            if theirs is not None and theirs[2]:
                step += 1
    if not run.completed:
        return f"the run stopped after {run.cycles} cycles before every output arrived"
    return None
