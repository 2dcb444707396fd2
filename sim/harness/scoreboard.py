"""The harness's scoreboard: every update of a run against the golden model, in numpy.

It reports exactly what the cocotb :class:`lifq.cocotb_tests.lifq_tb.Scoreboard`
reports — value errors (spike count, membrane), reordered transfers (a
``neuron`` field that is not the round-robin one), extra and lost
transfers, with the same records and messages — but compares whole arrays
at once instead of one transfer per Python call.
"""

import collections

import numpy as np

from ..check import MISSING, first_mismatch
from ..results import RtlRun

__all__ = ["layout_fields", "decode_fields", "payload_fields", "decode_updates", "score"]

#: Errors kept with their message; all are counted.
MAX_REPORTS = 20


def layout_fields(layout):
    """``{name: (offset, width, signed)}`` of a struct layout (a stream's payload)."""
    from amaranth.hdl import Shape

    return {name: (field.offset, field.width, Shape.cast(field.shape).signed)
            for name, field in layout}


def decode_fields(layout, payloads):
    """``{name: int64 array}``: the fields of raw payload words of ``layout``."""
    payloads = np.asarray(payloads, dtype=np.uint64)
    values = {}
    for name, (offset, width, signed) in layout_fields(layout).items():
        field = ((payloads >> np.uint64(offset)) & np.uint64((1 << width) - 1)).astype(np.int64)
        if signed:
            field -= (field >> (width - 1)) << width   # two's complement
        values[name] = field
    return values


def payload_fields(cfg):
    """``{name: (offset, width, signed)}`` of the ``updates`` payload of ``cfg``'s core."""
    from lifq.hdl.interfaces import update_layout

    return layout_fields(update_layout(cfg))


def decode_updates(cfg, payloads):
    """``(neuron, spike_count, membrane)`` int64 arrays from raw payload words."""
    from lifq.hdl.interfaces import update_layout

    return tuple(decode_fields(update_layout(cfg), payloads).values())


def _records(neurons, total, got, expected, order_bad, spike_bad, v_bad):
    """The first :data:`MAX_REPORTS` error records, in the cocotb scoreboard's order."""
    neuron, k, v = got
    expected_k, expected_v = expected
    records = []
    for j in np.flatnonzero(order_bad | spike_bad | v_bad)[:MAX_REPORTS]:
        j = int(j)
        t, n = divmod(j, neurons)
        if order_bad[j]:
            records.append(dict(kind="order", transfer=j, timestep=t, neuron=n, field="neuron",
                                expected=n, got=int(neuron[j]),
                                message=f"timestep {t}, neuron {n}: output transfer #{j} "
                                        f"carries neuron {int(neuron[j])}: a lost, extra or "
                                        f"reordered transfer"))
        if spike_bad[j]:
            records.append(dict(kind="value", transfer=j, timestep=t, neuron=n, field="spikes",
                                expected=int(expected_k[j]), got=int(k[j]),
                                message=f"timestep {t}, neuron {n}: spike_count expected "
                                        f"{int(expected_k[j])}, got {int(k[j])}"))
        if v_bad[j]:
            records.append(dict(kind="value", transfer=j, timestep=t, neuron=n, field="v",
                                expected=int(expected_v[j]), got=int(v[j]),
                                message=f"timestep {t}, neuron {n}: membrane expected "
                                        f"{int(expected_v[j])}, got {int(v[j])}"))
    for j in range(total, min(len(neuron), total + MAX_REPORTS)):
        records.append(dict(kind="extra", transfer=j, timestep=None, neuron=int(neuron[j]),
                            field="transfer", expected=None,
                            got=[int(neuron[j]), int(k[j]), int(v[j])],
                            message=f"extra output transfer #{j} after the last expected one "
                                    f"(neuron {int(neuron[j])}, spike_count {int(k[j])}, "
                                    f"membrane {int(v[j])})"))
    received = len(neuron)
    if received < total:
        t, n = divmod(received, neurons)
        records.append(dict(kind="lost", transfer=received, timestep=t, neuron=n,
                            field="transfer", expected=total, got=received,
                            message=f"timestep {t}, neuron {n}: lost output transfers: received "
                                    f"{received} of {total}"))
    return records[:MAX_REPORTS]


def _hung(total, sent, received, neurons, stall_window):
    t, n = divmod(received, neurons)
    if sent == total:
        return (f"all {total} currents taken but only {received} updates received and none "
                f"for {stall_window} cycles: lost transfers from timestep {t}, neuron {n} on")
    return (f"no transfer for {stall_window} cycles: {sent} of {total} currents taken, "
            f"{received} updates received, waiting for timestep {t}, neuron {n}")


def score(simulator, job, expected, payloads, *, sent, last_output, stall_window):
    """An :class:`lifq.sim.results.RtlRun` of one core of a harness run.

    Parameters
    ----------
    simulator : str
        As the run reports it (e.g. ``"verilator"`` or ``"icarus, ice40 netlist"``).
    job : lifq.sim.runner.RtlJob
    expected : (spikes, v)
        The golden model's outputs for the job.
    payloads : ndarray of uint64
        The ``updates`` payloads the core delivered, in order.
    sent : int
        Currents the core took.
    last_output : int
        Cycle (after reset) of its last update.
    stall_window : int
        Cycles without a transfer after which the harness gave up.
    """
    cfg, shape = job.cfg, job.currents.shape
    total = shape[0] * shape[1]
    got = decode_updates(cfg, payloads)
    received = len(payloads)
    first = min(received, total)
    expected_k, expected_v = (np.asarray(a, dtype=np.int64).reshape(-1) for a in expected)
    neuron, k, v = got
    order_bad = neuron[:first] != np.arange(first) % cfg.neurons
    spike_bad = k[:first] != expected_k[:first]
    v_bad = v[:first] != expected_v[:first]
    kinds = collections.Counter({"order": int(order_bad.sum()),
                                 "value": int(spike_bad.sum() + v_bad.sum()),
                                 "extra": max(0, received - total),
                                 "lost": int(received < total)})
    kinds = {kind: count for kind, count in kinds.items() if count}
    errors = _records(cfg.neurons, total, got, (expected_k, expected_v), order_bad, spike_bad,
                      v_bad)

    def matrix(values):
        if received == total:
            return values.reshape(shape)
        array = np.full(total, MISSING, dtype=np.int64)
        array[:first] = values[:first]
        return array.reshape(shape)

    spikes, membranes = matrix(k), matrix(v)
    expected_spikes, expected_membranes = (np.asarray(a, dtype=np.int64) for a in expected)
    mismatch = first_mismatch(expected_spikes, expected_membranes, spikes, membranes)
    hung = None if received >= total else _hung(total, sent, received, cfg.neurons,
                                                stall_window)
    return RtlRun(spikes=spikes, v=membranes, neurons=matrix(neuron),
                  expected_spikes=expected_spikes, expected_v=expected_membranes,
                  mismatch=mismatch, errors=errors, error_count=sum(kinds.values()),
                  error_kinds=kinds, hung=hung,
                  passed=not kinds and hung is None and mismatch is None, seed=job.seed,
                  cycles=last_output + 1 if received else 0, simulator=simulator, config=cfg)
