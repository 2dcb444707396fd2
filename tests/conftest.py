"""Shared fixtures: the hand-checked vectors of ../shared/vectors."""

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
