"""NIR import and export (SPEC §8): graphs built with the ``nir`` package itself, lifq's
round trip on every vector network, graphs written by real frameworks (Sinabs, snnTorch),
and bad NIR files (exit status 2, one line, nothing written)."""

import importlib.util
import json
import math
import subprocess
import sys

import h5py
import nir
import numpy as np
import pytest

from conftest import ROOT, VECTORS
from lifq.golden import (InputError, NetworkConfig, from_nir, read_nir, simulate_network, to_nir,
                         write_nir)
from lifq.golden.nir_conventions import decay_from_tau
from lifq.sim.network_files import load_network, write_network

DATA = ROOT / "tests" / "data"
NETWORK_VECTORS = sorted((VECTORS / "network").glob("*.stim.json"))


def run_lifq(*arguments, cwd=None):
    return subprocess.run([sys.executable, "-m", "lifq", *map(str, arguments)],
                          capture_output=True, text=True, cwd=cwd)


# --- a reference of the NIR chain, independent of the import ------------------------

def reference(layers, x, reset, signed, spike_bits):
    """Spike counts of a chain of IF layers run as NIR says (v ← v + gain·(W·a + b)) with
    lifq's firing and reset rule, in unbounded floats.

    ``layers``: (W, b, θ, gain per neuron) in the graph's own numbers.
    """
    cap = (1 << spike_bits) - 1 if reset == "mod" else 1
    membranes = [np.zeros(len(b)) for _, b, _, _ in layers]
    spikes = [[] for _ in layers]
    for row in np.asarray(x, dtype=np.float64):
        a = row
        for number, (w, b, theta, gain) in enumerate(layers):
            u = membranes[number] + gain * (w @ a + b)
            magnitude = np.minimum(np.floor(np.abs(u) / theta), cap)
            k = np.where(u >= theta, magnitude, 0.0)
            if signed:
                k = np.where(u <= -theta, -magnitude, k)
            membranes[number] = np.where(k != 0, 0.0, u) if reset == "zero" else u - k * theta
            spikes[number].append(k)
            a = k
    return [np.array(s, dtype=np.int64) for s in spikes]


def random_if_chain(rng, sizes, with_gain=False):
    """A NIR graph Input → (Affine → IF)… → Output of integer weights, biases and thresholds
    (float32, as frameworks store them), and the layers for :func:`reference`."""
    nodes, layers = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        w = rng.integers(-4, 5, (fan_out, fan_in)).astype(np.float32)
        b = rng.integers(-3, 4, fan_out).astype(np.float32)
        theta = float(rng.integers(1, 21))
        r = rng.integers(1, 3, fan_out).astype(np.float32) if with_gain else np.ones(
            fan_out, np.float32)
        nodes += [nir.Affine(weight=w, bias=b),
                  nir.IF(r=r, v_threshold=np.full(fan_out, theta, np.float32),
                         v_reset=np.zeros(fan_out, np.float32))]
        layers.append((w.astype(np.float64), b.astype(np.float64), theta, r.astype(np.float64)))
    return nir.NIRGraph.from_list(*nodes), layers


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("reset, signed", [("mod", False), ("mod", True), ("subtract", False),
                                           ("zero", True)])
def test_random_affine_if_chains_run_as_the_graph_says(seed, reset, signed):
    rng = np.random.default_rng(seed)
    sizes = tuple(int(n) for n in rng.integers(1, 7, rng.integers(2, 5)))
    graph, layers = random_if_chain(rng, sizes, with_gain=seed % 2 == 1)
    result = from_nir(graph, reset=reset, signed=signed, spike_bits=3)
    net = result.network
    assert net.sizes == sizes and result.rounding == ()
    for layer, (w, b, theta, gain) in zip(net.layers, layers):
        assert layer.neuron.threshold == theta and layer.neuron.reset == reset
        assert layer.neuron.signed is signed and layer.neuron.decay == 1 << 12
        assert np.array_equal(layer.weights, gain[:, None] * w)      # r·dt folded into the row
        assert np.array_equal(layer.bias, gain * b)
    x = rng.integers(-8, 9, (16, sizes[0]))
    golden = simulate_network(net, x)
    for (spikes, _), expected in zip(golden.layers, reference(layers, x, reset, signed, 3)):
        assert np.array_equal(spikes, expected)


