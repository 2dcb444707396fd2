"""Running a network through the file-driven harness: events in, simulator, transfers out,
numpy check.

:func:`run_network_harness` is the entry point; :func:`start_network_harness`
starts a run and returns at once.  A run sends S samples (a clear between
two) through one build of the network (:mod:`.network_top`): the C++ main
or the SystemVerilog testbench offers the input events with seeded gaps and
takes the output layer's events and the update streams with seeded stalls
(:mod:`.event_files`), and :mod:`.network_scoreboard` compares every
transfer with :func:`lifq.golden.simulate_network`, computed while the
simulator runs.
"""

import dataclasses
import hashlib
import json

import numpy as np

from lifq.golden import simulate_network
from lifq.golden.network import validate_inputs
from lifq.hdl import EventFormat
from lifq.hdl.datapath import latency
from lifq.hdl.synapses import core_config
from lifq.spec import NetworkConfig

from .build import Harness, build_design
from .event_files import EventPlan, read_network_results, write_event_stimulus
from .network_result import NetworkRtlRun
from .network_scoreboard import (expected_events, expected_updates, first_event_mismatch,
                                 first_update_mismatch)
from .network_top import NETWORK, TOP, monitored_layers, network_design, network_top
from .process import (SimulatorProcess, build_root, checked_probability, default_seed,
                      run_folder, run_label)
from .run import RESET_CYCLES, STALL_WINDOW
from .scoreboard import decode_fields

__all__ = ["NETWORK_HARNESS", "NetworkHarnessRun", "start_network_harness",
           "run_network_harness"]

NETWORK_HARNESS = Harness("lifq_network_harness.cpp", "lifq_network_harness_tb.sv",
                          "lifq_network_harness_tb", TOP)


def lanes_per_layer(net, lanes):
    """P of every layer, as :class:`lifq.hdl.Network` reads ``lanes`` (it checks them)."""
    if isinstance(lanes, int) and not isinstance(lanes, bool):
        return [min(lanes, layer.neurons) for layer in net.layers]
    return list(lanes)


