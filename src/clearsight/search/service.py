"""Find anyone: ranked search over canonical entities, with why each matched.

One interface on SQLite and PostgreSQL. A query is read several ways at once:

- as a **name** (every word must match some name of the entity, in any order): exact
  token, phonetic code (Metaphone), a near spelling (edit distance 1, or 2 for long
  words, from the vocabulary) or, for a one-letter word, an initial;
- as an **identifier** after normalisation (phone to E.164, VRM without spaces, PNC,
  postcode, email, reference numbers, an exact address) or a postcode district;
- as **free text** over reports, descriptions, addresses and other text (every word).

Hits are grouped by canonical entity (resolution's clusters; an unclustered source
entity is its own canonical entity) and ranked by their best reading. Only index rows
and entities the viewer may see take part, so hidden items change neither the hits nor
the totals nor the facets (ACC-3). Each search writes one consultation entry listing the
ids returned (LOG-2) with the encoded query text and counts, never matched values.

Cost: a two-word name query reads one range of the pair rows, which carry what the
total, the facets and the ranking need; the database weighs and counts the hits there
and hands back only the counts and the first hits of each score, so a common name's
thousands of hits cost about a microsecond each; only the page's hits read their index
rows again (for the reasons) and their values (for the captions). Hits that are
resolved people (members in a cluster) are read in full from the index rows, as are
the hits of other name queries.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from typing import Any

import jellyfish

from clearsight.errors import InvalidData, Problem
from clearsight.governance.audit import encode_field
from clearsight.governance.context import Context
from clearsight.governance.gateway import Governance, Operation
from clearsight.governance.markings import Marking, combine
from clearsight.ontology import load_model
from clearsight.search import keys as k
from clearsight.search.captions import captions as caption_map
from clearsight.store import search_index as si

#: weights of each kind of match (a hit's score is its best reading, 0 to 1)
WEIGHTS = {"identifier": 1.0, "exact": 1.0, "phonetic": 0.75, "initial": 0.6, "district": 0.5, "text": 0.45}
FUZZY_BASE = 0.5
NAME_KINDS = ("name", "phonetic", "initial")
FILTER_KINDS = ("date", "district", "lsoa")
LIMITS = (
    "Name matching folds case, accents and punctuation; near spellings are within one edit "
    "(two for words of 8+ letters) of a spelling in the index; phonetic codes are Metaphone, "
    "tuned for English. Date filters apply to dated records (events, reports) only. "
    "Scores rank hits within this search and are not probabilities."
)


@dataclass(frozen=True)
class Reason:
    """Why a hit matched: which field, which kind of match, for which query word."""

    field: str
    label: str
    match: str
    term: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "label": self.label, "match": self.match, "term": self.term}


@dataclass(frozen=True)
class SearchHit:
    """One canonical entity found, with its visible members and the reasons it matched."""

    id: str
    schema: str
    caption: str
    score: float
    reasons: tuple[Reason, ...]
    members: tuple[str, ...]
    sources: tuple[str, ...]
    marking: str = "OFFICIAL"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "marking": self.marking,
            "schema": self.schema,
            "caption": self.caption,
            "score": self.score,
            "reasons": [r.as_dict() for r in self.reasons],
            "members": list(self.members),
            "sources": list(self.sources),
        }


@dataclass(frozen=True)
class SearchResults:
    """A page of hits, the total over all visible hits, facets and the explanation."""

    query: str
    total: int
    hits: tuple[SearchHit, ...]
    facets: dict[str, dict[str, int]]
    index: dict[str, Any] = field(default_factory=dict)
    limits: str = LIMITS
    marking: str = "OFFICIAL"

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "marking": self.marking,
            "total": self.total,
            "hits": [h.as_dict() for h in self.hits],
            "facets": self.facets,
            "index": self.index,
            "limits": self.limits,
        }


class _Hit:
    """A canonical entity found so far: its best score, why, and via which sources.

    Slotted and built positionally: a common name makes thousands per search.
    """

    __slots__ = ("matched_sources", "reasons", "schema", "score")

    def __init__(self, schema: str, score: float = 0.0, source: str | None = None) -> None:
        self.schema = schema
        self.score = score
        self.reasons: dict[tuple[str, str, str], float] = {}
        self.matched_sources: set[str] = {source} if source is not None else set()

    def add(self, score: float, prop: str, match: str, term: str, source: str) -> None:
        self.score = max(self.score, score)
        key = (prop, match, term)
        self.reasons[key] = max(self.reasons.get(key, 0.0), score)
        self.matched_sources.add(source)


# -- the index -------------------------------------------------------------------------------
def refresh_index(gov: Governance, ctx: Context, entity_ids: Sequence[str] | None = None) -> si.RefreshReport:
    """Re-derive the search index for ``entity_ids`` (after an ingest or erasure), or all of it.

    Ingest, resolution and erasure call this with the ids they touched; with no ids the
    index is rebuilt from every current statement. One audit entry ("alteration").
    """
    ids = None if entity_ids is None else sorted(set(entity_ids))
    with gov.operation(ctx, "alteration", "search.index", component="search") as op:
        report = op.write(si.refresh, derive=k.derive, entity_ids=ids)
        if ids is not None:
            op.record(ids)
        op.note(full=report.full, entities=report.entities, keys=report.keys, texts=report.texts)
    return report


def update_index(gov: Governance, ctx: Context) -> dict[str, Any]:
    """Bring the index up to date with the stored data now, as the next search otherwise
    would (after a large ingest or resolution, so that the first search is not the one
    that waits). Says what was done. One audit entry ("alteration")."""
    with gov.operation(ctx, "alteration", "search.index", component="search") as op:
        return _ensure_fresh(op)


def _ensure_fresh(op: Operation) -> dict[str, Any]:
    """Bring the index up to date inside ``op`` if the stored data moved since it was built.

    One query reads the data version (primary-key and index reads only) and, with the
    index state, decides; only when the data moved are the statements' high-water mark,
    the changed entities and those with a statement re-marked in place read.
    """
    state = op.write(si.index_state)
    version = si.version_text(op.write(si.data_version))
    if state.get("built") != "yes":
        report = op.write(si.refresh, derive=k.derive, entity_ids=None)
        return {"refreshed": "full", "entities": report.entities}
    if state.get("version") == version:
        return {"refreshed": "no"}
    current = op.write(si.statements_high_water)
    changed = []
    if current > state.get("high_water", ""):
        changed = op.write(si.changed_since, high_water=state.get("high_water", ""))
    # statements re-marked in place (queued by the store) are re-derived too
    changed += op.write(si.pending)
    done = op.write(si.refresh, derive=k.derive, entity_ids=changed) if changed else None
    # canonical entities whose cluster rows moved get their cluster pairs re-derived (after
    # their members' own pairs, and once: those the refresh just did are skipped)
    regrouped = op.write(si.refresh_clusters, skip=done.canonicals if done else ())
    if done is not None:
        return {"refreshed": "incremental", "entities": done.entities}
    op.write(si.mark_version, version=version)
    return {"refreshed": "clusters" if regrouped else "no"}


# -- reading the query -------------------------------------------------------------------------
def _fuzzy_limit(token: str) -> int:
    return 2 if len(token) >= 8 else 1


def _token_options(op: Operation, token: str) -> list[tuple[str, str, float, str]]:
    """(kind, key, weight, match) readings of one query word as part of a name."""
    if len(token) == 1:
        return [("initial", token, WEIGHTS["initial"], "initial")]
    options = [("name", token, WEIGHTS["exact"], "exact")]
    code = k.phonetic(token)
    if code:
        options.append(("phonetic", code, WEIGHTS["phonetic"], "phonetic"))
    if len(token) >= 4:
        for term in op.run(si.fuzzy_terms, token=token):
            if term == token:
                continue
            if jellyfish.damerau_levenshtein_distance(term, token) <= _fuzzy_limit(token):
                weight = round(FUZZY_BASE + 0.4 * jellyfish.jaro_winkler_similarity(term, token), 4)
                options.append(("name", term, min(weight, 0.9), "fuzzy"))
    return options


def _best(options: list[tuple[str, str, float, str]], kind: str, key: str) -> tuple[float, str] | None:
    best: tuple[float, str] | None = None
    for o_kind, o_key, weight, match in options:
        if o_kind == kind and o_key == key and (best is None or weight > best[0]):
            best = (weight, match)
    return best


def _finders(readings: dict[tuple[str, str], tuple[float, str]]) -> list[tuple[str, str]]:
    """The pairs that find every entity carrying any of a word's readings.

    The index gives each name token its phonetic code too, so a spelling whose code is
    among the readings needs no lookup of its own to find candidates.
    """
    codes = {key for kind, key in readings if kind == "phonetic"}
    return sorted(
        (kind, key) for kind, key in readings if not (kind == "name" and (k.phonetic(key) or None) in codes)
    )


def _seekers(readings: dict[tuple[str, str], tuple[float, str]]) -> list[tuple[str, str]]:
    """A word's readings as phonetic codes and initials (what the pair index holds).

    An entity carrying a spelling carries its code too, so the codes find every entity
    the readings do; empty when some spelling has no code (the word is not paired).
    """
    out: set[tuple[str, str]] = set()
    for kind, key in readings:
        if kind == "name":
            code = k.phonetic(key)
            if not code:
                return []
            out.add(("phonetic", code))
        else:
            out.add((kind, key))
    return sorted(out)


def _name_channel(
    op: Operation,
    tokens: list[str],
    hits: dict[str, _Hit],
    schema: list[str] | None,
    source: list[str] | None,
    top: int | None,
) -> _NameQuery:
    """Canonical entities with every query word in some visible name (one query for all words).

    A query of two words that pair is answered from the pair rows: the hits, in no cluster
    or resolved people (whose words may meet in different members), are counted, faceted
    and scored there, and only the first ``top`` of each score (the page is among them;
    all when ``None``) and those already in ``hits`` come back (:class:`_NameQuery`); the
    page's hits are read again for their reasons (:func:`_explain`). Every other name
    query reads its hits in full into ``hits``.
    """
    plans = [(tok, _token_options(op, tok)) for tok in tokens]
    # per word: (kind, key) -> best (weight, match) among its readings
    readings: list[dict[tuple[str, str], tuple[float, str]]] = []
    for _tok, options in plans:
        best: dict[tuple[str, str], tuple[float, str]] = {}
        for kind, key, weight, match in options:
            if (kind, key) not in best or weight > best[(kind, key)][0]:
                best[(kind, key)] = (weight, match)
        readings.append(best)
    words = [sorted(r) for r in readings]
    seek = [_seekers(r) for r in readings]
    found = _NameQuery(tokens=tokens, readings=readings, words=words, schema=schema, source=source)
    # other readings' hits are asked for by id, unless there are so many that every hit is read
    known = list(hits) if len(hits) <= KNOWN_BY_ID else []
    if top is not None and len(hits) > KNOWN_BY_ID:
        top = None
    got = op.run(si.pair_hits, seek=seek, weights=[_weights(r) for r in readings],
                 top=None if top is None else top + len(known), known=known, schema=schema, source=source)
    if got is None:
        rows = op.run(si.name_hits, words=words, narrow=[_finders(r) for r in readings], seek=seek,
                      schema=schema, source=source)
        _add_name_rows(rows, found, hits)
        return found
    size = len(tokens)
    for (sch, src), n in got.counts.items():
        found.by_schema[sch] += n
        found.by_source[src] += n
    found.by_schema.update(got.cluster_counts)
    found.by_source.update(got.cluster_sources)
    for h in got.hits:
        found.scored[h.entity_id] = (round((h.first + h.second) / size, 4), h.schema, (h.source,))
    for c in got.cluster_hits:
        found.scored[c.canonical_id] = (round((c.first + c.second) / size, 4), c.schema, c.sources)
    _merge_scored(found, hits, [cid for cid in hits if cid in found.scored])
    return found


#: other readings' hits asked of the pair rows by id, at most (past it, every hit is read)
KNOWN_BY_ID = 500


def _weights(best: dict[tuple[str, str], tuple[float, str]]) -> si.WordWeights:
    """What a pair row's key is worth to a word: spellings by their code and token, codes
    and initials by themselves (the same weights :func:`_add_name_rows` gives index rows)."""
    by_term: dict[tuple[str, str], float] = {}
    by_key: dict[str, float] = {}
    for (kind, key), (weight, _match) in best.items():
        if kind == "name":
            code = k.phonetic(key)
            if code:
                by_term[(si.pair_key("phonetic", code), key)] = weight
        else:
            pk = si.pair_key(kind, key)
            by_key[pk] = max(weight, by_key.get(pk, 0.0))
    return si.WordWeights(by_term=by_term, by_key=by_key)


@dataclass
class _NameQuery:
    """A name query's words read as index keys, and the hits scored from the pair rows."""

    tokens: list[str]
    readings: list[dict[tuple[str, str], tuple[float, str]]]
    words: list[list[tuple[str, str]]]
    schema: list[str] | None
    source: list[str] | None
    #: schema -> how many hits scored from the pair rows are not in the hits (thousands for
    #: a common name: counted in the database, never listed), and source -> how many of
    #: them came through it (a resolved person through each source that matched)
    by_schema: Counter[str] = field(default_factory=Counter)
    by_source: Counter[str] = field(default_factory=Counter)
    #: canonical id -> (score, schema, sources) of the listed hits scored from the pair
    #: rows, not yet in the hits: the first of each score, the page among them
    scored: dict[str, tuple[float, str, tuple[str, ...]]] = field(default_factory=dict)
    #: pair-scored hits moved into the hits whose name reasons are still to read
    explain: set[str] = field(default_factory=set)