def test_defaults_are_reset_to_mod_unsigned():
    graph, _ = random_if_chain(np.random.default_rng(1), (3, 4, 2))
    neuron = from_nir(graph).network.layers[0].neuron
    assert (neuron.reset, neuron.signed, neuron.spike_bits) == ("mod", False, 4)


def lif_graph(tau, r, v_leak=0.0, theta=10.0, sizes=(2, 3)):
    w = np.array([[1, 2], [3, -1], [0, 4]], np.float32)[:sizes[1], :sizes[0]]
    count = sizes[1]
    return nir.NIRGraph.from_list(
        nir.Affine(weight=w, bias=np.ones(count, np.float32)),
        nir.LIF(tau=np.full(count, tau), r=np.full(count, r), v_leak=np.full(count, v_leak),
                v_threshold=np.full(count, theta), v_reset=np.zeros(count)))


def test_lif_maps_tau_and_dt_to_the_integer_leak_and_folds_the_gain():
    # snnTorch's convention: τ = dt/(1 − β), r = τ/dt, so β comes back and the gain is 1.
    dt, beta = 1e-4, 0.75
    tau = dt / (1 - beta)
    result = from_nir(lif_graph(tau, tau / dt), dt=dt)
    layer = result.network.layers[0]
    assert layer.neuron.decay == 3072 and layer.neuron.decay_shift == 12
    assert result.layers[0].beta == pytest.approx(0.75)
    assert result.leak_error(0) < 1e-12
    assert np.array_equal(layer.weights, [[1, 2], [3, -1], [0, 4]]) and (layer.bias == 1).all()
    # r = 2τ/dt doubles the input: the gain r·dt/τ = 2 goes into the weights and the bias.
    doubled = from_nir(lif_graph(tau, 2 * tau / dt), dt=dt).network.layers[0]
    assert np.array_equal(doubled.weights, 2 * layer.weights) and (doubled.bias == 2).all()


def test_lif_leak_that_is_not_a_multiple_of_2_to_the_minus_f_reports_its_error():
    # β = 1 − 1/3 = 2/3 → d = round(4096·2/3) = 2731; the gain r·dt/τ = 3/3 = 1.
    result = from_nir(lif_graph(3.0, 3.0), dt=1.0)
    assert result.network.layers[0].neuron.decay == 2731 == decay_from_tau(3.0, 1.0, 12)[1]
    assert result.leak_error(0) == pytest.approx(abs(2 / 3 - 2731 / 4096))
    assert result.leak_error(0) <= 2 ** -13


def test_lif_network_runs_with_the_integer_leak():
    """A LIF chain imports as the golden network with d = round(2^F·(1 − dt/τ)): the same
    network built directly from the graph's numbers gives the same spikes."""
    net = from_nir(lif_graph(4.0, 4.0, theta=3.0), dt=1.0).network
    neuron = net.layers[0].neuron
    assert neuron.decay == 3072
    direct = NetworkConfig.from_dict({"inputs": 2, "layers": [{
        "neurons": 3, "threshold": 3, "decay": 3072, "reset": "mod", "signed": False,
        "width": neuron.width, "input_width": neuron.input_width, "weight_bits": 4,
        "bias": 1, "weights": [[1, 2], [3, -1], [0, 4]]}]})
    assert net == direct
    x = np.random.default_rng(3).integers(-5, 6, (20, 2))
    assert np.array_equal(simulate_network(net, x).layers[0][0],
                          simulate_network(direct, x).layers[0][0])


