"""The neuron update of SPEC §1 split into pipeline stages.

Each stage is a function from the fields of one in-flight update (a dict of
Amaranth values, registered by the previous stage) to the fields the next
stage needs.  Every stage holds at most one carry chain, straight from
registers into registers, or one or two LUTs, so the core clocks like a
plain accumulator:

====================  ==============================================  ===============
stage                 computes                                        present when
====================  ==============================================  ===============
``membrane_read``     registers v as read from memory                 always
``leak_operands``     registers v for the multiplier                  d is not 0 or 2^F
``leak_multiply``     p = v · d                                       (same)
``leak_product``      registers p in the fabric                       (same)
``leak_truncate``     floor(p / 2^F), and the 1 that rounds it        (same)
                      toward zero (vl = their sum)
``integrate``         u = vl + (i + b), the rounding's 1 as carry-in  always
``sign``              the sign s of u, u XOR s and u = −2^(n−1)       always
``magnitude``         |u| = (u XOR s) + s                             always
``divide_j``          r − θ·2^j beside r                              j = q−1 … 0 (mod),
                                                                      j = 0 (zero, subtract)
``pick_j``            r − θ·2^j if it is not negative (k |= 2^j),     (same)
                      else r
``saturate_check``    whether r fits W bits with the sign (a chain),  always
                      and for reset-to-zero whether k ≠ 0
``saturate``          reset-to-zero and saturation: the result XOR s  always
``apply_sign``        k and v' get the sign of u: (x XOR s) + s       always
====================  ==============================================  ===============

No carry chain has logic in front of it or behind it: a negation is an XOR
in the stage before and a + 1 as the carry-in, the leak's rounding is the
carry-in of the integrate stage's adder, and a divide step's pick by the
sign of its difference is the next stage.

Reset-to-mod divides without a divider: because k ≤ 2^q − 1, q
restoring compare-and-subtract steps against θ·2^j give k and the remainder,
and when |u| ≥ 2^q·θ every step subtracts, which is exactly the saturated
k = 2^q − 1 with remainder |u| − (2^q − 1)·θ that SPEC §1 asks for.
"""

from amaranth.hdl import Cat, Const, Mux, Value, signed

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
        # The product again, in the fabric: a carry chain straight from the DSP
        # block's output register was longer, by the routing out of the block,
        # than an accumulator.
        result.append(("leak_product", lambda e, p: dict(e)))
        result.append(("leak_truncate", lambda e, p: _leak_truncate(cfg, e)))
    forget_all = not cfg.programmable and cfg.decay == 0
    result.append(("integrate", lambda e, p: _integrate(e, forget_all)))
    result.append(("sign", lambda e, p: _sign(cfg, e)))
    result.append(("magnitude", lambda e, p: _magnitude(e)))
    for bit in reversed(range(cfg.spike_bits if cfg.reset == "mod" else 1)):
        result.append((f"divide_{bit}",
                       lambda e, p, bit=bit: _divide_step(e, p, bit)))
        result.append((f"pick_{bit}", lambda e, p, bit=bit: _pick_step(e, bit, strict_divide)))
    result.append(("saturate_check", lambda e, p: _saturate_check(cfg, e)))
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
    here the carry out of fraction + (2^F − 1)·sign, one short carry chain
    straight from the multiplier's register (an OR tree of the fraction bits
    was two LUTs and their routing behind the multiplier; an increment here
    was a chain behind an OR tree).
    """
    product = entry["product"]
    shift = cfg.decay_shift
    floor = product >> shift                    # arithmetic shift: floor division
    if shift == 0:
        round_up = Const(0)
    else:
        round_up = (product[:shift] + product[-1].replicate(shift))[shift]
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


def _sign(cfg, entry):
    """The sign of u, u XOR sign (|u| − sign) and whether u is −2^(n−1): one LUT
    per bit, and an OR tree."""
    u = entry["u"]
    negative = u[-1]
    return {
        "negative": negative,
        "magnitude_xor": u.as_unsigned()[:-1] ^ negative.replicate(len(u) - 1),
        # |u| = 2^(n−1), the one magnitude whose top bit is set.  As the carry
        # out of the next stage's chain it was a signal leaving the chain, which
        # took the iCE40 an extra logic cell and its routing.
        "magnitude_top": negative & ~u[:-1].any(),
        # An unsigned neuron never fires below zero: its divider steps stay idle.
        "fire_enable": Const(1) if cfg.signed else ~negative,
        "k": Const(0, cfg.k_width - 1),
    }


def _magnitude(entry):
    """|u| = (u XOR sign) + sign: a carry chain straight from registers, the sign
    its carry-in."""
    return {**_keep(entry, "negative", "fire_enable", "k"), "magnitude": _absolute(entry)}


def _absolute(entry):
    return Cat(_plus_sign(entry["magnitude_xor"], entry["negative"]), entry["magnitude_top"])


def _plus_sign(xor, negative):
    """x XOR s, registered, plus s: ±x (or |u|) as one carry chain straight
    from registers, the sign its carry-in; as wide as ``xor``."""
    return (xor + negative)[:len(xor)]


def _divide_step(entry, params, bit):
    """One restoring step's compare: r and r − θ·2^j, one carry chain straight
    from registers into registers.  Its pick is the next stage (``pick_j``):
    a select behind the chain made the step a LUT and its routing longer
    than an accumulator."""
    kept = entry["magnitude"]
    return {
        **_keep(entry, "negative", "fire_enable", "k"),
        "kept": kept,
        "difference": _minus_threshold(kept, params.negative_threshold, bit),
    }


def _pick_step(entry, bit, strict=False):
    """A restoring step's pick: r − θ·2^j where it is not negative (k gains 2^j),
    else r."""
    take = _take(entry, strict)
    k = entry["k"] | (take << bit)
    result = {
        **_keep(entry, "negative", "fire_enable"),
        "magnitude": magnitude(entry, strict),
        "k": k[:len(entry["k"])],
    }
    if bit == 0:   # the saturation check's carry-in, from a register
        result["positive"] = ~entry["negative"]
    return result


def _take(entry, strict=False):
    difference = entry["difference"]
    at_least = (difference > 0) if strict else ~difference[-1]
    return entry["fire_enable"] & at_least


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


def magnitude(entry, strict=False):
    """The magnitude a divide step's fields stand for."""
    width = len(entry["kept"])
    return Mux(_take(entry, strict), entry["difference"].as_unsigned()[:width], entry["kept"])