def _add_name_rows(rows: Sequence[si.NameHit], found: _NameQuery, hits: dict[str, _Hit]) -> None:
    """Add the canonical entities whose visible index rows meet every word, with the reasons."""
    tokens, readings = found.tokens, found.readings
    # per canonical: per word -> (weight, prop, match)
    per_canonical: dict[str, dict[int, tuple[float, str, str]]] = defaultdict(dict)
    schemas: dict[str, str] = {}
    sources: dict[str, set[str]] = defaultdict(set)
    # (kind, key) -> the words it is a reading of, with its (weight, match) for each
    meets: dict[tuple[str, str], list[tuple[int, float, str]]] = defaultdict(list)
    for n, best in enumerate(readings):
        for pair, (weight, match) in best.items():
            meets[pair].append((n, weight, match))
    for r in rows:
        per_word = per_canonical[r.canonical_id]
        for n, weight, match in meets.get((r.kind, r.key), ()):
            current = per_word.get(n)
            if current is None or weight > current[0] or (weight == current[0] and r.prop < current[1]):
                per_word[n] = (weight, r.prop, match)
        schemas[r.canonical_id] = r.schema
        sources[r.canonical_id].add(r.source)
    for canonical, per_word in per_canonical.items():
        if len(per_word) < len(tokens):
            continue
        score = round(sum(w for w, _, _ in per_word.values()) / len(tokens), 4)
        hit = hits.setdefault(canonical, _Hit(schema=schemas[canonical]))
        hit.score = max(hit.score, score)
        for n, (weight, prop, match) in per_word.items():
            reason = (prop, match, tokens[n])
            hit.reasons[reason] = max(hit.reasons.get(reason, 0.0), weight)
        hit.matched_sources.update(sources[canonical])