def test_scale_makes_fractions_integers_and_rounding_is_reported():
    graph = nir.NIRGraph.from_list(
        nir.Affine(weight=np.array([[0.5, -1.25]], np.float32), bias=np.array([0.75], np.float32)),
        nir.IF(r=np.ones(1), v_threshold=np.array([2.5]), v_reset=np.zeros(1)))
    exact = from_nir(graph, scale=4)
    assert exact.rounding == ()
    layer = exact.network.layers[0]
    assert layer.weights.tolist() == [[2, -5]] and layer.bias.tolist() == [3]
    assert layer.neuron.threshold == 10
    rounded = from_nir(graph, scale=2)
    assert {r.quantity: (r.where, r.value, r.integer) for r in rounded.rounding} == {
        "weights": ("layers[0].weights[0][1]", -2.5, -2), "bias": ("layers[0].bias[0]", 1.5, 2)}
    assert max(r.error for r in rounded.rounding) == 0.5


def test_one_scale_per_layer():
    graph = nir.NIRGraph.from_list(
        nir.Affine(weight=np.array([[0.5]]), bias=np.zeros(1)),
        nir.IF(r=np.ones(1), v_threshold=np.array([0.5])),
        nir.Linear(weight=np.array([[0.1]])),
        nir.IF(r=np.ones(1), v_threshold=np.array([0.3])))
    net = from_nir(graph, scale=[2, 10]).network
    assert [layer.neuron.threshold for layer in net.layers] == [1, 3]
    assert [layer.weights.tolist() for layer in net.layers] == [[[1]], [[1]]]
    with pytest.raises(InputError, match="scale has 1 value"):
        from_nir(graph, scale=[2])


# --- lifq's own graphs ------------------------------------------------------------

@pytest.mark.parametrize("path", NETWORK_VECTORS, ids=lambda p: p.name.split(".")[0])
def test_export_then_import_is_the_identity_on_every_vector_network(path, tmp_path):
    net = NetworkConfig.from_dict(json.loads(path.read_text())["network"])
    graph = to_nir(net)
    assert graph.edges == list(zip(list(graph.nodes)[:-1], list(graph.nodes)[1:]))
    write_nir(tmp_path / "net.nir", graph)
    result = from_nir(tmp_path / "net.nir")
    assert result.network == net and result.rounding == ()
    assert all(layer.metadata for layer in result.layers)


@pytest.mark.parametrize("path", NETWORK_VECTORS, ids=lambda p: p.name.split(".")[0])
def test_cli_export_then_import_round_trips(path, tmp_path):
    net = NetworkConfig.from_dict(json.loads(path.read_text())["network"])
    write_network(tmp_path / "net.json", net)
    exported = run_lifq("export", tmp_path / "net.json", "-o", tmp_path / "net.nir")
    assert exported.returncode == 0, exported.stderr
    imported = run_lifq("import", tmp_path / "net.nir", "-o", tmp_path / "back.npz")
    assert imported.returncode == 0, imported.stderr
    assert "nothing rounded" in imported.stdout and "lifq metadata" in imported.stdout
    assert load_network(tmp_path / "back.npz") == net


def test_export_writes_the_lifq_parameters_nir_has_no_field_for(tmp_path):
    net = NetworkConfig.from_dict(json.loads(
        (VECTORS / "network" / "bias_leak_initial.stim.json").read_text())["network"])
    write_nir(tmp_path / "net.nir", to_nir(net))
    graph = nir.read(tmp_path / "net.nir")          # nir's own reader, with its type check
    leaky, plain = graph.nodes["lif0"], graph.nodes["if1"]
    assert isinstance(leaky, nir.LIF) and isinstance(plain, nir.IF)
    assert leaky.metadata["lifq_decay"] == 3072 and leaky.metadata["lifq_initial_membrane"] == 4
    assert plain.metadata["lifq_reset"] == "zero" and not plain.metadata["lifq_signed"]
    # Time in steps: β = 1 − 1/τ = 3072/4096 and the gain r·dt/τ = 1.
    assert 1 - 1 / leaky.tau[0] == pytest.approx(0.75) and leaky.r[0] == leaky.tau[0]
    assert graph.nodes["affine0"].metadata["lifq_weight_bits"] == 8
    assert graph.metadata["lifq_input_bits"] == 5
    assert graph.nodes["affine0"].weight.dtype == np.float32


