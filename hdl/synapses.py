"""The synapse unit of a layer: event-driven synaptic sums in block RAM (SPEC §6).

Each input event (j, a) adds W[n][j]·a to the accumulator of every neuron n
of the layer; the end-of-step marker turns the accumulators into the
currents of the layer's :class:`~lifq.hdl.LIFCore`, one per neuron in
neuron order, saturated to ``input_width`` and with the neuron's bias added::

    events ──► weights[j·G + g] (P lanes) ──► acc[bank][g] += W·a      accumulate
    marker ──► swap banks ──► clamp(acc[n]) + b[n] ──► currents       fire

*Accumulate.*  With P lanes, word ``j·G + g`` of the weight memory holds
W[g·P … g·P + P − 1][j] (G = ⌈N/P⌉; padding lanes hold 0) and word g of an
accumulator memory holds the sums of neurons g·P … g·P + P − 1 side by side;
an event updates one word per clock, so it costs G cycles (P synaptic
operations per clock), and a zero value costs nothing because it is never
sent.  An update is read (the memory's register, then a copy: block RAM's
clock-to-output is slow), multiplied and added: it is written back
:data:`ACCUMULATE_DEPTH` cycles after its read.  When G is that short, the
sum of a word still in flight is forwarded from a small history of the
last sums, so every G is exact without a stall.

*Fire.*  Two accumulator memories (banks) take turns: at a marker they swap
(once the previous fire has read the other bank), so step t + 1
accumulates while step t fires.  Each bank has one read and one write port
(a plain block RAM): the accumulated bank's are the accumulation's, the
other's read port is the fire's.  The first event of a step overwrites
instead of adding, so no accumulator is ever cleared by a write; a bank
that received no event in a step fires zeros.  The fire streams
clamp(acc[n], input_width) + b[n] into the core.  A uniform bias (zero
included) is left to the core's own constant bias; per-neuron biases are
added here, which widens the core's input by one bit (so such a layer
needs ``input_width`` ≤ 31).

Accumulators are exactly as wide as the largest sum the weights allow
(Σ_j |W[n][j]|·max|a| over the worst neuron), so they never wrap.
"""

import numpy as np
from amaranth.hdl import Cat, Module, Mux, ResetInserter, Signal, signed, unsigned
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from lifq.spec import InputError, LayerConfig

from .events import EventFormat, signed_bits
from .interfaces import current_signature

__all__ = ["SynapseUnit", "core_config", "ACCUMULATE_DEPTH", "check_layer"]

#: Cycles from the read of an accumulator to the clock edge that writes it
#: back: the memory's read register, a copy register, the product register.
ACCUMULATE_DEPTH = 3

#: The widest current a core takes (SPEC §1, ``input_width`` ≤ 32).
_CORE_INPUT_LIMIT = 32


def _uniform(bias):
    return bool((bias == bias[0]).all())


def core_config(layer):
    """The configuration of the :class:`~lifq.hdl.LIFCore` behind a layer.

    Not programmable (constants are smaller and faster).  A uniform bias is
    the core's own constant; per-neuron biases are added before the core,
    whose input is then one bit wider (``input_width + 1``) and its bias 0.

    Raises
    ------
    InputError
        When per-neuron biases would need a current wider than 32 bits.
    """
    neuron = layer.neuron
    if _uniform(layer.bias):
        return neuron.replace(bias=int(layer.bias[0]), programmable=False)
    if neuron.input_width + 1 > _CORE_INPUT_LIMIT:
        raise InputError(
            f"input_width = {neuron.input_width} is too wide for a hardware layer with "
            f"per-neuron biases: the bias is added to the saturated current before the core, "
            f"which needs input_width + 1 ≤ {_CORE_INPUT_LIMIT} bits; allowed 2 … "
            f"{_CORE_INPUT_LIMIT - 1} (or one bias for every neuron)")
    return neuron.replace(input_width=neuron.input_width + 1, programmable=False)


