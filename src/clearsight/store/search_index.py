"""The search index in the store: maintenance and governed lookups, on SQLite and PostgreSQL.

The index is derived from current statements and holds no fact that is not in them:

- ``search_keys``: one row per (entity, property, kind, key), where kind is ``name``
  (a folded name token), ``phonetic``, ``initial``, ``ident`` (an identifier's match key),
  ``district`` (postcode outward code), ``lsoa`` or ``date``. Each row keeps the marking
  of the statement it came from, so a lookup sees only what the viewer may see.
- ``search_text``: folded free text (FTS5 on SQLite, ``tsvector`` + GIN on PostgreSQL).
- ``search_pairs``: every unordered pair of an entity's phonetic codes and initials
  (``p:SM0``, ``i:j``), and ``search_cluster_pairs`` the same over the union of the
  members' keys of each canonical entity in ``clusters`` (the words may meet in
  different members): a name query of two or more words finds its candidates with one
  seek on a pair of its words instead of intersecting two long posting lists. A
  ``search_pairs`` row also carries the token behind each code, the marking of the
  statement behind each key and its entity's marking, state, schema and source; a
  cluster pair row carries the same for each of its two sides (the member behind each
  key). So a two-word query counts, facets and scores its hits, in no cluster or
  resolved, from one range of each table (:func:`pair_hits`), with the viewer's
  visibility on every marking and state in the row; the refresh keeps them current, a
  trigger queues an entity re-marked or changed in state, and ``search_cluster_members``
  records the membership the cluster rows were derived from.
- ``search_vocab`` and ``search_vocab_deletions``: the distinct name tokens, for fuzzy
  candidates (pg_trgm similarity on PostgreSQL, single-deletion keys on SQLite). They say
  only which spellings exist; every candidate is then looked up through ``search_keys``
  with the viewer's visibility, so a hidden spelling never yields a hit.

How values become keys is decided by the search capability and handed in as a function
(:data:`Derive`), so this module holds only SQL. Lookups take a :class:`Visibility` and
filter both the index row's marking and its entity's marking and state.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    delete,
    func,
    insert,
    intersect,
    or_,
    select,
    text,
    tuple_,
    union_all,
)

from clearsight.store import tables as t
from clearsight.store.visibility import Visibility
from clearsight.store.writes import bulk_insert

_CHUNK = 500
_BATCH = 5000


@dataclass(frozen=True)
class Derived:
    """What one property value contributes to the index."""

    keys: list[tuple[str, str]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    #: (phonetic code, the name token that has it) for each phonetic key: what the pair
    #: rows carry so that a name query's hits are scored from the pairs alone
    spellings: list[tuple[str, str]] = field(default_factory=list)


#: (entity schema, property, value) -> what to index
Derive = Callable[[str, str, str], Derived]


@dataclass(frozen=True)
class RefreshReport:
    """What a refresh did."""

    full: bool
    entities: int
    keys: int
    texts: int
    high_water: str
    #: the canonical entities whose cluster pairs were re-derived (all, on a full rebuild)
    canonicals: tuple[str, ...] = ()


@dataclass(frozen=True)
class KeyHit:
    """A visible index row that matched, with its entity's canonical id."""

    entity_id: str
    canonical_id: str
    schema: str
    source: str
    prop: str
    kind: str
    key: str


@dataclass(frozen=True)
class TextHit:
    """A visible free-text row that matched."""

    entity_id: str
    canonical_id: str
    schema: str
    source: str
    prop: str


@dataclass(frozen=True)
class Member:
    """A visible source entity of a canonical entity."""

    entity_id: str
    canonical_id: str
    schema: str
    source: str
    marking_id: str