def test_options_override_the_metadata(tmp_path):
    net = NetworkConfig.from_dict(json.loads(
        (VECTORS / "network" / "two_layer_mod.stim.json").read_text())["network"])
    write_nir(tmp_path / "net.nir", to_nir(net))
    changed = from_nir(tmp_path / "net.nir", reset="zero", signed=False, spike_bits=2,
                       width=12).network
    for layer, original in zip(changed.layers, net.layers):
        assert (layer.neuron.reset, layer.neuron.signed) == ("zero", False)
        assert (layer.neuron.spike_bits, layer.neuron.width) == (2, 12)
        assert np.array_equal(layer.weights, original.weights)


def test_metadata_of_other_tools_is_ignored_and_unknown_lifq_keys_are_refused():
    graph, _ = random_if_chain(np.random.default_rng(2), (2, 2))
    graph.nodes["if"].metadata = {"framework_note": "kept", "lifq_spike_bits": 2}
    assert from_nir(graph).network.layers[0].neuron.spike_bits == 2
    graph.nodes["if"].metadata["lifq_colour"] = "red"
    with pytest.raises(InputError, match='node "if": unknown metadata "lifq_colour"'):
        from_nir(graph)


# --- graphs as real frameworks write them ---------------------------------------------

def sinabs_like(graph):
    """A tidy graph rewritten as Sinabs' ``to_nir`` writes it: nodes ``0``, ``1``, …, edges
    out of order, an ``input`` node the edges name but the graph does not hold, a batch
    axis on the neuron parameters and a (time, features) output shape."""
    inner = [(name, node) for name, node in graph.nodes.items()
             if not isinstance(node, (nir.Input, nir.Output))]
    nodes, names = {}, []
    for number, (_, node) in enumerate(inner):
        if isinstance(node, nir.IF):
            batch = lambda a: np.tile(np.asarray(a), (2, 1))      # noqa: E731
            node = nir.IF(r=batch(node.r), v_threshold=batch(node.v_threshold),
                          v_reset=batch(node.v_reset))
        nodes[str(number)] = node
        names.append(str(number))
    size = int(np.asarray(inner[-1][1].v_threshold).shape[-1])
    nodes["output"] = nir.Output(output_type=np.array([5, size]))
    chain = ["input"] + names + ["output"]
    edges = list(zip(chain[:-1], chain[1:]))
    edges = edges[1::2] + edges[::2]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def test_graphs_are_taken_as_frameworks_write_them(tmp_path):
    tidy, _ = random_if_chain(np.random.default_rng(5), (3, 5, 4, 2))
    messy = sinabs_like(tidy)
    write_nir(tmp_path / "messy.nir", messy)
    assert from_nir(tmp_path / "messy.nir", spike_bits=5).network == \
        from_nir(tidy, spike_bits=5).network


def test_sinabs_graph_runs_bit_exact_with_sinabs():
    """Sinabs' IAF (MultiSpike, MembraneSubtract) fires trunc(v/θ) spikes and subtracts
    them: lifq's reset-to-mod, unsigned, with a cap no step reaches (q = 8).  With integer
    weights, biases and thresholds every spike count and the final membranes agree."""
    record = np.load(DATA / "sinabs_if.npz")
    result = from_nir(DATA / "sinabs_if.nir", spike_bits=8)
    assert result.rounding == () and result.network.sizes == (8, 12, 4)
    assert [layer.kind for layer in result.layers] == ["IF", "IF"]
    golden = simulate_network(result.network, record["x"])
    for number, (spikes, _) in enumerate(golden.layers):
        assert np.array_equal(spikes, record[f"spikes_{number}"])
        assert spikes.max() > 1                       # multi-spike steps are exercised
    assert np.array_equal(golden.layers[1][1][-1], record["v_1"])


