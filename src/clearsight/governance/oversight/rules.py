"""The misuse rules (PUR-4): each a small function over the audit stream and what it touched.

A rule sees :class:`ScanData` (the new access entries, the earlier ones inside the longest
window, the facts about the records they returned, the registers and the thresholds) and
returns :class:`Finding` objects, each citing the audit entries that triggered it. Rules
read nothing themselves: the scan gathers the facts once, through the governed path.

Access entries are consultations and disclosures that succeeded, other than oversight's
own reads. A purpose that is not ``case:REF`` is a non-case purpose.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from clearsight.governance.audit import AuditEntry
from clearsight.governance.oversight.config import OversightConfig
from clearsight.governance.oversight.register import Interest, Shift

#: the record properties the identity rules compare, by kind of value
NAME_PROPS = ("name", "alias")
VICTIM_CATEGORIES = ("victim", "witness")


def parse_at(at: str) -> datetime:
    return datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """Word order and case do not matter: 'SMITH John' and 'John Smith' compare equal."""
    return " ".join(sorted(w for w in "".join(c if c.isalnum() else " " for c in name.casefold()).split()))


def is_case_purpose(purpose: str) -> bool:
    return purpose.startswith("case:")


def is_view(e: AuditEntry) -> bool:
    """Whether the entry opened the records it lists (a profile, graph or export), rather
    than listing them among search hits, where a near spelling may bring in anyone."""
    return e.action != "search"


@dataclass
class RecordFacts:
    """What the identity and victim rules need to know about one record, read under audit."""

    schema: str
    names: set[str] = field(default_factory=set)
    birth_dates: set[str] = field(default_factory=set)
    postcodes: set[str] = field(default_factory=set)
    vrms: set[str] = field(default_factory=set)
    #: event ids this person is a victim or witness of
    victim_of: set[str] = field(default_factory=set)
    #: case references whose Case record links to this record
    cases: set[str] = field(default_factory=set)


@dataclass
class ScanData:
    entries: list[AuditEntry]
    history: list[AuditEntry]
    facts: dict[str, RecordFacts]
    interests: list[Interest]
    watchlist: dict[str, str]
    shifts: dict[str, Shift]
    memberships: dict[str, set[str]]
    config: OversightConfig


@dataclass(frozen=True)
class Finding:
    rule: str
    user: str
    seqs: tuple[int, ...]
    subjects: tuple[str, ...]
    summary: str


def _identity_matches(person: Interest, facts: RecordFacts) -> list[str]:
    """Which declared values of ``person`` this record carries (empty if none)."""
    why = []
    if person.name and person.birth_date and name_key(person.name) in facts.names and person.birth_date in facts.birth_dates:
        why.append("name and date of birth")
    if person.postcode and person.postcode in facts.postcodes:
        why.append("postcode")
    if person.vrm and person.vrm in facts.vrms:
        why.append("vehicle registration")
    return why


def _matches(data: ScanData, entry: AuditEntry, people: Iterable[Interest]) -> list[tuple[str, Interest, list[str]]]:
    out = []
    people = list(people)
    for sid in entry.subject_ids():
        facts = data.facts.get(sid)
        for person in people:
            why = ["record id"] if person.entity_id and person.entity_id == sid else []
            if facts is not None:
                why += _identity_matches(person, facts)
            if why:
                out.append((sid, person, why))
    return out


def _per_entry(rule: str, data: ScanData, hits: Callable[[AuditEntry], list[tuple[str, str]]]) -> list[Finding]:
    """One finding per user: the entries and subjects ``hits`` flags, with their reasons."""
    seqs: dict[str, list[int]] = defaultdict(list)
    subjects: dict[str, set[str]] = defaultdict(set)
    reasons: dict[str, set[str]] = defaultdict(set)
    for e in data.entries:
        found = hits(e)
        if found:
            seqs[e.user].append(e.seq)
            for sid, reason in found:
                subjects[e.user].add(sid)
                reasons[e.user].add(reason)
    return [Finding(rule, user, tuple(s), tuple(sorted(subjects[user])), "; ".join(sorted(reasons[user])))
            for user, s in seqs.items()]


def self_lookup(data: ScanData) -> list[Finding]:
    """A read returned a record carrying the user's own declared identity.

    Matches normalised name with date of birth, postcode (a record at the user's address)
    or vehicle registration, as declared in the register.
    """
    own: dict[str, list[Interest]] = defaultdict(list)
    for i in data.interests:
        if i.kind == "self":
            own[i.user].append(i)
    return _per_entry("self_lookup", data, lambda e: [
        (sid, "own " + ", ".join(why)) for sid, _p, why in _matches(data, e, own.get(e.user, []))
    ])


def colleague_lookup(data: ScanData) -> list[Finding]:
    """A read returned a record carrying another user's declared identity."""
    selves = [i for i in data.interests if i.kind == "self"]
    return _per_entry("colleague_lookup", data, lambda e: [
        (sid, f"{p.user}'s " + ", ".join(why)) for sid, p, why in _matches(data, e, (i for i in selves if i.user != e.user))
    ])


def associate_lookup(data: ScanData) -> list[Finding]:
    """A read returned a person the user declared an association with (record id, or name with date of birth)."""
    mine: dict[str, list[Interest]] = defaultdict(list)
    for i in data.interests:
        if i.kind == "associate":
            mine[i.user].append(i)
    return _per_entry("associate_lookup", data, lambda e: [
        (sid, "declared associate" + (f" ({p.relation})" if p.relation else "") + ": " + ", ".join(why))
        for sid, p, why in _matches(data, e, mine.get(e.user, []))
    ])


def high_profile(data: ScanData) -> list[Finding]:
    """A read returned a record on the high-profile watch list (whatever the purpose)."""
    return _per_entry("high_profile", data, lambda e: [
        (sid, "watch list: " + data.watchlist[sid]) for sid in e.subject_ids() if sid in data.watchlist
    ])


def bulk_disclosure(data: ScanData) -> list[Finding]:
    """A disclosure (export) of more than ``bulk_disclosure_ids`` record ids in one go."""
    limit = data.config.bulk_disclosure_ids

    def hits(e: AuditEntry) -> list[tuple[str, str]]:
        if e.operation != "disclosure":
            return []
        n = _subject_count(e)
        return [("", f"{n} records disclosed in one export (threshold {limit})")] if n > limit else []

    return [Finding(f.rule, f.user, f.seqs, tuple(s for s in f.subjects if s), f.summary)
            for f in _per_entry("bulk_disclosure", data, hits)]


def _subject_count(e: AuditEntry) -> int:
    parsed = json.loads(e.subjects)
    return len(parsed) if isinstance(parsed, list) else int(parsed.get("count", 0))


def on_shift(shift: Shift, moment: datetime, grace: timedelta) -> bool:
    """Whether ``moment`` falls in a shift (a shift belongs to the day it starts)."""
    zone = ZoneInfo(shift.timezone)
    local = moment.astimezone(zone)
    for start_day in (local.date(), local.date() - timedelta(days=1)):
        if start_day.isoweekday() not in shift.days:
            continue
        begin = datetime.combine(start_day, shift.start, zone)
        end_day = start_day + timedelta(days=1) if shift.end <= shift.start else start_day
        end = datetime.combine(end_day, shift.end, zone)
        if begin - grace <= local <= end + grace:
            return True
    return False


def off_shift(data: ScanData) -> list[Finding]:
    """A read by a user outside their recorded shift pattern (users with none are not checked)."""
    grace = timedelta(minutes=data.config.shift_grace_minutes)

    def hits(e: AuditEntry) -> list[tuple[str, str]]:
        shift = data.shifts.get(e.user)
        if shift is None or on_shift(shift, parse_at(e.at), grace):
            return []
        p = shift.as_dict()
        return [("", f"outside the shift {p['days']} {p['start']}-{p['end']} {p['timezone']}")]

    return [Finding(f.rule, f.user, f.seqs, (), f.summary) for f in _per_entry("off_shift", data, hits)]


def victim_witness(data: ScanData) -> list[Finding]:
    """A user opened a victim or witness of an event on none of the cases they are assigned to."""

    def hits(e: AuditEntry) -> list[tuple[str, str]]:
        if not is_view(e):
            return []
        mine = data.memberships.get(e.user, set())
        out = []
        for sid in e.subject_ids():
            facts = data.facts.get(sid)
            if facts is None or not facts.victim_of:
                continue
            covering = set(facts.cases)
            for event in facts.victim_of:
                covering |= data.facts[event].cases if event in data.facts else set()
            if not covering & mine:
                out.append((sid, "victim or witness of an event on none of the user's cases"))
        return out

    return _per_entry("victim_witness", data, hits)


def _windowed(rule: str, data: ScanData, window: timedelta, qualifies: Callable[[AuditEntry], Sequence[str]],
              threshold: int, describe: Callable[[str, int], str]) -> list[Finding]:
    """Findings when, for one user and key, more than ``threshold`` entries fall in ``window``.

    ``qualifies`` gives the keys an entry counts towards (none if it does not count). Each
    finding cites the entries in the window that ends at the entry crossing the threshold.
    """
    new = {e.seq for e in data.entries}
    by_key: dict[tuple[str, str], list[AuditEntry]] = defaultdict(list)
    found: dict[tuple[str, str], list[AuditEntry]] = {}
    for e in sorted(data.history + data.entries, key=lambda x: x.seq):
        for key in qualifies(e):
            k = (e.user, key)
            seen = by_key[k]
            seen.append(e)
            at = parse_at(e.at)
            while seen and parse_at(seen[0].at) < at - window:
                seen.pop(0)
            if e.seq in new and len(seen) > threshold and k not in found:
                found[k] = list(seen)
    per_user: dict[str, list[tuple[str, list[AuditEntry]]]] = defaultdict(list)
    for (user, key), es in found.items():
        per_user[user].append((key, es))
    out = []
    for user, items in per_user.items():
        seqs = sorted({e.seq for _k, es in items for e in es})
        keys = sorted(k for k, _ in items if k)
        out.append(Finding(rule, user, tuple(seqs), tuple(keys), "; ".join(describe(k, len(es)) for k, es in items)))
    return out


def non_case_access(data: ScanData) -> list[Finding]:
    """More than ``non_case_max`` non-case reads by one user within ``non_case_window_hours``."""
    c = data.config
    return _windowed(
        "non_case_access", data, timedelta(hours=c.non_case_window_hours),
        lambda e: [""] if not is_case_purpose(e.purpose) else [], c.non_case_max,
        lambda _k, n: f"{n} reads without a case within {c.non_case_window_hours} h (threshold {c.non_case_max})",
    )


def repeat_views(data: ScanData) -> list[Finding]:
    """One person viewed ``repeat_views`` times or more by one user within ``repeat_window_days``, no case."""
    c = data.config

    def keys(e: AuditEntry) -> list[str]:
        if is_case_purpose(e.purpose) or not is_view(e):
            return []
        return [s for s in e.subject_ids() if (f := data.facts.get(s)) is not None and f.schema == "Person"]

    return _windowed(
        "repeat_views", data, timedelta(days=c.repeat_window_days), keys, c.repeat_views - 1,
        lambda k, n: f"{k} read {n} times within {c.repeat_window_days} days without a case",
    )


#: every rule, by name; windowed rules are not raised again while an earlier alert's window overlaps
RULES: dict[str, Callable[[ScanData], list[Finding]]] = {
    "self_lookup": self_lookup,
    "colleague_lookup": colleague_lookup,
    "associate_lookup": associate_lookup,
    "non_case_access": non_case_access,
    "off_shift": off_shift,
    "repeat_views": repeat_views,
    "high_profile": high_profile,
    "victim_witness": victim_witness,
    "bulk_disclosure": bulk_disclosure,
}
WINDOWED = ("non_case_access", "repeat_views")

__all__ = ["RULES", "WINDOWED", "Finding", "RecordFacts", "ScanData", "is_case_purpose", "is_view", "name_key", "on_shift", "parse_at"]
