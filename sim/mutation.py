"""The description of a deliberate output bug (plain data; see :mod:`lifq.sim.mutants`)."""

import dataclasses

__all__ = ["Mutation"]

FIELDS = ("neuron", "spike_count", "membrane")
KINDS = ("flip", "drop", "duplicate")


@dataclasses.dataclass(frozen=True)
class Mutation:
    """A deliberate bug at the output of a core.

    ``kind = "flip"`` XORs bit ``bit`` of payload field ``field`` (``"neuron"``,
    ``"spike_count"`` or ``"membrane"``) of output transfer number ``transfer``
    (counting from 0); ``kind = "drop"`` hides that transfer (valid low while
    the core sees it taken); ``kind = "duplicate"`` sends it twice (holding the
    core off meanwhile).
    """
    kind: str = "flip"
    transfer: int = 0
    field: str = "membrane"
    bit: int = 0

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"mutation kind {self.kind!r}: allowed " + ", ".join(KINDS))
        if self.field not in FIELDS:
            raise ValueError(f"mutation field {self.field!r} is unknown: allowed "
                             + ", ".join(FIELDS))
