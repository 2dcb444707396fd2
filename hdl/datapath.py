"""The neuron update of SPEC §1 split into pipeline stages.

Each stage is a function from the fields of one in-flight update (a dict of
Amaranth values, registered by the previous stage) to the fields the next
stage needs.  Every stage holds about one W-bit add or compare, so the core
clocks like a plain accumulator:

====================  =========================================  ===============
stage                 computes                                   present when
====================  =========================================  ===============
``membrane_read``     registers v as read from memory            always
``leak_multiply``     p = v · d                                  d is not 0 or 2^F
``leak_truncate``     vl = trunc(p / 2^F)                        (same)
``integrate``         u = vl + (i + b)                           always
``magnitude``         |u| and its sign                           always
``divide_j``          |u| ≥ θ·2^j ? subtract, k |= 2^j           j = q−1 … 0 (mod),
                                                                 j = 0 (zero, subtract)
``saturate``          reset-to-zero, saturate |r| to W bits      always
``apply_sign``        k and v' get the sign of u                 always
====================  =========================================  ===============

Reset-to-mod divides without a divider: because k ≤ 2^q − 1, q
restoring compare-and-subtract steps against θ·2^j give k and the remainder,
and when |u| ≥ 2^q·θ every step subtracts, which is exactly the saturated
k = 2^q − 1 with remainder |u| − (2^q − 1)·θ that SPEC §1 asks for.
"""

from amaranth.hdl import Const, Mux

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
    product = entry["product"]
    floor = product >> cfg.decay_shift          # arithmetic shift: floor division
    if cfg.decay_shift == 0:
        leaked = floor
    else:
        # Round toward zero: a negative product with a fraction rounds up by one.
        inexact = product[:cfg.decay_shift].any()
        leaked = floor + (product[-1] & inexact)
    # |v·d/2^F| ≤ |v| because d ≤ 2^F, so W bits hold the leaked membrane.
    return {**_keep(entry, "drive"), "v": leaked.as_signed()[:cfg.width].as_signed()}


def _integrate(entry, forget_all):
    leaked = 0 if forget_all else entry["v"]  # a constant d = 0 leaks everything
    return {"u": leaked + entry["drive"]}


def _magnitude(cfg, entry):
    u = entry["u"]
    negative = u < 0
    return {
        "negative": negative,
        "magnitude": Mux(negative, -u, u).as_unsigned()[:len(u)],
        # An unsigned neuron never fires below zero: its divider steps stay idle.
        "fire_enable": Const(1) if cfg.signed else ~negative,
        "k": Const(0, cfg.k_width - 1),
    }


def _divide_step(entry, params, bit, strict=False):
    difference = entry["magnitude"] + (params.negative_threshold << bit)
    take = entry["fire_enable"] & ((difference > 0) if strict else (difference >= 0))
    k = entry["k"] | (take << bit)
    return {
        **_keep(entry, "negative", "fire_enable"),
        "magnitude": Mux(take, difference.as_unsigned()[:len(entry["magnitude"])],
                         entry["magnitude"]),
        "k": k[:len(entry["k"])],
    }


def _saturate(cfg, entry):
    """Reset-to-zero, then saturation of the magnitude against a constant."""
    negative, magnitude, k = entry["negative"], entry["magnitude"], entry["k"]
    if cfg.reset == "zero":
        magnitude = Mux(k != 0, 0, magnitude)
    # −2^(W−1) is reachable, +2^(W−1) is not.
    limit = Mux(negative, 1 << (cfg.width - 1), (1 << (cfg.width - 1)) - 1)
    saturated = Mux(magnitude > limit, limit, magnitude)
    return {**_keep(entry, "negative", "k"), "magnitude": saturated[:cfg.width]}


def _apply_sign(cfg, entry):
    """The fields of the output payload: signed k and v'."""
    negative, magnitude, k = entry["negative"], entry["magnitude"], entry["k"]
    return {
        "spike_count": Mux(negative, -k, k).as_signed()[:cfg.k_width].as_signed(),
        "membrane": Mux(negative, -magnitude, magnitude)[:cfg.width].as_signed(),
    }