def quiet_windows(net, lanes):
    """(stall window, drain cycles) of a network's run.

    The longest quiet spell of a healthy network is about one step of every
    layer — each input event costs G = ⌈N_ℓ/P⌉ cycles, each fire N_ℓ — plus the
    N_ℓ cycles a core clears its membranes after reset; a broken one may send
    extra transfers within a few pipeline depths of the last expected one.
    """
    step = sum(layer.neurons + layer.fan_in * -(-layer.neurons // count)
               for layer, count in zip(net.layers, lanes))
    depth = sum(latency(core_config(layer)) + layer.neurons + 8 for layer in net.layers)
    return STALL_WINDOW + 2 * step, 2 * depth + 64


def network_digest(net):
    """A short hash of a network's JSON (its weights can be large for a cache key)."""
    text = json.dumps(net.to_dict(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def network_samples(net, inputs):
    """``inputs`` for ``net`` checked (SPEC §6) and as samples, shape (S, T, N_0).

    Raises TypeError unless ``net`` is a :class:`lifq.spec.NetworkConfig`,
    :class:`lifq.spec.InputError` for inputs that do not fit it, and
    ValueError for no sample or no step.
    """
    if not isinstance(net, NetworkConfig):
        raise TypeError(f"net must be a lifq.spec.NetworkConfig, not {type(net).__name__}")
    inputs = validate_inputs(net, inputs)
    inputs = inputs if inputs.ndim == 3 else inputs[None]
    if inputs.shape[0] < 1 or inputs.shape[1] < 1:
        raise ValueError(f"inputs of shape {inputs.shape}: at least one sample of one step")
    return inputs


def network_build_description(net, *, lanes, fifo_depth, debug, mutation):
    """What names a network's build in the build cache (the network by its digest)."""
    return dict(network=network_digest(net), lanes=lanes, fifo_depth=fifo_depth, debug=debug,
                mutation=None if mutation is None else [mutation[0],
                                                        dataclasses.asdict(mutation[1])])


class NetworkHarnessRun:
    """A network harness run under way; :meth:`finish` waits for it and checks it.

    Attributes
    ----------
    simulator : str
        How the run is labelled: the simulator, plus the netlist family.
    run_dir : pathlib.Path
        Stimulus, result and log of the run.
    seed : int
    """

    def __init__(self, net, inputs, *, lanes, debug, seed, pacing, build, label, run_dir,
                 keep):
        self.net, self.inputs, self.lanes, self.seed = net, inputs, lanes, seed
        self.simulator, self.run_dir = label, run_dir
        self._layers = monitored_layers(net, debug)
        self._keep = keep
        self.stall_window, drain = quiet_windows(net, lanes)
        output = EventFormat.spikes(net.layers[-1].neuron).layout
        self._stimulus, self._results = run_dir / "stimulus.bin", run_dir / "results.bin"
        plan = EventPlan(inputs, per_step=[0] + [net.layers[n].neurons for n in self._layers],
                         end_bit=output["end"].offset, seed=seed, input_gaps=pacing[0],
                         output_stalls=pacing[1])
        write_event_stimulus(self._stimulus, plan, reset_cycles=RESET_CYCLES,
                             stall_window=self.stall_window, drain_cycles=drain)
        self._process = SimulatorProcess(build, run_dir, self._stimulus, self._results, label)
        self.log = self._process.log

    def finish(self):
        """Wait for the simulator and compare; returns a :class:`NetworkRtlRun`."""
        try:
            golden = simulate_network(self.net, self.inputs)
        finally:
            self._process.wait()
        try:
            output = read_network_results(self._results, 1 + len(self._layers))
        except (OSError, ValueError) as error:
            raise self._process.unreadable(error) from None
        net, (samples, steps, _) = self.net, self.inputs.shape
        updates = [None] * len(net.layers)
        mismatch = None
        for stream, number in enumerate(self._layers, start=1):
            layout = _update_layout(net, number)
            fields = decode_fields(layout, output.payloads[stream])
            updates[number] = np.stack(list(fields.values()), axis=-1).reshape(-1, 3)
            mismatch = mismatch or first_update_mismatch(
                number, updates[number], expected_updates(*golden.layers[number]), steps,
                net.layers[number].neurons)
        output_layout = EventFormat.spikes(net.layers[-1].neuron).layout
        fields = decode_fields(output_layout, output.payloads[0])
        events = np.stack([fields["index"], fields["value"], fields["end"]], axis=-1)
        mismatch = mismatch or first_event_mismatch(
            len(net.layers) - 1, events, expected_events(golden.layers[-1][0]), steps)
        hung = None
        if output.stalled:
            hung = (f"no transfer for {self.stall_window} cycles: {output.sent} input beats "
                    f"taken, the outputs of {len(output.sample_end)} of {samples} samples "
                    "arrived")
        passed = mismatch is None and hung is None
        log = self._process.clean_up(self._keep or not passed)
        return NetworkRtlRun(
            net=net, samples=samples, steps=steps, lanes=self.lanes, updates=updates,
            events=events, expected=golden, mismatch=mismatch, hung=hung, passed=passed,
            seed=self.seed, simulator=self.simulator, cycles=output.cycles,
            sample_cycles=output.sample_end - output.sample_start + 1, sent=output.sent,
            log=log)


def _update_layout(net, number):
    from lifq.hdl.interfaces import update_layout

    return update_layout(core_config(net.layers[number]))


def start_network_harness(net, inputs, simulator="verilator", *, lanes=1, fifo_depth=None,
                          debug=True, seed=None, input_gaps=0.0, output_stalls=0.0,
                          netlist=None, build_dir=None, keep=False, mutation=None):
    """Build (or reuse) the harness for ``net`` and start it on ``inputs``.

    Parameters
    ----------
    net : lifq.spec.NetworkConfig
    inputs : array_like of int, shape (T, N_0) or (S, T, N_0)
        One sample, or S samples with a clear between two.
    simulator : ``"verilator"`` or ``"icarus"``
    lanes, fifo_depth
        As for :class:`lifq.hdl.Network`.
    debug : bool
        Also take (and check) every hidden layer's updates; without, the hidden
        layers are checked through the output layer only.
    seed : int, optional
        Seed of the gaps and stalls; None is ``$LIFQ_SEED``, else random.
    input_gaps, output_stalls : float in [0, 1)
        Chance per cycle of an idle input or of an output stream not ready.
    netlist : ``"ice40"``, ``"ecp5"`` or None
        Simulate the netlist Yosys synthesises for that FPGA family instead.
    build_dir : path, optional
        Root of the build cache.
    keep : bool
        Keep the run folder even when the run passed.
    mutation : (int, lifq.sim.mutation.Mutation), optional
        Break one output transfer of that layer's core (see
        :func:`lifq.sim.harness.network_top.network_design`).

    Raises
    ------
    lifq.spec.InputError
        Inputs that do not fit the network, a layer the hardware cannot build.
    lifq.sim.tools.ToolMissing, lifq.sim.tools.SimulationError
        A missing tool; a build or run that failed (one line naming the log).
    ValueError
        Bad simulator, netlist, probabilities or lanes.
    """
    inputs = network_samples(net, inputs)
    pacing = (checked_probability("input_gaps", input_gaps),
              checked_probability("output_stalls", output_stalls))
    seed = default_seed(seed)
    top_text = network_top(net, debug)           # also checks what a layer can build
    description = network_build_description(net, lanes=lanes, fifo_depth=fifo_depth,
                                            debug=debug, mutation=mutation)
    build = build_design(
        NETWORK_HARNESS, simulator, build_root(build_dir), description=description,
        design=lambda: network_design(net, lanes=lanes, fifo_depth=fifo_depth, debug=debug,
                                      mutation=mutation),
        module=NETWORK, top_text=top_text, streams=1 + len(monitored_layers(net, debug)),
        netlist=netlist)
    return NetworkHarnessRun(net, inputs, lanes=lanes_per_layer(net, lanes), debug=debug, seed=seed,
                             pacing=pacing, build=build, label=run_label(simulator, netlist),
                             run_dir=run_folder(build), keep=keep)


def run_network_harness(net, inputs, simulator="verilator", **options):
    """Run ``net`` on ``inputs`` through the harness and check every transfer.

    Takes the arguments of :func:`start_network_harness`; returns a
    :class:`~lifq.sim.harness.network_result.NetworkRtlRun`.  A mismatch is not
    an exception: see ``.passed`` and ``.mismatch``.
    """
    return start_network_harness(net, inputs, simulator, **options).finish()
