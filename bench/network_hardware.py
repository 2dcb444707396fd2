"""The network hardware: synaptic operations per clock, Fmax and resources, digits samples/s.

Three measurements, side by side in one run:

1. **Synaptic operations per clock**, measured in simulation (the Verilator
   harness, no input gaps, no back-pressure): a dense layer (every input an
   event, every weight non-zero) for P = 1, 2, 4, 8 lanes — operations are
   events × N, cycles from the first input transfer to the last output
   transfer — and the clock cycles per sample of the digits network at
   T = 1 (the mean over the first ``--samples`` test images).
2. **Fmax and resources** on the iCE40UP5K and the ECP5-85F of the digits
   network's first layer alone (64 → 64) and of the whole digits network
   (64-64-10, reset-to-mod), each with P = 1 and 4, built through the same
   harness as ``bench/hardware.py`` (the board's platform, pins and clock;
   every input from an LFSR register, every output through a pipelined XOR
   fold to an LED), beside the bare 16-bit accumulator built in the same run.
   tinyODIN's figures on the same open flow are quoted from issue #15 for
   comparison (neuron core 28.4 MHz on the UP5K, 61.9 MHz on the ECP5; the
   full design 12.1 MHz on the UP5K; 2 cycles per synaptic operation).
3. **Samples per second** for digits at T = 1: the Fmax of each device
   divided by the cycles per sample.

Run: ``.venv/bin/python -m bench.network_hardware [--seeds 1 2] [--json
bench/results/network_hardware.json]`` (about 15 minutes on two cores).
"""

import argparse
import concurrent.futures
import json
import os
import pathlib
import platform
import sys

import numpy as np
from amaranth.hdl import Cat, Elaboratable, Module, Signal, Value
from amaranth.lib import io

from bench import hardware
from lifq.golden import convert
from lifq.golden.datasets import load_digits, train_mlp
from lifq.hdl import Network
from lifq.sim.harness import run_network_harness
from lifq.spec import LayerConfig, LIFConfig, NetworkConfig

#: tinyODIN (Frenkel et al.) on the same open flow, from issue #15.
TINYODIN = {"ice40": {"neuron_core_mhz": 28.4, "full_design_mhz": 12.1},
            "ecp5": {"neuron_core_mhz": 61.9}, "cycles_per_synaptic_op": 2}
LANES = (1, 2, 4, 8)
BUILT_LANES = (1, 4)


# -- synaptic operations per clock (simulation) ---------------------------------------------

def dense_layer(inputs=32, neurons=32, seed=5):
    """One layer whose every input is an event and every weight non-zero."""
    rng = np.random.default_rng(seed)
    neuron = LIFConfig(neurons=neurons, width=16, threshold=200, reset="mod", spike_bits=2)
    layer = LayerConfig(neuron=neuron, weights=rng.integers(1, 100, (neurons, inputs)),
                        weight_bits=8)
    return NetworkConfig(inputs=inputs, input_bits=8, layers=[layer])


def operations_per_clock(lanes, steps=8):
    """(synaptic operations, cycles) of a dense layer over ``steps`` steps on Verilator."""
    net = dense_layer()
    x = np.random.default_rng(lanes).integers(1, 128, (1, steps, net.inputs))
    run = run_network_harness(net, x, "verilator", lanes=lanes, seed=1)
    assert run.passed, run.report()
    return steps * net.inputs * net.layers[0].neuron.neurons, int(run.sample_cycles[0])


def digits_network():
    digits = load_digits()
    model = train_mlp(digits, (64,))
    return convert(model, digits.x_train, reset="mod", steps=1).network, digits


def digits_cycles(net, digits, lanes, samples):
    """Mean clock cycles per digits sample at T = 1 on Verilator."""
    x = digits.x_test[:samples, None, :]
    run = run_network_harness(net, x, "verilator", lanes=lanes, seed=1)
    assert run.passed, run.report()
    return float(np.mean(run.sample_cycles))


# -- Fmax and resources (synthesis) ---------------------------------------------------------

class NetworkHarness(Elaboratable):
    """Registered inputs from an LFSR, the network, its outputs folded to an LED pin.

    Parameters
    ----------
    net : lifq.spec.NetworkConfig
    lanes : int
    """

    def __init__(self, net, lanes):
        self.net, self.lanes = net, lanes

    def elaborate(self, platform):
        m = Module()
        lfsr = Signal(64, init=1)  # x^64 + x^63 + x^61 + x^60 + 1
        m.d.sync += lfsr.eq(Cat(lfsr[1:], lfsr[0] ^ lfsr[1] ^ lfsr[3] ^ lfsr[4]))
        m.submodules.network = network = Network(self.net, lanes=self.lanes)
        payload = len(Value.cast(network.inputs.payload))
        m.d.comb += [network.inputs.payload.eq(lfsr[:payload]),
                     network.inputs.valid.eq(lfsr[40]),
                     network.events.ready.eq(lfsr[41]), network.updates.ready.eq(lfsr[42]),
                     # rare, but not constant: the clear logic stays in
                     network.clear.eq(lfsr[50:64].all())]
        folded = hardware.fold(m, Cat(network.inputs.ready, network.events.valid,
                             network.events.payload.as_value(), network.updates.valid,
                             network.updates.payload.as_value()))
        if platform is None:        # simulation: no pins
            return m
        m.submodules.led = buffer = io.Buffer("o", platform.request("led", 0, dir="-"))
        m.d.comb += buffer.o.eq(folded)
        return m


