"""cocotb testbench of the generated LIF core.

Built like cocotbext-axi: each part is its own object running its own task.
The stream parts (bus, source, sink, passive monitor) are in
:mod:`.streams`; here are the core's own:

* :class:`ParameterSource` — writes the parameter registers, one at a time;
* :class:`Scoreboard` — compares every transfer with the golden model
  (:func:`lifq.sim.check.expected_outputs`, i.e. :func:`lifq.golden.simulate`
  run on the segments between parameter writes and clears) and records lost,
  extra and reordered transfers;
* :class:`CoreTestbench` — ties them together for one core and one stimulus.

Seeds: every random choice comes from a pause generator seeded from the
job's seed, which the testbench logs; the same seed replays the same run.
"""

import collections

import cocotb
from cocotb.triggers import Event, ReadOnly, RisingEdge, Timer

from lifq.sim.check import PARAMETER_NAMES, expected_outputs
from lifq.spec import LIFConfig

from .streams import (StreamBus, StreamMonitor, StreamSink, StreamSource, decoder,
                      payload_fields, random_pauses)

__all__ = ["ParameterSource", "Scoreboard", "CoreTestbench"]


class ParameterSource:
    """Writes ``(address, value)`` pairs to a core's parameter port, one at a time."""

    def __init__(self, bus, clock, fields):
        self.bus, self.clock = bus, clock
        (self._address_offset, _, _) = fields["address"]
        (self._value_offset, value_width, _) = fields["value"]
        self._value_mask = (1 << value_width) - 1
        self.count = 0
        bus.valid.value = 0

    async def write(self, address, value):
        """Offer one write and return once the core has taken it."""
        edge, read_only, bus = RisingEdge(self.clock), ReadOnly(), self.bus
        await edge
        bus.payload.value = ((address << self._address_offset)
                             | ((value & self._value_mask) << self._value_offset))
        bus.valid.value = 1
        while True:
            await read_only
            if bus.ready.value:
                break
            await edge
        await edge
        bus.valid.value = 0
        self.count += 1


class Scoreboard:
    """Checks output transfer j against timestep j // N, neuron j % N.

    Parameters
    ----------
    cfg : lifq.spec.LIFConfig
    expected_spikes, expected_v : ndarray, shape (T, N)
        From the golden model.
    decode : callable
        Payload word → (neuron, spike_count, membrane).
    log : logging.Logger
    max_reports : int
        Errors logged and kept in :attr:`errors`; all are counted.
    """

    def __init__(self, cfg, expected_spikes, expected_v, decode, log, *, max_reports=20):
        self.neurons = cfg.neurons
        self.total = expected_spikes.size
        self.expected_spikes = expected_spikes.tolist()
        self.expected_v = expected_v.tolist()
        self.decode = decode
        self.log = log
        self.max_reports = max_reports
        self.received = []   # (neuron, spike_count, membrane) in arrival order
        self.errors = []     # dicts, the first max_reports
        self.error_count = 0
        self.error_kinds = collections.Counter()  # all errors by kind
        self.done = Event()
        if self.total == 0:
            self.done.set()

    def _error(self, **record):
        self.error_count += 1
        self.error_kinds[record["kind"]] += 1
        if len(self.errors) < self.max_reports:
            self.errors.append(record)
            self.log.error("%s", record["message"])

    def receive(self, word):
        neuron, k, v = self.decode(word)
        j = len(self.received)
        self.received.append((neuron, k, v))
        if j >= self.total:
            self._error(kind="extra", transfer=j, timestep=None, neuron=neuron,
                        field="transfer", expected=None, got=[neuron, k, v],
                        message=f"extra output transfer #{j} after the last expected one "
                                f"(neuron {neuron}, spike_count {k}, membrane {v})")
            return
        t, n = divmod(j, self.neurons)
        if neuron != n:
            self._error(kind="order", transfer=j, timestep=t, neuron=n, field="neuron",
                        expected=n, got=neuron,
                        message=f"timestep {t}, neuron {n}: output transfer #{j} carries neuron "
                                f"{neuron}: a lost, extra or reordered transfer")
        expected_k, expected_v = self.expected_spikes[t][n], self.expected_v[t][n]
        if k != expected_k:
            self._error(kind="value", transfer=j, timestep=t, neuron=n, field="spikes",
                        expected=expected_k, got=k,
                        message=f"timestep {t}, neuron {n}: spike_count expected {expected_k}, "
                                f"got {k}")
        if v != expected_v:
            self._error(kind="value", transfer=j, timestep=t, neuron=n, field="v",
                        expected=expected_v, got=v,
                        message=f"timestep {t}, neuron {n}: membrane expected {expected_v}, "
                                f"got {v}")
        if j + 1 == self.total:
            self.done.set()

    def finish(self):
        """Report lost transfers; call once nothing more can arrive."""
        missing = self.total - len(self.received)
        if missing > 0:
            t, n = divmod(len(self.received), self.neurons)
            self._error(kind="lost", transfer=len(self.received), timestep=t, neuron=n,
                        field="transfer", expected=self.total, got=len(self.received),
                        message=f"timestep {t}, neuron {n}: lost output transfers: received "
                                f"{len(self.received)} of {self.total}")

    @property
    def passed(self):
        return self.error_count == 0