def test_snntorch_graph_maps_exactly_and_its_spikes_where_the_semantics_agree():
    """snnTorch's Leaky (β = 0.75, θ = 5 and 7, reset by subtraction, reset_delay=False)
    exports τ = dt/(1 − β), r = τ/dt with dt = 1e-4: with --dt 1e-4 lifq gets d = 3072
    exactly, gain 1, the integer weights and thresholds.  The spike trains differ where
    the semantics do: snnTorch fires at v > θ (lifq at u ≥ θ), leaks in float (lifq
    truncates v·d/2^F toward zero), and after a step that leaves v > θ it compares
    u − θ with θ.  The agreement on this recording is the README's figure."""
    record = np.load(DATA / "snntorch_lif.npz")
    result = from_nir(DATA / "snntorch_lif.nir", dt=1e-4, reset="subtract")
    net = result.network
    assert result.rounding == () and net.sizes == (8, 12, 4)
    assert [layer.neuron.decay for layer in net.layers] == [3072, 3072]
    assert [layer.neuron.threshold for layer in net.layers] == [5, 7]
    assert all(math.isclose(r.gain[0], 1, rel_tol=1e-6) for r in result.layers)
    golden = simulate_network(net, record["x"])
    agree = [int((spikes == record[f"spikes_{n}"]).sum())
             for n, (spikes, _) in enumerate(golden.layers)]
    assert agree == [283, 81]                         # of 24 × 12 and 24 × 4 entries


def test_readme_command_imports_the_sinabs_graph_and_golden_matches_sinabs(tmp_path):
    record = np.load(DATA / "sinabs_if.npz")
    process = run_lifq("import", DATA / "sinabs_if.nir", "-o", tmp_path / "net.json",
                       "--spike-bits", "8")
    assert process.returncode == 0, process.stderr
    assert "nothing rounded" in process.stdout
    (tmp_path / "stim.json").write_text(json.dumps({"network": "net.json",
                                                    "inputs": record["x"].tolist()}))
    golden = run_lifq("golden", "stim.json", "-o", "result.json", cwd=tmp_path)
    assert golden.returncode == 0, golden.stderr
    layers = json.loads((tmp_path / "result.json").read_text())["layers"]
    for number, layer in enumerate(layers):
        assert layer["spikes"] == record[f"spikes_{number}"].astype(int).tolist()


