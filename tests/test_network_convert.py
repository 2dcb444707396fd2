"""ANN → SNN conversion (SPEC §7) on scikit-learn's digits, and the accuracy table."""

import numpy as np
import pytest

from lifq.golden import FloatMLP, convert, simulate_network
from lifq.golden.accuracy import accuracy_table, integer_weight_scores, snn_accuracy
from lifq.golden.convert import sqnr_clipping_point
from lifq.golden.datasets import load_digits, train_mlp
from lifq.spec import InputError


@pytest.fixture(scope="module")
def digits():
    return load_digits()


@pytest.fixture(scope="module")
def model(digits):
    return train_mlp(digits, (64,))


def quantised_ann_scores(net, x):
    """The q-bit quantised ReLU network in integers: what mod at T = 1 must equal.

    Hidden: k = clip(⌊(W·a + b + v0)/θ⌋, 0, 2^q − 1); output: W·a + b.
    """
    a = np.asarray(x, dtype=np.int64)
    for layer in net.layers[:-1]:
        drive = a @ layer.weights.T + layer.bias + layer.neuron.initial_membrane
        a = np.clip(drive // layer.neuron.threshold, 0, layer.neuron.k_max)
    return a @ net.layers[-1].weights.T + net.layers[-1].bias


def test_digits_split_is_the_fixed_one(digits):
    assert (len(digits.y_train), len(digits.y_test)) == (1257, 540)
    assert digits.x_train.min() == 0 and digits.x_train.max() == 16
    assert np.bincount(digits.y_test).tolist() == [54, 55, 53, 55, 54, 55, 54, 54, 52, 54]


def test_float_model_predicts_as_scikit_learn(digits):
    from sklearn.neural_network import MLPClassifier
    mlp = MLPClassifier(hidden_layer_sizes=(16, 8), random_state=1, max_iter=300)
    with pytest.warns(Warning):  # 300 epochs do not converge; the weights are what matter
        mlp.fit(digits.x_train / 16, digits.y_train)
    model = FloatMLP.from_sklearn(mlp, input_scale=1 / 16)
    assert model.sizes == (64, 16, 8, 10)
    assert np.array_equal(model.predict(digits.x_test), mlp.predict(digits.x_test / 16))


def test_reset_to_mod_at_one_step_is_within_one_point_of_the_float_ann(digits, model):
    net = convert(model, digits.x_train, reset="mod").network
    ann = np.mean(model.predict(digits.x_test) == digits.y_test)
    snn, _ = snn_accuracy(net, digits.x_test, digits.y_test, 1)
    assert ann > 0.95
    assert snn >= ann - 0.01


@pytest.mark.parametrize("hidden", [(64,), (32, 24)])
@pytest.mark.parametrize("initial_membrane", ["half", "zero"])
def test_mod_at_one_step_is_the_quantised_ann(digits, hidden, initial_membrane):
    model = train_mlp(digits, hidden)
    net = convert(model, digits.x_train, reset="mod",
                  initial_membrane=initial_membrane).network
    expected = quantised_ann_scores(net, digits.x_test)
    result = simulate_network(net, digits.x_test[:, None, :], record=False)
    assert np.array_equal(result.scores, expected)
    assert np.array_equal(result.predictions, np.argmax(expected, axis=1))


@pytest.mark.parametrize("reset", ["zero", "subtract", "mod"])
def test_recipe_scales_and_ranges(digits, model, reset):
    conversion = convert(model, digits.x_train, reset=reset, weight_bits=6, spike_bits=3)
    net, scales = conversion.network, conversion.scales
    levels = 7 if reset == "mod" else 1
    assert scales[0].input_value == 1 / 16
    for number, (layer, scale) in enumerate(zip(net.layers, scales)):
        assert np.abs(layer.weights).max() == 31  # symmetric: the full 6-bit range is used
        assert layer.weight_bits == 6
        if number < len(net.layers) - 1:
            neuron = layer.neuron
            assert (neuron.reset, neuron.signed, neuron.spike_bits) == (reset, False, 3)
            assert neuron.threshold == round(scale.weight_scale * scale.clip / levels)
            assert neuron.initial_membrane == neuron.threshold // 2
            assert scale.spike_value == neuron.threshold / scale.weight_scale
            assert scales[number + 1].input_value == scale.spike_value
            hidden = model.hidden_activations(digits.x_train)[number]
            assert scale.clip == pytest.approx(np.percentile(hidden[hidden > 0], 99.9))
        else:
            assert layer.neuron.threshold == layer.neuron.v_max  # integrates
            assert scale.score_value == 1 / scale.weight_scale


@pytest.mark.parametrize("reset", ["zero", "subtract", "mod"])
def test_nothing_saturates_and_the_output_never_spikes(digits, reset):
    model = train_mlp(digits, (32, 24))
    net = convert(model, digits.x_train, reset=reset, steps=8).network
    x = np.broadcast_to(digits.x_test[:, None, :], (len(digits.x_test), 8, 64))
    result = simulate_network(net, x)
    a = x
    for layer, (spikes, v) in zip(net.layers, result.layers):
        total = a @ layer.weights.T
        assert np.abs(total).max() <= layer.neuron.current_max  # the clamp never acts
        assert v.max() < layer.neuron.v_max and v.min() > layer.neuron.v_min
        a = spikes
    assert not result.layers[-1][0].any()
    assert result.events.max() > 0


def test_integer_weights_with_float_activations_match_the_float_ann(digits, model):
    net = convert(model, digits.x_train, reset="mod", weight_bits=12).network
    integer = np.argmax(integer_weight_scores(net, digits.x_test), axis=1)
    assert np.mean(integer == model.predict(digits.x_test)) > 0.99


def test_sqnr_threshold_differs_from_the_percentile_and_improves_zero_at_one_step(digits,
                                                                                 model):
    percentile = convert(model, digits.x_train, reset="zero", steps=1)
    sqnr = convert(model, digits.x_train, reset="zero", steps=1, threshold="sqnr")
    assert sqnr.scales[0].clip < percentile.scales[0].clip
    accuracy = [snn_accuracy(c.network, digits.x_test, digits.y_test, 1)[0]
                for c in (percentile, sqnr)]
    assert accuracy[1] > accuracy[0]


def test_sqnr_clipping_point():
    uniform = np.linspace(0.001, 1, 5000)
    assert sqnr_clipping_point(uniform, 15) > 0.95  # nothing worth clipping
    tail = np.random.default_rng(0).exponential(1.0, 100_000)  # a long tail: clip it
    clip = sqnr_clipping_point(tail, 15)
    assert 2 < clip < 0.7 * tail.max()
    assert sqnr_clipping_point(tail, 1) < clip  # fewer levels: clip harder


def test_float_model_from_arrays_round_trips(model):
    again = FloatMLP.from_arrays(model.to_arrays())
    assert again.sizes == model.sizes and again.input_scale == model.input_scale
    for a, b in zip(again.weights + again.biases, model.weights + model.biases):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("change, message", [
    (lambda m: m.pop("b1"), "missing array 'b1'"),
    (lambda m: m.update(W3=np.ones((2, 2))), 'unknown array "W3"'),
    (lambda m: m.update(extra=np.ones(2)), 'unknown array "extra"'),
    (lambda m: m.update(W1=np.ones((10, 3))), "W1 has 3 column(s) but W0 has 64 row(s)"),
    (lambda m: m.update(b0=np.ones(3)), "b0 has 3 value(s) but W0 has 64 row(s)"),
    (lambda m: m.update(W0=np.full((64, 64), np.nan)), "W0 holds a NaN or an infinity"),
    (lambda m: m.update(W0=np.ones(64)), "W0 must be a non-empty matrix"),
    (lambda m: m.update(input_scale=np.float64(-1)), "input_scale = -1.0 must be a number > 0"),
])
def test_bad_float_models(model, change, message):
    arrays = dict(model.to_arrays())
    change(arrays)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        FloatMLP.from_arrays(arrays)


@pytest.mark.parametrize("options, calibration, message", [
    ({}, np.zeros((3, 5), dtype=np.int64), "calibration data must be S×64"),
    ({}, np.zeros((3, 64)), "calibration data must be integer network inputs"),
    ({"input_bits": 5}, None, "input_bits = 5 cannot hold the calibration data"),
    ({"reset": "soft"}, None, 'reset = "soft" is unknown'),
    ({"spike_bits": 9}, None, "spike_bits = 9 is out of range"),
    ({"weight_bits": 1}, None, "weight_bits = 1 is out of range"),
    ({"percentile": 0}, None, "percentile = 0 is out of range"),
    ({"threshold": "max"}, None, 'threshold = "max" is unknown'),
    ({"steps": 0}, None, "steps = 0 is out of range"),
    ({}, -np.ones((3, 64), dtype=np.int64), "layers[0]: no positive ReLU activation"),
])
def test_bad_conversions(digits, options, calibration, message):
    dead = FloatMLP(weights=(np.ones((4, 64)), np.ones((2, 4))), biases=(np.zeros(4), np.zeros(2)))
    model = dead if message.startswith("layers[0]: no") else train_mlp(digits, (64,))
    data = digits.x_train if calibration is None else calibration
    with pytest.raises(InputError) as error:
        convert(model, data, **options)
    assert message in str(error.value)


def test_accuracy_table(digits, model):
    calls = []
    table = accuracy_table(model, digits, steps=(1, 4), resets=("subtract", "mod"),
                           progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    document = table.to_json()
    assert set(document) >= {"ann", "ann_int", "snn", "events"}
    assert set(document["snn"]) == {"subtract", "mod"}
    assert set(document["snn"]["mod"]) == {"1", "4"}
    assert document["ann"] == pytest.approx(np.mean(model.predict(digits.x_test) ==
                                                    digits.y_test))
    assert table.first_within("mod") == 1
    # Events grow with T; mod emits more events per step than subtract.
    assert table.events["mod"][1] > table.events["mod"][0] > table.events["subtract"][0]
    single = snn_accuracy(convert(model, digits.x_train, reset="subtract").network,
                          digits.x_test, digits.y_test, 4)
    assert single == (table.snn["subtract"][1], table.events["subtract"][1])


def test_sqnr_accuracy_table_converts_zero_per_step(digits, model):
    table = accuracy_table(model, digits, steps=(1, 2), resets=("zero",), threshold="sqnr")
    for steps, accuracy in zip(table.steps, table.snn["zero"]):
        net = convert(model, digits.x_train, reset="zero", steps=steps, threshold="sqnr").network
        assert accuracy == snn_accuracy(net, digits.x_test, digits.y_test, steps)[0]


def test_plot_accuracy_writes_a_png(digits, model, tmp_path):
    from lifq.golden.experiments.plots import plot_accuracy
    table = accuracy_table(model, digits, steps=(1, 2))
    path = tmp_path / "accuracy.png"
    plot_accuracy(table, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
