"""cocotb testbench of a generated network (SPEC §6, issue 15).

Layered as the core's (:mod:`.lifq_tb`), from the same stream parts
(:mod:`.streams`):

* a :class:`~.streams.StreamSource` drives the network's ``inputs`` with
  every step's events (the non-zero x[j] as (j, x[j]) in ascending j, then the
  marker), idling as its seeded pause generator says (random gaps);
* a :class:`~.streams.StreamSink` with a seeded pause generator applies
  back-pressure to the output ``events`` and to every layer's ``updates``
  stream (``updates_0`` … and ``updates``), and a passive
  :class:`PayloadMonitor` on each (a :class:`~.streams.StreamMonitor` that
  also reads unknown bits, on Icarus) hands every transfer to
* :class:`NetworkScoreboard`, which compares it, as it arrives, with
  :func:`lifq.golden.simulate_network` — each layer's updates (neuron, k, v'),
  the output layer's events (index, value, end) — and names the first
  difference of each stream by layer, sample, timestep and neuron
  (:class:`lifq.sim.harness.network_scoreboard.Mismatch`, the harness's own);
* :class:`NetworkTestbench` ties them together for one network and its
  inputs: S samples back to back, a ``clear`` between two once every output
  of the previous sample has arrived, a watchdog for a run that stops moving.

Seeds: every pause generator is seeded from the job's seed, which the
testbench logs; the same seed replays the same run.
"""

import numpy as np

import cocotb
from cocotb.triggers import Event, ReadOnly, RisingEdge, Timer

from lifq.golden import simulate_network
from lifq.hdl import EventFormat
from lifq.hdl.interfaces import update_layout
from lifq.hdl.synapses import core_config
from lifq.sim.harness.network_scoreboard import (expected_events, expected_updates,
                                                 first_event_mismatch, first_update_mismatch)
from lifq.sim.network_amaranth import input_events
from lifq.spec import NetworkConfig

from .streams import (StreamBus, StreamMonitor, StreamSink, StreamSource, decoder,
                      payload_fields, random_pauses)

__all__ = ["encoder", "PayloadMonitor", "NetworkScoreboard", "NetworkTestbench", "mismatch_record"]


def encoder(fields):
    """A function from field values (in order) to a payload word."""
    plan = [(offset, (1 << width) - 1) for offset, width, _ in fields.values()]

    def encode(*values):
        word = 0
        for (offset, mask), value in zip(plan, values):
            word |= (int(value) & mask) << offset
        return word
    return encode


