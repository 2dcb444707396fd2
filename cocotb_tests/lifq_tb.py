"""cocotb verification components for the generated LIF core.

In the style of cocotbext-axi, each part of the testbench is its own object
running its own task:

* :class:`CurrentDriver` offers input currents with random idle gaps, holding
  ``valid`` and the payload stable until ``ready``;
* :class:`ParameterDriver` writes the parameter registers of a programmable
  core (one write per :meth:`ParameterDriver.write` call);
* :class:`UpdateMonitor` accepts the update stream with random back-pressure
  and hands every transfer to a callback;
* :class:`Scoreboard` compares every transfer with the golden model
  (:func:`sim.check.expected_outputs`, i.e. :func:`lifq.golden.simulate` run on
  the segments between parameter writes) and records lost, extra and
  reordered transfers;
* :class:`CoreTestbench` ties them together for one core and one stimulus.

Sampling discipline, portable between Icarus and Verilator: inputs are
written right after a rising edge, and ``ready``/``valid`` are sampled in the
``ReadOnly`` phase of the same cycle, i.e. the values the next rising edge
registers.  A transfer sampled there completes at that next edge.

Signals are looked up by name with a prefix, so one testbench works on the
bare core (prefix ``""``) and on the cores of a bundle (``"c3_"``).
"""

import collections
import random

import cocotb
from cocotb.triggers import Event, ReadOnly, RisingEdge, Timer

from lifq.sim.check import PARAMETER_NAMES, expected_outputs
from lifq.spec import LIFConfig

__all__ = ["CurrentDriver", "ParameterDriver", "UpdateMonitor", "Scoreboard",
           "CoreTestbench", "payload_fields"]


def payload_fields(layout):
    """``{name: (offset, width, signed)}`` of an Amaranth struct layout."""
    from amaranth.hdl import Shape

    return {name: (field.offset, field.width, Shape.cast(field.shape).signed)
            for name, field in layout}


def _decoder(fields):
    """A function from a payload word to a tuple of field values (in order)."""
    plan = [(offset, (1 << width) - 1, (1 << (width - 1)) if signed else 0)
            for offset, width, signed in fields.values()]

    def decode(word):
        values = []
        for offset, mask, sign in plan:
            value = (word >> offset) & mask
            if sign and value & sign:
                value -= sign << 1
            values.append(value)
        return values
    return decode


class CurrentDriver:
    """Drives a valid/ready stream of signed integers.

    Parameters
    ----------
    clock : handle
    valid, ready, payload : handles
    rng : random.Random
    gap_probability : float
        Chance, every cycle the driver could offer a value, that it idles instead.
    """

    def __init__(self, clock, valid, ready, payload, *, rng, gap_probability=0.0):
        self.clock, self.valid, self.ready, self.payload = clock, valid, ready, payload
        self.rng = rng
        self.gap_probability = gap_probability
        self._mask = (1 << len(payload)) - 1
        self._queue = collections.deque()
        self._wakeup = Event()
        self._idle = Event()
        self._idle.set()
        self.sent = 0  # completed transfers
        self.valid.value = 0
        self._task = cocotb.start_soon(self._run())

    def send(self, values):
        """Queue values to be sent, in order (returns at once)."""
        self._queue.extend(int(value) & self._mask for value in values)
        if self._queue:
            self._idle.clear()
            self._wakeup.set()

    async def wait_idle(self):
        """Return once every queued value has been transferred."""
        while not self._idle.is_set():
            await self._idle.wait()

    def stop(self):
        self._task.cancel()

    async def _run(self):
        edge, read_only = RisingEdge(self.clock), ReadOnly()
        queue, rng, gap = self._queue, self.rng, self.gap_probability
        valid, ready, payload = self.valid, self.ready, self.payload
        offering = False  # the value of ``valid`` we drive
        while True:
            if not queue:
                if offering:
                    valid.value = 0
                    offering = False
                self._wakeup.clear()
                self._idle.set()
                await self._wakeup.wait()
                await edge  # back in step with the clock
                continue
            if gap and rng.random() < gap:
                if offering:
                    valid.value = 0
                    offering = False
                await edge
                continue
            payload.value = queue.popleft()
            if not offering:
                valid.value = 1
                offering = True
            while True:  # hold valid and payload until ready
                await read_only
                if ready.value:
                    break
                await edge
            await edge  # the transfer happens at this edge
            self.sent += 1


class ParameterDriver:
    """Writes ``(address, value)`` pairs to the parameter port of a core."""

    def __init__(self, clock, valid, ready, payload, fields):
        self.clock, self.valid, self.ready, self.payload = clock, valid, ready, payload
        (self._address_offset, _, _) = fields["address"]
        (self._value_offset, value_width, _) = fields["value"]
        self._value_mask = (1 << value_width) - 1
        self.written = 0
        self.valid.value = 0

    async def write(self, address, value):
        """Offer one write and return once the core has taken it."""
        edge, read_only = RisingEdge(self.clock), ReadOnly()
        await edge
        self.payload.value = ((address << self._address_offset)
                              | ((value & self._value_mask) << self._value_offset))
        self.valid.value = 1
        while True:
            await read_only
            if self.ready.value:
                break
            await edge
        await edge
        self.valid.value = 0
        self.written += 1