def _chunks(ids: Sequence[str], size: int = _CHUNK) -> Iterator[Sequence[str]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _marks(visible: Visibility) -> list[str]:
    return sorted(visible.marking_ids)


def state_in(column: Any, states: Iterable[str]) -> Any:
    """``column IN states``, written so that no planner picks the index on ``state``.

    Almost every record is ``active``, so that index only helps to find the few that are
    not; unanalysed SQLite would otherwise take it as selective and scan every active
    row instead of using the primary key or the index the query is really about.
    """
    return func.coalesce(column, "").in_(sorted(states))


def _canonical() -> Any:
    return func.coalesce(t.clusters.c.canonical_id, t.entities.c.id)


# -- state and staleness -------------------------------------------------------------------
def statements_high_water(conn: Connection) -> str:
    """The newest ``last_seen`` among statements: the index is stale when this moves."""
    value: Any = conn.execute(select(func.max(t.statements.c.last_seen))).scalar_one()
    return str(value or "")


_VERSION_SQL = (
    "SELECT (SELECT value FROM search_state WHERE name = 'data_version'), "
    "(SELECT value FROM search_state WHERE name = 'marking_version'), "
    "(SELECT max(last_seen) FROM statements), "
    "(SELECT max(last_seen) FROM entities), "
    "(SELECT max(last_seen) FROM links), "
    "(SELECT max(updated_at) FROM clusters), "
    # non-active records, counted over index ranges that skip every active row
    "(SELECT count(*) FROM entities WHERE state > 'active'), "
    "(SELECT count(*) FROM entities WHERE state > 'erased'), "
    "(SELECT count(*) FROM entities WHERE state < 'active'), "
    "(SELECT count(*) FROM links WHERE state > 'active'), "
    "(SELECT count(*) FROM links WHERE state > 'erased'), "
    "(SELECT count(*) FROM links WHERE state < 'active')"
)


def data_version(conn: Connection) -> dict[str, Any]:
    """The version of the stored data, in one round trip over primary keys and indexes.

    ``token`` is the writers' version row (moved by every ingest and resolution write,
    :func:`clearsight.store.writes.bump_data_version`); the newest ``last_seen`` /
    ``updated_at`` and the counts of non-active records (states other than ``active``,
    split so that a restriction turning into an erasure shows) catch writes that bypass
    the writers. ``markings`` is moved by the store itself (a trigger) whenever a record's
    marking changes in place, by whatever writer. Any change to stored records moves at
    least one of them.
    """
    r = conn.exec_driver_sql(_VERSION_SQL).one()
    return {
        "token": str(r[0] or ""),
        "markings": str(r[1] or ""),
        "statements": str(r[2] or ""),
        "entities": str(r[3] or ""),
        "links": str(r[4] or ""),
        "clusters": str(r[5] or ""),
        "inactive": [int(x or 0) for x in r[6:]],
    }


def version_text(version: dict[str, Any]) -> str:
    """A data version as one comparable string (stored in the index state)."""
    return json.dumps(version, sort_keys=True, separators=(",", ":"))


def index_state(conn: Connection) -> dict[str, str]:
    """The stored state of the index (``high_water`` and ``built_at`` once built)."""
    return {r[0]: r[1] for r in conn.execute(select(t.search_state.c.name, t.search_state.c.value))}


def _set_state(conn: Connection, values: dict[str, str]) -> None:
    conn.execute(delete(t.search_state).where(t.search_state.c.name.in_(list(values))))
    conn.execute(insert(t.search_state), [{"name": k, "value": v} for k, v in values.items()])


def mark_version(conn: Connection, *, version: str) -> None:
    """Note that the index is current for the data at ``version`` (nothing it reads moved)."""
    _set_state(conn, {"version": version})


def changed_since(conn: Connection, high_water: str) -> list[str]:
    """Ids of entities with a statement seen after ``high_water``."""
    s = t.statements
    q = select(s.c.entity_id).where(s.c.last_seen > high_water).distinct()
    return sorted(r[0] for r in conn.execute(q))


def pending(conn: Connection) -> list[str]:
    """Ids of entities with a statement re-marked in place since the index last saw them."""
    return sorted(r[0] for r in conn.execute(select(t.search_pending.c.entity_id)))


# -- maintenance ---------------------------------------------------------------------------
def _delete_entities(conn: Connection, entity_ids: Sequence[str]) -> None:
    ids = list(entity_ids)
    sqlite = conn.dialect.name == "sqlite"
    for chunk in _chunks(ids):
        conn.execute(delete(t.search_keys).where(t.search_keys.c.entity_id.in_(chunk)))
        conn.execute(delete(t.search_pairs).where(t.search_pairs.c.entity_id.in_(chunk)))
        if not sqlite:
            conn.execute(
                text("DELETE FROM search_text WHERE entity_id IN :ids").bindparams(bindparam("ids", expanding=True)),
                {"ids": list(chunk)},
            )
    if sqlite and ids:
        # FTS5 keeps entity_id unindexed, so any delete by it reads the whole table: one
        # statement for all the ids (a JSON array) reads it once, not once per chunk
        conn.exec_driver_sql(
            "DELETE FROM search_text WHERE entity_id IN (SELECT value FROM json_each(?))", (json.dumps(ids),)
        )


def _clear(conn: Connection) -> None:
    conn.execute(delete(t.search_keys))
    conn.execute(delete(t.search_pairs))
    conn.execute(delete(t.search_cluster_pairs))
    conn.execute(delete(t.search_cluster_members))
    conn.execute(text("DELETE FROM search_text"))
    conn.execute(delete(t.search_vocab_deletions))
    conn.execute(delete(t.search_vocab))


def _deletions(term: str) -> set[str]:
    out = {term}
    if len(term) > 3:
        out.update(term[:i] + term[i + 1 :] for i in range(len(term)))
    return out


def _insert_many(conn: Connection, sql: str, rows: Sequence[tuple[str, ...]]) -> None:
    """One statement for many rows of plain values, through the driver (no per-row
    parameter processing); ``?`` markers are rewritten for psycopg."""
    if rows:
        conn.exec_driver_sql(sql.replace("?", "%s") if conn.dialect.name == "postgresql" else sql, list(rows))


#: key kinds that take part in pairs, and their prefix in ``search_pairs``
PAIR_KINDS = {"phonetic": "p", "initial": "i"}


def pair_key(kind: str, key: str) -> str:
    """How a (phonetic or initial) key is written in the pair tables: ``p:SM0``, ``i:j``."""
    return f"{PAIR_KINDS[kind]}:{key}"


#: an entity's pairable key as the pair rows hold it: (pair key, the name token behind a
#: phonetic code or '' for an initial, the marking of the statement it came from)
PairKey = tuple[str, str, str]
#: what a pair row says of its entity: (entity id, marking id, state, schema, source)
PairOwner = tuple[str, str, str, str, str]


def _pair_rows(owner: PairOwner, keys: Iterable[PairKey]) -> list[tuple[str, ...]]:
    """The ``search_pairs`` rows of one entity: every two of its keys with different pair keys."""
    entity, marking, state, schema, source = owner
    return [
        (x[0], y[0], entity, x[1], y[1], x[2], y[2], marking, state, schema, source)
        for x, y in combinations(sorted(set(keys)), 2)
        if x[0] != y[0]
    ]


#: the columns of a ``search_pairs`` row as :func:`_pair_rows` makes it
_PAIR_COLUMNS = ("a", "b", "entity_id", "a_term", "b_term", "a_marking_id", "b_marking_id", "marking_id", "state", "schema", "source")


def _write(
    conn: Connection,
    keys: list[tuple[str, ...]],
    texts: list[tuple[str, ...]],
    terms: set[str],
    pairs: Sequence[tuple[str, ...]] = (),
) -> None:
    # new rows only (an entity's keys and pairs were deleted first, and come in one run of
    # its statements): the driver's bulk path, COPY on PostgreSQL
    bulk_insert(conn, "search_keys", ("entity_id", "prop", "kind", "key", "marking_id"), keys)
    bulk_insert(conn, "search_pairs", _PAIR_COLUMNS, pairs)
    _insert_many(conn, "INSERT INTO search_text (entity_id, prop, marking_id, body) VALUES (?, ?, ?, ?)", texts)
    if terms:
        ordered = sorted(terms)
        _insert_many(conn, "INSERT INTO search_vocab (term) VALUES (?) ON CONFLICT DO NOTHING", [(x,) for x in ordered])
        if conn.dialect.name != "postgresql":
            rows = [(d, x) for x in ordered for d in sorted(_deletions(x))]
            _insert_many(conn, "INSERT INTO search_vocab_deletions (deletion, term) VALUES (?, ?) ON CONFLICT DO NOTHING", rows)


def _statement_rows(conn: Connection, entity_ids: Sequence[str] | None) -> Iterable[Any]:
    s = t.statements
    e = t.entities
    q = (
        select(s.c.entity_id, e.c.schema, s.c.prop, s.c.value, s.c.marking_id, e.c.marking_id, e.c.state, e.c.source)
        .join(e, e.c.id == s.c.entity_id)
        .where(s.c.superseded_by.is_(None))
        .where(func.coalesce(t.entities.c.state, "") != "erased")
    )
    if entity_ids is None:
        yield from conn.execute(q.order_by(s.c.entity_id).execution_options(yield_per=_BATCH))
        return
    for chunk in _chunks(list(entity_ids)):
        yield from conn.execute(q.where(s.c.entity_id.in_(chunk)).order_by(s.c.entity_id))


def refresh(conn: Connection, *, derive: Derive, entity_ids: Sequence[str] | None = None) -> RefreshReport:
    """Rebuild the index for ``entity_ids`` (incremental), or all of it when ``None``.

    Erased entities are dropped from the index (DSR-6); restricted ones stay indexed
    but lookups never return them to a viewer without the restricted state.
    """
    high_water = statements_high_water(conn)
    version = version_text(data_version(conn))
    full = entity_ids is None
    if full:
        _clear(conn)
        conn.execute(delete(t.search_pending))
    else:
        entity_ids = sorted(set(entity_ids or []) | set(pending(conn)))
        _delete_entities(conn, entity_ids)
        for chunk in _chunks(entity_ids):
            conn.execute(delete(t.search_pending).where(t.search_pending.c.entity_id.in_(chunk)))
    # read before the rebuild reads clusters, so that a write during it is caught next time
    clusters_seen = _clusters_mark(conn) if full else {}
    keys: list[tuple[str, ...]] = []
    texts: list[tuple[str, ...]] = []
    terms: set[str] = set()
    pairs: list[tuple[str, ...]] = []
    seen: set[str] = set()
    n_keys = n_texts = 0
    cache: dict[tuple[str, str, str], Derived] = {}
    # the statements come entity by entity: an entity's pair keys are complete when the next starts
    owner: PairOwner = ("", "", "", "", "")
    paired: set[PairKey] = set()
    for entity_id, schema, prop, value, marking_id, e_marking, e_state, e_source in _statement_rows(conn, entity_ids):
        if entity_id != owner[0]:
            pairs.extend(_pair_rows(owner, paired))
            owner, paired = (entity_id, e_marking, e_state or "", schema, e_source), set()
        seen.add(entity_id)
        ck = (schema, prop, value)
        got = cache.get(ck)
        if got is None:
            got = derive(schema, prop, value)
            if len(cache) < 200_000:
                cache[ck] = got
        for kind, key in dict.fromkeys(got.keys):
            keys.append((entity_id, prop, kind, key, marking_id))
            if kind == "initial":
                paired.add((pair_key(kind, key), "", marking_id))
        paired.update((pair_key("phonetic", code), term, marking_id) for code, term in got.spellings)
        for body in got.texts:
            texts.append((entity_id, prop, marking_id, body))
        terms.update(got.terms)
        if len(keys) + len(texts) >= _BATCH:
            n_keys += len(keys)
            n_texts += len(texts)
            _write(conn, keys, texts, terms, pairs)
            keys, texts, terms, pairs = [], [], set(), []
    pairs.extend(_pair_rows(owner, paired))
    n_keys += len(keys)
    n_texts += len(texts)
    _write(conn, keys, texts, terms, pairs)
    c = t.clusters
    touched: set[str] = set()
    if full:
        touched.update(str(r[0]) for r in conn.execute(select(c.c.canonical_id).distinct()))
    else:
        for chunk in _chunks(entity_ids or []):
            q = select(c.c.canonical_id).where(or_(c.c.entity_id.in_(chunk), c.c.canonical_id.in_(chunk))).distinct()
            touched.update(str(r[0]) for r in conn.execute(q))
    _write_cluster_pairs(conn, sorted(touched))
    state = {"high_water": high_water, "version": version}
    if full:
        state["built"] = "yes"
        state.update(clusters_seen)
        if conn.dialect.name == "postgresql":
            # a fresh index has no statistics yet: without them PostgreSQL guesses a dozen
            # rows per key and reads a common key's rows in full instead of a few members'
            conn.exec_driver_sql("ANALYZE search_keys, search_pairs, search_cluster_pairs, search_cluster_members")
    _set_state(conn, state)
    return RefreshReport(full=full, entities=len(seen), keys=n_keys, texts=n_texts, high_water=high_water,
                         canonicals=tuple(sorted(touched)))


def _clusters_mark(conn: Connection) -> dict[str, str]:
    """The index state that tells whether cluster rows moved: the newest row's time, and the
    number of rows (a split or an undo deletes rows, which leaves no time behind)."""
    c = t.clusters
    newest, rows = conn.execute(select(func.max(c.c.updated_at), func.count()).select_from(c)).one()
    return {"clusters_high_water": str(newest or ""), "clusters_rows": str(rows)}


#: a member's pairable key as the cluster pair rows hold it: (pair key, the token behind a
#: phonetic code or '', the statement's marking, member id, member's marking, state, source,
#: schema); sorted, the pair key comes first
_Instance = tuple[str, str, str, str, str, str, str, str]

#: the columns of a ``search_cluster_pairs`` row as :func:`_cluster_pair_rows` makes it
_CLUSTER_PAIR_COLUMNS = (
    "a", "b", "canonical_id", "a_entity_id", "b_entity_id", "a_term", "b_term", "a_marking_id", "b_marking_id",
    "a_entity_marking_id", "b_entity_marking_id", "a_state", "b_state", "a_source", "b_source", "schema",
)


def _cluster_pair_rows(canonical_id: str, instances: Iterable[_Instance]) -> list[tuple[str, ...]]:
    """Every two of a canonical entity's member keys with different pair keys (``a < b``)."""
    return [
        (x[0], y[0], canonical_id, x[3], y[3], x[1], y[1], x[2], y[2], x[4], y[4], x[5], y[5], x[6], y[6], x[7])
        for x, y in combinations(sorted(set(instances)), 2)
        if x[0] != y[0]
    ]


def _member_instances(conn: Connection, canonical_of: dict[str, str]) -> dict[str, set[_Instance]]:
    """canonical id -> its members' pairable keys: the sides of the members' own pair rows,
    and the initials of members with none (a single pairable key makes no pair).

    Read by member id: with a join, or with the key kind in the WHERE clause, SQLite's
    planner (on sampled statistics) starts from the kind and reads every initial row.
    """
    p, k, e = t.search_pairs, t.search_keys, t.entities
    found: dict[str, set[_Instance]] = defaultdict(set)
    for part in _chunks(sorted(canonical_of)):
        own = select(p.c.entity_id, p.c.a, p.c.a_term, p.c.a_marking_id, p.c.b, p.c.b_term, p.c.b_marking_id,
                     p.c.marking_id, p.c.state, p.c.source, p.c.schema).where(p.c.entity_id.in_(part))
        paired: set[str] = set()
        for row in conn.execute(own):
            eid, a, a_term, a_mark, b, b_term, b_mark, mark, state, source, schema = (str(x) for x in row)
            paired.add(eid)
            got = found[canonical_of[eid]]
            got.add((a, a_term, a_mark, eid, mark, state, source, schema))
            got.add((b, b_term, b_mark, eid, mark, state, source, schema))
        # a member with pair rows has every key in them; only the others are read again
        alone = [m for m in part if m not in paired]
        if not alone:
            continue
        owners = {
            str(r[0]): (str(r[1]), str(r[2] or ""), str(r[3]), str(r[4]))
            for r in conn.execute(select(e.c.id, e.c.marking_id, e.c.state, e.c.source, e.c.schema).where(e.c.id.in_(alone)))
        }
        for key_row in conn.execute(select(k.c.entity_id, k.c.kind, k.c.key, k.c.marking_id).where(k.c.entity_id.in_(alone))):
            member, kind, key, key_mark = (str(x) for x in key_row)
            owner = owners.get(member)
            if kind == "initial" and owner is not None:
                found[canonical_of[member]].add((pair_key("initial", key), "", key_mark, member, *owner))
    return found


def _write_cluster_pairs(conn: Connection, canonical_ids: Sequence[str]) -> int:
    """Re-derive the cluster pairs of the canonical entities (see ``search_cluster_pairs``).

    From the members' own pair rows and initials, as the index holds them now, with each
    member's marking, state and source. The canonical entities their members were last
    derived under (a member moved from another cluster) are re-derived too, so no pairs of
    a member stay behind under a cluster it left. Returns how many rows were written.
    """
    c, cp, cm = t.clusters, t.search_cluster_pairs, t.search_cluster_members
    todo = sorted(set(canonical_ids))
    queued = set(todo)
    written = 0
    at = 0
    while at < len(todo):
        chunk = todo[at : at + _CHUNK]
        at += _CHUNK
        canonical_of = {
            str(eid): str(cid) for eid, cid in conn.execute(select(c.c.entity_id, c.c.canonical_id).where(c.c.canonical_id.in_(chunk)))
        }
        # the members' recorded membership goes: under these canonical entities, and under
        # any other one a member was derived under (queued, to lose that member's pairs)
        left: set[str] = set()
        for part in _chunks(sorted(canonical_of)):
            q = select(cm.c.canonical_id).where(cm.c.entity_id.in_(part), cm.c.canonical_id.not_in(chunk)).distinct()
            left.update(str(r[0]) for r in conn.execute(q))
            conn.execute(delete(cm).where(cm.c.entity_id.in_(part)))
        todo.extend(sorted(left - queued))
        queued.update(left)
        conn.execute(delete(cp).where(cp.c.canonical_id.in_(chunk)))
        conn.execute(delete(cm).where(cm.c.canonical_id.in_(chunk)))
        bulk_insert(conn, "search_cluster_members", ("entity_id", "canonical_id"), sorted(canonical_of.items()))
        rows = [row for cid, got in sorted(_member_instances(conn, canonical_of).items()) for row in _cluster_pair_rows(cid, got)]
        bulk_insert(conn, "search_cluster_pairs", _CLUSTER_PAIR_COLUMNS, rows)
        written += len(rows)
    return written


def refresh_clusters(conn: Connection, *, skip: Iterable[str] = ()) -> int:
    """Re-derive the cluster pairs of canonical entities whose cluster rows moved since last seen.

    Resolution writes cluster rows with the time of writing, and the number of rows shows a
    deletion. The canonical entities re-derived are those with a row written since, and
    those a member was derived under but no longer belongs to (taken out, or moved to
    another cluster; one left with no members loses its pairs), but for those in ``skip``
    (just re-derived by :func:`refresh`). Returns how many canonical entities were re-derived.
    """
    state = index_state(conn)
    seen = state.get("clusters_high_water", "")
    mark = _clusters_mark(conn)
    current = mark["clusters_high_water"]
    moved_on = bool(current) and current > seen
    deleted = state.get("clusters_rows") != mark["clusters_rows"]
    if not moved_on and not deleted:
        return 0
    c = t.clusters
    cm = t.search_cluster_members
    canonicals: set[str] = set()
    if moved_on:
        canonicals.update(str(r[0]) for r in conn.execute(select(c.c.canonical_id).where(c.c.updated_at >= seen).distinct()))
    # members recorded under a canonical entity that the cluster rows no longer say
    stale = (
        select(cm.c.canonical_id)
        .select_from(cm.outerjoin(c, c.c.entity_id == cm.c.entity_id))
        .where(or_(c.c.canonical_id.is_(None), c.c.canonical_id != cm.c.canonical_id))
        .distinct()
    )
    canonicals.update(str(r[0]) for r in conn.execute(stale))
    canonicals.difference_update(skip)
    _write_cluster_pairs(conn, sorted(canonicals))
    _set_state(conn, mark)
    return len(canonicals)


# -- governed lookups ------------------------------------------------------------------------
def count_keys(conn: Connection, *, visible: Visibility, pairs: Sequence[tuple[str, str]]) -> int:
    """How many index rows carry any of the (kind, key) pairs, before visibility.

    Used only to order a query's terms by selectivity; never shown to anyone.
    """
    if not pairs:
        return 0
    k = t.search_keys
    cond = or_(*[and_(k.c.kind == kind, k.c.key == key) for kind, key in pairs])
    return int(conn.execute(select(func.count()).select_from(k).where(cond)).scalar_one())


def _hit_query(visible: Visibility) -> Any:
    k = t.search_keys
    e = t.entities
    return (
        select(k.c.entity_id, _canonical(), e.c.schema, e.c.source, k.c.prop, k.c.kind, k.c.key)
        .join(e, e.c.id == k.c.entity_id)
        .outerjoin(t.clusters, t.clusters.c.entity_id == k.c.entity_id)
        .where(k.c.marking_id.in_(_marks(visible)))
        .where(e.c.marking_id.in_(_marks(visible)), state_in(e.c.state, visible.states))
    )


def _entity_filters(q: Any, schema: Sequence[str] | None, source: Sequence[str] | None, table: Any = t.entities) -> Any:
    """``q`` kept to entities of the schemata and sources (columns of ``table``), if given."""
    if schema:
        q = q.where(table.c.schema.in_(list(schema)))
    if source:
        q = q.where(table.c.source.in_(list(source)))
    return q


def key_hits(
    conn: Connection,
    *,
    visible: Visibility,
    pairs: Sequence[tuple[str, str]],
    schema: Sequence[str] | None = None,
    source: Sequence[str] | None = None,
    entity_ids: Sequence[str] | None = None,
) -> list[KeyHit]:
    """Visible index rows carrying any of the (kind, key) pairs (of ``entity_ids`` only, if given)."""
    if not pairs:
        return []
    k = t.search_keys
    by_kind: dict[str, list[str]] = {}
    for kind, key in pairs:
        by_kind.setdefault(kind, []).append(key)
    out: list[KeyHit] = []
    base = _entity_filters(_hit_query(visible), schema, source)
    for kind, keys in sorted(by_kind.items()):
        for chunk in _chunks(sorted(set(keys))):
            q = base.where(k.c.kind == kind, k.c.key.in_(chunk))
            if entity_ids is None:
                out.extend(KeyHit(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in conn.execute(q))
                continue
            for ids in _chunks(list(dict.fromkeys(entity_ids))):
                rows = conn.execute(q.where(k.c.entity_id.in_(ids)))
                out.extend(KeyHit(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows)
    return out


def _by_kind(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, set[str]] = {}
    for kind, key in pairs:
        out.setdefault(kind, set()).add(key)
    return {kind: sorted(keys) for kind, keys in sorted(out.items())}


def _canonicals_with(pairs: Sequence[tuple[str, str]]) -> Any:
    """Canonical ids of index rows carrying any of the pairs, read from the lookup index only.

    No visibility here: this only narrows the candidates; every row returned to the
    caller is then read again with the viewer's visibility.
    """
    k = t.search_keys.alias("kc")
    c = t.clusters.alias("cc")
    parts = [
        select(func.coalesce(c.c.canonical_id, k.c.entity_id).label("canon"))
        .select_from(k.outerjoin(c, c.c.entity_id == k.c.entity_id))
        .where(k.c.kind == kind, k.c.key.in_(keys))
        for kind, keys in _by_kind(pairs).items()
    ]
    if len(parts) == 1:
        return parts[0]
    sub = union_all(*parts).subquery()
    return select(sub.c.canon)


#: rows counted at most when weighing a query's words against each other (a word
#: counted at the cap is at least SEEK_RATIO times commoner than one under a quarter of it)
SELECTIVITY_CAP = 2000
#: a word with more index rows than this many times the rarest word's is checked by index
#: seeks on the candidates rather than read in full (a seek costs a few scanned rows)
SEEK_RATIO = 4


def _common(conn: Connection, pairs: Sequence[tuple[str, str]]) -> int:
    """How many index rows carry any of the pairs, counted up to :data:`SELECTIVITY_CAP`.

    Before visibility, and used only to plan a query; never shown to anyone.
    """
    k = t.search_keys
    cond = or_(*[and_(k.c.kind == kind, k.c.key.in_(keys)) for kind, keys in _by_kind(pairs).items()])
    capped = select(k.c.entity_id).where(cond).limit(SELECTIVITY_CAP).subquery()
    return int(conn.execute(select(func.count()).select_from(capped)).scalar_one())


def _plan(conn: Connection, words: Sequence[Sequence[tuple[str, str]]]) -> tuple[list[int], list[int]]:
    """Which words to read in full (intersected) and which to check on the candidates only.

    The rarest word is always read; a word read only as an initial (one letter: about a
    tenth of all names) is never read in full unless every word is one.
    """
    initial_only = [all(kind == "initial" for kind, _ in w) for w in words]
    if all(initial_only):
        sizes = [_common(conn, w) for w in words]
    else:
        sizes = [SELECTIVITY_CAP if only else _common(conn, w) for w, only in zip(words, initial_only, strict=True)]
    order = sorted(range(len(words)), key=lambda n: (initial_only[n] and not all(initial_only), sizes[n], n))
    rarest = max(sizes[order[0]], 1)
    read = [order[0]]
    checked: list[int] = []
    for n in order[1:]:
        if (initial_only[n] and not all(initial_only)) or sizes[n] > SEEK_RATIO * rarest:
            checked.append(n)
        else:
            read.append(n)
    return read, checked


def _has_any(k: Any, entity: Any, pairs: Sequence[tuple[str, str]]) -> Any:
    """Whether ``entity`` carries any of the pairs: one index seek per (kind, key, entity)."""
    return or_(
        *[
            select(k.c.entity_id).where(k.c.kind == kind, k.c.key.in_(keys), k.c.entity_id == entity).exists()
            for kind, keys in _by_kind(pairs).items()
        ]
    )


def _pair_cond(table: Any, pairs: set[tuple[str, str]]) -> Any:
    """``(a, b)`` is one of the pairs: one index seek per first key."""
    by_a: dict[str, list[str]] = defaultdict(list)
    for a, b in sorted(pairs):
        by_a[a].append(b)
    return or_(*[and_(table.c.a == a, table.c.b.in_(bs)) for a, bs in by_a.items()])


def _pairing(seek: Sequence[Sequence[tuple[str, str]]]) -> tuple[set[tuple[str, str]], list[int]] | None:
    """The pairs that find two of the words, and the other words (still to check).

    The two words are the first two that can be paired, whole words before initials;
    ``None`` when fewer than two can (a spelling without a phonetic code) or when the two
    share a key (one name token may then meet both words).
    """
    usable = [n for n, w in enumerate(seek) if w and all(kind in PAIR_KINDS for kind, _ in w)]
    usable.sort(key=lambda n: (all(kind == "initial" for kind, _ in seek[n]), len(seek[n]), n))
    if len(usable) < 2:
        return None
    first, second = usable[0], usable[1]
    left = {pair_key(kind, key) for kind, key in seek[first]}
    right = {pair_key(kind, key) for kind, key in seek[second]}
    if left & right:
        return None
    pairs = {(min(x, y), max(x, y)) for x in left for y in right}
    return pairs, [n for n in range(len(seek)) if n not in (first, second)]


def _paired(seek: Sequence[Sequence[tuple[str, str]]]) -> tuple[Any, list[int]] | None:
    """Candidates of two of the words from the pair tables, and the words still to check
    (see :func:`_pairing`)."""
    pairing = _pairing(seek)
    if pairing is None:
        return None
    pairs, rest = pairing
    p = t.search_pairs
    c = t.clusters
    own = (
        select(func.coalesce(c.c.canonical_id, p.c.entity_id).label("canon"))
        .select_from(p.outerjoin(c, c.c.entity_id == p.c.entity_id))
        .where(_pair_cond(p, pairs))
    )
    cp = t.search_cluster_pairs
    shared = select(cp.c.canonical_id).where(_pair_cond(cp, pairs))
    return own.union(shared), rest


@dataclass(frozen=True)
class WordWeights:
    """What a pair row's key is worth to one query word: by the token behind it, or by the key.

    ``by_term`` maps (pair key, token) to the weight of a spelling the word is read as;
    ``by_key`` maps a pair key (the word's phonetic code or initial) to its weight. A key
    meets the word with the larger of the two.
    """

    by_term: dict[tuple[str, str], float]
    by_key: dict[str, float]


class PairHit(NamedTuple):
    """A hit of a two-word name query read from the pair rows: an entity in no cluster."""

    entity_id: str
    schema: str
    source: str
    #: the best weight of each word over the entity's visible pair rows
    first: float
    second: float


class ClusterHit(NamedTuple):
    """A hit of a two-word name query read from the cluster pair rows: a resolved person."""

    canonical_id: str
    schema: str
    #: the best weight of each word over the visible keys of the visible members
    first: float
    second: float
    #: the sources of the visible members whose keys meet a word
    sources: tuple[str, ...]


@dataclass(frozen=True)
class PairHits:
    """What the pair rows alone say of a two-word name query's hits."""

    #: (schema, source) -> how many hits in no cluster
    counts: dict[tuple[str, str], int]
    #: the first hits in no cluster by entity id of each pair of weights (``top`` of
    #: each), and those among the ``known`` ids
    hits: list[PairHit]
    #: schema -> how many resolved people are hits
    cluster_counts: dict[str, int] = field(default_factory=dict)
    #: source -> how many of those have a member from it whose keys meet a word
    cluster_sources: dict[str, int] = field(default_factory=dict)
    #: the first resolved people by canonical id of each pair of weights, and those among
    #: the ``known`` ids
    cluster_hits: list[ClusterHit] = field(default_factory=list)


def _in_list(values: Sequence[str]) -> str:
    """The markers of an SQL ``IN`` list for ``values`` (``(NULL)``, which matches nothing, when empty)."""
    return "(" + (", ".join("?" for _ in values) or "NULL") + ")"


def _pair_sql(pairs: set[tuple[str, str]], table: str = "") -> tuple[str, list[str]]:
    """``(a, b)`` is one of the pairs, as SQL for the driver: one index seek per first key."""
    by_a: dict[str, list[str]] = defaultdict(list)
    for a, b in sorted(pairs):
        by_a[a].append(b)
    sql = " OR ".join(f"({table}a = ? AND {table}b IN {_in_list(bs)})" for bs in by_a.values())
    return "(" + sql + ")", [x for a, bs in by_a.items() for x in (a, *bs)]


def _driver_rows(conn: Connection, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Rows of a read as plain tuples straight from the driver (``?`` markers).

    For reads of thousands of small rows per search, where building a row object each
    costs more than the query; ``sql`` is built from the caller's constants, values bound.
    """
    if conn.dialect.name == "postgresql":
        sql = sql.replace("?", "%s")
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.execute(sql, list(params))
        return list(cur.fetchall())
    finally:
        cur.close()


#: empty columns in :func:`pair_hits`'s rows (typed, for PostgreSQL's UNION)
_NO_WEIGHT = "CAST(NULL AS DOUBLE PRECISION)"
_NO_COUNT = "CAST(NULL AS BIGINT)"
_NO_TEXT = "CAST(NULL AS TEXT)"


class _Sql:
    """SQL text and its ``?`` values, built in the order they appear."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.values: list[Any] = []

    def add(self, sql: str, values: Iterable[Any] = ()) -> None:
        self.parts.append(sql)
        self.values.extend(values)

    def text(self) -> str:
        return "".join(self.parts)


def _rows_sql(name: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]) -> tuple[str, list[Any]]:
    """A CTE ``name`` of constant rows (``columns``: name and SQL type), none when ``rows`` is empty."""
    if not rows:
        nulls = ", ".join(f"CAST(NULL AS {kind}) AS {col}" for col, kind in columns)
        return f"{name} AS (SELECT {nulls} WHERE 1 = 0)", []
    cols = ", ".join(f"CAST(? AS {kind}) AS {col}" for col, kind in columns)
    body = " UNION ALL ".join(f"SELECT {cols}" for _ in rows)
    return f"{name} AS MATERIALIZED ({body})", [v for r in rows for v in r]


def _key_weights(
    weights: Sequence[WordWeights], own: Sequence[Sequence[str]]
) -> tuple[list[tuple[str, int, float]], list[tuple[str, str, float]]]:
    """The weight tables of a two-word query: each pair key of a word, with the word and
    what the key alone is worth to it (0 when only spellings of it count); and each (pair
    key, token), with what that spelling is worth (never less than its key alone)."""
    by_key: list[tuple[str, int, float]] = []
    by_term: list[tuple[str, str, float]] = []
    for n, keys in enumerate(own):
        w = weights[n]
        by_key += [(key, n, w.by_key.get(key, 0.0)) for key in keys]
        by_term += [
            (key, token, max(weight, w.by_key.get(key, 0.0)))
            for (key, token), weight in sorted(w.by_term.items())
            if key in keys
        ]
    return by_key, by_term


def _side_weights(table: str) -> str:
    """Joins that weigh both keys of a row of ``table`` (each belongs to one of the two
    words): the word of key ``a`` (``ka.word``) and each key's weight (:data:`_WA`, :data:`_WB`).

    Left joins, though every key of a row the query reads has its weights: an inner join
    would let SQLite's planner start from the small weight table and read every row of
    the pair table with one of its keys, instead of the query's ranges of pairs.
    """
    return (
        f" LEFT JOIN kk ka ON ka.pk = {table}.a LEFT JOIN kk kb ON kb.pk = {table}.b"
        f" LEFT JOIN kt ta ON ta.pk = {table}.a AND ta.term = {table}.a_term"
        f" LEFT JOIN kt tb ON tb.pk = {table}.b AND tb.term = {table}.b_term"
    )


_WA = "COALESCE(ta.w, ka.w)"
_WB = "COALESCE(tb.w, kb.w)"
#: a row's weight for word 0 and for word 1
_W0 = f"(CASE WHEN ka.word = 0 THEN {_WA} ELSE {_WB} END)"
_W1 = f"(CASE WHEN ka.word = 1 THEN {_WA} ELSE {_WB} END)"


def _firsts(name: str, hits: str, columns: str, first_n: str, known: Sequence[str]) -> str:
    """A CTE ``name`` of the rows of ``hits`` that are among the first by id of their pair
    of weights (``first_n`` of ``rn``), or among the ``known`` ids (markers only)."""
    return (
        f"{name} AS MATERIALIZED (SELECT {columns} FROM (SELECT {columns}, "  # noqa: S608 (constants and markers)
        f"row_number() OVER (PARTITION BY w0, w1 ORDER BY id) AS rn FROM {hits}) AS {name}_rn "
        f"WHERE {first_n} OR id IN {_in_list(known)})"
    )


def pair_hits(
    conn: Connection,
    *,
    visible: Visibility,
    seek: Sequence[Sequence[tuple[str, str]]],
    weights: Sequence[WordWeights],
    top: int | None,
    known: Sequence[str] = (),
    schema: Sequence[str] | None = None,
    source: Sequence[str] | None = None,
) -> PairHits | None:
    """The hits of a query of exactly two words that pair, from the pair rows (``None`` otherwise).

    ``seek`` is as for :func:`name_hits`; ``weights`` says what a key is worth to each
    word. Entities in no cluster are read from ``search_pairs``, resolved people from
    ``search_cluster_pairs`` (every two keys of their members, so the two words may meet
    in different members). Every row is filtered on the markings of its keys and on the
    marking and state of each entity behind them, so a hidden record or value adds
    nothing. In one statement over one range of each table, the database weighs each
    hit's words and gives back only what a page needs: how many hits there are of each
    schema and source (for the total and facets), the first ``top`` hits by id of each
    pair of weights (the page is among them, whatever the order of scores), and the hits
    among the ``known`` ids (found by other readings). ``top=None`` gives every hit.

    The statement's text depends on how many keys, spellings and ids there are, not on
    the weights, and stays small: prepared once for the queries of one shape.
    """
    pairing = _pairing(seek) if len(seek) == 2 else None
    if pairing is None or pairing[1]:
        return None
    marks = _marks(visible)
    states = sorted(visible.states)
    own = [sorted({pair_key(kind, key) for kind, key in seek[n]}) for n in range(2)]
    by_key, by_term = _key_weights(weights, own)
    first_n, first_v = ("rn <= ?", [top]) if top is not None else ("1 = 1", [])

    q = _Sql()
    sql, values = _rows_sql("kk", (("pk", "TEXT"), ("word", "INTEGER"), ("w", "DOUBLE PRECISION")), by_key)
    q.add("WITH " + sql, values)
    sql, values = _rows_sql("kt", (("pk", "TEXT"), ("term", "TEXT"), ("w", "DOUBLE PRECISION")), by_term)
    q.add(", " + sql, values)
    # entities in no cluster: each row is one entity's two keys. The rows are read first, on
    # their own (the ranges of the query's pairs), then weighed and grouped: asked in one
    # step, SQLite may read the whole table in entity order to save sorting the groups.
    cond, params = _pair_sql(pairing[0], "p.")
    q.add(", pp AS MATERIALIZED (SELECT p.entity_id, p.schema, p.source, p.a, p.b, p.a_term, p.b_term "
          "FROM search_pairs p WHERE " + cond, params)
    for col in ("a_marking_id", "b_marking_id", "marking_id"):
        q.add(f" AND p.{col} IN {_in_list(marks)}", marks)
    q.add(f" AND p.state IN {_in_list(states)}", states)
    for col, wanted in (("schema", schema), ("source", source)):
        if wanted:
            q.add(f" AND p.{col} IN {_in_list(wanted)}", wanted)
    q.add(f"), w AS MATERIALIZED (SELECT pp.entity_id AS id, pp.schema AS schema, pp.source AS source, max({_W0}) AS w0, "  # noqa: S608 (constants)
          f"max({_W1}) AS w1 FROM pp LEFT JOIN clusters c ON c.entity_id = pp.entity_id{_side_weights('pp')} "
          "WHERE c.entity_id IS NULL GROUP BY pp.entity_id, pp.schema, pp.source), "
          "h AS MATERIALIZED (SELECT id, schema, source, w0, w1 FROM w WHERE w0 > 0 AND w1 > 0), ")
    # resolved people: each row is two keys of their members, with both members' visibility
    cond, params = _pair_sql(pairing[0], "q.")
    q.add("qq AS MATERIALIZED (SELECT q.canonical_id, q.schema, q.a, q.b, q.a_term, q.b_term, q.a_source, q.b_source "
          "FROM search_cluster_pairs q WHERE " + cond, params)
    for side in ("a", "b"):
        for col in ("marking_id", "entity_marking_id"):
            q.add(f" AND q.{side}_{col} IN {_in_list(marks)}", marks)
        q.add(f" AND q.{side}_state IN {_in_list(states)}", states)
        if source:
            q.add(f" AND q.{side}_source IN {_in_list(source)}", source)
    if schema:
        q.add(f" AND q.schema IN {_in_list(schema)}", schema)
    q.add("), r AS MATERIALIZED (SELECT qq.canonical_id AS id, qq.schema AS schema, qq.a_source AS a_source, "  # noqa: S608 (constants)
          f"qq.b_source AS b_source, {_W0} AS w0, {_W1} AS w1, {_WA} AS wa, {_WB} AS wb FROM qq{_side_weights('qq')}"
          "), ch AS MATERIALIZED (SELECT id, schema, max(w0) AS w0, max(w1) AS w1 FROM r GROUP BY id, schema "
          "HAVING max(w0) > 0 AND max(w1) > 0), "
          "cs AS MATERIALIZED (SELECT id, a_source AS source FROM r WHERE wa > 0 UNION SELECT id, b_source FROM r WHERE wb > 0), ")
    # of each kind, the first hits by id of each pair of weights, and the known ids
    q.add(_firsts("hl", "h", "id, schema, source, w0, w1", first_n, known) + ", ", [*first_v, *known])
    q.add(_firsts("cl", "ch", "id, schema, w0, w1", first_n, known) + " ", [*first_v, *known])
    q.add(f"SELECT 'count', {_NO_TEXT}, schema, source, {_NO_WEIGHT}, {_NO_WEIGHT}, count(*) FROM h GROUP BY schema, source "  # noqa: S608 (constants and markers)
          f"UNION ALL SELECT 'hit', id, schema, source, w0, w1, {_NO_COUNT} FROM hl "
          f"UNION ALL SELECT 'ccount', {_NO_TEXT}, schema, {_NO_TEXT}, {_NO_WEIGHT}, {_NO_WEIGHT}, count(*) FROM ch GROUP BY schema "
          f"UNION ALL SELECT 'csource', {_NO_TEXT}, {_NO_TEXT}, cs.source, {_NO_WEIGHT}, {_NO_WEIGHT}, count(*) "
          "FROM cs JOIN ch ON ch.id = cs.id GROUP BY cs.source "
          f"UNION ALL SELECT 'chit', id, schema, {_NO_TEXT}, w0, w1, {_NO_COUNT} FROM cl "
          f"UNION ALL SELECT 'csrc', cs.id, {_NO_TEXT}, cs.source, {_NO_WEIGHT}, {_NO_WEIGHT}, {_NO_COUNT} "
          "FROM cs JOIN cl ON cl.id = cs.id")
    counts: dict[tuple[str, str], int] = {}
    hits: dict[str, PairHit] = {}
    cluster_counts: dict[str, int] = {}
    cluster_sources: dict[str, int] = {}
    found: dict[str, tuple[str, float, float]] = {}
    sources: dict[str, set[str]] = defaultdict(set)
    for tag, ident, sch, src, first, second, n in _driver_rows(conn, q.text(), q.values):
        if tag == "count":
            counts[(sch, src)] = int(n)
        elif tag == "hit":
            hits[ident] = PairHit(ident, sch, src, first, second)
        elif tag == "ccount":
            cluster_counts[sch] = int(n)
        elif tag == "csource":
            cluster_sources[src] = int(n)
        elif tag == "chit":
            found[ident] = (sch, first, second)
        else:
            sources[ident].add(src)
    grouped = [ClusterHit(cid, sch, first, second, tuple(sorted(sources[cid]))) for cid, (sch, first, second) in sorted(found.items())]
    return PairHits(counts=counts, hits=list(hits.values()), cluster_counts=cluster_counts, cluster_sources=cluster_sources,
                    cluster_hits=grouped)


class NameHit(NamedTuple):
    """A (kind, key) that visible index rows of a canonical entity carry, via one source.

    A named tuple: a common name gives thousands of these per search.
    """

    canonical_id: str
    schema: str
    source: str
    kind: str
    key: str
    #: the first property by name that carries it
    prop: str


def name_hits(
    conn: Connection,
    *,
    visible: Visibility,
    words: Sequence[Sequence[tuple[str, str]]],
    narrow: Sequence[Sequence[tuple[str, str]]] | None = None,
    seek: Sequence[Sequence[tuple[str, str]]] | None = None,
    schema: Sequence[str] | None = None,
    source: Sequence[str] | None = None,
    canonical_ids: Sequence[str] | None = None,
) -> list[NameHit]:
    """The (kind, key) pairs of a name query's words that visible index rows of each candidate carry.

    ``words`` holds for each word the (kind, key) pairs it is read as. One row comes back
    per (canonical entity, source, kind, key) with the first property by name that
    carries it, so the caller gets a few rows per hit however many names and members
    the hit has.

    ``narrow``, if given, holds for each word the pairs that find its candidates: fewer
    pairs that every entity carrying one of the word's pairs also carries (a phonetic code
    stands for the spellings that have it), so fewer index rows are read. ``seek``, if
    given, holds the same as phonetic codes and initials only (empty for a word that has
    a spelling without a code): two such words find the candidates in the pair tables,
    with one seek per pair of their keys.

    Only rows of canonical entities that carry some pair of every word come back (the
    AND is taken in the database, over canonical entities, so each word may match a
    different member). Two words that can be paired give the candidates from the pair
    tables; otherwise the rarest words give them (index ranges, intersected). Each other
    word, such as an initial, keeps the candidates with a member carrying one of its
    pairs, by index seeks on (kind, key, entity), so it is never read in full. The caller
    still checks that every word matched a visible row.

    ``canonical_ids``, if given, are the candidates (canonical ids, or ids of entities in
    no cluster), read whatever ``narrow`` and ``seek`` say: the rows of a page of hits
    found from the pair rows, or of resolved people among them.
    """
    if not words or any(not w for w in words):
        return []
    if canonical_ids is not None:
        return _given_name_rows(conn, visible, words, canonical_ids, schema, source)
    find = narrow or words
    paired = _paired(seek) if seek and len(seek) == len(words) else None
    both: Any
    if paired is not None:
        both, checked = paired
    else:
        read, checked = _plan(conn, find)
        per_word: list[Any] = [_canonicals_with(find[n]) for n in read]
        if len(per_word) > 1:
            both = intersect(*per_word)
        else:
            one = per_word[0].subquery()
            both = select(one.c.canon).distinct()
    return _name_rows(conn, visible, words, both, [find[n] for n in checked], schema, source)


def _given_name_rows(
    conn: Connection,
    visible: Visibility,
    words: Sequence[Sequence[tuple[str, str]]],
    canonical_ids: Sequence[str],
    schema: Sequence[str] | None,
    source: Sequence[str] | None,
) -> list[NameHit]:
    """The rows of :func:`name_hits` for given candidates, through the driver.

    The members are the ids themselves (an entity in no cluster, or a canonical id that is
    its cluster's smallest member) and the members of the clusters they are canonical
    ids of; each member's keys are one index range.
    """
    pairs = sorted({p for w in words for p in w})
    marks = _marks(visible)
    states = sorted(visible.states)
    if conn.dialect.name == "postgresql":
        # the words' keys as one expression no index covers, so that the planner starts
        # from the few members and reads their keys by entity: PostgreSQL otherwise reads
        # every row of a common key through the key index, on estimates far below the truth
        keys: list[str] = [f"{kind}:{key}" for kind, key in pairs]
        key_filter = f"k.kind || ':' || k.key IN {_in_list(keys)}"
    else:
        keys = [x for pair in pairs for x in pair]
        key_filter = f"(k.kind, k.key) IN (VALUES {', '.join('(?, ?)' for _ in pairs)})"
    where = [
        key_filter,
        f"k.marking_id IN {_in_list(marks)}",
        f"e.marking_id IN {_in_list(marks)}",
        f"COALESCE(e.state, '') IN {_in_list(states)}",
    ]
    tail: list[str] = keys + marks + marks + states
    for col, wanted in (("schema", schema), ("source", source)):
        if wanted:
            where.append(f"e.{col} IN {_in_list(wanted)}")
            tail.extend(wanted)
    out: list[NameHit] = []
    for chunk in _chunks(sorted(set(canonical_ids))):
        ids = _in_list(chunk)
        sql = (
            f"WITH members (id) AS (SELECT id FROM entities WHERE id IN {ids} "  # noqa: S608 (markers only)
            f"UNION SELECT entity_id FROM clusters WHERE canonical_id IN {ids}) "
            "SELECT COALESCE(c.canonical_id, e.id), e.schema, e.source, k.kind, k.key, min(k.prop) "
            "FROM members m JOIN search_keys k ON k.entity_id = m.id JOIN entities e ON e.id = k.entity_id "
            "LEFT JOIN clusters c ON c.entity_id = k.entity_id "
            "WHERE " + " AND ".join(where) + " GROUP BY 1, 2, 3, 4, 5"
        )
        out.extend(NameHit._make(r) for r in _driver_rows(conn, sql, [*chunk, *chunk, *tail]))
    return out


def _name_rows(
    conn: Connection,
    visible: Visibility,
    words: Sequence[Sequence[tuple[str, str]]],
    both: Any,
    checks: Sequence[Sequence[tuple[str, str]]],
    schema: Sequence[str] | None,
    source: Sequence[str] | None,
) -> list[NameHit]:
    """The rows of :func:`name_hits` for the candidates ``both`` (a query of canonical ids),
    kept to those with a member carrying one of the pairs of each of ``checks``."""
    k = t.search_keys
    # each step is computed once (materialised), not once per later reference
    cand: Any = both.cte("cand").prefix_with("MATERIALIZED")
    c0 = t.clusters.alias("c0")
    ents: Any = union_all(
        select(cand.c.canon.label("id"), cand.c.canon.label("canon")),
        select(c0.c.entity_id, c0.c.canonical_id).where(c0.c.canonical_id.in_(select(cand.c.canon))),
    ).cte("ents0").prefix_with("MATERIALIZED")
    for step, check in enumerate(checks, start=1):
        kept = select(ents.c.canon).where(_has_any(t.search_keys.alias(f"kw{step}"), ents.c.id, check))
        ents = (
            select(ents.c.id, ents.c.canon).where(ents.c.canon.in_(kept)).cte(f"ents{step}").prefix_with("MATERIALIZED")
        )
    # the keys of the few entities left, read by entity (one index range each)
    members = select(ents.c.id).distinct().cte("members").prefix_with("MATERIALIZED")
    e = t.entities
    canon = _canonical()
    pairs = sorted({p for w in words for p in w})
    q = (
        _entity_filters(
            select(canon, e.c.schema, e.c.source, k.c.kind, k.c.key, func.min(k.c.prop))
            .select_from(k.join(e, e.c.id == k.c.entity_id).outerjoin(t.clusters, t.clusters.c.entity_id == k.c.entity_id))
            .where(k.c.marking_id.in_(_marks(visible)))
            .where(e.c.marking_id.in_(_marks(visible)), state_in(e.c.state, visible.states))
            .where(k.c.entity_id.in_(select(members.c.id)))
            .where(tuple_(k.c.kind, k.c.key).in_(pairs)),
            schema,
            source,
        )
        .group_by(canon, e.c.schema, e.c.source, k.c.kind, k.c.key)
    )
    return [NameHit._make(r) for r in conn.execute(q)]


def keys_of(
    conn: Connection, *, visible: Visibility, entity_ids: Sequence[str], kinds: Sequence[str]
) -> list[KeyHit]:
    """Visible index rows of the given kinds for the given entities."""
    k = t.search_keys
    out: list[KeyHit] = []
    base = _hit_query(visible).where(k.c.kind.in_(list(kinds)))
    for chunk in _chunks(list(dict.fromkeys(entity_ids))):
        out.extend(KeyHit(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in conn.execute(base.where(k.c.entity_id.in_(chunk))))
    return out


def members(
    conn: Connection,
    *,
    visible: Visibility,
    canonical_ids: Sequence[str],
    schema: Sequence[str] | None = None,
    source: Sequence[str] | None = None,
) -> list[Member]:
    """Visible source entities of the given canonical entities (a canonical id may be one)."""
    e = t.entities
    c = t.clusters
    canon = _canonical()
    cols = (e.c.id, canon, e.c.schema, e.c.source, e.c.marking_id)
    visible_entity = (e.c.marking_id.in_(_marks(visible)), state_in(e.c.state, visible.states))
    # clustered members: found from the cluster side (an inner join, so the planner starts there)
    clustered = _entity_filters(select(*cols).select_from(c.join(e, e.c.id == c.c.entity_id)).where(*visible_entity), schema, source)
    alone = _entity_filters(
        select(*cols).select_from(e.outerjoin(c, c.c.entity_id == e.c.id)).where(*visible_entity), schema, source
    )
    found: dict[str, Member] = {}
    for chunk in _chunks(list(dict.fromkeys(canonical_ids))):
        q1 = clustered.where(c.c.canonical_id.in_(chunk))
        q2 = alone.where(e.c.id.in_(chunk), c.c.entity_id.is_(None))
        for q in (q1, q2):
            for r in conn.execute(q):
                found[r[0]] = Member(r[0], r[1], r[2], r[3], r[4])
    return sorted(found.values(), key=lambda m: (m.canonical_id, m.entity_id))


@dataclass(frozen=True)
class MemberValue:
    """A visible member of a canonical entity with one visible current value (or none)."""

    member: Member
    prop: str | None
    value: str | None


def member_values(
    conn: Connection, *, visible: Visibility, canonical_ids: Sequence[str], props: Sequence[str]
) -> list[MemberValue]:
    """Visible members of the canonical entities with their visible current ``props`` values.

    One query per chunk of ids (members and values together): a member with none of the
    values comes back once with ``prop`` and ``value`` empty.
    """
    marks = _marks(visible)
    states = sorted(visible.states)
    cols = "e.id, COALESCE(c.canonical_id, e.id), e.schema, e.source, e.marking_id, s.prop, s.value"
    values_of = (
        f"LEFT JOIN statements s ON s.entity_id = e.id AND s.prop IN {_in_list(props)} "
        f"AND s.superseded_by IS NULL AND s.marking_id IN {_in_list(marks)}"
    )
    visible_entity = f"e.marking_id IN {_in_list(marks)} AND COALESCE(e.state, '') IN {_in_list(states)}"
    out: list[MemberValue] = []
    for chunk in _chunks(list(dict.fromkeys(canonical_ids))):
        ids = _in_list(chunk)
        # clustered members from the cluster side (inner join), unclustered entities by id
        sql = (
            f"SELECT {cols} FROM clusters c JOIN entities e ON e.id = c.entity_id {values_of} "  # noqa: S608 (markers only)
            f"WHERE c.canonical_id IN {ids} AND {visible_entity} UNION ALL "
            f"SELECT {cols} FROM entities e LEFT JOIN clusters c ON c.entity_id = e.id {values_of} "
            f"WHERE e.id IN {ids} AND c.entity_id IS NULL AND {visible_entity}"
        )
        part = [*props, *marks, *chunk, *marks, *states]
        for r in _driver_rows(conn, sql, part + part):
            out.append(MemberValue(Member(r[0], r[1], r[2], r[3], r[4]), r[5], r[6]))
    return out


def canonical_of(conn: Connection, *, visible: Visibility, entity_id: str) -> str | None:
    """The canonical id of a visible source entity, or of a canonical id with visible members."""
    e = t.entities
    c = t.clusters
    row = conn.execute(
        select(_canonical())
        .select_from(e)
        .outerjoin(c, c.c.entity_id == e.c.id)
        .where(e.c.id == entity_id)
        .where(e.c.marking_id.in_(_marks(visible)), state_in(e.c.state, visible.states))
    ).first()
    if row is not None:
        return str(row[0])
    if members(conn, visible=visible, canonical_ids=[entity_id]):
        return entity_id
    return None


def canonical_map(conn: Connection, *, visible: Visibility, entity_ids: Sequence[str]) -> dict[str, str]:
    """Canonical ids of the visible entities among ``entity_ids`` (hidden ones are absent)."""
    e = t.entities
    c = t.clusters
    q = (
        select(e.c.id, _canonical())
        .select_from(e)
        .outerjoin(c, c.c.entity_id == e.c.id)
        .where(e.c.marking_id.in_(_marks(visible)), state_in(e.c.state, visible.states))
    )
    out: dict[str, str] = {}
    for chunk in _chunks(list(dict.fromkeys(entity_ids))):
        out.update({r[0]: r[1] for r in conn.execute(q.where(e.c.id.in_(chunk)))})
    return out


def fuzzy_terms(conn: Connection, *, visible: Visibility, token: str, limit: int = 200) -> list[str]:
    """Spellings in the vocabulary near ``token`` (candidates only; callers verify them).

    The vocabulary is not per marking; the terms returned are only ever used as lookup
    keys through :func:`key_hits`, which applies ``visible``.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL pg_trgm.similarity_threshold = 0.2"))
        q = text(
            "SELECT term FROM search_vocab WHERE term % :token "
            "ORDER BY similarity(term, :token) DESC, term LIMIT :limit"
        )
        return [r[0] for r in conn.execute(q, {"token": token, "limit": limit})]
    d = t.search_vocab_deletions
    q2 = select(d.c.term).where(d.c.deletion.in_(sorted(_deletions(token)))).distinct().order_by(d.c.term).limit(limit)
    return [r[0] for r in conn.execute(q2)]


def fts5_query(tokens: Sequence[str]) -> str:
    """An FTS5 MATCH expression requiring every token, each quoted as a literal string."""
    return " ".join('"' + tok.replace('"', '""') + '"' for tok in tokens if tok)


def text_hits(
    conn: Connection,
    *,
    visible: Visibility,
    tokens: Sequence[str],
    schema: Sequence[str] | None = None,
    source: Sequence[str] | None = None,
    limit: int = 10_000,
) -> list[TextHit]:
    """Visible free-text rows containing every token (folded words)."""
    words = [w for w in tokens if w]
    if not words:
        return []
    params: dict[str, Any] = {
        "marks": _marks(visible),
        "states": sorted(visible.states),
        "limit": limit,
    }
    where = ["st.marking_id IN :marks", "e.marking_id IN :marks", "COALESCE(e.state, '') IN :states"]
    if schema:
        where.append("e.schema IN :schemas")
        params["schemas"] = list(schema)
    if source:
        where.append("e.source IN :sources")
        params["sources"] = list(source)
    if conn.dialect.name == "postgresql":
        match = "st.tsv @@ plainto_tsquery('simple', :q)"
        params["q"] = " ".join(words)
    else:
        match = "search_text MATCH :q"
        params["q"] = fts5_query(words)
    sql = (
        "SELECT st.entity_id, COALESCE(c.canonical_id, e.id), e.schema, e.source, st.prop "
        "FROM search_text st JOIN entities e ON e.id = st.entity_id "
        "LEFT JOIN clusters c ON c.entity_id = e.id "
        "WHERE " + match + " AND " + " AND ".join(where) + " LIMIT :limit"
    )
    q = text(sql).bindparams(bindparam("marks", expanding=True), bindparam("states", expanding=True))
    if schema:
        q = q.bindparams(bindparam("schemas", expanding=True))
    if source:
        q = q.bindparams(bindparam("sources", expanding=True))
    return [TextHit(r[0], r[1], r[2], r[3], r[4]) for r in conn.execute(q, params)]


__all__ = [
    "Derive",
    "Derived",
    "KeyHit",
    "Member",
    "MemberValue",
    "NameHit",
    "PairHit",
    "PairHits",
    "RefreshReport",
    "TextHit",
    "WordWeights",
    "canonical_map",
    "canonical_of",
    "changed_since",
    "count_keys",
    "data_version",
    "fts5_query",
    "fuzzy_terms",
    "index_state",
    "key_hits",
    "keys_of",
    "mark_version",
    "name_hits",
    "pending",
    "member_values",
    "members",
    "pair_hits",
    "pair_key",
    "refresh",
    "refresh_clusters",
    "state_in",
    "statements_high_water",
    "text_hits",
    "version_text",
]
