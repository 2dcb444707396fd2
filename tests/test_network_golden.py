"""The network golden model (SPEC §6): vectors, the maths of the readout, batches,
and the validation of network configs and inputs."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import VECTORS
from lifq.golden import layer_step, simulate, simulate_network, step
from lifq.golden.model import float_stepper
from lifq.spec import InputError, LayerConfig, LIFConfig, NetworkConfig

NETWORK_VECTORS = VECTORS / "network"
PROPERTIES = settings(max_examples=150, deadline=None)


def network_vector_names():
    names = sorted(p.name[:-len(".stim.json")] for p in NETWORK_VECTORS.glob("*.stim.json"))
    assert names, f"no network vectors in {NETWORK_VECTORS}"
    return names


def result_document(result):
    return {"layers": [{"spikes": s.tolist(), "v": v.tolist()} for s, v in result.layers],
            "scores": result.scores.tolist(), "prediction": result.prediction}


@pytest.mark.parametrize("name", network_vector_names())
def test_simulate_network_reproduces_vector(name):
    stimulus = json.loads((NETWORK_VECTORS / f"{name}.stim.json").read_text())
    expect = json.loads((NETWORK_VECTORS / f"{name}.expect.json").read_text())
    net = NetworkConfig.from_dict(stimulus["network"])
    result = simulate_network(net, stimulus["inputs"])
    assert result_document(result) == expect
    # The same sample inside a batch of three gives the same result.
    batch = simulate_network(net, np.array([stimulus["inputs"]] * 3))
    assert result_document(batch.sample(2)) == expect


def reference_network(net, inputs):
    """SPEC §6 and §1 literally, one neuron at a time, in Python integers."""
    membranes = [[layer.neuron.initial_membrane] * layer.neurons for layer in net.layers]
    trace = [([], []) for _ in net.layers]
    output_spikes = [0] * net.outputs
    for x in inputs:
        a = [int(value) for value in x]
        for number, layer in enumerate(net.layers):
            cfg = layer.neuron
            counts = []
            for n in range(layer.neurons):
                total = sum(int(w) * value for w, value in zip(layer.weights[n], a))
                current = min(max(total, cfg.current_min), cfg.current_max)
                product = membranes[number][n] * cfg.decay
                leaked = (product >> cfg.decay_shift if product >= 0
                          else -((-product) >> cfg.decay_shift))
                u = leaked + current + int(layer.bias[n])
                if u >= cfg.threshold:
                    k = min(u // cfg.threshold, cfg.k_max)
                elif cfg.signed and u <= -cfg.threshold:
                    k = -min(-u // cfg.threshold, cfg.k_max)
                else:
                    k = 0
                r = 0 if cfg.reset == "zero" and k else u - k * cfg.threshold
                membranes[number][n] = min(max(r, cfg.v_min), cfg.v_max)
                counts.append(k)
            trace[number][0].append(counts)
            trace[number][1].append(list(membranes[number]))
            a = counts
        output_spikes = [s + k for s, k in zip(output_spikes, a)]
    threshold = net.layers[-1].neuron.threshold
    scores = [threshold * s + v for s, v in zip(output_spikes, membranes[-1])]
    return trace, scores


@st.composite
def neurons(draw, count, reset=None, leak=True, width=None):
    """A neuron config of SPEC §1 for a layer of ``count`` neurons (bias 0)."""
    width = width or draw(st.integers(4, 32))
    decay_shift = draw(st.integers(0, 16))
    decay = draw(st.integers(0, 1 << decay_shift)) if leak else 1 << decay_shift
    v_max = 2 ** (width - 1) - 1
    return LIFConfig(neurons=count, width=width, input_width=draw(st.integers(2, 32)),
                     threshold=draw(st.integers(1, min(v_max, 2 ** 12))),
                     reset=reset or draw(st.sampled_from(["zero", "subtract", "mod"])),
                     signed=draw(st.booleans()), spike_bits=draw(st.integers(1, 8)),
                     decay_shift=decay_shift, decay=decay,
                     initial_membrane=draw(st.integers(-v_max - 1, v_max)))


@st.composite
def layers(draw, fan_in, count, neuron, max_weight_bits=16):
    """A layer with random weights in weight_bits and biases in input_width."""
    weight_bits = draw(st.integers(2, max_weight_bits))
    limit = 2 ** (weight_bits - 1)
    weights = draw(st.lists(st.lists(st.integers(-limit, limit - 1), min_size=fan_in,
                                     max_size=fan_in), min_size=count, max_size=count))
    bias = draw(st.lists(st.integers(neuron.current_min, neuron.current_max), min_size=count,
                         max_size=count))
    return LayerConfig(neuron=neuron, weights=weights, bias=bias, weight_bits=weight_bits)


@st.composite
def networks(draw, max_layers=3):
    sizes = draw(st.lists(st.integers(1, 4), min_size=2, max_size=max_layers + 1))
    chain = tuple(draw(layers(sizes[n], sizes[n + 1], draw(neurons(sizes[n + 1]))))
                  for n in range(len(sizes) - 1))
    return NetworkConfig(inputs=sizes[0], input_bits=draw(st.integers(2, 16)), layers=chain)


@st.composite
def batches(draw, net, max_samples=4, max_steps=8):
    shape = (draw(st.integers(1, max_samples)), draw(st.integers(1, max_steps)), net.inputs)
    values = draw(st.lists(st.integers(net.input_min, net.input_max),
                           min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    return np.array(values, dtype=np.int64).reshape(shape)


@PROPERTIES
@given(st.data())
def test_network_equals_literal_reference(data):
    net = data.draw(networks())
    inputs = data.draw(batches(net, max_samples=1))[0]
    result = simulate_network(net, inputs)
    trace, scores = reference_network(net, inputs.tolist())
    for (spikes, v), (spikes_expected, v_expected) in zip(result.layers, trace):
        assert spikes.tolist() == spikes_expected
        assert v.tolist() == v_expected
    assert result.scores.tolist() == scores
    assert result.prediction == scores.index(max(scores))  # the lowest n on ties
    assert result.events == sum(np.count_nonzero(spikes) for spikes, _ in result.layers)


@st.composite
def any_neuron_run(draw):
    """Any config of SPEC §1 (any bias, threshold up to 2^(W−1)−1), currents anywhere in
    input_width and membranes anywhere in W bits, on an S × N batch."""
    width = draw(st.integers(4, 32))
    decay_shift = draw(st.integers(0, 16))
    cfg = LIFConfig(neurons=1, width=width, input_width=draw(st.integers(2, 32)),
                    threshold=draw(st.integers(1, 2 ** (width - 1) - 1)),
                    reset=draw(st.sampled_from(["zero", "subtract", "mod"])),
                    signed=draw(st.booleans()), spike_bits=draw(st.integers(1, 8)),
                    decay_shift=decay_shift, decay=draw(st.integers(0, 1 << decay_shift)))
    cfg = cfg.replace(bias=draw(st.integers(cfg.current_min, cfg.current_max)))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 4)))
    size, steps = shape[0] * shape[1], draw(st.integers(1, 10))
    currents = draw(st.lists(st.integers(cfg.current_min, cfg.current_max),
                             min_size=steps * size, max_size=steps * size))
    v0 = draw(st.lists(st.integers(cfg.v_min, cfg.v_max), min_size=size, max_size=size))
    return (cfg, np.array(currents, dtype=np.int64).reshape((steps,) + shape),
            np.array(v0, dtype=np.int64).reshape(shape))


@PROPERTIES
@given(any_neuron_run())
def test_float_stepper_equals_the_reference_step(case):
    """The float64 step simulate_network runs must not change a bit of golden.step."""
    cfg, currents, v = case
    shape = v.shape
    advance = float_stepper(cfg, shape)
    v_float, v_next, k = v.astype(np.float64), np.empty(shape), np.empty(shape)
    for current in currents:
        k_expected, v = step(cfg, v, current)
        advance(v_float, current.astype(np.float64), k, v_next)
        v_float, v_next = v_next, v_float
        assert np.array_equal(k, k_expected) and np.array_equal(v_float, v)


def test_float_stepper_rejects_foreign_arrays():
    advance = float_stepper(LIFConfig(neurons=1), (2, 3))
    good = np.zeros((2, 3))
    with pytest.raises(ValueError, match="C-contiguous of shape"):
        advance(good, good, np.zeros((3, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="C-contiguous of shape"):
        advance(good, np.zeros((3, 2)).T, good.copy(), np.zeros((2, 3)))


@PROPERTIES
@given(st.data())
def test_network_equals_layer_steps_of_the_reference(data):
    """simulate_network's float64 layers equal layer_step (golden.step on int64)."""
    net = data.draw(networks())
    inputs = data.draw(batches(net))
    constant = np.broadcast_to(inputs[:, :1], inputs.shape)  # the direct-encoding path
    for x in (inputs, constant):
        result = simulate_network(net, x)
        v = [np.full((len(x), layer.neurons), layer.neuron.initial_membrane)
             for layer in net.layers]
        for t in range(x.shape[1]):
            a = x[:, t]
            for number, layer in enumerate(net.layers):
                a, v[number] = layer_step(layer, v[number], a)
                assert np.array_equal(result.layers[number][0][:, t], a)
                assert np.array_equal(result.layers[number][1][:, t], v[number])


