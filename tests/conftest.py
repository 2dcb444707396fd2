"""Shared fixtures (the hand-checked vectors of ../shared/vectors) and helpers."""

import json
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
VECTORS = pathlib.Path(os.environ.get("LIFQ_VECTORS", ROOT.parent / "shared" / "vectors"))


def vector_names():
    names = sorted(p.name[:-len(".stim.json")] for p in VECTORS.glob("*.stim.json"))
    # An empty list would silently test nothing: fail instead.
    assert names, f"no *.stim.json vectors found in {VECTORS} (set LIFQ_VECTORS)"
    return names


class Vector:
    def __init__(self, name):
        self.name = name
        self.stim_path = VECTORS / f"{name}.stim.json"
        self.expect_path = VECTORS / f"{name}.expect.json"
        self.stim = json.loads(self.stim_path.read_text())
        self.expect = json.loads(self.expect_path.read_text())


@pytest.fixture(params=vector_names())
def vector(request):
    return Vector(request.param)


def expect_error_reply(board, transport, raw, status, kept, *, before=None):
    """Send ``raw``, a request the board must refuse, and check the refusal.

    The reply is an error with ``status``; the board's STATUS reply then
    counts one more error with ``last_error`` = ``status`` and every key in
    ``kept`` unchanged (``before``: the STATUS before, else asked for now).
    """
    from lifq.boards.host import BoardError
    from lifq.boards.protocol import Command

    before = before or board.status()
    transport.write(raw)
    with pytest.raises(BoardError) as error:
        board.receive(Command.STATUS)
    assert error.value.status == status, error.value
    after = board.status()
    for key in kept:
        assert after[key] == before[key], key
    assert after["errors"] == before["errors"] + 1
    assert after["last_error"] == status
