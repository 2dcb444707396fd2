"""The run-time registers of a programmable core (SPEC §3) and their addresses.

The parameter port of :class:`lifq.hdl.LIFCore`, the board link's WRITE
command and the expected-result model of parameter writes all use these
numbers.
"""

import enum

__all__ = ["Register"]


class Register(enum.IntEnum):
    """Address of a run-time register; its name in lower case is the parameter."""
    THRESHOLD = 0
    DECAY = 1
    BIAS = 2

    @property
    def parameter(self):
        """The §1 parameter the register holds: ``"threshold"``, ``"decay"``, ``"bias"``."""
        return self.name.lower()

    @classmethod
    def of(cls, parameter):
        """The register of a parameter name (``KeyError`` for any other name)."""
        return cls[parameter.upper()]
