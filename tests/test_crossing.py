"""The clock-domain crossing between a board's host link and its core (boards.crossing).

The link runs on the oscillator and the core on the PLL's clock; these tests
run the crossing between two simulator clocks out of step with each other,
the core's faster and slower than the link's, with random pauses on both
sides, and check it against the golden model.
"""

import random

import numpy as np
import pytest
from amaranth.hdl import ClockDomain, DomainRenamer, Module
from amaranth.lib import wiring
from amaranth.sim import Simulator

from lifq.boards.crossing import FIFO_DEPTH, AsyncStream, CoreCrossing
from lifq.golden import simulate
from lifq.hdl import LIFCore
from lifq.hdl.interfaces import forward
from lifq.spec import LIFConfig, Register

LINK_PERIOD = 1e-9
# (core period, seed): the core faster than the link (as on the boards), slower, and at
# a ratio close to one (the two clocks' edges drift slowly past each other).
CLOCKS = [(0.7e-9, 1), (1.9e-9, 2), (0.97e-9, 3)]


def _simulator(design, core_period):
    top = Module()
    top.domains.sync = ClockDomain("sync")
    top.domains.core = ClockDomain("core")
    top.submodules.design = design
    simulator = Simulator(top)
    simulator.add_clock(LINK_PERIOD, domain="sync")
    simulator.add_clock(core_period, domain="core")
    return simulator


@pytest.mark.parametrize("core_period, seed", CLOCKS)
def test_async_stream_keeps_order_and_back_pressure(core_period, seed):
    """Every value arrives once and in order under random pauses on both sides; with
    the reader stopped, the writer fills exactly the slots and the output register."""
    rng = random.Random(seed)
    print(f"seed {seed}")
    stream = AsyncStream(16, depth=FIFO_DEPTH, w_domain="sync", r_domain="core")
    values = [rng.randrange(1 << 16) for _ in range(300)]
    received, accepted_while_stopped, stopped = [], [], []

    async def writer(ctx):
        for index, value in enumerate(values):
            while rng.random() < 0.3:
                await ctx.tick("sync")
            ctx.set(stream.input.valid, 1)
            ctx.set(stream.input.payload, value)
            await ctx.tick("sync").until(stream.input.ready)
            ctx.set(stream.input.valid, 0)
            if index == 99:   # once all 100 are through, stop the reader and fill up
                while len(received) < 100:
                    await ctx.tick("sync")
                stopped.append(True)
                ctx.set(stream.input.valid, 1)
                count = 0
                for _ in range(200):
                    ctx.set(stream.input.payload, 0xBEEF + count)
                    _, _, ready = await ctx.tick("sync").sample(stream.input.ready)
                    count += ready
                ctx.set(stream.input.valid, 0)
                accepted_while_stopped.append(count)
                stopped.clear()

    async def reader(ctx):
        while len(received) < len(values) + FIFO_DEPTH + 1:
            ready = 0 if stopped else int(rng.random() < 0.6)
            ctx.set(stream.output.ready, ready)
            _, _, valid, payload = await ctx.tick("core").sample(stream.output.valid,
                                                                stream.output.payload)
            if valid and ready:
                received.append(payload)

    simulator = _simulator(stream, core_period)
    simulator.add_testbench(writer)
    simulator.add_testbench(reader)
    simulator.run()
    assert accepted_while_stopped == [FIFO_DEPTH + 1]
    fill = [0xBEEF + i for i in range(FIFO_DEPTH + 1)]
    assert received == values[:100] + fill + values[100:]


def test_async_stream_depth_is_checked():
    with pytest.raises(ValueError, match="depth = 3: allowed a power of two, at least 2"):
        AsyncStream(8, depth=3, w_domain="a", r_domain="b")


