"""Numeric command-line options, parsed and checked in one place.

Every number the CLI takes goes through a :class:`lifq.spec.ranges.Limit`:
it must parse, be finite unless infinity is a value, and lie in its range;
otherwise the command stops with one line that names the option, the value
(shortened) and the allowed range, before any work starts.
"""

from lifq.spec import InputError, value_text
from lifq.spec.ranges import SEED_RANGE, Limit

__all__ = ["SEED", "PROBABILITY", "parse", "parse_list", "parse_csv", "range_limit", "Options"]

#: Seeds of every command (the one range of :data:`lifq.spec.ranges.SEED_RANGE`).
SEED = Limit(*SEED_RANGE.bounds(), integer=True)
#: Chances per cycle (input gaps, output stalls): 0 ≤ p < 1.
PROBABILITY = Limit(0, 1, below_high=True)


def parse(text, option, limit):
    """The value of ``option`` given as ``text`` (None stays None)."""
    return None if text is None else limit.parse(text, option)


def parse_list(texts, option, limit):
    """The values of an option that takes several (None stays None)."""
    return None if texts is None else [limit.parse(text, option) for text in texts]


def parse_csv(text, option, limit):
    """Comma-separated values of one option (``1,2,4``), each checked; None stays None."""
    if text is None:
        return None
    parts = str(text).split(",")
    if not all(part.strip() for part in parts):
        raise InputError(f"{option} = {value_text(str(text))[1:].rstrip(chr(34))} must be a "
                         f"comma-separated list of values in {limit.describe(kind=False)}")
    return [limit.parse(part.strip(), option) for part in parts]


def range_limit(allowed, params=None):
    """The :class:`Limit` of an integer :class:`lifq.spec.ranges.Range` (its context
    given by ``params``), so that an option parses against the one table."""
    low, high = allowed.bounds(params)
    return Limit(low, high, integer=True)


class Options:
    """Adds options to an argparse parser and parses their numbers at run time.

    Numbers are taken as text by argparse and parsed by :meth:`values` with
    their :class:`~lifq.spec.ranges.Limit`, so that a bad one is reported as
    ``--runs = 1.5 must be an integer in 1 … 100000``.
    """

    def __init__(self, parser):
        self.parser = parser
        self.spellings = {}
        self.limits = {}

    def add(self, *flags, limit=None, **kwargs):
        """``parser.add_argument`` plus an optional ``limit`` for a numeric option."""
        if limit is not None and "default" in kwargs and kwargs["default"] is not None:
            default = kwargs["default"]
            kwargs["default"] = ([str(item) for item in default]
                                 if isinstance(default, (list, tuple)) else str(default))
        action = self.parser.add_argument(*flags, **kwargs)
        self.spellings[action.dest] = action.option_strings[-1] if action.option_strings \
            else action.dest
        if limit is not None:
            self.limits[action.dest] = (limit, action.nargs not in (None, "?"))
        return action

    def spell(self, name):
        return self.spellings.get(name, name)

    def values(self, args):
        """Every numeric option of ``args``, parsed: ``{dest: value or list}``."""
        parsed = {}
        for dest, (limit, many) in self.limits.items():
            text = getattr(args, dest)
            parsed[dest] = (parse_list if many else parse)(text, self.spell(dest), limit)
        return parsed