@PROPERTIES
@given(st.data())
def test_batch_equals_sample_by_sample(data):
    net = data.draw(networks())
    inputs = data.draw(batches(net))
    batch = simulate_network(net, inputs)
    quiet = simulate_network(net, inputs, record=False)
    assert quiet.layers is None
    assert np.array_equal(quiet.scores, batch.scores)
    assert np.array_equal(quiet.predictions, batch.predictions)
    assert np.array_equal(quiet.events, batch.events)
    for s, sample_inputs in enumerate(inputs):
        alone = simulate_network(net, sample_inputs.tolist())
        assert result_document(batch.sample(s)) == result_document(alone)
        assert batch.events[s] == alone.events


@PROPERTIES
@given(st.data())
def test_readout_equals_exact_input_sum(data):
    """mod/subtract, no leak, no saturation: score = v0 + Σ_t (i_L + b_L) exactly."""
    net = data.draw(networks())
    last = net.layers[-1]
    # A leak-free mod or subtract output layer that neither clamps its current
    # nor saturates its membrane: |i| ≤ 4·2^11·2^15 = 2^28 per step, 3 steps.
    neuron = data.draw(neurons(last.neurons, reset=data.draw(st.sampled_from(
        ["subtract", "mod"])), leak=False, width=32)).replace(input_width=32)
    neuron = neuron.replace(initial_membrane=data.draw(st.integers(-2 ** 20, 2 ** 20)))
    output = data.draw(layers(last.fan_in, last.neurons, neuron, max_weight_bits=12))
    output = output.replace(bias=data.draw(st.lists(st.integers(-2 ** 20, 2 ** 20),
                                                    min_size=last.neurons,
                                                    max_size=last.neurons)))
    net = NetworkConfig(inputs=net.inputs, input_bits=net.input_bits,
                        layers=net.layers[:-1] + (output,))
    inputs = data.draw(batches(net, max_samples=1, max_steps=3))[0]
    result = simulate_network(net, inputs)
    previous = inputs if len(net.layers) == 1 else result.layers[-2][0]
    exact = [neuron.initial_membrane
             + sum(sum(int(w) * int(a) for w, a in zip(output.weights[n], previous[t]))
                   + int(output.bias[n]) for t in range(len(inputs)))
             for n in range(output.neurons)]
    assert result.scores.tolist() == exact