class CoreBehindCrossing(wiring.Component):
    """A LIF core in the domain ``core`` behind a crossing, seen from ``sync``."""

    def __init__(self, config):
        self.crossing = CoreCrossing(config)
        self.core = LIFCore(config)
        super().__init__({name: member for name, member in
                          self.crossing.signature.members.items() if name != "core"})

    def elaborate(self, platform):
        m = Module()
        m.submodules.crossing = crossing = self.crossing
        m.submodules.core = core = DomainRenamer("core")(self.core)
        forward(m, wiring.flipped(crossing.core), core, crossing.core.signature.members)
        forward(m, self, crossing, [name for name in self.signature.members])
        return m


@pytest.mark.parametrize("core_period, seed", CLOCKS)
def test_core_behind_the_crossing_matches_the_golden_model(core_period, seed):
    """Currents and updates under random pauses, a clear between two runs, parameter
    writes (one out of range, which the core reports back as rejected): every update
    bit-exact against the golden model."""
    rng = random.Random(seed)
    print(f"seed {seed}")
    cfg = LIFConfig(neurons=5, threshold=40, decay=3900, bias=3)
    changed = LIFConfig(neurons=5, threshold=25, decay=3900, bias=3)
    first = np.random.default_rng(seed).integers(-120, 120, (6, cfg.neurons))
    second = np.random.default_rng(seed + 10).integers(-120, 120, (5, cfg.neurons))
    dut = CoreBehindCrossing(cfg)
    received, log = [], {}

    async def send(ctx, currents):
        for value in currents.ravel().tolist():
            while rng.random() < 0.4:
                await ctx.tick()
            ctx.set(dut.currents.valid, 1)
            ctx.set(dut.currents.payload, value)
            await ctx.tick().until(dut.currents.ready)
            ctx.set(dut.currents.valid, 0)

    async def wait_for(ctx, count):
        while len(received) < count:
            await ctx.tick()

    async def write(ctx, register, value):
        ctx.set(dut.parameters.valid, 1)
        ctx.set(dut.parameters.payload, {"address": register, "value": value})
        await ctx.tick().until(dut.parameters.ready)
        ctx.set(dut.parameters.valid, 0)
        await ctx.tick()
        assert not ctx.get(dut.parameters.ready)     # busy until the core has answered
        await ctx.tick().until(dut.parameters.ready)
        return ctx.get(dut.parameter_rejected)

    async def link(ctx):
        await send(ctx, first)
        await wait_for(ctx, first.size)
        log["next_neuron"] = ctx.get(dut.next_neuron)
        ctx.set(dut.clear, 1)
        await ctx.tick()
        ctx.set(dut.clear, 0)
        assert ctx.get(dut.clearing)
        await ctx.tick().until(~dut.clearing)
        log["rejected"] = await write(ctx, Register.THRESHOLD, 0)          # out of range
        log["accepted"] = await write(ctx, Register.THRESHOLD, changed.threshold)
        for _ in range(4):                   # the values' synchronisers catch up
            await ctx.tick()
        log["threshold"] = ctx.get(dut.parameter_values.threshold)
        await send(ctx, second)
        await wait_for(ctx, first.size + second.size)

    async def sink(ctx):
        while True:
            ready = int(rng.random() < 0.5)
            ctx.set(dut.updates.ready, ready)
            _, _, valid, payload = await ctx.tick().sample(dut.updates.valid,
                                                           dut.updates.payload)
            if valid and ready:
                received.append((payload.neuron, payload.spike_count, payload.membrane))

    simulator = _simulator(dut, core_period)
    simulator.add_testbench(link)
    simulator.add_testbench(sink, background=True)
    simulator.run()

    assert log == {"next_neuron": 0, "rejected": 1, "accepted": 0,
                   "threshold": changed.threshold}
    expected = []
    for config, currents in ((cfg, first), (changed, second)):
        spikes, membranes = simulate(config, currents)
        expected += [(n, int(k), int(v)) for ks, vs in zip(spikes, membranes)
                     for n, (k, v) in enumerate(zip(ks, vs))]
    assert received == expected