def check_layer(layer, source, lanes):
    """Check the arguments of a layer's hardware; returns the core's configuration."""
    if not isinstance(layer, LayerConfig):
        raise TypeError(f"layer must be a lifq.spec.LayerConfig, not {type(layer).__name__}")
    if not isinstance(source, EventFormat):
        raise TypeError(f"source must be an EventFormat, not {type(source).__name__}")
    if source.sources != layer.fan_in:
        raise ValueError(f"source has {source.sources} value(s) per step but the layer's "
                         f"weights have {layer.fan_in} column(s)")
    if isinstance(lanes, bool) or not isinstance(lanes, int):
        raise TypeError(f"lanes must be an int, not {type(lanes).__name__}")
    if not 1 <= lanes <= layer.neurons:
        raise InputError(f"lanes = {lanes} is out of range: allowed 1 … {layer.neurons} "
                         f"(one lane per neuron at most, neurons = {layer.neurons})")
    return core_config(layer)


def accumulator_range(layer, source):
    """(low, high): the extremes of any partial synaptic sum of any neuron.

    Every term W[n][j]·a lies between min(W·a_min, W·a_max) and the max of
    the two, both ends of which hold 0, so every partial sum lies between
    the sums of the term minima and maxima.
    """
    weights = layer.weights      # int64 is exact: |W·a| ≤ 2^30 and N_{ℓ−1} ≤ 2^16
    low_terms = np.minimum(weights * source.value_min, weights * source.value_max)
    high_terms = np.maximum(weights * source.value_min, weights * source.value_max)
    return int(low_terms.sum(axis=1).min()), int(high_terms.sum(axis=1).max())


class _Stage:
    """The registers of one accumulate-pipeline stage (metadata of one update)."""

    def __init__(self, name, group_shape, value_shape):
        self.valid = Signal(name=f"{name}_valid")
        self.bank = Signal(name=f"{name}_bank")
        self.group = Signal(group_shape, name=f"{name}_group")
        self.value = Signal(value_shape, name=f"{name}_value")
        self.first = Signal(name=f"{name}_first")

    def follow(self, other):
        return [self.valid.eq(other.valid), self.bank.eq(other.bank),
                self.group.eq(other.group), self.value.eq(other.value),
                self.first.eq(other.first)]


