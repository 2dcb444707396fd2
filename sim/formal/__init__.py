"""Formal proofs of the LIF core with SymbiYosys (``yowasp-sby``).

* :mod:`.harness` — :class:`FormalHarness`: the core with a free environment
  (``AnySeq`` inputs under ``Assume``) and the properties stated at its ports.
  The core asserts its own internal invariants when elaborated for the
  platform ``"formal"`` (see :class:`lifq.hdl.LIFCore`).
* :mod:`.sby` — :func:`prove`: RTLIL of the harness, ``yowasp-sby`` in
  ``prove`` (k-induction), ``bmc`` or ``cover`` mode, and the result.
"""

from lifq.hdl import MUTATIONS

from .harness import PROPERTIES, FormalHarness, check_arguments
from .sby import FormalToolMissing, ProofResult, prove, sby_tools

__all__ = ["PROPERTIES", "MUTATIONS", "FormalHarness", "FormalToolMissing", "ProofResult",
           "check_arguments", "prove", "sby_tools"]