def meanings(fields):
    """The values a stage's fields stand for (for the formal bounds): ``v`` of
    ``v_floor`` and ``v_round``, ``magnitude`` of ``magnitude_xor`` or of a
    divide step's ``kept`` and ``difference``, ``membrane`` of
    ``membrane_xor``, beside the fields themselves."""
    result = dict(fields)
    if "membrane_xor" in fields:
        result["membrane"] = _plus_sign(fields["membrane_xor"], fields["negative"]).as_signed()
    if "v_floor" in fields:
        result["v"] = fields["v_floor"] + fields["v_round"]
    if "magnitude_xor" in fields:
        result["magnitude"] = _absolute(fields)
    if "kept" in fields:
        result["magnitude"] = magnitude(fields)
    return result


def _saturate_check(cfg, entry):
    """Whether the magnitude fits W bits with the sign: r ≤ 2^(W−1) − 1, or
    r ≤ 2^(W−1) when u is negative (−2^(W−1) is reachable, +2^(W−1) is not).

    r − 2^(W−1) − sign as one carry chain straight from registers (its sign:
    ``fits``), the carry-in the sign's complement from a register; OR trees
    over r were three LUTs and their routing deep.  For reset-to-zero also
    whether k ≠ 0 drops the remainder.
    """
    w = cfg.width
    magnitude_ = entry["magnitude"]
    width = max(len(magnitude_), w) + 1
    excess = _add_with_carry(width, magnitude_, Const(-(1 << (w - 1)) - 1, signed(width)),
                             entry["positive"])
    return {**_keep(entry, "negative", "k"),
            "magnitude": magnitude_[:w],
            "fits": excess[-1],
            "zeroed": (entry["k"] != 0) if cfg.reset == "zero" else Const(0)}


def _saturate(cfg, entry):
    """Reset-to-zero and saturation, the result's ones' complement by the sign."""
    negative, w = entry["negative"], cfg.width
    limit = Mux(negative, 1 << (w - 1), (1 << (w - 1)) - 1)
    # Reset-to-zero drops what saturation would have kept.
    picked = Mux(entry["zeroed"], 0, Mux(entry["fits"], entry["magnitude"], limit))
    k = entry["k"].as_unsigned()[:cfg.k_width]    # zero-extended ahead of the XOR
    k = Cat(k, Const(0, cfg.k_width - len(k)))
    return {"negative": negative,
            "k_xor": k ^ negative.replicate(cfg.k_width),
            "membrane_xor": picked[:w] ^ negative.replicate(w)}


def _apply_sign(cfg, entry):
    """The fields of the output payload: signed k and v', ±x as
    (x XOR negative) + negative, the sign the carry-in of a chain straight
    from registers."""
    negative = entry["negative"]
    return {
        "spike_count": _plus_sign(entry["k_xor"], negative).as_signed(),
        "membrane": _plus_sign(entry["membrane_xor"], negative).as_signed(),
    }
