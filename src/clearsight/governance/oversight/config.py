"""Thresholds of the misuse rules, from ``oversight.toml`` in the workspace (or a given file).

Every key is optional; an unknown key or a bad value is an error naming the file and key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from clearsight.errors import InvalidData, Problem


@dataclass(frozen=True)
class OversightConfig:
    """What counts as misuse: one documented threshold per rule."""

    #: access without case assignment: more than this many non-case reads by one user ...
    non_case_max: int = 40
    #: ... within this many hours
    non_case_window_hours: int = 24
    #: repeated views: this many reads of one record by one user under non-case purposes ...
    repeat_views: int = 4
    #: ... within this many days
    repeat_window_days: int = 7
    #: bulk disclosure: a disclosure of more than this many record ids
    bulk_disclosure_ids: int = 250
    #: off-shift access: minutes of grace either side of a shift
    shift_grace_minutes: int = 30
    #: weekly review: how many non-case reads to sample for supervisor review
    review_sample: int = 20

    @classmethod
    def load(cls, path: Path | None) -> OversightConfig:
        """The defaults, overridden by the ``[oversight]`` table of ``path`` if it exists."""
        if path is None or not path.exists():
            return cls()
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise InvalidData("cannot read the oversight settings", [Problem(str(exc), file=str(path))]) from None
        table = data.get("oversight", data)
        known = {f.name for f in fields(cls)}
        problems = [Problem(f"unknown setting; known: {', '.join(sorted(known))}", file=str(path), field=k)
                    for k in table if k not in known]
        values: dict[str, int] = {}
        for key in sorted(known & set(table)):
            value = table[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                problems.append(Problem("must be a whole number of at least 0", file=str(path), field=key, value=str(value)))
            else:
                values[key] = value
        if problems:
            raise InvalidData("bad oversight settings", problems)
        return replace(cls(), **values)


__all__ = ["OversightConfig"]
