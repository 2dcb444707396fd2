"""Stream verification components for ``amaranth.lib.stream`` ports, in the style of cocotbext-axi.

* :class:`StreamBus` — the ``valid``, ``ready`` and ``payload`` handles of one
  stream port, found from a name prefix;
* :class:`StreamSource` — drives a stream with values from a queue, pausing
  as its *pause generator* says, holding ``valid`` and the payload until
  ``ready``;
* :class:`StreamSink` — drives ``ready`` as its pause generator says, and
  nothing else;
* :class:`StreamMonitor` — passive: reports every transfer it sees on a bus
  to its callbacks.

Sampling discipline, portable between Icarus and Verilator: inputs are
written right after a rising edge, and ``ready``/``valid`` are sampled in the
``ReadOnly`` phase of the same cycle, i.e. the values the next rising edge
registers.  A transfer sampled there completes at that next edge.
"""

import collections
import itertools
import random

import cocotb
from cocotb.triggers import Event, ReadOnly, RisingEdge

__all__ = ["StreamBus", "StreamSource", "StreamSink", "StreamMonitor", "random_pauses",
           "payload_fields", "decoder"]


def random_pauses(seed, probability):
    """A pause generator: ``True`` (pause this cycle) with the given probability."""
    if not probability:
        return itertools.repeat(False)
    rng = random.Random(seed)
    return (rng.random() < probability for _ in itertools.count())


def payload_fields(layout):
    """``{name: (offset, width, signed)}`` of an Amaranth struct layout."""
    from amaranth.hdl import Shape

    return {name: (field.offset, field.width, Shape.cast(field.shape).signed)
            for name, field in layout}


def decoder(fields):
    """A function from a payload word to the list of its field values (in order)."""
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


class StreamBus:
    """The handles of one ``amaranth.lib.stream`` port of a design.

    Parameters
    ----------
    dut : handle
    prefix : str
        Port name before ``__valid`` etc., e.g. ``"currents"`` or
        ``"c3__updates"`` in a bundle.
    """

    def __init__(self, dut, prefix):
        self.name = prefix
        self.valid = getattr(dut, f"{prefix}__valid")
        self.ready = getattr(dut, f"{prefix}__ready")
        self.payload = getattr(dut, f"{prefix}__payload")

    @classmethod
    def from_prefix(cls, dut, prefix):
        return cls(dut, prefix)


class StreamSource:
    """Drives a stream: queued values go out in order, one transfer each.

    Parameters
    ----------
    bus : StreamBus
    clock : handle
    pause : iterator of bool, optional
        Before offering each value the source idles while it yields ``True``.
    """

    def __init__(self, bus, clock, *, pause=None):
        self.bus, self.clock = bus, clock
        self._pause = pause or itertools.repeat(False)
        self._mask = (1 << len(bus.payload)) - 1
        self._queue = collections.deque()
        self._wakeup = Event()
        self._idle = Event()
        self._idle.set()
        self.count = 0  # completed transfers
        bus.valid.value = 0
        self._task = cocotb.start_soon(self._run())

    def set_pause_generator(self, pause):
        self._pause = pause

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
        queue, bus = self._queue, self.bus
        offering = False  # the value of ``valid`` we drive
        while True:
            if not queue:
                if offering:
                    bus.valid.value = 0
                    offering = False
                self._wakeup.clear()
                self._idle.set()
                await self._wakeup.wait()
                await edge  # back in step with the clock
                continue
            if next(self._pause):
                if offering:
                    bus.valid.value = 0
                    offering = False
                await edge
                continue
            bus.payload.value = queue.popleft()
            if not offering:
                bus.valid.value = 1
                offering = True
            while True:  # hold valid and payload until ready
                await read_only
                if bus.ready.value:
                    break
                await edge
            await edge  # the transfer happens at this edge
            self.count += 1


class StreamSink:
    """Takes a stream: ``ready`` is high except in cycles the pause generator pauses.

    What arrives is seen by a :class:`StreamMonitor` on the same bus.
    """

    def __init__(self, bus, clock, *, pause=None):
        self.bus, self.clock = bus, clock
        self._pause = pause or itertools.repeat(False)
        bus.ready.value = 0
        self._task = cocotb.start_soon(self._run())

    def set_pause_generator(self, pause):
        self._pause = pause

    def stop(self):
        self._task.cancel()

    async def _run(self):
        edge, ready = RisingEdge(self.clock), self.bus.ready
        driving = None
        while True:
            accept = not next(self._pause)
            if accept != driving:
                ready.value = int(accept)
                driving = accept
            await edge


class StreamMonitor:
    """Watches a stream without driving it; every transfer's payload word goes to
    each callback, at the clock edge of the transfer."""

    def __init__(self, bus, clock, callback=None):
        self.bus, self.clock = bus, clock
        self.callbacks = [callback] if callback else []
        self.count = 0
        self._task = cocotb.start_soon(self._run())

    def add_callback(self, callback):
        self.callbacks.append(callback)

    def stop(self):
        self._task.cancel()

    async def _run(self):
        edge, read_only = RisingEdge(self.clock), ReadOnly()
        valid, ready, payload = self.bus.valid, self.bus.ready, self.bus.payload
        while True:
            await read_only
            if valid.value and ready.value:
                word = payload.value.to_unsigned()
                await edge
                self.count += 1
                for callback in self.callbacks:
                    callback(word)
                continue
            await edge
