"""How much work fits: sizes lifq refuses up front rather than run out of memory.

A command that would need more than :func:`memory_limit` bytes stops with
one line naming the size and what fits, before it allocates anything.  The
limit is half the machine's physical memory, or ``$LIFQ_MEMORY_LIMIT``
(bytes) where that is set.
"""

import os

from .errors import InputError

__all__ = ["memory_limit", "check_fits", "size_text"]

_FALLBACK = 8 << 30


def memory_limit():
    """Bytes one piece of work may hold."""
    override = os.environ.get("LIFQ_MEMORY_LIMIT")
    if override:
        try:
            return max(1, int(override))
        except ValueError:
            raise InputError(f"LIFQ_MEMORY_LIMIT = {override[:40]!s} must be a number of "
                             "bytes") from None
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        total = 2 * _FALLBACK
    return total // 2


def size_text(size):
    """Bytes as people read them: 512 B, 3.2 MiB, 74.5 GiB."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{int(size)} B"


def check_fits(needed, what):
    """Raise :class:`InputError` when ``needed`` bytes exceed :func:`memory_limit`.

    Parameters
    ----------
    needed : int
        Estimated bytes.
    what : str
        What needs them, e.g. ``"--runs × --spikes = 100000 × 100000"``.
    """
    limit = memory_limit()
    if needed > limit:
        raise InputError(f"{what} needs about {size_text(needed)} of memory: allowed up to "
                         f"{size_text(limit)} (half of this machine's memory, or "
                         "$LIFQ_MEMORY_LIMIT)")
