"""The neuron update of SPEC §1 split into pipeline stages.

Each stage is a function from the fields of one in-flight update (a dict of
Amaranth values, registered by the previous stage) to the fields the next
stage needs.  Every stage holds about one W-bit add or compare, so the core
clocks like a plain accumulator:

====================  ==============================================  ===============
stage                 computes                                        present when
====================  ==============================================  ===============
``membrane_read``     registers v as read from memory                 always
``leak_operands``     registers v for the multiplier                  d is not 0 or 2^F
``leak_multiply``     p = v · d                                       (same)
``leak_truncate``     floor(p / 2^F), and the 1 that rounds it        (same)
                      toward zero (vl = their sum)
``integrate``         u = vl + (i + b), the rounding's 1 as carry-in  always
``magnitude``         the sign of u and u XOR sign (|u| − sign)       always
``divide_j``          r and r − θ·2^j, take = (r − θ·2^j ≥ 0),        j = q−1 … 0 (mod),
                      k |= take·2^j; r is the previous step's pick    j = 0 (zero, subtract)
                      by its take, made after the adders (the first:
                      |u|, the sign as carry-in)
``saturate``          pick r, reset-to-zero, saturate |r| to W bits   always
``apply_sign``        k and v' get the sign of u: (x XOR s) + s       always
====================  ==============================================  ===============

No carry chain has more than one LUT in front or behind it: a negation is
an XOR whose + 1 is the carry-in of the next adder, the leak's rounding is
the carry-in of the integrate stage's adder, and a divide step's select by
the sign of its difference happens in the next stage, behind two adders
that try both candidates (carry select).

Reset-to-mod divides without a divider: because k ≤ 2^q − 1, q
restoring compare-and-subtract steps against θ·2^j give k and the remainder,
and when |u| ≥ 2^q·θ every step subtracts, which is exactly the saturated
k = 2^q − 1 with remainder |u| − (2^q − 1)·θ that SPEC §1 asks for.
"""

from amaranth.hdl import Cat, Const, Mux, Value

__all__ = ["Parameters", "stages", "full_rate_neurons", "latency"]


class Parameters:
    """The run-time (or constant) parameters a stage may read.

    Attributes
    ----------
    negative_threshold, decay, bias : Value
        −θ (signed, W bits), d (unsigned) and b (signed).  The divider adds
        −θ·2^j rather than subtracting θ·2^j: on FPGAs an adder whose operand
        comes straight from a register needs no inverting logic in front of
        its carry chain.
    """

    def __init__(self, negative_threshold, decay, bias):
        self.negative_threshold = negative_threshold
        self.decay = decay
        self.bias = bias


def full_rate_neurons(cfg):
    """Smallest N at which the core never waits on a hazard.

    An update may read its neuron's membrane once the previous update of that
    neuron has been written back: after the register of the memory read, one
    register per stage, and the write-back edge itself.
    """
    return 2 + len(stages(cfg))


def latency(cfg):
    """Cycles from an input transfer to its output being valid: the memory-read
    register, one register per stage and the output register."""
    return 2 + len(stages(cfg))


def stages(cfg, *, strict_divide=False):
    """The list of ``(name, function)`` pipeline stages for ``cfg``.

    ``strict_divide`` is a deliberate bug, for showing that the verification
    catches it: every divide step then compares |u| > θ·2^j instead of ≥.

    A constant decay of 0 or 2^F needs no multiplier, so a core that is not
    programmable leaves the two leak stages out then.  The first stage
    receives ``drive`` (= i + b) and ``v``; the last one returns
    ``spike_count`` and ``membrane``, which go from its register straight
    into the output register and the membrane memory.  No stage carries the
    neuron index: updates leave in the order they came, so a counter at the
    write-back knows it.
    """
    # Block RAM's clock-to-output is slow: register the membrane before any
    # logic sees it.
    result = [("membrane_read", lambda e, p: dict(e))]
    if cfg.programmable or cfg.decay not in (0, 1 << cfg.decay_shift):
        # The multiplier's own input and output registers: a DSP block (iCE40
        # SB_MAC16, ECP5 MULT18X18D) multiplies between two registers of its own,
        # and the membrane read's register stays in front of it (or, on ECP5, in
        # the block RAM: see lifq.hdl.ecp5).
        result.append(("leak_operands", lambda e, p: dict(e)))
        result.append(("leak_multiply", lambda e, p: _leak_multiply(e, p)))
        result.append(("leak_truncate", lambda e, p: _leak_truncate(cfg, e)))
    forget_all = not cfg.programmable and cfg.decay == 0
    result.append(("integrate", lambda e, p: _integrate(e, forget_all)))
    result.append(("magnitude", lambda e, p: _magnitude(cfg, e)))
    for bit in reversed(range(cfg.spike_bits if cfg.reset == "mod" else 1)):
        result.append((f"divide_{bit}",
                       lambda e, p, bit=bit: _divide_step(e, p, bit, strict_divide)))
    result.append(("saturate", lambda e, p: _saturate(cfg, e)))
    result.append(("apply_sign", lambda e, p: _apply_sign(cfg, e)))
    return result


