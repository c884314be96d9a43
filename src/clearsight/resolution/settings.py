"""Per-schema resolution specs: which fields are compared, how, and which identifiers are strong.

The specs live in the project, not in user code. Each :class:`ResolutionSpec` names the
frame columns built from a schema's properties, the identifiers strong enough to link
records without a model (and whose disagreement forbids a merge), and, for Person, the
Splink comparisons and blocking rules. :func:`splink_settings` turns a spec into a Splink
settings dictionary for the columns a dataset actually has.

Design choices for Person (measured, see ``benchmarks/bench_resolution_accuracy.py``):

* Forename and surname are two comparisons, never one ``ForenameSurnameComparison``: that
  comparison puts "same surname, different forename" beside "same surname, forename
  missing", so family members at one address score as matches.
* A forename that disagrees outright is strong evidence against (its ``else`` level has a
  high u and a low m), and :func:`clearsight.resolution.deterministic.forename_conflict` keeps
  same-surname people with different forenames (a household) from merging automatically,
  and :func:`~clearsight.resolution.deterministic.twin_conflict` blocks them outright when
  the birth date is the same too.
* Names written the other way round (surname in the forename field) get a level of their
  own in both name comparisons, and a weaker one when one of them is mistyped too. They
  need *both* names crossed over, so a shared surname alone (a household) never reaches
  them.
* A forename with a space in it is compared by its first word and, at the typo levels, as
  a whole with the space removed ("wil liam" is william, "john paul" is near "johnpaul").
* Nicknames (Bill for William) agree on a forename group, an extra level after exact.
* Dates of birth are ``YYYY-MM-DD`` strings, or ``YYYY-MM`` / ``YYYY`` when only part is
  known: a partial date agrees with a full one it is a prefix of, at a weaker level.
* u is estimated by random sampling, m by expectation maximisation; the priors below are
  used until the data can train them (small stores keep the priors and say so). Levels too
  rare for EM to estimate (crossed names, typos in a date or postcode, a date within a year,
  a gender that disagrees) keep their m prior: EM drove them to absurd weights (-30 to -120)
  and with them merged nothing that needed them.
* Addresses are compared without a UK postcode at their end; postcodes are spaced one way.
* A second pass merges review pairs whose full name only one person in the data carries
  (:attr:`ResolutionSpec.name_pass`): records with little but a name (stop and search,
  crime and intelligence mentions) otherwise stay in review however rare the name.
  With it come two checks at the level of clusters rather than pairs: a merge on nothing
  but a name (every other detail missing on one side) goes to review when several people
  carry the name, and a record with nothing but a name joins the one cluster that holds
  every other record of its name (see ``ResolutionEngine.pairs``; docs/resolution.md).
* A forename spelling seen once, a slip away from a forename that recurs with the same
  surname (btian beside brian sykes), is read as that forename too: its nickname groups are
  the record's, so the nickname level and the household and twin rules see one name.
* Blocking also pairs records with the same birth date and surname initial, and the same
  forename and postcode, so that a slip in each name still brings a pair to the model.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from clearsight.errors import ResolutionError
from clearsight.resolution.nicknames import VARIANTS

Level = dict[str, Any]

#: the column every frame carries: the source entity id
UNIQUE_ID = "unique_id"


@dataclass(frozen=True)
class Thresholds:
    """Where the model's match probability turns into a merge, a review or nothing.

    Pairs at or above ``merge`` are merged automatically; pairs with ``review_low <= p <
    review_high`` go to the review queue; everything else is left unmerged. The defaults
    (merge at 0.95, review from 0.50) keep automatic merges to pairs the model is very sure
    of, and put every pair it leans towards in front of a person.
    """

    merge: float = 0.95
    review_low: float = 0.50
    review_high: float | None = None

    @property
    def review_top(self) -> float:
        """The top of the review band (the merge threshold unless set)."""
        return self.merge if self.review_high is None else self.review_high

    def validate(self) -> Thresholds:
        """Return self if the thresholds make sense, else raise :class:`ResolutionError`."""
        for name, value in (("merge threshold", self.merge), ("review band low", self.review_low),
                            ("review band high", self.review_top)):
            if not 0.0 < value <= 1.0:
                raise ResolutionError(f"the {name} must be a probability between 0 and 1 (got {value})")
        if not self.review_low <= self.review_top <= self.merge:
            raise ResolutionError(
                f"the review band {self.review_low:g}-{self.review_top:g} must sit below the merge "
                f"threshold {self.merge:g} (low <= high <= merge)"
            )
        return self

    def status(self, probability: float) -> str | None:
        """'merge', 'review' or None for a model score."""
        if probability >= self.merge:
            return "merge"
        if self.review_low <= probability < self.review_top:
            return "review"
        return None

    def as_dict(self) -> dict[str, float]:
        return {"merge": self.merge, "review_low": self.review_low, "review_high": self.review_top}


@dataclass(frozen=True)
class ResolutionSpec:
    """How one schema is resolved.

    Attributes:
        schema: the ontology schema.
        fields: frame column -> ontology property read from the store.
        strong_identifiers: frame columns that link records outright when equal and forbid a
            merge when both present and different.
        model: whether a Splink model scores the records (else only the strong identifiers link).
        model_identifiers: identifier columns compared by the model (exact, one edit, else)
            rather than trusted outright, for sources whose identifiers carry typos.
        twin_rule: keep same-surname, same-birth-date records with different forenames apart.
        name_pass: merge review pairs whose full name only one person in the data carries
            (see :meth:`clearsight.resolution.model.ResolutionEngine.pairs`).
        min_records_for_em: below this many records the m priors are kept (EM on a handful
            of records learns noise).
        max_pairs_u: pairs sampled to estimate u.
        max_pairs_em: cap on pairs per EM session (None: all blocked pairs).
    """

    schema: str
    fields: Mapping[str, str]
    strong_identifiers: tuple[str, ...] = ()
    model: bool = False
    model_identifiers: tuple[str, ...] = ()
    twin_rule: bool = False
    name_pass: bool = False
    min_records_for_em: int = 1000
    max_pairs_u: float = 1e6
    max_pairs_em: float | None = 5e6
    em_max_iterations: int = 25
    label: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def props(self) -> list[str]:
        """The ontology properties a run reads."""
        return sorted(set(self.fields.values()))

    @property
    def version(self) -> str:
        """A short digest of everything that shapes the comparisons."""
        body = json.dumps(
            {
                "schema": self.schema,
                "fields": dict(self.fields),
                "strong": self.strong_identifiers,
                "model_ids": self.model_identifiers,
                "twin": self.twin_rule,
                "name_pass": self.name_pass,
                "comparisons": [c for c in _all_comparisons(self)] if self.model else [],
                "blocking": _blocking_rules(self, set(self.fields)) if self.model else [],
                "nicknames": VARIANTS,
            },
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(body.encode()).hexdigest()[:10]

    def with_changes(self, **changes: Any) -> ResolutionSpec:
        """A copy with some attributes changed (benchmarks and tests use this)."""
        return replace(self, **changes)


PERSON = ResolutionSpec(
    schema="Person",
    fields={
        "forename": "forename",
        "surname": "surname",
        "full_name": "name",
        "dob": "birthDate",
        "gender": "gender",
        "postcode": "postcode",
        "address": "address",
        "phone": "phone",
        "email": "email",
        "pnc": "pncId",
        "passport": "passportNumber",
        "ni": "niNumber",
    },
    strong_identifiers=("pnc", "passport", "ni"),
    model=True,
    twin_rule=True,
    name_pass=True,
    label="people",
)
VEHICLE = ResolutionSpec(schema="Vehicle", fields={"vrm": "registration"}, strong_identifiers=("vrm",), label="vehicles")
PHONE = ResolutionSpec(schema="Phone", fields={"number": "number"}, strong_identifiers=("number",), label="phones")
ACCOUNT = ResolutionSpec(schema="Account", fields={"email": "email"}, strong_identifiers=("email",), label="accounts")

SPECS: dict[str, ResolutionSpec] = {s.schema: s for s in (PERSON, VEHICLE, PHONE, ACCOUNT)}


def spec_for(schema: str) -> ResolutionSpec:
    """The spec of a schema, or a :class:`ResolutionError` naming the ones that exist."""
    try:
        return SPECS[schema]
    except KeyError:
        raise ResolutionError(
            f"no resolution spec for schema {schema!r}; resolvable schemata: {', '.join(sorted(SPECS))}"
        ) from None


# -- comparison levels -----------------------------------------------------------------


def _null(col: str) -> Level:
    return {"sql_condition": f'"{col}_l" IS NULL OR "{col}_r" IS NULL', "label_for_charts": "missing", "is_null_level": True}


def _level(sql: str, label: str, m: float, u: float, *, tf: str | None = None, fixed: bool = False) -> Level:
    """A comparison level; ``fixed`` keeps its m prior through EM (rare levels EM cannot estimate)."""
    out: Level = {"sql_condition": sql, "label_for_charts": label, "m_probability": m, "u_probability": u}
    if fixed:
        out["fix_m_probability"] = True
    if tf:
        out["tf_adjustment_column"] = tf
        out["tf_adjustment_weight"] = 1.0
    return out


def _else(m: float, u: float, *, fixed: bool = False) -> Level:
    out: Level = {"sql_condition": "ELSE", "label_for_charts": "disagree", "m_probability": m, "u_probability": u}
    if fixed:
        out["fix_m_probability"] = True
    return out


def _jw(col: str, threshold: float) -> str:
    return f'jaro_winkler_similarity("{col}_l", "{col}_r") >= {threshold}'


def _reversed_names() -> str:
    return '"forename_l" = "surname_r" AND "surname_l" = "forename_r"'


def _reversed_names_typo() -> str:
    """Both names crossed over, one or both mistyped (Jaro-Winkler >= 0.9 each way)."""
    return (
        'jaro_winkler_similarity("forename_l", "surname_r") >= 0.9 '
        'AND jaro_winkler_similarity("surname_l", "forename_r") >= 0.9'
    )


def _forename_jw(threshold: float) -> str:
    """The first forenames, or the whole forenames with their spaces removed, this similar."""
    return f'greatest(jaro_winkler_similarity("forename_l", "forename_r"), jaro_winkler_similarity("forename_joined_l", "forename_joined_r")) >= {threshold}'


def _forename() -> dict[str, Any]:
    return {
        "output_column_name": "forename",
        "comparison_description": "forename: exact, names crossed over, nickname, typo, initial",
        "comparison_levels": [
            _null("forename"),
            _level('"forename_l" = "forename_r"', "exact", 0.80, 0.010, tf="forename"),
            _level(_reversed_names(), "crossed with surname", 0.02, 0.00001, fixed=True),
            _level(_reversed_names_typo(), "crossed with surname, mistyped", 0.01, 0.00001, fixed=True),
            _level('list_has_any("forename_groups_l", "forename_groups_r")', "nickname", 0.05, 0.0005),
            _level(_forename_jw(0.92), "jaro-winkler >= 0.92", 0.07, 0.002),
            _level(_forename_jw(0.80), "jaro-winkler >= 0.80", 0.03, 0.02),
            _level(
                '(length("forename_l") = 1 OR length("forename_r") = 1) AND left("forename_l", 1) = left("forename_r", 1)',
                "initial",
                0.01,
                0.005,
                fixed=True,
            ),
            _else(0.02, 0.96),
        ],
    }


def _surname() -> dict[str, Any]:
    tokens = 'list_has_any(string_split("surname_l", \' \'), string_split("surname_r", \' \'))'
    return {
        "output_column_name": "surname",
        "comparison_description": "surname: exact, names crossed over, typo, shared part of a double name",
        "comparison_levels": [
            _null("surname"),
            _level('"surname_l" = "surname_r"', "exact", 0.85, 0.005, tf="surname"),
            _level(_reversed_names(), "crossed with forename", 0.02, 0.00001, fixed=True),
            _level(_reversed_names_typo(), "crossed with forename, mistyped", 0.01, 0.00001, fixed=True),
            _level(_jw("surname", 0.92), "jaro-winkler >= 0.92", 0.06, 0.002),
            _level(tokens, "shares a part", 0.03, 0.001, fixed=True),
            _level(_jw("surname", 0.80), "jaro-winkler >= 0.80", 0.02, 0.02),
            _else(0.02, 0.97),
        ],
    }


def _dob() -> dict[str, Any]:
    full = 'length("dob_l") = 10 AND length("dob_r") = 10'
    return {
        "output_column_name": "dob",
        "comparison_description": "date of birth: exact, day and month swapped, partial, one digit, within a year",
        "comparison_levels": [
            _null("dob"),
            _level(f'"dob_l" = "dob_r" AND {full}', "exact", 0.85, 0.0001),
            _level(
                f"{full} AND left(\"dob_l\", 4) = left(\"dob_r\", 4) AND substr(\"dob_l\", 6, 2) = substr(\"dob_r\", 9, 2)"
                " AND substr(\"dob_l\", 9, 2) = substr(\"dob_r\", 6, 2)",
                "day and month swapped",
                0.01,
                0.000005,
                fixed=True,
            ),
            _level(
                '(length("dob_l") < 10 OR length("dob_r") < 10) AND (starts_with("dob_l", "dob_r") OR starts_with("dob_r", "dob_l"))',
                "partial date agrees",
                0.02,
                0.0005,
                fixed=True,
            ),
            _level(f'{full} AND damerau_levenshtein("dob_l", "dob_r") <= 1', "one character", 0.05, 0.001, fixed=True),
            _level(
                f'{full} AND abs(date_diff(\'day\', try_cast("dob_l" AS DATE), try_cast("dob_r" AS DATE))) <= 365',
                "within a year",
                0.03,
                0.01,
                fixed=True,
            ),
            _else(0.04, 0.99),
        ],
    }


def _postcode() -> dict[str, Any]:
    spaced = 'contains("postcode_l", \' \') AND contains("postcode_r", \' \')'
    return {
        "output_column_name": "postcode",
        "comparison_description": "postcode: exact, one character, same sector, same district",
        "comparison_levels": [
            _null("postcode"),
            _level('"postcode_l" = "postcode_r"', "exact", 0.80, 0.001),
            _level('damerau_levenshtein("postcode_l", "postcode_r") <= 1', "one character", 0.05, 0.001, fixed=True),
            _level(
                f'{spaced} AND left("postcode_l", length("postcode_l") - 2) = left("postcode_r", length("postcode_r") - 2)',
                "same sector",
                0.05,
                0.005,
                fixed=True,
            ),
            _level(
                f"{spaced} AND split_part(\"postcode_l\", ' ', 1) = split_part(\"postcode_r\", ' ', 1)",
                "same district",
                0.04,
                0.02,
                fixed=True,
            ),
            _else(0.06, 0.97),
        ],
    }


def _address() -> dict[str, Any]:
    # address_tokens is the address split into distinct words, built once per record
    overlap = (
        'len(list_intersect("address_tokens_l", "address_tokens_r")) '
        '/ greatest(len("address_tokens_l"), len("address_tokens_r"))'
    )
    return {
        "output_column_name": "address",
        "comparison_description": "address (without its postcode): exact, near spelling, most words shared",
        "comparison_levels": [
            _null("address"),
            _level('"address_l" = "address_r"', "exact", 0.75, 0.0005),
            _level(_jw("address", 0.90), "jaro-winkler >= 0.90", 0.10, 0.001),
            _level(f"{overlap} >= 0.5", "half the words shared", 0.07, 0.01),
            _else(0.08, 0.99),
        ],
    }


def _exact_only(col: str, m: float, u: float, description: str, *, fixed_else: bool = False) -> dict[str, Any]:
    return {
        "output_column_name": col,
        "comparison_description": description,
        "comparison_levels": [
            _null(col),
            _level(f'"{col}_l" = "{col}_r"', "exact", m, u),
            _else(1 - m, 1 - u, fixed=fixed_else),
        ],
    }


def _phone() -> dict[str, Any]:
    return {
        "output_column_name": "phone",
        "comparison_description": "phone number (E.164): exact, one digit",
        "comparison_levels": [
            _null("phone"),
            _level('"phone_l" = "phone_r"', "exact", 0.70, 0.0001),
            _level('damerau_levenshtein("phone_l", "phone_r") <= 1', "one digit", 0.05, 0.0001, fixed=True),
            _else(0.25, 0.9998),
        ],
    }


def _identifier(col: str) -> dict[str, Any]:
    return {
        "output_column_name": col,
        "comparison_description": f"{col}: exact, one character",
        "comparison_levels": [
            _null(col),
            _level(f'"{col}_l" = "{col}_r"', "exact", 0.90, 0.0001),
            _level(f'damerau_levenshtein("{col}_l", "{col}_r") <= 1', "one character", 0.05, 0.0005),
            _else(0.05, 0.9994),
        ],
    }


#: comparison -> the frame columns it needs
_COMPARISON_COLUMNS: dict[str, tuple[str, ...]] = {
    "forename": ("forename", "surname"),
    "surname": ("forename", "surname"),
    "dob": ("dob",),
    "postcode": ("postcode",),
    "address": ("address",),
    "gender": ("gender",),
    "phone": ("phone",),
    "email": ("email",),
}


def _all_comparisons(spec: ResolutionSpec) -> list[dict[str, Any]]:
    out = [
        _forename(),
        _surname(),
        _dob(),
        _postcode(),
        _address(),
        # people's recorded gender disagrees now and then (a keying slip): fixed, not learned
        _exact_only("gender", 0.97, 0.5, "gender", fixed_else=True),
        _phone(),
        _exact_only("email", 0.70, 0.0001, "email address"),
    ]
    out.extend(_identifier(col) for col in spec.model_identifiers)
    return out


def _usable(comparison: dict[str, Any], present: set[str]) -> bool:
    name = str(comparison["output_column_name"])
    return all(col in present for col in _COMPARISON_COLUMNS.get(name, (name,)))


def comparisons(spec: ResolutionSpec, present: set[str]) -> list[dict[str, Any]]:
    """The Splink comparisons of a spec whose columns the data has."""
    return [c for c in _all_comparisons(spec) if _usable(c, present)]


def _blocking_rules(spec: ResolutionSpec, present: set[str]) -> list[str]:
    candidates: list[tuple[tuple[str, ...], str]] = [
        (("forename", "surname"), 'l."forename" = r."forename" AND l."surname" = r."surname"'),
        (("surname", "dob"), 'l."surname" = r."surname" AND l."dob" = r."dob"'),
        (("forename", "dob"), 'l."forename" = r."forename" AND l."dob" = r."dob"'),
        (("dob", "postcode"), 'l."dob" = r."dob" AND l."postcode" = r."postcode"'),
        # names written the other way round, also with a slip in one of them
        (("forename", "surname"), 'l."forename" = r."surname" AND l."surname" = r."forename"'),
        (("forename", "surname", "dob"), 'l."forename" = r."surname" AND l."dob" = r."dob"'),
        (("forename", "surname", "dob"), 'l."surname" = r."forename" AND l."dob" = r."dob"'),
        # nicknames: Bill Smith and William Smith
        (("forename", "surname"), 'l."forename_canon" = r."forename_canon" AND l."surname" = r."surname"'),
        (("address", "forename"), 'l."address" = r."address" AND left(l."forename", 1) = left(r."forename", 1)'),
        (("postcode", "surname"), 'l."postcode" = r."postcode" AND l."surname" = r."surname"'),
        # a slip in each name: the birth date with the surname's initial, the forename with the postcode
        (("dob", "surname"), 'l."dob" = r."dob" AND left(l."surname", 1) = left(r."surname", 1)'),
        (("forename", "postcode"), 'l."forename" = r."forename" AND l."postcode" = r."postcode"'),
        (("phone",), 'l."phone" = r."phone"'),
        (("email",), 'l."email" = r."email"'),
    ]
    candidates.extend(((col,), f'l."{col}" = r."{col}"') for col in spec.model_identifiers)
    return [sql for cols, sql in candidates if all(c in present for c in cols)]


def blocking_rules(spec: ResolutionSpec, present: set[str]) -> list[str]:
    """Blocking rules (SQL) for the columns the data has; together they keep recall high."""
    return _blocking_rules(spec, present)


def training_rules(present: set[str]) -> tuple[list[str], list[str]]:
    """(rules for the prior, EM blocking rules) for the columns present."""
    prior = [
        r
        for cols, r in (
            (("forename", "surname", "dob"), 'l."forename" = r."forename" AND l."surname" = r."surname" AND l."dob" = r."dob"'),
            (("forename", "surname", "postcode"), 'l."forename" = r."forename" AND l."surname" = r."surname" AND l."postcode" = r."postcode"'),
        )
        if all(c in present for c in cols)
    ]
    em = [
        r
        for cols, r in (
            (("dob",), 'l."dob" = r."dob"'),
            (("forename", "surname"), 'l."forename" = r."forename" AND l."surname" = r."surname"'),
        )
        if all(c in present for c in cols)
    ]
    return prior, em


def splink_settings(spec: ResolutionSpec, present: Sequence[str] | set[str]) -> dict[str, Any]:
    """The Splink settings dictionary for a spec, given the frame columns that hold values.

    Raises:
        ResolutionError: the spec has no model, or the data has too few fields to compare.
    """
    have = set(present)
    if not spec.model:
        raise ResolutionError(f"{spec.schema} records are linked by strong identifiers only; there is no model to build")
    chosen = comparisons(spec, have)
    if len(chosen) < 2:
        raise ResolutionError(
            f"too few {spec.schema} fields hold values to compare (need at least two of "
            f"{', '.join(sorted(_COMPARISON_COLUMNS))}; found {', '.join(sorted(have)) or 'none'})"
        )
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": UNIQUE_ID,
        "probability_two_random_records_match": 0.0001,
        "comparisons": chosen,
        "blocking_rules_to_generate_predictions": blocking_rules(spec, have),
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
        "em_convergence": 0.001,
        "max_iterations": spec.em_max_iterations,
        "additional_columns_to_retain": [],
    }


def comparison_labels(settings: Mapping[str, Any]) -> dict[str, list[str]]:
    """comparison name -> level labels indexed by gamma (the null level is gamma -1)."""
    out: dict[str, list[str]] = {}
    for comp in settings.get("comparisons", []):
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        out[str(comp["output_column_name"])] = [str(lv.get("label_for_charts", "")) for lv in reversed(levels)]
    return out


__all__ = [
    "ACCOUNT",
    "PERSON",
    "PHONE",
    "SPECS",
    "UNIQUE_ID",
    "VEHICLE",
    "ResolutionSpec",
    "Thresholds",
    "blocking_rules",
    "comparison_labels",
    "comparisons",
    "spec_for",
    "splink_settings",
    "training_rules",
]