class CoreTestbench:
    """Source, sink, monitor, parameter source and scoreboard for one core and stimulus.

    Parameters
    ----------
    dut : handle
        The top level; the core's ports are ``prefix + "currents__valid"`` etc.
    job : dict
        ``config``, ``currents`` (T×N), ``parameter_writes`` ([t, address,
        value] lists), ``clears`` (timesteps), ``seed``, ``input_gaps``,
        ``output_stalls`` and ``name``; see :mod:`lifq.sim.runner`.
    prefix : str
    clock_period_ns : int
    """

    #: Cycles without any transfer after which a run counts as hung.
    stall_window = 5000

    def __init__(self, dut, job, *, prefix="", clock_period_ns=10):
        import numpy as np

        from lifq.hdl.datapath import latency
        from lifq.hdl.interfaces import parameter_write_layout, update_layout

        self.name = job.get("name", prefix or "core")
        self.cfg = LIFConfig(**job["config"])
        self.currents = job["currents"]
        self.writes = [tuple(w) for w in job.get("parameter_writes", [])]
        self.clears = sorted(job.get("clears", []))
        self.seed = int(job["seed"])
        self.clock_period_ns = clock_period_ns
        self.latency = latency(self.cfg)
        self.log = dut._log.getChild(self.name) if hasattr(dut._log, "getChild") else dut._log
        self.clock = dut.clk
        self.clear = getattr(dut, prefix + "clear")
        self.clearing = getattr(dut, prefix + "clearing")
        self.clear.value = 0

        expected_spikes, expected_v = expected_outputs(
            self.cfg, np.asarray(self.currents, dtype=np.int64).reshape(-1, self.cfg.neurons),
            self.writes, self.clears)
        update_fields = payload_fields(update_layout(self.cfg))
        assert list(update_fields) == ["neuron", "spike_count", "membrane"], update_fields
        self.scoreboard = Scoreboard(self.cfg, expected_spikes, expected_v,
                                     decoder(update_fields), self.log,
                                     max_reports=int(job.get("max_reports", 20)))
        self.source = StreamSource(
            StreamBus.from_prefix(dut, prefix + "currents"), self.clock,
            pause=random_pauses(2 * self.seed, float(job.get("input_gaps", 0.0))))
        updates = StreamBus.from_prefix(dut, prefix + "updates")
        self.sink = StreamSink(updates, self.clock,
                               pause=random_pauses(2 * self.seed + 1,
                                                   float(job.get("output_stalls", 0.0))))
        self.monitor = StreamMonitor(updates, self.clock, self.scoreboard.receive)
        self.input_gaps = float(job.get("input_gaps", 0.0))
        self.output_stalls = float(job.get("output_stalls", 0.0))
        self.parameters = None
        if self.cfg.programmable:
            self.parameters = ParameterSource(
                StreamBus.from_prefix(dut, prefix + "parameters"), self.clock,
                payload_fields(parameter_write_layout()))
        elif self.writes:
            raise ValueError(f"{self.name}: parameter writes need a programmable core")
        self.hung = None
        self.first_cycle = self.last_cycle = None

    def _cycle(self):
        from cocotb.simtime import get_sim_time
        return int(get_sim_time("ns") // self.clock_period_ns)

    async def _clear(self):
        """Ask for a clear and wait until the core has set every membrane to v0."""
        edge, read_only = RisingEdge(self.clock), ReadOnly()
        await edge
        self.clear.value = 1
        await edge
        self.clear.value = 0
        while True:
            await read_only
            if not self.clearing.value:
                break
            await edge

    async def _sequence(self):
        """Feed the timesteps, with clears and parameter writes between them."""
        writes = collections.defaultdict(list)
        for t, address, value in self.writes:
            writes[t].append((address, value))
        clears = set(self.clears)
        for t, row in enumerate(self.currents):
            if t in writes or t in clears:
                await self.source.wait_idle()  # every current of timestep t−1 taken
            if t in clears:
                self.log.info("before timestep %d: clear", t)
                await self._clear()
            for address, value in writes.get(t, ()):
                name = PARAMETER_NAMES.get(address, f"address {address}")
                self.log.info("before timestep %d: write %s = %d", t, name, value)
                await self.parameters.write(address, value)
            self.source.send(row)

    async def _watchdog(self):
        window = Timer(self.stall_window * self.clock_period_ns, unit="ns")
        progress = -1
        while not self.scoreboard.done.is_set():
            now = (self.source.count + self.monitor.count
                   + (self.parameters.count if self.parameters else 0))
            if now == progress:
                j = len(self.scoreboard.received)
                t, n = divmod(j, self.cfg.neurons)
                total = self.scoreboard.total
                if self.source.count == total:
                    self.hung = (f"all {total} currents taken but only {j} updates received "
                                 f"and none for {self.stall_window} cycles: lost transfers "
                                 f"from timestep {t}, neuron {n} on")
                else:
                    self.hung = (f"no transfer for {self.stall_window} cycles: "
                                 f"{self.source.count} of {total} currents taken, {j} updates "
                                 f"received, waiting for timestep {t}, neuron {n}")
                self.log.error("%s", self.hung)
                self.scoreboard.done.set()
                return
            progress = now
            await window

    async def run(self):
        """Run the stimulus to its end; returns once the scoreboard is final."""
        self.log.info("%s: %d timesteps × %d neurons, seed %d (replay with LIFQ_SEED=%d), "
                      "input gaps %.2f, output stalls %.2f, %d parameter writes, %d clears",
                      self.name, len(self.currents), self.cfg.neurons, self.seed, self.seed,
                      self.input_gaps, self.output_stalls, len(self.writes), len(self.clears))
        self.first_cycle = self._cycle()
        sequence = cocotb.start_soon(self._sequence())
        watchdog = cocotb.start_soon(self._watchdog())
        await self.scoreboard.done.wait()
        self.last_cycle = self._cycle()
        if self.hung is None:
            # Anything the core sends after the last expected update is extra.
            for _ in range(4 * (self.latency + 8)):
                await RisingEdge(self.clock)
        for task in (sequence, watchdog):
            task.cancel()
        for part in (self.source, self.sink, self.monitor):
            part.stop()
        self.scoreboard.finish()
        if self.scoreboard.passed:
            self.log.info("%s: %d updates equal the golden model (%d cycles)", self.name,
                          len(self.scoreboard.received), self.last_cycle - self.first_cycle)

    def summary(self):
        """The result record the runner reads back."""
        received = self.scoreboard.received
        return {
            "name": self.name,
            "seed": self.seed,
            "neuron": [r[0] for r in received],
            "spike_count": [r[1] for r in received],
            "membrane": [r[2] for r in received],
            "errors": self.scoreboard.errors,
            "error_count": self.scoreboard.error_count,
            "error_kinds": dict(self.scoreboard.error_kinds),
            "hung": self.hung,
            "cycles": (self.last_cycle or 0) - (self.first_cycle or 0),
            "passed": self.scoreboard.passed and self.hung is None,
        }