def _keep(entry, *names):
    return {name: entry[name] for name in names}


def _leak_multiply(entry, params):
    return {**_keep(entry, "drive"), "product": entry["v"] * params.decay}


def _leak_truncate(cfg, entry):
    """trunc(p / 2^F), as floor(p / 2^F) and the one to add to it.

    Rounding toward zero adds one to the floor of a negative product with a
    fraction.  That increment is the carry-in of the integrate stage's adder:
    here an OR of the fraction bits, there one carry chain (an increment here
    was a chain behind an OR tree).
    """
    product = entry["product"]
    floor = product >> cfg.decay_shift          # arithmetic shift: floor division
    if cfg.decay_shift == 0:
        round_up = Const(0)
    else:
        round_up = product[-1] & product[:cfg.decay_shift].any()
    # |v·d/2^F| ≤ |v| ≤ 2^(W−1) because d ≤ 2^F, so W bits hold the leaked
    # membrane and its floor (≥ −2^(W−1), an integer below a value ≥ −2^(W−1)).
    return {**_keep(entry, "drive"), "v_floor": floor.as_signed()[:cfg.width].as_signed(),
            "v_round": round_up}


def _integrate(entry, forget_all):
    if "v_floor" in entry:
        # The round-up is the carry-in of the adder; u keeps the width of v + drive.
        width = len(entry["v_floor"] + entry["drive"])
        return {"u": _add_with_carry(width, entry["v_floor"], entry["drive"],
                                     entry["v_round"])}
    leaked = 0 if forget_all else entry["v"]  # a constant d = 0 leaks everything
    return {"u": leaked + entry["drive"]}


def _add_with_carry(width, a, b, carry):
    """a + b + carry as a signed ``width``-bit value (it must fit).

    Written as one add, ({a, carry} + {b, carry}) / 2: the bottom bits make
    the carry into the rest, so Yosys maps it to one carry chain.  Written
    as a + b + carry it made two chains, one after the other."""
    def extended(value):
        value = Value.cast(value)
        top = value[-1] if value.shape().signed else Const(0)
        return Cat(carry, value, top.replicate(width - len(value)))
    return (extended(a) + extended(b))[1:width + 1].as_signed()


def _magnitude(cfg, entry):
    """|u| as its ones' complement and a carry-in: |u| = (u XOR negative) + negative.

    The + negative is the carry-in of the first divide step's adders, so this
    stage is one LUT deep instead of a negation chain followed by a select.
    """
    u = entry["u"]
    negative = u[-1]
    return {
        "negative": negative,
        "magnitude_xor": u.as_unsigned() ^ negative.replicate(len(u)),
        # An unsigned neuron never fires below zero: its divider steps stay idle.
        "fire_enable": Const(1) if cfg.signed else ~negative,
        "k": Const(0, cfg.k_width - 1),
    }


