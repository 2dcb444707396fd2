"""The network hardware (issue #15) against the golden network, in Amaranth's simulator.

Every run compares transfer by transfer: each layer's updates (neuron, k, v')
and each layer's events (index, value, end) with
:func:`lifq.golden.simulate_network`, with random input gaps and output
back-pressure.  Seeds: every random case derives its seed from ``LIFQ_SEED``
(default 1) and names it in its id and in failure messages;
``LIFQ_SEED=… pytest -k …`` replays.
"""

import json
import os
import random

import numpy as np
import pytest
from amaranth.back import rtlil
from amaranth.hdl import Fragment
from amaranth.sim import Simulator

from conftest import VECTORS
from lifq.golden import simulate_network
from lifq.golden.network import layer_drive
from lifq.hdl import EventFormat, Layer, Network, SpikeEncoder, SynapseUnit
from lifq.hdl.datapath import full_rate_neurons
from lifq.hdl.synapses import ACCUMULATE_DEPTH, core_config
from lifq.sim.network_amaranth import (expected_transfers, first_mismatch, input_events,
                                       run_network)
from lifq.spec import RESETS, InputError, LayerConfig, LIFConfig, NetworkConfig

BASE_SEED = int(os.environ.get("LIFQ_SEED", "1"))
NETWORK_VECTORS = VECTORS / "network"
RANDOM_NETWORKS = 40
GAPS = dict(input_gaps=0.3, output_stalls=0.3)


# -- the shared vectors ------------------------------------------------------------------

def network_vector_names():
    names = sorted(p.name[:-len(".stim.json")] for p in NETWORK_VECTORS.glob("*.stim.json"))
    assert names, f"no network vectors in {NETWORK_VECTORS}"
    return names


@pytest.mark.parametrize("lanes", [1, 2])
@pytest.mark.parametrize("name", network_vector_names())
def test_vector(name, lanes):
    stimulus = json.loads((NETWORK_VECTORS / f"{name}.stim.json").read_text())
    expect = json.loads((NETWORK_VECTORS / f"{name}.expect.json").read_text())
    net = NetworkConfig.from_dict(stimulus["network"])
    run = run_network(net, stimulus["inputs"], lanes=lanes, seed=BASE_SEED, **GAPS)
    assert first_mismatch(net, stimulus["inputs"], run) is None, \
        f"seed {BASE_SEED}: {first_mismatch(net, stimulus['inputs'], run)}"
    for number, layer in enumerate(expect["layers"]):
        spikes, v = run.layer(number)
        assert spikes[0].tolist() == layer["spikes"] and v[0].tolist() == layer["v"], \
            f"layer {number} differs from {name}.expect.json"


# -- random networks ---------------------------------------------------------------------