def _generator():
    spec = importlib.util.spec_from_file_location("make_framework_graphs",
                                                  DATA / "make_framework_graphs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_frameworks_still_give_the_recorded_output():
    """Runs Sinabs and snnTorch themselves (skipped where torch is not installed: it is no
    dependency of lifq) and imports their graphs straight from memory."""
    pytest.importorskip("torch", reason="torch is not installed (not a lifq dependency)")
    pytest.importorskip("sinabs", reason="sinabs is not installed")
    pytest.importorskip("snntorch", reason="snntorch is not installed")
    generator = _generator()
    for name, make, options in (("sinabs_if", generator.sinabs_network, {"spike_bits": 8}),
                                ("snntorch_lif", generator.snntorch_network,
                                 {"dt": 1e-4, "reset": "subtract"})):
        graph, record = make()
        recorded = np.load(DATA / f"{name}.npz")
        for key in recorded.files:
            assert np.array_equal(record[key], recorded[key]), (name, key)
        assert from_nir(graph, **options).network == \
            from_nir(DATA / f"{name}.nir", **options).network


# --- bad graphs and files -----------------------------------------------------------

def write_graph(path, graph):
    nir.write(path, graph)
    return path


def affine(rows, columns, value=1.0):
    return nir.Affine(weight=np.full((rows, columns), value), bias=np.zeros(rows))


def if_node(count, theta=1.0):
    return nir.IF(r=np.ones(count), v_threshold=np.full(count, theta), v_reset=np.zeros(count))


def chain(nodes, edges):
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def bad_graphs(tmp_path):
    """(name, path, expected text of the message) for every kind of bad input."""
    text = tmp_path / "text.nir"
    text.write_text("not hdf5")
    no_node = tmp_path / "no_node.nir"
    with h5py.File(no_node, "w") as handle:
        handle.create_dataset("version", data="1.0")
    unknown = write_graph(tmp_path / "unknown.nir", nir.NIRGraph.from_list(affine(2, 2),
                                                                           if_node(2)))
    with h5py.File(unknown, "r+") as handle:
        del handle["node/nodes/if/type"]
        handle["node/nodes/if/type"] = "Teleport"
    conv = nir.Conv2d(input_shape=(4, 4), weight=np.ones((1, 1, 2, 2)), stride=1, padding=0,
                      dilation=1, groups=1, bias=np.zeros(1))
    cuba = nir.CubaLIF(tau_syn=np.ones(2), tau_mem=np.ones(2), r=np.ones(2), v_leak=np.zeros(2),
                       v_threshold=np.ones(2))
    lif = nir.LIF(tau=np.full(2, 4.0), r=np.ones(2), v_leak=np.array([0.5, 0.5]),
                  v_threshold=np.ones(2), v_reset=np.zeros(2))
    cases = [
        ("missing", tmp_path / "missing.nir", "no such file"),
        ("text", text, "not a NIR file: NIR graphs are HDF5"),
        ("no_node", no_node, "not a NIR graph nir"),
        ("unknown", unknown, 'node "if" has type "Teleport"'),
        ("conv", chain({"input": nir.Input(np.array([1, 4, 4])), "c": conv,
                        "output": nir.Output(np.array([1, 3, 3]))},
                       [("input", "c"), ("c", "output")]),
         'node "c" is Conv2d: lifq imports chains'),
        ("pool", chain({"p": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                                           padding=np.array([0, 0]))}, []),
         'node "p" is SumPool2d'),
        ("cuba", chain({"a": affine(2, 2), "n": cuba}, [("a", "n")]),
         'node "n" is CubaLIF: lifq imports chains Input → (Affine|Linear → IF|LIF)'),
        ("shapes", chain({"a": affine(3, 2), "n": if_node(3), "b": affine(2, 4),
                          "m": if_node(2)}, [("a", "n"), ("n", "b"), ("b", "m")]),
         'mismatched shapes: node "b" (Affine) takes 4 inputs but the layer before gives 3'),
        ("input_shape", chain({"in": nir.Input(np.array([5])), "a": affine(3, 2),
                               "n": if_node(3)}, [("in", "a"), ("a", "n")]),
         'mismatched shapes: input "in" has shape (5,) but node "a" (Affine) takes 2'),
        ("neuron_shape", chain({"a": affine(3, 2), "n": if_node(4)}, [("a", "n")]),
         'mismatched shapes: node "n": v_threshold has shape (4,) but the layer has 3 neurons'),
        ("small_threshold", chain({"a": affine(2, 2), "n": if_node(2, 0.3)}, [("a", "n")]),
         'v_threshold = 0.3 × scale 1 rounds to 0: lifq needs a threshold ≥ 1'),
        ("nan_threshold", chain({"a": affine(2, 2), "n": if_node(2, math.nan)}, [("a", "n")]),
         'node "n": v_threshold holds a NaN or an infinity'),
        ("thresholds_differ", chain({"a": affine(2, 2), "n": nir.IF(
            r=np.ones(2), v_threshold=np.array([1.0, 2.0]), v_reset=np.zeros(2))}, [("a", "n")]),
         'node "n": v_threshold differs between neurons (1 … 2): lifq supports one threshold'),
        ("v_leak", chain({"a": affine(2, 2), "n": lif}, [("a", "n")]),
         'node "n": v_leak = 0.5: lifq\'s neurons leak toward 0'),
        ("dt", chain({"a": affine(2, 2), "n": nir.LIF(
            tau=np.full(2, 1e-3), r=np.ones(2), v_leak=np.zeros(2), v_threshold=np.ones(2))},
            [("a", "n")]), "dt/tau = 1/0.001 > 1"),
        ("recurrent", chain({"a": affine(2, 2), "n": if_node(2), "w": nir.Linear(np.eye(2))},
                            [("a", "n"), ("n", "w"), ("w", "n")]),
         'recurrent edge ("w", "n")'),
        ("branch", chain({"a": affine(2, 2), "n": if_node(2), "m": if_node(2)},
                         [("a", "n"), ("a", "m")]), 'node "a" feeds 2 nodes'),
        ("two_weights", chain({"a": affine(2, 2), "b": affine(2, 2), "n": if_node(2)},
                              [("a", "b"), ("b", "n")]),
         'node "a" (Affine) is followed by "b" (Affine): lifq needs an IF or LIF after'),
        ("big_weights", chain({"a": affine(2, 2, 1e5), "n": if_node(2)}, [("a", "n")]),
         "layers[0] (nodes \"a\" → \"n\"): weights[0][0] = 100000 is out of range: allowed "
         "-32768 … 32767 for weight_bits = 16"),
    ]
    for name, graph, expected in cases:
        path = graph if not isinstance(graph, nir.NIRGraph) else \
            write_graph(tmp_path / f"{name}.nir", graph)
        yield name, path, expected