class UpdateMonitor:
    """Accepts a valid/ready stream with random back-pressure.

    Every transfer's payload word goes to ``callback(word)`` at the clock edge
    of the transfer.
    """

    def __init__(self, clock, valid, ready, payload, callback, *, rng, stall_probability=0.0):
        self.clock, self.valid, self.ready, self.payload = clock, valid, ready, payload
        self.callback = callback
        self.rng = rng
        self.stall_probability = stall_probability
        self.received = 0
        self.ready.value = 0
        self._task = cocotb.start_soon(self._run())

    def stop(self):
        self._task.cancel()

    async def _run(self):
        edge, read_only = RisingEdge(self.clock), ReadOnly()
        rng, stall = self.rng, self.stall_probability
        valid, ready, payload, callback = self.valid, self.ready, self.payload, self.callback
        driving = False
        while True:
            accept = not stall or rng.random() >= stall
            if accept != driving:
                ready.value = int(accept)
                driving = accept
            if accept:
                await read_only
                if valid.value:
                    word = payload.value.to_unsigned()
                    await edge
                    self.received += 1
                    callback(word)
                    continue
            await edge


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
    """Driver, monitor, parameter driver and scoreboard for one core and stimulus.

    Parameters
    ----------
    dut : handle
        The top level; the core's ports are ``prefix + "currents__valid"`` etc.
    job : dict
        ``config``, ``currents`` (T×N), ``parameter_writes`` ([t, address,
        value] lists), ``seed``, ``input_gaps``, ``output_stalls`` and
        ``name``; see :mod:`sim.runner`.
    prefix : str
    clock_period_ns : int
    """

    #: Cycles without any transfer after which a run counts as hung.
    stall_window = 5000

    def __init__(self, dut, job, *, prefix="", clock_period_ns=10):
        from lifq.hdl.datapath import latency
        from lifq.hdl.interfaces import parameter_write_layout, update_layout

        self.dut = dut
        self.name = job.get("name", prefix or "core")
        self.cfg = LIFConfig(**job["config"])
        self.currents = job["currents"]
        self.writes = [tuple(w) for w in job.get("parameter_writes", [])]
        self.seed = int(job["seed"])
        self.clock_period_ns = clock_period_ns
        self.latency = latency(self.cfg)
        self.log = dut._log.getChild(self.name) if hasattr(dut._log, "getChild") else dut._log
        port = lambda name: getattr(dut, prefix + name)
        self.clock = dut.clk
        port("clear").value = 0

        import numpy as np
        expected_spikes, expected_v = expected_outputs(
            self.cfg, np.asarray(self.currents, dtype=np.int64).reshape(-1, self.cfg.neurons),
            self.writes)
        update_fields = payload_fields(update_layout(self.cfg))
        assert list(update_fields) == ["neuron", "spike_count", "membrane"], update_fields
        self.scoreboard = Scoreboard(self.cfg, expected_spikes, expected_v,
                                     _decoder(update_fields), self.log,
                                     max_reports=int(job.get("max_reports", 20)))
        self.driver = CurrentDriver(
            self.clock, port("currents__valid"), port("currents__ready"),
            port("currents__payload"), rng=random.Random(2 * self.seed),
            gap_probability=float(job.get("input_gaps", 0.0)))
        self.monitor = UpdateMonitor(
            self.clock, port("updates__valid"), port("updates__ready"),
            port("updates__payload"), self.scoreboard.receive,
            rng=random.Random(2 * self.seed + 1),
            stall_probability=float(job.get("output_stalls", 0.0)))
        self.parameters = None
        if self.cfg.programmable:
            self.parameters = ParameterDriver(
                self.clock, port("parameters__valid"), port("parameters__ready"),
                port("parameters__payload"), payload_fields(parameter_write_layout()))
        elif self.writes:
            raise ValueError(f"{self.name}: parameter writes need a programmable core")
        self.hung = None
        self.first_cycle = self.last_cycle = None

    def _cycle(self):
        from cocotb.simtime import get_sim_time
        return int(get_sim_time("ns") // self.clock_period_ns)

    async def _sequence(self):
        """Feed the timesteps, writing parameters between them."""
        writes = collections.defaultdict(list)
        for t, address, value in self.writes:
            writes[t].append((address, value))
        for t, row in enumerate(self.currents):
            if t in writes:
                await self.driver.wait_idle()  # every current of timestep t−1 taken
                for address, value in writes[t]:
                    name = PARAMETER_NAMES.get(address, f"address {address}")
                    self.log.info("before timestep %d: write %s = %d", t, name, value)
                    await self.parameters.write(address, value)
            self.driver.send(row)

    async def _watchdog(self):
        window = Timer(self.stall_window * self.clock_period_ns, unit="ns")
        progress = -1
        while not self.scoreboard.done.is_set():
            now = (self.driver.sent + self.monitor.received
                   + (self.parameters.written if self.parameters else 0))
            if now == progress:
                j = len(self.scoreboard.received)
                t, n = divmod(j, self.cfg.neurons)
                total = self.scoreboard.total
                if self.driver.sent == total:
                    self.hung = (f"all {total} currents taken but only {j} updates received "
                                 f"and none for {self.stall_window} cycles: lost transfers "
                                 f"from timestep {t}, neuron {n} on")
                else:
                    self.hung = (f"no transfer for {self.stall_window} cycles: "
                                 f"{self.driver.sent} of {total} currents taken, {j} updates "
                                 f"received, waiting for timestep {t}, neuron {n}")
                self.log.error("%s", self.hung)
                self.scoreboard.done.set()
                return
            progress = now
            await window

    async def run(self):
        """Run the stimulus to its end; returns once the scoreboard is final."""
        self.log.info("%s: %d timesteps × %d neurons, seed %d (replay with LIFQ_SEED=%d), "
                      "input gaps %.2f, output stalls %.2f, %d parameter writes",
                      self.name, len(self.currents), self.cfg.neurons, self.seed, self.seed,
                      self.driver.gap_probability, self.monitor.stall_probability,
                      len(self.writes))
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
        self.driver.stop()
        self.monitor.stop()
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