def random_network(index, rng):
    """A random network whose features cycle with ``index`` (so that any seed covers
    them all) and whose values come from ``rng``."""
    count = 1 + index % 3
    sizes = [int(rng.choice([1, 2, 3, 5, 8, 12]))]
    sizes += [int(rng.choice([1, 2, 3, 4, 6] if (index + n) % 2 else [9, 13, 17, 20]))
              for n in range(count)]
    input_bits = int(rng.integers(2, 9))
    largest = 1 << (input_bits - 1)
    layers = []
    for number in range(count):
        fan_in, neurons = sizes[number], sizes[number + 1]
        width = int(rng.choice([5, 6, 8, 12, 16]))
        # Half the networks saturate their sums: a narrow input_width.
        input_width = int(rng.integers(3, 6)) if (index // 2) % 2 else int(rng.integers(8, 20))
        weight_bits = int(rng.integers(2, 9))
        top = (1 << (weight_bits - 1)) - 1
        weights = rng.integers(-top - 1, top + 1, (neurons, fan_in))
        weights[rng.random(weights.shape) < 0.2] = 0
        typical = max(2, int(np.sqrt(fan_in) * top * largest / 2))
        v_max = (1 << (width - 1)) - 1
        threshold = int(rng.integers(1, min(v_max, typical) + 1))
        shift = int(rng.integers(0, 9))
        decay = [1 << shift, 0, int(rng.integers(1, max(2, 1 << shift)))][(index + number) % 3]
        reset = RESETS[(index // 3 + number) % 3]
        initial = int(rng.integers(-threshold, threshold + 1)) if index % 4 == 1 else 0
        neuron = LIFConfig(neurons=neurons, width=width, input_width=input_width,
                           threshold=threshold, reset=reset, signed=bool((index // 9 + number) % 2),
                           decay_shift=shift, decay=min(decay, 1 << shift),
                           spike_bits=int(rng.integers(1, 4)),
                           initial_membrane=max(-v_max - 1, min(v_max, initial)))
        limit = 1 << (input_width - 1)
        bias = [0, int(rng.integers(-limit, limit)),
                rng.integers(-limit, limit, neurons)][(index + number) % 3]
        layers.append(LayerConfig(neuron=neuron, weights=weights, bias=bias,
                                  weight_bits=weight_bits))
        largest = neuron.k_max
    return NetworkConfig(inputs=sizes[0], input_bits=input_bits, layers=layers)


def random_inputs(net, rng, steps, samples):
    x = rng.integers(net.input_min, net.input_max + 1, (samples, steps, net.inputs))
    x[rng.random(x.shape) < 0.3] = 0
    return x


def random_case(index):
    seed = BASE_SEED * 1000 + index
    rng = np.random.default_rng(seed)
    net = random_network(index, rng)
    lanes = [1, 2, 3, 4][index % 4]
    samples = 2 if index % 5 == 0 else 1
    inputs = random_inputs(net, rng, int(rng.integers(3, 7)), samples)
    return dict(seed=seed, net=net, lanes=lanes, inputs=inputs, debug=index % 7 != 3,
                updates=index % 11 != 5)


CASES = [random_case(index) for index in range(RANDOM_NETWORKS)]


def _trunc_leak(cfg, v):
    product = v * cfg.decay
    return np.sign(product) * (np.abs(product) >> cfg.decay_shift)


def case_features(case):
    """What a case exercises, from the network and the golden run."""
    net, x = case["net"], case["inputs"]
    result = simulate_network(net, x)
    features = {"layers": len(net.layers), "samples": x.shape[0],
                "lanes": case["lanes"], "debug": case["debug"], "updates": case["updates"]}
    found = set()
    a = x
    for number, (layer, (spikes, v)) in enumerate(zip(net.layers, result.layers)):
        cfg = layer.neuron
        raw = np.matmul(a, layer.weights.T)
        lanes = min(case["lanes"], layer.neurons)
        groups = -(-layer.neurons // lanes)
        found.add(("reset", cfg.reset))
        found.add(("signed", cfg.signed))
        found.add(("lanes>1", lanes > 1))
        found.add(("forwarding", groups <= ACCUMULATE_DEPTH))
        found.add(("no forwarding", groups > ACCUMULATE_DEPTH))
        core = core_config(layer)
        found.add(("below depth", layer.neurons < full_rate_neurons(core)))
        found.add(("above depth", layer.neurons > full_rate_neurons(core)))
        if 0 < cfg.decay < 1 << cfg.decay_shift:
            found.add(("leak", True))
        if (raw > cfg.current_max).any() or (raw < cfg.current_min).any():
            found.add(("saturating sums", True))
        if not (layer.bias == layer.bias[0]).all():
            found.add(("per-neuron bias", True))
        elif layer.bias[0]:
            found.add(("uniform bias", True))
        if cfg.initial_membrane:
            found.add(("initial membrane", True))
        if cfg.reset == "mod":
            previous = np.concatenate([np.full(v[:, :1].shape, cfg.initial_membrane),
                                       v[:, :-1]], axis=1)
            u = _trunc_leak(cfg, previous) + layer_drive(layer, a)
            if (np.abs(u) >= (cfg.k_max + 1) * cfg.threshold).any() and \
                    (np.abs(spikes) == cfg.k_max).any():
                found.add(("capped counts", True))
        a = spikes
    features["found"] = found
    return features


def test_random_networks_cover_the_issue():
    features = [case_features(case) for case in CASES]
    assert len(CASES) >= 30
    assert {f["layers"] for f in features} == {1, 2, 3}
    assert {f["samples"] for f in features} >= {1, 2}
    assert {f["lanes"] for f in features} >= {1, 2, 3, 4}
    assert {f["debug"] for f in features} == {True, False}
    assert {f["updates"] for f in features} == {True, False}
    found = set().union(*(f["found"] for f in features))
    wanted = {("reset", r) for r in RESETS} | {("signed", True), ("signed", False),
              ("lanes>1", True), ("lanes>1", False), ("forwarding", True),
              ("no forwarding", True), ("below depth", True), ("above depth", True),
              ("leak", True), ("saturating sums", True), ("per-neuron bias", True),
              ("uniform bias", True), ("initial membrane", True), ("capped counts", True)}
    assert wanted <= found, f"seed base {BASE_SEED}: not covered: {sorted(wanted - found)}"


@pytest.mark.parametrize("case", CASES, ids=[f"seed{case['seed']}" for case in CASES])
def test_random_network(case):
    net, inputs = case["net"], case["inputs"]
    run = run_network(net, inputs, lanes=case["lanes"], debug=case["debug"],
                      updates=case["updates"], seed=case["seed"], **GAPS)
    mismatch = first_mismatch(net, inputs, run)
    assert mismatch is None, (f"seed {case['seed']} (lanes {case['lanes']}, sizes "
                              f"{net.sizes}): {mismatch}; network {net.to_dict()}")


def test_comparison_catches_a_wrong_transfer():
    """The scoreboard is not vacuous: one changed membrane, one dropped event."""
    case = CASES[1]
    net, inputs = case["net"], case["inputs"]
    run = run_network(net, inputs, lanes=case["lanes"], seed=case["seed"])
    assert first_mismatch(net, inputs, run) is None
    run.updates[-1][-1, 2] += 1
    assert "timestep" in first_mismatch(net, inputs, run)
    run.updates[-1][-1, 2] -= 1
    run.events[-1].pop(0)
    assert "event transfer 0" in first_mismatch(net, inputs, run)


# -- the digits network -------------------------------------------------------------------

def test_digits_network_end_to_end():
    """The converted digits network (64-64-10, reset-to-mod): three test images at
    T = 2, a clear between them; the scores the host forms from the output updates
    are the golden scores."""
    from lifq.golden.convert import convert
    from lifq.golden.datasets import load_digits, train_mlp

    digits = load_digits()
    net = convert(train_mlp(digits, (64,)), digits.x_train, reset="mod", steps=2).network
    x = np.repeat(digits.x_test[:3, None, :], 2, axis=1)
    run = run_network(net, x, lanes=8, seed=BASE_SEED, **GAPS)
    assert first_mismatch(net, x, run) is None, first_mismatch(net, x, run)
    golden = simulate_network(net, x)
    spikes, v = run.layer(len(net.layers) - 1)
    scores = net.layers[-1].neuron.threshold * spikes.sum(axis=1) + v[:, -1]
    assert np.array_equal(scores, golden.scores)
    assert np.array_equal(scores.argmax(axis=1), golden.predictions)
    # The first layer dominates: an input event costs 64 / 8 = 8 cycles.
    events = (x[:, 0] != 0).sum(axis=1)
    assert all(cycles >= 2 * 8 * count for cycles, count in zip(run.sample_cycles, events))


# -- throughput --------------------------------------------------------------------------

def dense_network(sizes, seed):
    """Layers whose every input is an event (non-zero weights, inputs and spikes)."""
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, neurons in zip(sizes, sizes[1:]):
        weights = rng.integers(1, 100, (neurons, fan_in))
        layers.append(LayerConfig(
            neuron=LIFConfig(neurons=neurons, width=16, threshold=20, reset="mod",
                             spike_bits=2),
            weights=weights, weight_bits=8))
    return NetworkConfig(inputs=sizes[0], input_bits=8, layers=layers)


@pytest.mark.parametrize("lanes", [1, 2, 4, 8])
def test_one_synaptic_operation_per_clock_per_lane(lanes):
    """While a layer accumulates, it updates one word of P sums every clock: an event
    costs G = N/P cycles.  Counted in clock cycles: from the first to the last word
    of each step, and over all the steps (a marker costs one cycle)."""
    steps, sources, neurons = 4, 12, 32
    net = dense_network((sources, neurons), BASE_SEED)
    x = np.random.default_rng(BASE_SEED).integers(1, 100, (steps, sources))
    run = run_network(net, x, lanes=lanes)
    assert first_mismatch(net, x, run) is None
    cycles = run.accumulate_cycles[0]
    words = sources * neurons // lanes                   # every input is an event
    assert len(cycles) == steps * words
    for t in range(steps):
        window = cycles[(t + 1) * words - 1] - cycles[t * words] + 1
        rate = sources * neurons / window / lanes
        assert rate >= 1.00, f"step {t}: {rate:.3f} synaptic ops per clock per lane"
    sustained = steps * sources * neurons / (cycles[-1] - cycles[0] + 1) / lanes
    assert sustained >= words / (words + 1), f"{sustained:.3f} per clock per lane"


def test_layers_work_concurrently():
    """Three layers, each busy E·G = 144 cycles a step: the sample takes about
    (T + L − 1) steps of one layer, not T·L."""
    steps, size = 4, 12
    net = dense_network((size, size, size, size), BASE_SEED)
    x = np.random.default_rng(BASE_SEED).integers(1, 100, (steps, size))
    run = run_network(net, x)
    assert first_mismatch(net, x, run) is None
    busy = [len(cycles) for cycles in run.accumulate_cycles]
    assert min(busy) > steps * size * size // 2           # the layers do spike
    per_step = size * size
    assert run.sample_cycles[0] < (steps + len(busy) - 1) * per_step * 1.15, \
        (run.sample_cycles, busy)
    assert run.sample_cycles[0] < 0.6 * sum(busy)


# -- clear -------------------------------------------------------------------------------

def step_beats(x):
    return [(j, value, 0) for j, value in input_events(x)] + [(0, 0, 1)]


def run_aborted(net, aborted, inputs, *, cut, wait, seed, lanes):
    """Send ``cut`` beats of sample ``aborted``, clear ``wait`` cycles later, then send
    all of ``inputs``; returns every layer's (updates, events) that left after the clear.
    The outputs are stalled often, so that the FIFOs hold events at the clear."""
    dut = Network(net, lanes=lanes, debug=True)
    count = len(net.layers)
    steps = len(inputs)
    beats_a = [beat for x in aborted for beat in step_beats(x)][:cut]
    beats_b = [beat for x in inputs for beat in step_beats(x)]
    state = {"clear_edge": None, "edge": 0}
    updates = [[] for _ in range(count)]
    events = []
    wanted = [steps * layer.neurons for layer in net.layers]

    def after_clear(edge):
        return state["clear_edge"] is not None and edge > state["clear_edge"]

    async def driver(ctx):
        rng = random.Random(seed)
        edge = 0
        stream = dut.inputs
        for beat in beats_a + [None] + beats_b:
            if beat is None:                     # the clear, one cycle
                for _ in range(wait):
                    await ctx.tick()
                    edge += 1
                ctx.set(dut.clear, 1)
                await ctx.tick()
                edge += 1
                state["clear_edge"] = edge
                ctx.set(dut.clear, 0)
                continue
            index, value, end = beat
            while rng.random() < 0.3:
                await ctx.tick()
                edge += 1
            ctx.set(stream.payload, {"index": index, "value": value, "end": end})
            ctx.set(stream.valid, 1)
            while True:
                _, _, ready = await ctx.tick().sample(stream.ready)
                edge += 1
                if ready:
                    break
            ctx.set(stream.valid, 0)

    def monitor(stream, record, done, salt):
        async def process(ctx):
            rng = random.Random(seed + salt)
            edge = 0
            while not done():
                ready = rng.random() >= 0.7
                ctx.set(stream.ready, ready)
                _, _, valid, payload = await ctx.tick().sample(stream.valid, stream.payload)
                edge += 1
                if ready and valid and after_clear(edge):
                    record(payload)
        return process

    def finished():
        return (all(len(u) >= w for u, w in zip(updates, wanted))
                and sum(e[2] for e in events) >= steps)

    simulator = Simulator(dut)
    simulator.add_clock(1e-8)
    simulator.add_testbench(driver, background=True)
    for number in range(count):
        simulator.add_testbench(monitor(
            dut.layer_updates(number),
            lambda p, n=number: updates[n].append((p.neuron, p.spike_count, p.membrane)),
            lambda n=number: len(updates[n]) >= wanted[n], number), background=True)
    simulator.add_testbench(monitor(
        dut.events, lambda p: events.append((None, None, 1) if p.end else
                                            (int(p.index), int(p.value), 0)),
        finished, 99))

    async def watchdog(ctx):
        await ctx.delay(20000 * 1e-8)
        raise AssertionError(f"seed {seed}: no end after 20000 cycles")
    simulator.add_testbench(watchdog, background=True)
    simulator.run()
    return updates, events


@pytest.mark.parametrize("index", range(8))
def test_clear_in_the_middle_of_a_sample(index):
    """A clear at any point drops the sample under way; the next one is exact."""
    seed = BASE_SEED * 31 + index
    rng = np.random.default_rng(seed)
    net = random_network(3 * index + 1 + index % 2, rng)     # two or three layers
    aborted = random_inputs(net, rng, 3, 1)[0]
    inputs = random_inputs(net, rng, 3, 1)[0]
    total = sum(len(step_beats(x)) for x in aborted)
    cut = int(rng.integers(1, total + 1))
    wait = int(rng.integers(0, 60))
    updates, events = run_aborted(net, aborted, inputs, cut=cut, wait=wait, seed=seed, lanes=2)
    expected_updates, expected_events = expected_transfers(net, inputs)
    for number, got in enumerate(updates):
        assert np.array_equal(np.array(got).reshape(-1, 3), expected_updates[number]), \
            f"seed {seed}, cut {cut}, wait {wait}: layer {number} after the clear"
    assert events == expected_events[-1], f"seed {seed}, cut {cut}, wait {wait}: output events"


# -- parameters, ports -------------------------------------------------------------------

def small_layer(**changes):
    neuron = LIFConfig(neurons=3, width=16, input_width=changes.pop("input_width", 8))
    return LayerConfig(neuron=neuron, weights=[[1, 2], [3, 4], [5, 6]], **changes)


def test_per_neuron_bias_needs_input_width_at_most_31():
    layer = small_layer(input_width=32, bias=[1, 2, 3])
    net = NetworkConfig(inputs=2, layers=[layer])
    with pytest.raises(InputError, match=r"input_width = 32 .*allowed 2 … 31"):
        Layer(layer, EventFormat.network_inputs(net))
    with pytest.raises(InputError, match=r"layers\[0\]: input_width = 32"):
        Network(net)
    # One bias for every neuron is the core's own: 32 bits are fine.
    uniform = small_layer(input_width=32, bias=5)
    Fragment.get(Network(NetworkConfig(inputs=2, layers=[uniform])), None)
    assert core_config(uniform).bias == 5 and core_config(uniform).input_width == 32
    assert core_config(layer.replace(neuron=layer.neuron.replace(input_width=31))
                       ).input_width == 32


def test_bad_arguments_are_named():
    layer = small_layer()
    source = EventFormat(2, -128, 127)
    with pytest.raises(InputError, match=r"lanes = 4 is out of range: allowed 1 … 3"):
        SynapseUnit(layer, source, lanes=4)
    with pytest.raises(InputError, match=r"lanes = 0"):
        Layer(layer, source, lanes=0)
    with pytest.raises(TypeError, match="lanes must be an int"):
        Layer(layer, source, lanes=1.5)
    with pytest.raises(ValueError, match="source has 3 value"):
        Layer(layer, EventFormat(3, -1, 1))
    with pytest.raises(TypeError, match="LayerConfig"):
        SynapseUnit(layer.neuron, source)
    with pytest.raises(TypeError, match="LIFConfig"):
        SpikeEncoder(layer)
    net = NetworkConfig(inputs=2, layers=[layer])
    with pytest.raises(ValueError, match="fifo_depth = 0"):
        Network(net, fifo_depth=0)
    with pytest.raises(ValueError, match="one per layer"):
        Network(net, lanes=[1, 2])
    with pytest.raises(TypeError, match="NetworkConfig"):
        Network(layer)
    with pytest.raises(ValueError, match="must hold 0"):
        EventFormat(2, 1, 3)


def test_ports_and_formats():
    net = dense_network((5, 7, 3), 0)
    network = Network(net, lanes=2, debug=True)
    members = network.signature.members
    assert set(members) == {"inputs", "events", "updates", "updates_0", "clear"}
    assert network.lanes == [2, 2]
    assert network.fifo_depths() == [8]
    inputs = EventFormat.network_inputs(net)
    assert (inputs.index_shape.width, inputs.value_bits) == (3, 8)
    spikes = network.layers[0].format
    assert spikes == EventFormat(7, -3, 3) and spikes.value_bits == net.layers[0].neuron.k_width
    plain = Network(net)
    assert set(plain.signature.members) == {"inputs", "events", "updates", "clear"}
    Fragment.get(plain, None)
    events_only = Network(net, updates=False)
    assert set(events_only.signature.members) == {"inputs", "events", "clear"}
    Fragment.get(events_only, None)
    assert network.layers[0].groups == 4
    layer = Layer(net.layers[0], inputs, lanes=3, debug=True)
    assert set(layer.signature.members) == {"inputs", "events", "updates", "clear"}
    assert (layer.groups, layer.format, layer.core_config.programmable) == (3, spikes, False)
    Fragment.get(layer, None)
    # The whole network elaborates to RTLIL (Yosys's input) without a simulator.
    assert "module" in rtlil.convert(network, name="network")