def first_layer(net):
    return NetworkConfig(inputs=net.inputs, input_bits=net.input_bits, layers=net.layers[:1])


def _build(design, net, lanes, device, seeds):
    if design == "accumulator":
        harness = hardware.Harness(LIFConfig(width=16), "accumulator")
    else:
        harness = NetworkHarness(first_layer(net) if design == "layer" else net, lanes)
    return hardware.implement_harness(harness, device, seeds=seeds,
                                      label=f"the {design} (P = {lanes})")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2],
                        help="nextpnr seeds of every build (default 1 2)")
    parser.add_argument("--devices", nargs="+", choices=hardware.DEVICES,
                        default=list(hardware.DEVICES))
    parser.add_argument("--samples", type=int, default=100,
                        help="digits test images for the cycles per sample (default 100)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-build", action="store_true", help="simulation figures only")
    args = parser.parse_args(argv)
    os.environ["PATH"] = f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    net, digits = digits_network()

    builds = {}
    pool = concurrent.futures.ProcessPoolExecutor(args.jobs)
    if not args.no_build:   # place and route in the background while the simulations run
        for device in args.devices:
            builds[(device, "accumulator", 1)] = pool.submit(_build, "accumulator", net, 1,
                                                             device, args.seeds)
            for design in ("layer", "network"):
                for lanes in BUILT_LANES:
                    builds[(device, design, lanes)] = pool.submit(_build, design, net, lanes,
                                                                  device, args.seeds)

    print("Synaptic operations per clock, dense 32 → 32 layer, 8 steps, Verilator "
          "(tinyODIN: 0.5)")
    dense = []
    for lanes in LANES:
        operations, cycles = operations_per_clock(lanes)
        dense.append({"lanes": lanes, "operations": operations, "cycles": cycles,
                      "per_clock": operations / cycles,
                      "per_clock_per_lane": operations / cycles / lanes})
        print(f"  P = {lanes}: {operations} operations in {cycles} cycles: "
              f"{operations / cycles:.2f} per clock, {operations / cycles / lanes:.2f} per lane")
    print(f"\nDigits network {'-'.join(map(str, net.sizes))}, T = 1, mean clock cycles per "
          f"sample over {args.samples} test images (Verilator)")
    cycles = {}
    for lanes in LANES:
        cycles[lanes] = digits_cycles(net, digits, lanes, args.samples)
        print(f"  P = {lanes}: {cycles[lanes]:.1f} cycles per sample")

    rows = []
    if builds:
        print(f"\nFmax (min/median/max over seeds {' '.join(map(str, args.seeds))}) and "
              "resources, same harness as bench/hardware.py")
        print(f"{'device':>6} {'design':>12} {'P':>2} {'Fmax MHz':>18} {'× acc':>6} "
              f"{'LCs':>5} {'FFs':>5} {'BRAM':>5} {'DSP':>4} {'samples/s':>10}")
    for (device, design, lanes), future in builds.items():
        row = {"device": device, "design": design, "lanes": lanes, **future.result()}
        accumulator = builds[(device, "accumulator", 1)].result()["fmax_mhz"]
        row["ratio_to_accumulator"] = row["fmax_mhz"] / accumulator
        if design == "network":
            row["samples_per_second"] = row["fmax_mhz"] * 1e6 / cycles[lanes]
        rows.append(row)
        fmax = f"{row['fmax_min_mhz']:.1f}/{row['fmax_mhz']:.1f}/{row['fmax_max_mhz']:.1f}"
        rate = f"{row['samples_per_second']:.0f}" if "samples_per_second" in row else "–"
        print(f"{device:>6} {design:>12} {lanes if design != 'accumulator' else '':>2} "
              f"{fmax:>18} {row['ratio_to_accumulator']:>6.2f} {row['logic_cells']:>5} "
              f"{row['flip_flops'] or '–':>5} {row['block_rams']:>5} {row['dsps']:>4} "
              f"{rate:>10}", flush=True)
    pool.shutdown()
    if builds:
        print("tinyODIN on the same flow: neuron core 28.4 MHz (iCE40UP5K), 61.9 MHz "
              "(ECP5); full design 12.1 MHz (iCE40UP5K); 2 cycles per synaptic operation")
        for row in rows:
            if row["design"] == "network":
                print(f"  {row['device']} network P = {row['lanes']}: "
                      f"{row['samples_per_second']:.0f} digits samples/s at T = 1 "
                      f"({row['fmax_mhz']:.1f} MHz / {cycles[row['lanes']]:.0f} cycles)")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(
            {"machine": platform.machine(), "seeds": args.seeds, "dense": dense,
             "digits_cycles": {str(k): v for k, v in cycles.items()}, "builds": rows,
             "tinyodin": TINYODIN}, indent=1))


if __name__ == "__main__":
    main()