def _merge_scored(found: _NameQuery | None, hits: dict[str, _Hit], ids: Iterable[str]) -> None:
    """Move the pair-scored hits among ``ids`` into ``hits`` (merged with what other readings found)."""
    if found is None:
        return
    for cid in ids:
        got = found.scored.pop(cid, None)
        if got is None:
            continue
        score, schema, sources = got
        found.by_schema[schema] -= 1
        found.by_source.subtract(sources)
        hit = hits.get(cid)
        if hit is None:
            hit = hits[cid] = _Hit(schema, score)
        else:
            hit.score = max(hit.score, score)
        hit.matched_sources.update(sources)
        found.explain.add(cid)


def _explain(op: Operation, found: _NameQuery | None, page_ids: Sequence[str], hits: dict[str, _Hit]) -> None:
    """Read the reasons of the page's hits that were scored from the pair rows."""
    if found is None:
        return
    ids = [cid for cid in page_ids if cid in found.explain]
    if ids:
        rows = op.run(si.name_hits, words=found.words, schema=found.schema, source=found.source, canonical_ids=ids)
        _add_name_rows(rows, found, hits)


def _identifier_channel(
    op: Operation, query: str, hits: dict[str, _Hit], schema: list[str] | None, source: list[str] | None
) -> None:
    readings = k.query_identifiers(query)
    if not readings:
        return
    labels = {(kind, key): type_name for kind, key, type_name in readings}
    rows = op.run(si.key_hits, pairs=[(kind, key) for kind, key, _ in readings], schema=schema, source=source)
    for r in rows:
        match = "district" if r.kind == "district" else "identifier"
        term = labels.get((r.kind, r.key), r.kind)
        hits.setdefault(r.canonical_id, _Hit(schema=r.schema)).add(WEIGHTS[match], r.prop, match, term, r.source)