@PROPERTIES
@given(st.data())
def test_layer_of_unit_weights_equals_single_core(data):
    """One layer, weight 1 from input n to neuron n only: the core of golden.simulate."""
    count = data.draw(st.integers(1, 5))
    cfg = data.draw(neurons(count))
    cfg = cfg.replace(bias=data.draw(st.integers(cfg.current_min, cfg.current_max)))
    input_bits = data.draw(st.integers(2, 16))
    low = max(cfg.current_min, -2 ** (input_bits - 1))
    high = min(cfg.current_max, 2 ** (input_bits - 1) - 1)
    steps = data.draw(st.integers(1, 12))
    currents = np.array(data.draw(st.lists(st.integers(low, high), min_size=steps * count,
                                           max_size=steps * count))).reshape(steps, count)
    layer = LayerConfig(neuron=cfg.replace(bias=0), weights=np.eye(count, dtype=np.int64),
                        bias=cfg.bias, weight_bits=2)
    net = NetworkConfig(inputs=count, input_bits=input_bits, layers=(layer,))
    result = simulate_network(net, currents)
    spikes, v = simulate(cfg, currents)
    assert np.array_equal(result.layers[0][0], spikes)
    assert np.array_equal(result.layers[0][1], v)
    assert np.array_equal(result.scores, cfg.threshold * spikes.sum(axis=0) + v[-1])


@PROPERTIES
@given(networks())
def test_config_round_trips_through_its_dict(net):
    document = json.loads(json.dumps(net.to_dict()))
    assert NetworkConfig.from_dict(document) == net


def small_network(**layer0):
    first = {"neurons": 2, "threshold": 10, "weights": [[1, 2, -1], [3, 0, 1]], **layer0}
    return {"inputs": 3, "input_bits": 6,
            "layers": [first, {"threshold": 5, "weights": [[1, -1], [2, 1]]}]}