def test_bad_graphs_are_one_line_errors(tmp_path):
    for name, path, expected in bad_graphs(tmp_path):
        with pytest.raises(InputError) as caught:
            from_nir(path)
        message = str(caught.value)
        assert expected in message, (name, message)
        assert "\n" not in message, name


def test_cli_bad_graphs_exit_2_with_one_line_and_write_nothing(tmp_path):
    for name, path, expected in bad_graphs(tmp_path):
        output = tmp_path / f"{name}.json"
        process = run_lifq("import", path, "-o", output)
        assert process.returncode == 2, (name, process.stdout, process.stderr)
        assert process.stderr.startswith("lifq import: error: "), name
        assert len(process.stderr.splitlines()) == 1 and expected in process.stderr, \
            (name, process.stderr)
        assert not output.exists() and not list(tmp_path.glob(f".{name}*")), name


@pytest.mark.parametrize("arguments, expected", [
    (["--scale", "-1"], ("--scale = ", "-1", "is out of range")),
    (["--scale", "2,x"], ("--scale = ", "x", "must be a number")),
    (["--dt", "0"], ("--dt = ", "is out of range")),
    (["--spike-bits", "9"], ("--spike-bits = ", "9", "is out of range", "1 … 8")),
    (["-o", "net.txt"], ("unsupported format", ".txt")),
])
def test_cli_bad_options_exit_2(arguments, expected, tmp_path):
    graph, _ = random_if_chain(np.random.default_rng(0), (2, 2))
    model = write_graph(tmp_path / "model.nir", graph)
    if "-o" not in arguments:
        arguments = arguments + ["-o", tmp_path / "net.json"]
    process = run_lifq("import", model, *arguments, cwd=tmp_path)
    assert process.returncode == 2 and len(process.stderr.splitlines()) == 1, process.stderr
    assert all(part in process.stderr for part in expected), process.stderr


def test_cli_never_overwrites_the_input(tmp_path):
    graph, _ = random_if_chain(np.random.default_rng(0), (2, 2))
    model = write_graph(tmp_path / "model.nir", graph)
    before = model.read_bytes()
    process = run_lifq("export", model, "-o", model)
    assert process.returncode == 2 and "would overwrite the input" in process.stderr
    assert model.read_bytes() == before


def test_cli_export_of_a_bad_network_exits_2_and_writes_nothing(tmp_path):
    (tmp_path / "net.json").write_text('{"inputs": 2, "layers": []}')
    process = run_lifq("export", tmp_path / "net.json", "-o", tmp_path / "net.nir")
    assert process.returncode == 2 and len(process.stderr.splitlines()) == 1, process.stderr
    assert "layers" in process.stderr and not (tmp_path / "net.nir").exists()


def test_cli_reports_the_largest_rounding(tmp_path):
    graph = nir.NIRGraph.from_list(
        nir.Affine(weight=np.array([[0.5, -1.25]]), bias=np.array([0.75])),
        nir.IF(r=np.ones(1), v_threshold=np.array([2.5])))
    model = write_graph(tmp_path / "model.nir", graph)
    process = run_lifq("import", model, "-o", tmp_path / "net.json", "--scale", "2")
    assert process.returncode == 0, process.stderr
    assert ("rounded to integers after scale 2: weights by up to 0.5 "
            "(layers[0].weights[0][1] = -2.5 → -2)") in process.stdout
    assert load_network(tmp_path / "net.json").layers[0].neuron.threshold == 5


def test_read_nir_returns_the_graph():
    graph = read_nir(DATA / "sinabs_if.nir")
    assert isinstance(graph, nir.NIRGraph) and "input" in graph.nodes
