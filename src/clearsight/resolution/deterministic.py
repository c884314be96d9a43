"""Rules that need no model: strong identifiers link, conflicting ones forbid, twins stay apart.

* Records that share a strong identifier (PNC ID, passport or National Insurance number for
  a Person; the normalised registration mark for a Vehicle; the E.164 number for a Phone;
  the email address for an Account) are linked outright. Each group sharing a value is
  linked as a star around its smallest id, so a junk value shared by thousands of records
  costs thousands of edges, not millions.
* Two records that both carry a strong identifier of one kind with different values are
  never merged, whatever the model says (status 'blocked').
* The household rule: records that share a surname but whose forenames name different
  people (below) are never merged automatically; the model's score puts them in front of a
  person at most. Within one cluster no two records may break it, so a record that matches
  two family members cannot join them through itself.
* The twin rule: same surname and full date of birth, both forenames known, and forenames
  that are neither the same name, nor variants of one name (Bill, William), nor a likely
  typo (Jaro-Winkler >= 0.9, or one edit apart) are different people, unless something
  only one person has (an email address, or an identifier the model compares) agrees.
  Twins share a surname, a birth date, an address and often a landline, which a model that
  adds up agreements would otherwise merge.

The SQL functions return DuckDB SQL over the ``records`` table built by
:mod:`clearsight.resolution.model`; the Python functions apply the same rules to single
pairs (tests, review screens).
"""

from __future__ import annotations

from collections.abc import Mapping

import jellyfish

from clearsight.resolution.nicknames import are_variants
from clearsight.resolution.settings import ResolutionSpec

#: forenames at least this similar are read as one name mistyped, not two people
TWIN_TYPO_SIMILARITY = 0.9


def strong_edges_sql(spec: ResolutionSpec, present: set[str], table: str = "records") -> str | None:
    """SQL selecting (left_id, right_id, identifier) star edges of records sharing a strong identifier."""
    parts = []
    for col in spec.strong_identifiers:
        if col not in present:
            continue
        parts.append(
            f"SELECT root AS left_id, unique_id AS right_id, '{col}' AS identifier FROM ("  # noqa: S608 - spec constants and validated numbers only
            f'SELECT unique_id, min(unique_id) OVER (PARTITION BY "{col}") AS root FROM {table} '
            f'WHERE "{col}" IS NOT NULL) WHERE unique_id <> root'
        )
    if not parts:
        return None
    union = " UNION ALL ".join(parts)
    return (
        "SELECT least(left_id, right_id) AS left_id, greatest(left_id, right_id) AS right_id, "  # noqa: S608 - spec constants and validated numbers only
        f"string_agg(DISTINCT identifier, ',' ORDER BY identifier) AS identifiers FROM ({union}) GROUP BY 1, 2"
    )


def conflict_sql(spec: ResolutionSpec, present: set[str], left: str = "l", right: str = "r") -> str:
    """SQL: the comma-separated strong identifiers on which two records disagree ('' if none)."""
    cases = [
        f"CASE WHEN {left}.\"{c}\" IS NOT NULL AND {right}.\"{c}\" IS NOT NULL AND {left}.\"{c}\" <> {right}.\"{c}\" "
        f"THEN '{c}' END"
        for c in spec.strong_identifiers
        if c in present
    ]
    if not cases:
        return "''"
    return f"concat_ws(',', {', '.join(cases)})"