@pytest.mark.parametrize("document, message", [
    ({**small_network(), "layers": []}, "layers = [] must be a non-empty list"),
    (small_network(weights=[[1, 2, 300], [3, 0, 1]]),
     "layers[0].weights[0][2] = 300 is out of range: allowed -128 … 127 for weight_bits = 8"),
    (small_network(weight_bits=4, weights=[[1, 2, -9], [3, 0, 1]]),
     "layers[0].weights[0][2] = -9 is out of range: allowed -8 … 7 for weight_bits = 4"),
    (small_network(threshold=0),
     "layers[0].threshold = 0 is out of range: allowed 1 … 32767 for width = 16"),
    (small_network(bias=[1, 2, 3]), "layers[0].bias has 3 value(s) but neurons = 2"),
    (small_network(input_width=8, bias=[1, 200]),
     "layers[0].bias[1] = 200 is out of range: allowed -128 … 127 for input_width = 8"),
    (small_network(neurons=3), "layers[0].weights has 2 row(s) but neurons = 3"),
    (small_network(weights=[[1, 2], [3, 0]]),
     "layers[0].weights has 2 column(s) but inputs = 3"),
    (small_network(weights=[[1, 2, 0.5], [3, 0, 1]]),
     "layers[0].weights[0][2] = 0.5 must be an integer"),
    (small_network(weights=[[1, 2, False], [3, 0, 1]]),
     "layers[0].weights[0][2] = false must be an integer"),
    (small_network(bias=True), "layers[0].bias = true must be an integer"),
    (small_network(tau=3), 'layers[0]: unknown key "tau"'),
    ({**small_network(), "input_bits": 1}, "input_bits = 1 is out of range: allowed 2 … 16"),
    ({**small_network(), "outputs": 2}, 'unknown network key "outputs"'),
])
def test_bad_network_names_layer_key_value_and_range(document, message):
    with pytest.raises(InputError) as error:
        NetworkConfig.from_dict(document)
    assert str(error.value).startswith(message)


def test_neurons_default_to_the_weight_rows():
    net = NetworkConfig.from_dict(small_network())
    assert net.sizes == (3, 2, 2)
    assert net.layers[1].neuron.neurons == 2


def test_weights_and_bias_are_read_only_copies():
    weights = np.array([[1, 2, -1], [3, 0, 1]])
    layer = LayerConfig(neuron=LIFConfig(neurons=2), weights=weights, bias=[4, 5])
    weights[0, 0] = 99
    assert layer.weights[0, 0] == 1
    with pytest.raises(ValueError):
        layer.weights[0, 0] = 7
    with pytest.raises(ValueError):
        layer.bias[0] = 7


def test_layer_rejects_a_neuron_bias():
    with pytest.raises(InputError, match="neuron.bias = 3 must be 0"):
        LayerConfig(neuron=LIFConfig(neurons=1, bias=3), weights=[[1]])


@pytest.mark.parametrize("inputs, message", [
    ([[1, 2, 40]], "inputs[0][2] = 40 is out of range: allowed -32 … 31 for input_bits = 6"),
    ([[1, 2]], "inputs have 2 column(s) per timestep but the network has inputs = 3"),
    ([1, 2, 3], "inputs must be a T×N0 matrix"),
    ([], "inputs must be a T×N0 matrix"),
    ([[1, 2, 3], [1, 2]], "rows of equal length"),
    ([[1, 2, 1.5]], "inputs[0][2] = 1.5 must be an integer"),
    ([[1, True, 1]], "inputs[0][1] = true must be an integer"),
    (np.zeros((2, 3)), "inputs[0][0] = 0.0 must be an integer"),
    (np.full((2, 2, 3), -33), "inputs[0][0][0] = -33 is out of range"),
])
def test_bad_inputs_are_named(inputs, message):
    net = NetworkConfig.from_dict(small_network())
    with pytest.raises(InputError) as error:
        simulate_network(net, inputs)
    assert message in str(error.value)


def test_broadcast_inputs_equal_repeated_inputs():
    net = NetworkConfig.from_dict(small_network())
    x = np.array([[5, 5, 5], [-20, 3, 0]])
    repeated = np.repeat(x[:, None, :], 4, axis=1)
    broadcast = np.broadcast_to(x[:, None, :], (2, 4, 3))
    assert np.array_equal(simulate_network(net, broadcast, record=False).scores,
                          simulate_network(net, repeated, record=False).scores)