class SynapseUnit(wiring.Component):
    """Accumulates a layer's synaptic sums from events and streams its currents.

    Parameters
    ----------
    layer : lifq.spec.LayerConfig
        Weights, biases and the neuron configuration of the layer.
    source : EventFormat
        The events coming in (``sources`` = the layer's weight columns).
    lanes : int
        P, synaptic operations per clock: P weights per weight word and P
        sums per accumulator word, 1 … N_ℓ.

    Attributes
    ----------
    events : In(source.signature())
        Input events (index j, value a, end).  ``index`` < N_{ℓ−1}.  Taken
        at one event per G cycles while accumulating (one more waits in a
        slot; ``ready`` is a register); a marker waits until the previous
        step has been fired.
    currents : Out(current_signature(core_config))
        clamp(Σ_j W[n][j]·a[j], input_width) + b[n] (the bias only when it
        differs between neurons), n = 0 … N − 1 for every step, in step order.
    clear : In(1)
        For a cycle: drop everything held (events, sums, a fire under way);
        the next step starts from zero sums and neuron 0.  No event is taken
        in that cycle.
    core_config : lifq.spec.LIFConfig
        The configuration of the core that takes the currents.
    groups : int
        G = ⌈N/P⌉: cycles per event, and words per weight column.
    accumulator_shape : Shape
        Signed shape of one accumulator: exact for every sum the weights allow.
    accumulating : Signal
        For simulation: high in each cycle that one word (P synaptic
        operations) is accumulated.
    """

    def __new__(cls, layer, source, *, lanes=1):
        check_layer(layer, source, lanes)    # before the object exists: no unused elaboratable
        return super().__new__(cls, src_loc_at=1)

    def __init__(self, layer, source, *, lanes=1):
        self._layer = layer
        self._source = source
        self._lanes = lanes
        self._core_config = core_config(layer)
        self._per_neuron_bias = not _uniform(layer.bias)
        self._range = accumulator_range(layer, source)
        super().__init__({
            "events": In(source.signature()),
            "currents": Out(current_signature(self._core_config)),
            "clear": In(1),
        })
        self.accumulating = Signal()

    @property
    def layer(self):
        return self._layer

    @property
    def source(self):
        return self._source

    @property
    def lanes(self):
        return self._lanes

    @property
    def core_config(self):
        return self._core_config

    @property
    def groups(self):
        return -(-self._layer.neurons // self._lanes)

    @property
    def accumulator_shape(self):
        return signed(signed_bits(*self._range))

    @property
    def forwarded(self):
        """Sums forwarded to a read of a neuron still in flight (0 when G > depth)."""
        return max(0, ACCUMULATE_DEPTH - self.groups + 1)

    # -- memories -----------------------------------------------------------------------

    def weight_words(self):
        """The weight memory's contents: word j·G + g packs W[g·P + p][j] in lane p."""
        layer, lanes, groups = self._layer, self._lanes, self.groups
        bits = layer.weight_bits
        mask = (1 << bits) - 1
        padded = np.zeros((groups * lanes, layer.fan_in), dtype=object)
        padded[:layer.neurons] = layer.weights.astype(object)
        words = []
        for column in padded.T:                       # j
            for group in range(groups):               # g
                word = 0
                for lane in range(lanes):
                    word |= (int(column[group * lanes + lane]) & mask) << (lane * bits)
                words.append(word)
        return words

    def _weight_port(self, m):
        words = self.weight_words()
        m.submodules.weights = weights = memory.Memory(
            shape=unsigned(self._lanes * self._layer.weight_bits), depth=max(2, len(words)),
            init=words)
        return weights.read_port()

    def _bank_ports(self, m):
        """Two banks of accumulators, ``ports[bank] = (read, write)``: G words of the
        P lanes side by side (the lanes are always read and written together)."""
        ports = []
        for bank in range(2):
            accumulators = memory.Memory(shape=unsigned(self._lanes * self.accumulator_shape.width),
                                         depth=max(2, self.groups), init=[])
            m.submodules[f"accumulators_{bank}"] = accumulators
            # Not transparent: the history forwards what a read cannot see yet.
            ports.append((accumulators.read_port(), accumulators.write_port()))
        return ports

    def _lane(self, word, lane):
        width = self.accumulator_shape.width
        return word[lane * width:(lane + 1) * width].as_signed()

    # -- the pieces ---------------------------------------------------------------------

    def elaborate(self, platform):
        m = Module()
        weights = self._weight_port(m)
        banks = self._bank_ports(m)
        bank = Signal(name="accumulate_bank")        # the bank being accumulated
        fire = _FireControl()
        issue = self._intake(m, bank, weights, fire)
        in_flight = self._accumulate(m, issue, weights, banks)
        self._fire(m, bank, fire, in_flight, banks)
        # A clear puts every register back to its reset value; the memories keep
        # their words, which the first event of a step overwrites.
        return ResetInserter(self.clear)(m)

    def _intake(self, m, bank, weights, fire):
        """Take events and issue one accumulator word per cycle; swap banks at a marker.

        The event (or marker) being worked on is held in ``event_*``; a skid
        slot in front takes the next one, so ``events.ready`` is a register
        (low only while the slot is full) and no long path runs from the
        unit's state into the stream before it.  Returns the stage of the
        update issued this cycle.
        """
        groups, events = self.groups, self.events
        held = Signal(name="event_held")
        end = Signal(name="event_end")
        last = Signal(init=groups == 1, name="event_last_word")   # group == G − 1
        issue = _Stage("issue", range(groups), signed(self._source.value_bits))
        address = Signal(range(max(2, self._layer.fan_in * groups)), name="weight_address")
        fresh = [Signal(init=1, name=f"fresh_{b}") for b in range(2)]  # no event in this step yet
        slot_held = Signal()
        slot = Signal.like(events.payload, name="slot")
        beat = Signal.like(events.payload, name="next_beat")     # the beat offered to event_*
        swap = Signal()
        consumed = Signal()
        load = Signal()
        m.d.comb += [
            issue.valid.eq(held & ~end),
            issue.bank.eq(bank),
            issue.first.eq(Mux(bank, fresh[1], fresh[0])),
            swap.eq(held & end & fire.idle),
            consumed.eq((issue.valid & last) | swap),
            events.ready.eq(~slot_held & ~self.clear),
            beat.eq(Mux(slot_held, slot.as_value(), events.payload.as_value())),
            load.eq((slot_held | events.valid) & (~held | consumed)),
            weights.addr.eq(address),
            self.accumulating.eq(issue.valid),
        ]
        with m.If(slot_held):
            with m.If(load):
                m.d.sync += slot_held.eq(0)
        with m.Elif(events.valid & events.ready & ~load):
            m.d.sync += [slot_held.eq(1), slot.eq(events.payload)]
        with m.If(issue.valid):
            m.d.sync += [issue.group.eq(Mux(last, 0, issue.group + 1)), address.eq(address + 1),
                         last.eq(Mux(last, groups == 1, issue.group == groups - 2))]
            with m.If(last):     # the step's first event (if it was) is now in every word
                m.d.sync += [fresh[0].eq(fresh[0] & bank), fresh[1].eq(fresh[1] & ~bank)]
        with m.If(swap):
            m.d.sync += [bank.eq(~bank), fire.start.eq(1), fire.fresh.eq(issue.first)]
            m.d.sync += [fresh[0].eq(fresh[0] | bank), fresh[1].eq(fresh[1] | ~bank)]
        with m.If(load):
            m.d.sync += [held.eq(1), end.eq(beat.end), issue.value.eq(beat.value),
                         address.eq(beat.index * groups)]
        with m.Elif(consumed):
            m.d.sync += held.eq(0)
        return issue

    def _accumulate(self, m, issue, weights, banks):
        """Read, copy, multiply, add and write back; returns the stages in flight."""
        lanes, bits = self._lanes, self._layer.weight_bits
        shape = self.accumulator_shape
        value_shape = signed(self._source.value_bits)
        read = _Stage("read", range(self.groups), value_shape)       # data in the read ports
        copy = _Stage("copy", range(self.groups), value_shape)       # data copied to registers
        product = _Stage("product", range(self.groups), value_shape)  # products registered
        m.d.sync += read.follow(issue) + copy.follow(read) + product.follow(copy)
        copied_weights = Signal(unsigned(lanes * bits))
        copied = [Signal(shape, name=f"copied_{lane}") for lane in range(lanes)]
        products = [Signal(signed(bits + value_shape.width), name=f"product_{lane}")
                    for lane in range(lanes)]
        previous = [Signal(shape, name=f"previous_{lane}") for lane in range(lanes)]
        m.d.sync += copied_weights.eq(weights.data)
        for lane in range(lanes):
            m.d.sync += [
                copied[lane].eq(self._lane(Mux(read.bank, banks[1][0].data, banks[0][0].data),
                                           lane)),
                products[lane].eq(copied_weights[lane * bits:(lane + 1) * bits].as_signed()
                                  * copy.value),
                # The first event of a step starts from zero: nothing to clear between steps.
                previous[lane].eq(Mux(copy.first, 0, copied[lane])),
            ]
        sums = self._sums(m, copy, product, previous, products)
        for bank, (read_port, write) in enumerate(banks):
            m.d.comb += [read_port.addr.eq(issue.group),           # the fire may override it
                         write.addr.eq(product.group), write.data.eq(Cat(*sums)),
                         write.en.eq(product.valid & (product.bank == bank))]
        return [read, copy, product]

    def _sums(self, m, copy, product, previous, products):
        """acc + W·a for the update in the last stage, with the accumulator value
        forwarded from the last sums when its read could not see them yet.

        The read of an update saw every sum written more than
        :data:`ACCUMULATE_DEPTH` cycles before it reached this stage.  A
        history keeps ``(valid, bank, group, sums)`` of the updates that were
        here 1 … depth cycles ago; an update i < G cycles older is of another
        group, so only ages G … depth can match, and the youngest match wins.
        Whether one matches is decided a stage earlier and registered, so the
        last stage holds only the choice and the add.
        """
        shape = self.accumulator_shape
        lanes = self._lanes
        sums = [Signal(shape, name=f"sum_{lane}") for lane in range(lanes)]
        newer = (product.valid, product.bank, product.group, sums)
        history = []
        for age in range(1, ACCUMULATE_DEPTH + 1 if self.forwarded else 1):
            entry = (Signal(name=f"history_{age}_valid"), Signal(name=f"history_{age}_bank"),
                     Signal(range(self.groups), name=f"history_{age}_group"),
                     [Signal(shape, name=f"history_{age}_sum_{lane}") for lane in range(lanes)])
            m.d.sync += [entry[field].eq(newer[field]) for field in range(3)]
            m.d.sync += [mine.eq(theirs) for mine, theirs in zip(entry[3], newer[3])]
            history.append(entry)
            newer = entry
        # What is at age i when an update reaches the last stage was at age i − 1
        # (the last stage itself for i = 1) while the update was in the copy stage.
        earlier = [(product.valid, product.bank, product.group)] + [e[:3] for e in history]
        bases = list(previous)
        for age in reversed(range(self.groups, len(history) + 1)):     # oldest first
            valid, bank, group = earlier[age - 1]
            match = Signal(name=f"forward_{age}")
            m.d.sync += match.eq(valid & ~copy.first & (bank == copy.bank)
                                 & (group == copy.group))
            bases = [Mux(match, value, base) for value, base in zip(history[age - 1][3], bases)]
        for lane in range(lanes):
            m.d.comb += sums[lane].eq((bases[lane] + products[lane])[:len(sums[lane])].as_signed())
        return sums

    def _fire(self, m, bank, fire, in_flight, banks):
        """Stream clamp(acc[n]) (+ b[n]) in neuron order from the bank not accumulated."""
        layer, lanes, groups = self._layer, self._lanes, self.groups
        neurons = layer.neurons
        out = self.currents
        advance = Signal()
        m.d.comb += advance.eq(~out.valid | out.ready)
        # The set fired is read only once no update of it is in flight.
        pending = Cat(*(stage.valid & (stage.bank != bank) for stage in in_flight)).any()
        neuron = Signal(range(neurons), name="fire_neuron")
        group = Signal(range(groups), name="fire_group")
        lane = Signal(range(lanes), name="fire_lane")
        issue = Signal()
        m.d.comb += issue.eq(fire.start & ~pending & advance)
        last = neuron == neurons - 1
        with m.If(issue):
            m.d.sync += [neuron.eq(Mux(last, 0, neuron + 1)),
                         lane.eq(Mux(last | (lane == lanes - 1), 0, lane + 1)),
                         group.eq(Mux(last, 0, Mux(lane == lanes - 1, group + 1, group)))]
            with m.If(last):
                m.d.sync += fire.start.eq(0)
        for number, (port, _) in enumerate(banks):
            with m.If(bank != number):        # this bank is the one fired
                m.d.comb += [port.addr.eq(group), port.en.eq(advance)]
        # read: the words in the read ports; copy: one lane of them registered.
        read_valid = Signal(name="fire_read_valid")
        read_lane = Signal(range(lanes), name="fire_read_lane")
        m.d.comb += fire.idle.eq(~fire.start & ~read_valid)
        copy_valid = Signal(name="fire_copy_valid")
        copy_sum = Signal(self.accumulator_shape, name="fire_copy_sum")
        word = Mux(bank, banks[0][0].data, banks[1][0].data)
        selected = self._lane(word, 0) if lanes == 1 else \
            word.word_select(read_lane, len(copy_sum)).as_signed()
        current = self._current(m, neuron, advance, copy_sum)
        with m.If(advance):
            m.d.sync += [read_valid.eq(issue), read_lane.eq(lane),
                         copy_valid.eq(read_valid),
                         copy_sum.eq(Mux(fire.fresh, 0, selected)),
                         out.valid.eq(copy_valid),
                         out.payload.eq(current)]

    def _current(self, m, neuron, advance, total):
        """clamp(total, input_width) (+ the neuron's bias, read beside it)."""
        cfg = self._layer.neuron
        clamped = total
        low, high = self._range
        if high > cfg.current_max:
            clamped = Mux(clamped > cfg.current_max, cfg.current_max, clamped)
        if low < cfg.current_min:
            clamped = Mux(clamped < cfg.current_min, cfg.current_min, clamped)
        if not self._per_neuron_bias:
            return clamped
        m.submodules.biases = biases = memory.Memory(
            shape=signed(cfg.input_width), depth=max(2, self._layer.neurons),
            init=[int(b) for b in self._layer.bias])
        bias = biases.read_port()
        m.d.comb += [bias.addr.eq(neuron), bias.en.eq(advance)]
        copied = Signal(signed(cfg.input_width), name="fire_copy_bias")
        with m.If(advance):
            m.d.sync += copied.eq(bias.data)
        return clamped + copied


class _FireControl:
    """Signals shared by the intake (which starts a fire) and the fire itself."""

    def __init__(self):
        self.start = Signal(name="fire_active")       # neurons of the fired set still to read
        self.fresh = Signal(name="fire_fresh")        # the fired set received no event
        self.idle = Signal(name="fire_idle")          # nothing of the fired set still read