def forename_conflict_sql(spec: ResolutionSpec, present: set[str], left: str = "l", right: str = "r") -> str:
    """SQL: true when two records share a surname but name different people by forename.

    Such a pair (a household: parent and child, brothers, a couple) never merges
    automatically, however many other things agree; with the same birth date too it is the
    twin rule and the pair is blocked.
    """
    if not spec.twin_rule or not {"forename", "surname"} <= present:
        return "false"
    personal = [f"{left}.email = {right}.email"] if "email" in present else []
    personal += [
        f'damerau_levenshtein({left}."{c}", {right}."{c}") <= 1' for c in spec.model_identifiers if c in present
    ]
    exempt = f" AND NOT coalesce({' OR '.join(personal)}, false)" if personal else ""
    return (
        f"coalesce({left}.surname = {right}.surname "
        f"AND {left}.forename <> {right}.forename "
        f"AND NOT list_has_any({left}.forename_groups, {right}.forename_groups) "
        f"AND jaro_winkler_similarity({left}.forename, {right}.forename) < {TWIN_TYPO_SIMILARITY} "
        f"AND damerau_levenshtein({left}.forename, {right}.forename) > 1{exempt}, false)"
    )


def twin_sql(spec: ResolutionSpec, present: set[str], left: str = "l", right: str = "r") -> str:
    """SQL: true when the twin rule keeps two records apart (a forename conflict and the same full birth date)."""
    if not spec.twin_rule or not {"forename", "surname", "dob"} <= present:
        return "false"
    return (
        f"({forename_conflict_sql(spec, present, left, right)} "
        f"AND coalesce({left}.dob = {right}.dob AND length({left}.dob) = 10, false))"
    )


def identifiers_conflict(spec: ResolutionSpec, a: Mapping[str, str | None], b: Mapping[str, str | None]) -> list[str]:
    """The strong identifiers two records both carry with different values."""
    return [c for c in spec.strong_identifiers if a.get(c) and b.get(c) and a.get(c) != b.get(c)]


def forename_conflict(a: Mapping[str, str | None], b: Mapping[str, str | None]) -> bool:
    """Whether two records share a surname but their forenames name different people.

    Forenames conflict when both are known and are neither the same name, nor variants of
    one name (Bill, William), nor a likely typo (Jaro-Winkler >= 0.9, or one edit apart),
    and nothing only one person has (an email address, an identifier the model compares,
    given as ``id:<column>``) agrees.

    Examples:
        >>> forename_conflict({"forename": "jack", "surname": "hill"}, {"forename": "oliver", "surname": "hill"})
        True
        >>> forename_conflict({"forename": "bill", "surname": "hill"}, {"forename": "william", "surname": "hill"})
        False
    """
    fa, fb = a.get("forename"), b.get("forename")
    if not (fa and fb and a.get("surname")) or a.get("surname") != b.get("surname"):
        return False
    if are_variants(fa, fb) or jellyfish.damerau_levenshtein_distance(fa, fb) <= 1:
        return False
    if a.get("email") and a.get("email") == b.get("email"):
        return False
    for key, value in a.items():
        other = b.get(key)
        if key.startswith("id:") and value and other and jellyfish.damerau_levenshtein_distance(value, other) <= 1:
            return False
    return jellyfish.jaro_winkler_similarity(fa, fb) < TWIN_TYPO_SIMILARITY


def twin_conflict(a: Mapping[str, str | None], b: Mapping[str, str | None]) -> bool:
    """Whether the twin rule keeps two records apart: a forename conflict and the same full date of birth.

    Examples:
        >>> twin_conflict({"forename": "jack", "surname": "hill", "dob": "2001-02-03"},
        ...               {"forename": "jill", "surname": "hill", "dob": "2001-02-03"})
        True
        >>> twin_conflict({"forename": "bill", "surname": "hill", "dob": "2001-02-03"},
        ...               {"forename": "william", "surname": "hill", "dob": "2001-02-03"})
        False
    """
    dob = a.get("dob")
    return bool(dob) and len(str(dob)) == 10 and dob == b.get("dob") and forename_conflict(a, b)


__all__ = [
    "TWIN_TYPO_SIMILARITY",
    "conflict_sql",
    "forename_conflict",
    "forename_conflict_sql",
    "identifiers_conflict",
    "strong_edges_sql",
    "twin_conflict",
    "twin_sql",
]