def _text_channel(
    op: Operation, tokens: list[str], hits: dict[str, _Hit], schema: list[str] | None, source: list[str] | None
) -> None:
    rows = op.run(si.text_hits, tokens=tokens, schema=schema, source=source)
    for r in rows:
        hits.setdefault(r.canonical_id, _Hit(schema=r.schema)).add(WEIGHTS["text"], r.prop, "text", " ".join(tokens), r.source)


def _apply_filters(
    op: Operation, hits: dict[str, _Hit], since: str | None, until: str | None, area: str | None
) -> dict[str, _Hit]:
    if not (since or until or area):
        return hits
    mem = op.run(si.members, canonical_ids=sorted(hits))
    rows = op.run(si.keys_of, entity_ids=[m.entity_id for m in mem], kinds=FILTER_KINDS)
    dated: dict[str, list[str]] = defaultdict(list)
    areas: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        if r.kind == "date":
            dated[r.canonical_id].append(r.key)
        else:
            areas[r.canonical_id].add(r.key)
    low = k.day_key(since) if since else None
    high = k.day_key(until) if until else None
    wanted_area = area.replace(" ", "").upper() if area else None
    out: dict[str, _Hit] = {}
    for canonical, hit in hits.items():
        if low or high:
            days = dated.get(canonical, [])
            if not any((low is None or d >= low) and (high is None or d <= high) for d in days):
                continue
        if wanted_area and wanted_area not in areas.get(canonical, set()):
            continue
        out[canonical] = hit
    return out