def _divide_step(entry, params, bit, strict=False):
    """One restoring step, its select deferred: the step registers both the
    value it compared (``kept``) and the difference, and ``take``.

    A later step adds −θ·2^j to both values the previous step registered, in
    two carry chains straight from registers, and picks by the previous
    ``take`` after them (carry select): the pick's select, a register with a
    fan-out of two words, reaches the LUT behind the chains while they
    ripple, instead of standing in front of one chain.
    """
    def compared(value):
        return (value > 0) if strict else (value >= 0)

    negative_threshold = params.negative_threshold
    if "magnitude_xor" in entry:      # the first step: |u| = magnitude_xor + negative
        width = len(entry["magnitude_xor"])
        kept = entry["magnitude_xor"] + entry["negative"]
        # Two chains side by side, both straight from registers, the sign the
        # carry-in of both.
        difference = _add_with_carry(_difference_width(width, negative_threshold, bit),
                                     entry["magnitude_xor"], negative_threshold.shift_left(bit),
                                     entry["negative"])
        at_least = compared(difference)
    else:
        width = len(entry["kept"])
        kept = magnitude(entry)
        from_difference = _minus_threshold(entry["difference"], negative_threshold, bit)
        from_kept = _minus_threshold(entry["kept"], negative_threshold, bit)
        difference = Mux(entry["take"], from_difference, from_kept)
        at_least = Mux(entry["take"], compared(from_difference), compared(from_kept))
    take = entry["fire_enable"] & at_least
    k = entry["k"] | (take << bit)
    return {
        **_keep(entry, "negative", "fire_enable"),
        "kept": kept[:width],
        "difference": difference.as_unsigned()[:width],
        "take": take,
        "k": k[:len(entry["k"])],
    }


def _difference_width(width, negative_threshold, bit):
    """Bits of r − θ·2^j for an unsigned ``width``-bit r: it lies between
    −2^(W−1+j) and 2^width, W the width of −θ."""
    return max(width, len(negative_threshold) - 1 + bit) + 1


def _minus_threshold(value, negative_threshold, bit):
    """value − θ·2^j (value unsigned), as a signed value just as wide as it needs.

    The j low bits of θ·2^j are zero: they pass through and the adder (one
    carry chain) starts at bit j, j bits shorter."""
    result_width = _difference_width(len(value), negative_threshold, bit)
    high = value[bit:] + negative_threshold
    return Cat(value[:bit], high[:result_width - bit]).as_signed()


def magnitude(entry):
    """The magnitude a divide step's fields stand for."""
    return Mux(entry["take"], entry["difference"], entry["kept"])


def meanings(fields):
    """The values a stage's fields stand for (for the formal bounds): ``v`` of
    ``v_floor`` and ``v_round``, ``magnitude`` of ``magnitude_xor`` or of a
    divide step's ``kept``/``difference``/``take``, beside the fields
    themselves."""
    result = dict(fields)
    if "v_floor" in fields:
        result["v"] = fields["v_floor"] + fields["v_round"]
    if "magnitude_xor" in fields:
        result["magnitude"] = fields["magnitude_xor"] + fields["negative"]
    if "kept" in fields:
        result["magnitude"] = magnitude(fields)
    return result


def _saturate(cfg, entry):
    """Reset-to-zero, then saturation of the magnitude against a constant."""
    negative, k = entry["negative"], entry["k"]
    magnitude_ = magnitude(entry)
    if cfg.reset == "zero":
        magnitude_ = Mux(k != 0, 0, magnitude_)
    # −2^(W−1) is reachable, +2^(W−1) is not.  The compares against the two
    # limits are OR trees, not a carry chain.
    w = cfg.width
    magnitude_ = Cat(magnitude_, Const(0, max(0, w + 1 - len(magnitude_))))  # u may be narrow
    above_max = magnitude_[w - 1:].any()                                 # > 2^(W−1) − 1
    above_min = magnitude_[w:].any() | (magnitude_[w - 1] & magnitude_[:w - 1].any())  # > 2^(W−1)
    limit = Mux(negative, 1 << (w - 1), (1 << (w - 1)) - 1)
    saturated = Mux(Mux(negative, above_min, above_max), limit, magnitude_)
    return {**_keep(entry, "negative", "k"), "magnitude": saturated[:w]}


def _apply_sign(cfg, entry):
    """The fields of the output payload: signed k and v'.

    ±x as (x XOR negative) + negative: one LUT in front of one carry chain."""
    negative, magnitude_ = entry["negative"], entry["magnitude"]
    k = entry["k"].as_unsigned()[:cfg.k_width]    # zero-extended ahead of the XOR
    k = Cat(k, Const(0, cfg.k_width - len(k)))
    return {
        "spike_count": ((k ^ negative.replicate(cfg.k_width)) + negative)
                       [:cfg.k_width].as_signed(),
        "membrane": ((magnitude_ ^ negative.replicate(len(magnitude_))) + negative)
                    [:cfg.width].as_signed(),
    }
