"""Run a stimulus through the core in Amaranth's own simulator.

A driver offers the currents with random idle gaps, a monitor accepts the
updates with random back-pressure and records the cycle of each transfer,
and a parameter driver can write parameter registers between timesteps.
The result is compared with the golden model by the caller (:mod:`sim.check`).
"""

import dataclasses
import random

import numpy as np
from amaranth.sim import Simulator

from lifq.hdl import LIFCore, ParameterAddress

__all__ = ["AmaranthRun", "run_amaranth"]

CLOCK_PERIOD = 10e-9


@dataclasses.dataclass
class AmaranthRun:
    """What the core produced.

    Attributes
    ----------
    spikes, v : ndarray of int64, shape (T, N)
    neurons : ndarray of int64, shape (T, N)
        The ``neuron`` field of each output transfer, in order.
    input_cycles, output_cycles : list of int
        Clock edge of each input and each output transfer.
    latency : int
        The core's documented latency.
    """
    spikes: np.ndarray
    v: np.ndarray
    neurons: np.ndarray
    input_cycles: list
    output_cycles: list
    latency: int


def run_amaranth(cfg, currents, *, seed=0, input_gaps=0.0, output_stalls=0.0,
                 parameter_writes=None, waves=None):
    """Simulate ``cfg``'s core on a T×N current matrix.

    Parameters
    ----------
    cfg : lifq.spec.LIFConfig
    currents : ndarray of int, shape (T, N)
        Already validated (:func:`lifq.golden.validate_currents`).
    seed : int
        Seed of the random gaps and stalls.
    input_gaps, output_stalls : float
        Probability, each cycle, that the driver withholds its next current or
        the monitor is not ready.
    parameter_writes : dict of {int: dict of {str: int}}, optional
        ``{t: {"threshold": …, "decay": …, "bias": …}}``: written before timestep t.
    waves : str, optional
        Path of a VCD file to write.
    """
    currents = np.asarray(currents, dtype=np.int64)
    steps, neurons = currents.shape
    core = LIFCore(cfg)
    rng_in, rng_out = random.Random(seed), random.Random(seed + 1)
    parameter_writes = parameter_writes or {}
    received = []
    input_cycles = []
    cycle = [0]

    async def clock_counter(ctx):
        async for _ in ctx.tick():
            cycle[0] += 1

    async def driver(ctx):
        for t in range(steps):
            for name, value in parameter_writes.get(t, {}).items():
                ctx.set(core.parameters.payload.address, ParameterAddress[name.upper()])
                ctx.set(core.parameters.payload.value, value)
                ctx.set(core.parameters.valid, 1)
                await ctx.tick().until(core.parameters.ready)
                ctx.set(core.parameters.valid, 0)
            for current in currents[t]:
                while rng_in.random() < input_gaps:
                    await ctx.tick()
                ctx.set(core.currents.payload, int(current))
                ctx.set(core.currents.valid, 1)
                await ctx.tick().until(core.currents.ready)
                input_cycles.append(cycle[0])
                ctx.set(core.currents.valid, 0)

    async def monitor(ctx):
        stream = core.updates
        while len(received) < steps * neurons:
            ready = rng_out.random() >= output_stalls
            ctx.set(stream.ready, ready)
            _, _, valid, payload = await ctx.tick().sample(stream.valid, stream.payload)
            if ready and valid:
                received.append((payload.neuron, payload.spike_count, payload.membrane,
                                 cycle[0]))

    simulator = Simulator(core)
    simulator.add_clock(CLOCK_PERIOD)
    simulator.add_process(clock_counter)
    simulator.add_testbench(driver, background=True)
    simulator.add_testbench(monitor)
    if waves:
        with simulator.write_vcd(waves):
            simulator.run()
    else:
        simulator.run()

    table = np.array([r[:3] for r in received], dtype=np.int64).reshape(steps, neurons, 3)
    return AmaranthRun(spikes=table[..., 1], v=table[..., 2], neurons=table[..., 0],
                       input_cycles=input_cycles, output_cycles=[r[3] for r in received],
                       latency=core.latency)