def _marking_of(op: Operation, members: Sequence[Any], known: dict[tuple[str, ...], Marking]) -> Marking:
    """The highest marking of a hit's visible member records (ACC-4).

    ``known`` holds the markings already combined in this search, by the set of marking
    ids (a page of hits mostly shares a handful).
    """
    ids = tuple(sorted({m.marking_id for m in members}))
    if ids not in known:
        known[ids] = combine(op.marking(i) for i in ids) if ids else Marking()
    return known[ids]


@lru_cache(maxsize=1)
def _labels() -> dict[tuple[str, str], str]:
    """(schema, property) -> the property's label, for the reasons of hits."""
    return {(s.name, p.name): p.label for s in load_model().entities for p in s.properties.values()}


def search(
    gov: Governance,
    ctx: Context,
    query: str,
    *,
    schema: Sequence[str] | None = None,
    source: Sequence[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    area: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> SearchResults:
    """Search canonical entities the viewer may see; see the module docstring.

    Args:
        gov: governance of the workspace.
        ctx: the viewer, with a purpose.
        query: names, an identifier typed any way, an address or postcode, or words.
        schema: only entities of these schemata.
        source: only via source records from these sources.
        since: only dated records on or after this date (ISO, partial allowed).
        until: only dated records on or before this date.
        area: only entities with a visible value in this LSOA or postcode district.
        limit: hits per page.
        offset: hits to skip.

    Returns:
        The page of hits, the total, facets by schema and source, and the explanation.
    """
    if not query or not query.strip():
        raise InvalidData("nothing to search for", [Problem("give a name, an identifier, an address or words", field="query")])
    if limit < 1 or offset < 0:
        raise InvalidData("bad page", [Problem("limit must be at least 1 and offset at least 0", field="limit")])
    schemas = list(schema) if schema else None
    sources = list(source) if source else None
    tokens = k.name_tokens(query)
    labels = _labels()
    with gov.operation(ctx, "consultation", "search", component="search") as op:
        index = _ensure_fresh(op)
        hits: dict[str, _Hit] = {}
        _identifier_channel(op, query, hits, schemas, sources)
        if tokens:
            _text_channel(op, tokens, hits, schemas, sources)
        name_words = k.query_name_tokens(query)
        named: _NameQuery | None = None
        filtered = bool(since or until or area)
        if name_words and all(tok.isalpha() for tok in name_words):
            # the name readings come last: they are told which hits the others found
            named = _name_channel(op, name_words, hits, schemas, sources, None if filtered else offset + limit)
        scored = named.scored if named is not None else {}
        by_schema = named.by_schema if named is not None else Counter()
        by_source = named.by_source if named is not None else Counter()
        if filtered:
            _merge_scored(named, hits, list(scored))  # the filters read every hit's keys
        hits = _apply_filters(op, hits, since, until, area)
        total = len(hits) + sum(by_schema.values())
        ranked = heapq.nsmallest(
            offset + limit,
            chain(((-h.score, cid) for cid, h in hits.items()), ((-v[0], cid) for cid, v in scored.items())),
        )
        page_ids = [cid for _, cid in ranked[offset:]]
        facets = {"schema": Counter(h.schema for h in hits.values()),
                  "source": Counter(src for h in hits.values() for src in h.matched_sources)}
        facets["schema"].update(by_schema)
        facets["source"].update(by_source)
        facets_out = {name: dict(sorted((key, n) for key, n in v.items() if n)) for name, v in facets.items()}
        _merge_scored(named, hits, page_ids)
        _explain(op, named, page_ids, hits)
        captions, members = caption_map(op, page_ids) if page_ids else ({}, {})
        page: list[SearchHit] = []
        hit_marks: dict[str, Marking] = {}
        combined: dict[tuple[str, ...], Marking] = {}
        for cid in page_ids:
            hit = hits[cid]
            reasons = sorted(hit.reasons.items(), key=lambda kv: (-kv[1], kv[0]))
            page.append(
                SearchHit(
                    id=cid,
                    schema=hit.schema,
                    caption=captions.get(cid, ""),
                    score=round(hit.score, 4),
                    reasons=tuple(
                        Reason(field=p, label=labels.get((hit.schema, p), p), match=m, term=term)
                        for (p, m, term), _ in reasons
                    ),
                    members=tuple(m.entity_id for m in members.get(cid, [])),
                    sources=tuple(sorted({m.source for m in members.get(cid, [])})),
                    marking=hit_marks.setdefault(cid, _marking_of(op, members.get(cid, []), combined)).label(),
                )
            )
        op.record(page_ids)
        op.record(m for h in page for m in h.members)
        op.note(
            query=encode_field(query),
            total=total,
            returned=len(page),
            filters={
                k2: v
                for k2, v in {"schema": schemas, "source": sources, "since": since, "until": until, "area": area}.items()
                if v
            },
            index=index["refreshed"],
        )
    page_marking = combine(set(hit_marks.values())) if hit_marks else Marking()
    return SearchResults(query=query, total=total, hits=tuple(page), facets=facets_out, index=index,
                         marking=page_marking.label())


__all__ = ["Reason", "SearchHit", "SearchResults", "refresh_index", "search", "update_index"]