class PayloadMonitor(StreamMonitor):
    """A :class:`~.streams.StreamMonitor` for 4-state simulators: every transfer's payload
    goes to the callbacks as two words, its unknown (X, Z) bits read as 0 and as 1.

    Icarus leaves the don't-care fields of a marker (index, value) unknown; the
    scoreboard decides which bits matter.  A ``valid`` that is itself unknown is
    no transfer; the first cycle of one is kept in :attr:`unknown_valid`.
    """

    def __init__(self, bus, clock, callback=None, *, period_ns=10):
        self.unknown_valid = None
        self._period_ns = period_ns
        super().__init__(bus, clock, callback)

    def _cycle(self):
        from cocotb.simtime import get_sim_time
        return int(get_sim_time("ns") // self._period_ns)

    async def _run(self):
        edge, read_only = RisingEdge(self.clock), ReadOnly()
        valid, ready, payload = self.bus.valid, self.bus.ready, self.bus.payload
        while True:
            await read_only
            handshake = valid.value
            if not handshake.is_resolvable:      # an unknown valid: a broken design
                if self.unknown_valid is None:
                    self.unknown_valid = self._cycle()
                await edge
                continue
            if handshake and ready.value:
                value = payload.value
                if value.is_resolvable:
                    zeros = ones = value.to_unsigned()
                else:
                    zeros = value.resolve("zeros").to_unsigned()
                    ones = value.resolve("ones").to_unsigned()
                await edge
                self.count += 1
                for callback in self.callbacks:
                    callback(zeros, ones)
                continue
            await edge


def mismatch_record(mismatch):
    """A :class:`Mismatch` as JSON-ready data (the runner rebuilds it)."""
    import dataclasses

    return None if mismatch is None else dataclasses.asdict(mismatch)


class _Stream:
    """What the scoreboard keeps of one output stream."""

    def __init__(self, layer, kind, expected, per_sample):
        self.layer, self.kind = layer, kind
        self.expected = expected                               # ndarray (transfers, 3)
        self.rows = [tuple(int(v) for v in row) for row in expected]
        self.per_sample = per_sample                           # transfers (updates) or markers
        self.received = []                                     # raw rows, arrival order
        self.compared = []                                     # rows as compared
        self.markers = 0
        self.mismatch = None

    @property
    def total(self):
        return len(self.rows)

    def got(self):
        return np.array(self.compared, dtype=np.int64).reshape(-1, 3)

    def completed(self):
        """Samples whose transfers on this stream have all arrived."""
        count = len(self.received) if self.kind == "updates" else self.markers
        return count // self.per_sample


class NetworkScoreboard:
    """Checks every update and output event of a network against the golden network.

    Parameters
    ----------
    net : lifq.spec.NetworkConfig
    inputs : ndarray of int, shape (S, T, N_0)
    layers : list of int
        The layers whose updates are taken (all with ``debug``).
    log : logging.Logger
    cycle : callable
        The current clock cycle (for the sample timings).
    """

    def __init__(self, net, inputs, layers, log, cycle):
        self.net, self.log, self._cycle = net, log, cycle
        self.samples, self.steps, _ = inputs.shape
        golden = simulate_network(net, inputs)
        self.golden = golden
        self.streams = {}
        for number in layers:
            self.streams[("updates", number)] = _Stream(
                number, "updates", expected_updates(*golden.layers[number]),
                self.steps * net.layers[number].neurons)
        last = len(net.layers) - 1
        self.streams[("events", last)] = _Stream(
            last, "events", expected_events(golden.layers[last][0]), self.steps)
        self.done = Event()
        self.sample_end = []        # cycle at which each sample's last output arrived
        self._check_done()

    # -- receiving -------------------------------------------------------------------

    def update_receiver(self, number, decode):
        stream = self.streams[("updates", number)]
        neurons = self.net.layers[number].neurons

        def receive(zeros, ones):
            j = len(stream.compared)
            row = self._known(stream, j, tuple(decode(zeros)), tuple(decode(ones)))
            stream.received.append(row)
            stream.compared.append(row)
            if stream.mismatch is None and (j >= stream.total or row != stream.rows[j]):
                self._report(stream, first_update_mismatch(
                    number, stream.got(), stream.expected, self.steps, neurons))
            self._progress()
        return receive

    def event_receiver(self, decode):
        last = len(self.net.layers) - 1
        stream = self.streams[("events", last)]

        def compared(row):
            index, value, end = row
            return (0, 0, 1) if end else (index, value, 0)  # a marker's fields mean nothing

        def receive(zeros, ones):
            j = len(stream.compared)
            low, high = tuple(decode(zeros)), tuple(decode(ones))
            row = self._known(stream, j, compared(low), compared(high))
            stream.received.append(low if row == compared(low) else high)
            stream.compared.append(row)
            stream.markers += row[2]
            if stream.mismatch is None and (j >= stream.total or row != stream.rows[j]):
                self._report(stream, first_event_mismatch(
                    last, stream.got(), stream.expected, self.steps))
            self._progress()
        return receive

    def _known(self, stream, j, low, high):
        """The row of transfer ``j`` read with its unknown bits as 0 (``low``) and as 1
        (``high``): the same row when no unknown bit matters, else the reading that
        differs from the golden network (so that an unknown value is a mismatch)."""
        if low == high:
            return low
        self.log.error("%s of layer %d, transfer %d: unknown (X/Z) bits in the payload, "
                       "read as %s or %s", stream.kind, stream.layer, j, low, high)
        expected = stream.rows[j] if j < stream.total else None
        return high if low == expected else low

    def _report(self, stream, mismatch):
        stream.mismatch = mismatch
        self.log.error("MISMATCH at %s", mismatch)

    def completed_samples(self):
        """Samples (from the first) whose outputs have all arrived, every stream."""
        return min(stream.completed() for stream in self.streams.values())

    def _progress(self):
        done = min(self.completed_samples(), self.samples)
        while len(self.sample_end) < done:
            self.sample_end.append(self._cycle())
        self._check_done()

    def _check_done(self):
        if all(len(s.received) >= s.total for s in self.streams.values()):
            self.done.set()

    # -- the verdict -----------------------------------------------------------------

    def finish(self):
        """Name lost transfers; call once nothing more can arrive."""
        for stream in self.streams.values():
            if stream.mismatch is None and len(stream.compared) < stream.total:
                if stream.kind == "updates":
                    mismatch = first_update_mismatch(
                        stream.layer, stream.got(), stream.expected, self.steps,
                        self.net.layers[stream.layer].neurons)
                else:
                    mismatch = first_event_mismatch(stream.layer, stream.got(),
                                                    stream.expected, self.steps)
                self._report(stream, mismatch)

    @property
    def mismatch(self):
        """The first difference: the lowest layer's first wrong update, else the first
        wrong output event (as the harness reports it)."""
        updates = sorted((key[1], s.mismatch) for key, s in self.streams.items()
                         if key[0] == "updates" and s.mismatch is not None)
        if updates:
            return updates[0][1]
        (events,) = [s for key, s in self.streams.items() if key[0] == "events"]
        return events.mismatch


class NetworkTestbench:
    """Event source, sinks, monitors and scoreboard for one network and its inputs.

    Parameters
    ----------
    dut : handle
        The generated ``lif_network``: ports ``inputs__valid`` …, ``events__…``,
        ``updates__…`` and (with ``debug``) ``updates_0__…``, ``clear``.
    job : dict
        ``network`` (its JSON), ``inputs`` (S×T×N_0), ``layers`` (the layers
        whose updates are taken), ``seed``, ``input_gaps``, ``output_stalls``,
        ``stall_window``, ``drain_cycles``; see :mod:`lifq.sim.network_runner`.
    clock_period_ns : int
    """

    def __init__(self, dut, job, *, clock_period_ns=10):
        self.net = NetworkConfig.from_dict(job["network"])
        self.inputs = np.asarray(job["inputs"], dtype=np.int64)
        if self.inputs.ndim == 2:           # one sample
            self.inputs = self.inputs[None]
        self.samples, self.steps, _ = self.inputs.shape
        self.layers = [int(n) for n in job["layers"]]
        self.seed = int(job["seed"])
        self.input_gaps = float(job.get("input_gaps", 0.0))
        self.output_stalls = float(job.get("output_stalls", 0.0))
        self.stall_window = int(job.get("stall_window", 5000))
        self.drain_cycles = int(job.get("drain_cycles", 256))
        self.clock_period_ns = clock_period_ns
        self.log = dut._log.getChild("network") if hasattr(dut._log, "getChild") else dut._log
        self.clock = dut.clk
        self.clear = dut.clear
        self.clear.value = 0

        self.scoreboard = NetworkScoreboard(self.net, self.inputs, self.layers, self.log,
                                            self._cycle)
        count = len(self.net.layers)
        input_fields = payload_fields(EventFormat.network_inputs(self.net).layout)
        assert list(input_fields) == ["index", "value", "end"], input_fields
        self._encode = encoder(input_fields)
        inputs = StreamBus.from_prefix(dut, "inputs")
        inputs.payload.value = 0     # (LIFQ_X_INPUTS=1: leave it unknown until the first beat)
        self.source = StreamSource(inputs, self.clock,
                                   pause=random_pauses(self._seed(0), self.input_gaps))
        self.input_monitor = PayloadMonitor(inputs, self.clock, self._input_taken,
                                            period_ns=clock_period_ns)
        self.sinks, self.monitors = [], []
        events = StreamBus.from_prefix(dut, "events")
        event_fields = payload_fields(EventFormat.spikes(self.net.layers[-1].neuron).layout)
        self._attach(events, 1, self.scoreboard.event_receiver(decoder(event_fields)))
        for stream, number in enumerate(self.layers, start=2):
            bus = StreamBus.from_prefix(dut, "updates" if number == count - 1
                                        else f"updates_{number}")
            fields = payload_fields(update_layout(core_config(self.net.layers[number])))
            assert list(fields) == ["neuron", "spike_count", "membrane"], fields
            self._attach(bus, stream, self.scoreboard.update_receiver(number, decoder(fields)))
        # Input beats of each sample: its steps' events and markers.
        self._beats = [sum(len(input_events(x)) + 1 for x in sample) for sample in self.inputs]
        self.sample_start = []
        self.sent = 0
        self.hung = None
        self.first_cycle = self.last_cycle = None

    def _seed(self, stream):
        return self.seed * 7919 + 101 * stream + 1

    def _attach(self, bus, stream, callback):
        self.sinks.append(StreamSink(bus, self.clock,
                                     pause=random_pauses(self._seed(stream),
                                                         self.output_stalls)))
        self.monitors.append(PayloadMonitor(bus, self.clock, callback,
                                            period_ns=self.clock_period_ns))

    def _cycle(self):
        from cocotb.simtime import get_sim_time
        return int(get_sim_time("ns") // self.clock_period_ns)

    def _input_taken(self, zeros, ones):
        sample = len(self.sample_start)
        if sample < self.samples and self.sent == sum(self._beats[:sample]):
            self.sample_start.append(self._cycle())
        self.sent += 1

    async def _sequence(self):
        """Send every sample's events, with a clear between samples once the outputs
        of the previous one have all arrived."""
        edge = RisingEdge(self.clock)
        for sample in range(self.samples):
            if sample:
                await self.source.wait_idle()
                while self.scoreboard.completed_samples() < sample:
                    await edge
                self.log.info("before sample %d: clear", sample)
                await edge
                self.clear.value = 1
                await edge
                self.clear.value = 0
            words = []
            for x in self.inputs[sample]:
                words += [self._encode(j, value, 0) for j, value in input_events(x)]
                words.append(self._encode(0, 0, 1))
            self.source.send(words)

    def _moved(self):
        return self.source.count + sum(monitor.count for monitor in self.monitors)

    async def _watchdog(self):
        window = Timer(self.stall_window * self.clock_period_ns, unit="ns")
        progress = -1
        while not self.scoreboard.done.is_set():
            now = self._moved()
            if now == progress:
                received = ", ".join(
                    f"{kind} of layer {number}: {len(s.received)} of {s.total}"
                    for (kind, number), s in self.scoreboard.streams.items())
                self.hung = (f"no transfer for {self.stall_window} cycles: {self.sent} input "
                             f"beats taken, the outputs of "
                             f"{self.scoreboard.completed_samples()} of {self.samples} "
                             f"samples arrived ({received})")
                self.log.error("%s", self.hung)
                self.scoreboard.done.set()
                return
            progress = now
            await window

    async def run(self):
        """Run every sample to its end; returns once the scoreboard is final."""
        self.log.info("network %s: %d sample(s) × %d steps, seed %d (replay with "
                      "LIFQ_SEED=%d), input gaps %.2f, output stalls %.2f, updates of "
                      "layers %s taken", "-".join(map(str, self.net.sizes)), self.samples,
                      self.steps, self.seed, self.seed, self.input_gaps, self.output_stalls,
                      self.layers)
        self.first_cycle = self._cycle()
        sequence = cocotb.start_soon(self._sequence())
        watchdog = cocotb.start_soon(self._watchdog())
        await self.scoreboard.done.wait()
        if self.hung is None:
            # Anything the network sends after the last expected transfer is extra.
            for _ in range(self.drain_cycles):
                await RisingEdge(self.clock)
        self.last_cycle = self._cycle()
        for task in (sequence, watchdog):
            task.cancel()
        for part in (self.source, self.input_monitor, *self.sinks, *self.monitors):
            part.stop()
        self.scoreboard.finish()
        if self.passed:
            self.log.info("network: %d updates and %d output events equal the golden "
                          "network (%d cycles)", self._updates(),
                          len(self.scoreboard.streams[("events", len(self.net.layers) - 1)]
                              .received), self.last_cycle - self.first_cycle)

    def _updates(self):
        return sum(len(s.received) for (kind, _), s in self.scoreboard.streams.items()
                   if kind == "updates")

    def _unknown_valid(self):
        """A sentence on the first stream whose ``valid`` was unknown (X/Z), or None."""
        seen = [(monitor.unknown_valid, monitor.bus.name) for monitor in self.monitors
                if monitor.unknown_valid is not None]
        if not seen:
            return None
        cycle, name = min(seen)
        return f"{name}__valid unknown (X/Z) at cycle {cycle - self.first_cycle}"

    @property
    def passed(self):
        return (self.scoreboard.mismatch is None and self.hung is None
                and self._unknown_valid() is None)

    def summary(self):
        """The result record the runner reads back."""
        streams = self.scoreboard.streams
        count = len(self.net.layers)
        starts, ends = self.sample_start, self.scoreboard.sample_end
        done = min(len(starts), len(ends))
        return {
            "seed": self.seed,
            "updates": [streams[("updates", n)].received if ("updates", n) in streams else None
                        for n in range(count)],
            "events": streams[("events", count - 1)].received,
            "mismatch": mismatch_record(self.scoreboard.mismatch),
            "hung": self.hung or self._unknown_valid(),
            "cycles": (self.last_cycle or 0) - (self.first_cycle or 0),
            "sample_cycles": [ends[s] - starts[s] + 1 for s in range(done)],
            "sent": self.sent,
            "passed": self.passed,
        }
