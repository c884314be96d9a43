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
  typo (Jaro-Winkler >= 0.9, or one edit apart; or, when either spelling is rare in the data,
  two edits apart with Jaro-Winkler >= 0.85: btian and biran are two slips for brian, while
  Imran and Irfan, names that recur, stay two people; and a spelling seen once that is a slip
  from a forename recurring with the same surname is read as that forename, ``forename_fixed``,
  so bria and btian beside brian are one name), or that differ with the recorded genders
  differing too (Michael and Michelle), are different people, unless something
  only one person has (an email address, or an identifier the model compares) agrees.
  Twins share a surname, a birth date, an address and often a landline, which a model that
  adds up agreements would otherwise merge. A forename written with a space in it ("wil
  liam", a keying or scanning slip) is compared whole as well as by its first word.
* The date of birth rule: two records of one surname whose full dates of birth disagree (more
  than one character apart, not day and month swapped, more than a year apart) are two
  people, typically a parent and child of one name at one address, unless something only
  one person has agrees. They are never merged automatically,
  and no record without a date of birth joins them in a cluster.

The SQL functions return DuckDB SQL over the ``records`` table built by
:mod:`clearsight.resolution.model`; the Python functions apply the same rules to single
pairs (tests, review screens).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import jellyfish

from clearsight.resolution.nicknames import are_variants
from clearsight.resolution.settings import ResolutionSpec

#: forenames at least this similar are read as one name mistyped, not two people
TWIN_TYPO_SIMILARITY = 0.9
#: when one of the two spellings is rare in the data, forenames two edits apart and at least
#: this similar are read as one name mistyped too (btian and biran, two slips for brian):
#: a corrupted spelling is rare, a real name recurs
RARE_TYPO_SIMILARITY = 0.85
#: a forename spelling is rare when it is seen in at most one record in this many (and always
#: when seen once): the frequency of a slip, not of a name people are given
RARE_FORENAME_PER = 10_000
#: full dates of birth further apart than this (in days), and not one slip apart, are two
#: people: the model reads dates within a year as a mistyped year or month
DOB_APART_DAYS = 365


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
    exempt = _exempt_sql(spec, present, left, right)
    joined_l, joined_r = f"coalesce({left}.forename_joined, {left}.forename)", f"coalesce({right}.forename_joined, {right}.forename)"
    rare = f"coalesce({left}.forename_rare OR {right}.forename_rare, false)" if "forename_rare" in present else "false"
    similar = (
        f"(list_has_any({left}.forename_groups, {right}.forename_groups) "
        f"OR {typo_sql(f'{left}.forename', f'{right}.forename', rare)} OR {typo_sql(joined_l, joined_r)})"
    )
    genders = f" OR coalesce({left}.gender <> {right}.gender, false)" if "gender" in present else ""
    return (
        f"coalesce({left}.surname = {right}.surname "
        f"AND {left}.forename <> {right}.forename "
        f"AND (NOT {similar}{genders}){exempt}, false)"
    )


def rare_forename_sql(forename: str = "forename") -> str:
    """SQL window expression: whether a record's forename spelling is rare among the records (see :data:`RARE_FORENAME_PER`)."""
    return (
        f"CASE WHEN {forename} IS NOT NULL THEN count(*) OVER (PARTITION BY {forename}) "
        f"<= greatest(1, count({forename}) OVER () // {RARE_FORENAME_PER}) END"
    )


def rare_forename(count: int, total: int) -> bool:
    """Whether a forename spelling seen in ``count`` of ``total`` records is rare (see :data:`RARE_FORENAME_PER`).

    Examples:
        >>> rare_forename(1, 500), rare_forename(2, 500), rare_forename(3, 40_000), rare_forename(5, 40_000)
        (True, False, True, False)
    """
    return count <= max(1, total // RARE_FORENAME_PER)


def typo_sql(a: str, b: str, rare: str = "false") -> str:
    """SQL: two forenames a slip apart (see :func:`_likely_typo`); ``rare``: whether either spelling is rare.

    DuckDB's Damerau-Levenshtein costs several times a Levenshtein distance, so it is asked
    only of pairs that pass cheaper tests it implies: a transposition is two Levenshtein
    edits, so ``damerau_levenshtein <= k`` needs ``levenshtein <= 2k`` (and, for one edit,
    lengths at most one apart). The answer is the same as testing Damerau-Levenshtein alone.
    """
    return (
        f"(jaro_winkler_similarity({a}, {b}) >= {TWIN_TYPO_SIMILARITY} "
        f"OR (abs(length({a}) - length({b})) <= 1 AND levenshtein({a}, {b}) <= 2 AND damerau_levenshtein({a}, {b}) <= 1) "
        f"OR ({rare} AND jaro_winkler_similarity({a}, {b}) >= {RARE_TYPO_SIMILARITY} "
        f"AND levenshtein({a}, {b}) <= 4 AND damerau_levenshtein({a}, {b}) <= 2))"
    )


def slip_pairs_sql(spellings: str) -> str:
    """SQL: every pair (rare_s, common_s) of a rare and a recurring spelling a slip apart (``typo_sql`` with ``rare`` true).

    ``spellings`` is a relation with columns ``s`` (distinct spellings) and ``rare``. The
    full test is asked only of candidate pairs that provably hold every pair passing it:
    those with Jaro-Winkler of at least :data:`TWIN_TYPO_SIMILARITY` (DuckDB gives up early
    on a pair below a cut-off, so this costs a fraction of the test), and those two edits
    or fewer apart, which share a string obtained by deleting at most two characters from
    each (a transposition is one deletion on each side) and are found by joining on it.

    Columns: rare_s, common_s.
    """
    # the cut-off a little below the threshold: the full test decides, whatever the rounding
    cut = TWIN_TYPO_SIMILARITY - 0.01
    return f"""
    WITH sp AS (SELECT s, rare FROM {spellings}),
    del1 AS MATERIALIZED (
        SELECT s, s AS v FROM sp
        UNION SELECT s, left(s, i - 1) || substr(s, i + 1) FROM (SELECT s, unnest(range(1, length(s) + 1)) AS i FROM sp)
    ),
    del2 AS (
        SELECT s, v FROM del1
        UNION SELECT s, left(v, i - 1) || substr(v, i + 1) FROM (SELECT s, v, unnest(range(1, length(v) + 1)) AS i FROM del1)
    ),
    rare AS (SELECT s FROM sp WHERE rare),
    common AS (SELECT s FROM sp WHERE NOT rare),
    candidates AS (
        SELECT a.s AS rare_s, b.s AS common_s
        FROM (SELECT * FROM del2 SEMI JOIN rare USING (s)) a JOIN (SELECT * FROM del2 SEMI JOIN common USING (s)) b ON a.v = b.v
        UNION SELECT a.s, b.s FROM rare a, common b WHERE jaro_winkler_similarity(a.s, b.s, {cut}) >= {cut}
    )
    SELECT rare_s, common_s FROM candidates WHERE {typo_sql('rare_s', 'common_s', 'true')}
    """  # noqa: S608 - the relation is the caller's constant SQL


def _exempt_sql(spec: ResolutionSpec, present: set[str], left: str, right: str) -> str:
    """SQL: ' AND NOT <something only one person has agrees>' (email, an identifier the model compares)."""
    personal = [f"{left}.email = {right}.email"] if "email" in present else []
    personal += [
        f'damerau_levenshtein({left}."{c}", {right}."{c}") <= 1' for c in spec.model_identifiers if c in present
    ]
    return f" AND NOT coalesce({' OR '.join(personal)}, false)" if personal else ""


def dob_conflict_sql(spec: ResolutionSpec, present: set[str], left: str = "l", right: str = "r") -> str:
    """SQL: true when two records share a surname but their full dates of birth name different people."""
    if not spec.twin_rule or not {"surname", "dob"} <= present:
        return "false"
    da, db = f"try_cast({left}.dob AS DATE)", f"try_cast({right}.dob AS DATE)"
    swapped = (
        f"(left({left}.dob, 4) = left({right}.dob, 4) AND substr({left}.dob, 6, 2) = substr({right}.dob, 9, 2) "
        f"AND substr({left}.dob, 9, 2) = substr({right}.dob, 6, 2))"
    )
    return (
        f"coalesce({left}.surname = {right}.surname AND length({left}.dob) = 10 AND length({right}.dob) = 10 "
        f"AND damerau_levenshtein({left}.dob, {right}.dob) > 1 AND NOT {swapped} "
        f"AND abs(date_diff('day', {da}, {db})) > {DOB_APART_DAYS}{_exempt_sql(spec, present, left, right)}, false)"
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
    one name (Bill, William), nor a likely typo (one edit apart or Jaro-Winkler >= 0.9; the
    first word or the whole forename without its spaces; two edits apart and Jaro-Winkler
    >= 0.85 when either record marks its first word rare, ``forename_rare``), or when they differ and the
    recorded genders do too (Michael and Michelle); unless something only
    one person has (an email address, an identifier the model compares, given as
    ``id:<column>``) agrees.

    Examples:
        >>> forename_conflict({"forename": "jack", "surname": "hill"}, {"forename": "oliver", "surname": "hill"})
        True
        >>> forename_conflict({"forename": "bill", "surname": "hill"}, {"forename": "william", "surname": "hill"})
        False
    """
    fa, fb = a.get("forename"), b.get("forename")
    if not (fa and fb and a.get("surname")) or a.get("surname") != b.get("surname"):
        return False
    if fa == fb:
        return False
    ga, gb = a.get("gender"), b.get("gender")
    rare = bool(a.get("forename_rare") or b.get("forename_rare"))
    similar = (
        are_variants(fa, fb) or _likely_typo(fa, fb, rare=rare)
        or _likely_typo(a.get("forename_joined") or fa, b.get("forename_joined") or fb)
        or _fixed_agree(a, b)
    )
    return (not similar or bool(ga and gb and ga != gb)) and not _personal_agrees(a, b)


def _fixed_agree(a: Mapping[str, str | None], b: Mapping[str, str | None]) -> bool:
    """Whether a rare spelling's recurring forename (``forename_fixed``, see the records table) makes two forenames one name."""
    fixed_a, fixed_b = a.get("forename_fixed"), b.get("forename_fixed")
    if not (fixed_a or fixed_b):
        return False
    names_a = {str(n) for n in (a.get("forename"), fixed_a) if n}
    names_b = {str(n) for n in (b.get("forename"), fixed_b) if n}
    return any(are_variants(x, y) for x in names_a for y in names_b)


def _personal_agrees(a: Mapping[str, str | None], b: Mapping[str, str | None]) -> bool:
    """Whether something only one person has agrees: an email address, or an identifier (``id:<column>``) within one edit."""
    if a.get("email") and a.get("email") == b.get("email"):
        return True
    for key, value in a.items():
        other = b.get(key)
        if key.startswith("id:") and value and other and jellyfish.damerau_levenshtein_distance(value, other) <= 1:
            return True
    return False


def _likely_typo(x: str, y: str, *, rare: bool = False) -> bool:
    """One forename mistyped: one edit apart, or very similar; or, when either spelling is rare, two edits apart and similar."""
    edits, similarity = jellyfish.damerau_levenshtein_distance(x, y), jellyfish.jaro_winkler_similarity(x, y)
    if edits <= 1 or similarity >= TWIN_TYPO_SIMILARITY:
        return True
    return rare and edits <= 2 and similarity >= RARE_TYPO_SIMILARITY


def _date(value: str | None) -> dt.date | None:
    if not value or len(value) != 10:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def dob_conflict(a: Mapping[str, str | None], b: Mapping[str, str | None]) -> bool:
    """Whether two full dates of birth name different people, unless something personal agrees.

    They do when both are real dates more than one character apart, not the same date with
    day and month swapped, and more than a year apart: the slips the model's date levels
    read as one person.

    Examples:
        >>> dob_conflict({"dob": "1961-04-02"}, {"dob": "1990-04-02"})
        True
        >>> dob_conflict({"dob": "1961-04-02"}, {"dob": "1961-02-04"})
        False
    """
    da, db = _date(a.get("dob")), _date(b.get("dob"))
    if da is None or db is None or abs((da - db).days) <= DOB_APART_DAYS:
        return False
    if jellyfish.damerau_levenshtein_distance(str(a.get("dob")), str(b.get("dob"))) <= 1:
        return False
    if da.year == db.year and da.month == db.day and da.day == db.month:
        return False
    return not _personal_agrees(a, b)


def kept_apart(a: Mapping[str, str | None], b: Mapping[str, str | None]) -> bool:
    """The clustering rule for people: the household, twin and date of birth rules.

    Two records of one surname stay in different clusters when their forenames name
    different people (:func:`forename_conflict`) or their full dates of birth do
    (:func:`dob_conflict`).
    """
    if not a.get("surname") or a.get("surname") != b.get("surname"):
        return False
    return dob_conflict(a, b) or forename_conflict(a, b)


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
    "DOB_APART_DAYS",
    "RARE_FORENAME_PER",
    "RARE_TYPO_SIMILARITY",
    "TWIN_TYPO_SIMILARITY",
    "conflict_sql",
    "forename_conflict",
    "forename_conflict_sql",
    "dob_conflict",
    "dob_conflict_sql",
    "identifiers_conflict",
    "kept_apart",
    "rare_forename",
    "rare_forename_sql",
    "strong_edges_sql",
    "twin_conflict",
    "twin_sql",
    "slip_pairs_sql",
    "typo_sql",
]
