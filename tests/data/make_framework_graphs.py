"""Export two small networks from real frameworks to NIR, with the frameworks' own outputs.

Run in a virtual environment with torch, sinabs and snntorch (not lifq's:
torch stays out of lifq's dependencies), from this folder::

    python make_framework_graphs.py

Writes, beside this script:

``sinabs_if.nir``, ``sinabs_if.npz``
    A Sinabs ``nn.Sequential(Linear(8, 12), IAF(θ=5), Linear(12, 4), IAF(θ=7))``
    with integer weights and biases, exported with ``sinabs.to_nir``; the
    ``.npz`` holds the integer inputs ``x`` (T × 8) it was run on and its
    spike counts per step ``spikes_0`` (T × 12), ``spikes_1`` (T × 4) and the
    last layer's final membrane ``v_1`` (4).  Sinabs' IAF fires
    trunc(v/θ) spikes per step and subtracts them (MultiSpike,
    MembraneSubtract): lifq's reset-to-mod, unsigned.
``snntorch_lif.nir``, ``snntorch_lif.npz``
    An snnTorch ``Sequential(Linear(8, 12), Leaky(β=0.75, θ=5), Linear(12, 4),
    Leaky(β=0.75, θ=7))`` with integer weights and biases, reset by
    subtraction applied in the step that fires (``reset_delay=False``),
    exported with ``snntorch.export_nir.export_to_nir``; the ``.npz`` as above.

The inputs and weights come from a fixed seed; nothing depends on the clock.
"""

import pathlib

import numpy as np
import torch

HERE = pathlib.Path(__file__).resolve().parent
SIZES = (8, 12, 4)
THRESHOLDS = (5.0, 7.0)
STEPS = 24


def integer_linears(generator):
    """Two torch Linear layers with small integer weights and biases."""
    layers = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        linear = torch.nn.Linear(fan_in, fan_out)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(generator.integers(-3, 4, (fan_out, fan_in))))
            linear.bias.copy_(torch.from_numpy(generator.integers(-2, 3, fan_out)))
        layers.append(linear)
    return layers


def inputs(generator):
    return generator.integers(0, 8, (STEPS, SIZES[0]))


def sinabs_network():
    import sinabs
    import sinabs.layers as sl

    generator = np.random.default_rng(14)
    first, second = integer_linears(generator)
    model = torch.nn.Sequential(first, sl.IAF(spike_threshold=THRESHOLDS[0]), second,
                                sl.IAF(spike_threshold=THRESHOLDS[1]))
    x = inputs(generator)
    graph = sinabs.to_nir(model, torch.zeros(1, STEPS, SIZES[0]))
    for layer in (model[1], model[3]):
        layer.reset_states()
    with torch.no_grad():
        batch = torch.from_numpy(x).float()[None]            # (batch, time, features)
        spikes_0 = model[1](model[0](batch))
        spikes_1 = model[3](model[2](spikes_0))
    return graph, {"x": x, "spikes_0": spikes_0[0].numpy(), "spikes_1": spikes_1[0].numpy(),
                   "v_1": model[3].v_mem[0].numpy()}


def snntorch_network():
    import snntorch as snn
    from snntorch.export_nir import export_to_nir

    generator = np.random.default_rng(15)
    first, second = integer_linears(generator)

    def leaky(size, threshold, output=False):
        return snn.Leaky(beta=torch.full((size,), 0.75), threshold=torch.full((size,), threshold),
                         reset_mechanism="subtract", reset_delay=False, init_hidden=True,
                         output=output)

    model = torch.nn.Sequential(first, leaky(SIZES[1], THRESHOLDS[0]), second,
                                leaky(SIZES[2], THRESHOLDS[1], output=True))
    x = inputs(generator)
    graph = export_to_nir(model, torch.zeros(1, SIZES[0]), ignore_dims=[0])
    for module in model:
        if isinstance(module, snn.Leaky):
            module.reset_hidden()
    spikes_0, spikes_1 = [], []
    with torch.no_grad():
        for row in x:
            a = model[1](model[0](torch.from_numpy(row).float()[None]))
            k, v = model[3](model[2](a))
            spikes_0.append(a[0].numpy())
            spikes_1.append(k[0].numpy())
    return graph, {"x": x, "spikes_0": np.array(spikes_0), "spikes_1": np.array(spikes_1),
                   "v_1": v[0].numpy()}


def save(name, graph, record):
    import nir

    nir.write(HERE / f"{name}.nir", graph)
    np.savez_compressed(HERE / f"{name}.npz", **record)
    print(f"{name}: {len(graph.nodes)} nodes, edges {graph.edges}; "
          f"{int(record['spikes_0'].sum())} + {int(record['spikes_1'].sum())} spikes")


if __name__ == "__main__":
    save("sinabs_if", *sinabs_network())
    save("snntorch_lif", *snntorch_network())
