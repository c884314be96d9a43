"""The tables of the system of record (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Facts are stored as statements: one row per property value of a source entity, with its
provenance (source, record key, ingest run, first and last seen) and a fact/assessment tag
(DSR-2). A source record becomes one source entity whose id is deterministic from
(source, schema, record key), so re-ingesting a file is idempotent. Links are first-class
rows with their own properties, time span, provenance and marking. Every entity, statement
and link references a marking row (classification, descriptors, caveats, groups).

The audit log is append-only: the migrations install triggers that refuse UPDATE and
DELETE on it (LOG-6).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy import (
    true as sa_true,
)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

ID = String(40)
TIME = String(32)  # ISO 8601 UTC with microseconds and 'Z': sorts as text on every backend

markings = Table(
    "markings",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("classification", String(32), nullable=False),
    Column("level", Integer, nullable=False),
    Column("descriptors", Text, nullable=False, server_default=""),
    Column("caveats", Text, nullable=False, server_default=""),
    Column("groups", Text, nullable=False, server_default=""),
)

users = Table(
    "users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("display_name", String(200), nullable=False, server_default=""),
    Column("roles", Text, nullable=False, server_default=""),
    Column("clearance", String(32), nullable=False, server_default="OFFICIAL"),
    Column("groups", Text, nullable=False, server_default=""),
    Column("caveats", Text, nullable=False, server_default=""),
    Column("active", Boolean, nullable=False, server_default=sa_true()),
    Column("created_at", TIME, nullable=False),
)

#: bearer tokens for the API: only a SHA-256 of the secret part is kept; revoking sets
#: revoked_at (rows are never deleted, so every token ever issued can be accounted for)
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user", String(64), ForeignKey("users.name"), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("label", String(200), nullable=False, server_default=""),
    Column("created_at", TIME, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("expires_at", TIME, nullable=True),
    Column("revoked_at", TIME, nullable=True),
    Column("revoked_by", String(64), nullable=True),
    Index("ix_api_tokens_user", "user"),
)

cases = Table(
    "cases",
    metadata,
    Column("reference", String(64), primary_key=True),
    Column("title", String(300), nullable=False, server_default=""),
    Column("status", String(32), nullable=False, server_default="open"),
    Column("created_at", TIME, nullable=False),
    Column("created_by", String(64), nullable=False),
)

case_members = Table(
    "case_members",
    metadata,
    Column("case_reference", String(64), ForeignKey("cases.reference"), primary_key=True),
    Column("user", String(64), ForeignKey("users.name"), primary_key=True),
    Column("added_at", TIME, nullable=False),
)

sources = Table(
    "sources",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("description", Text, nullable=False, server_default=""),
    Column("mapping", String(200), nullable=False, server_default=""),
    Column("owner_group", String(100), nullable=False, server_default=""),
    Column("kind", String(16), nullable=False, server_default="fact"),
    Column("created_at", TIME, nullable=False),
    Column("created_by", String(64), nullable=False),
)

ingest_runs = Table(
    "ingest_runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("source", String(100), ForeignKey("sources.name"), nullable=False, index=True),
    Column("location", Text, nullable=False),
    Column("content_hash", String(64), nullable=False, server_default=""),
    Column("mapping", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", TIME, nullable=False),
    Column("finished_at", TIME),
    Column("user", String(64), nullable=False),
    Column("purpose", Text, nullable=False),
    Column("rows_read", Integer, nullable=False, server_default="0"),
    Column("rows_rejected", Integer, nullable=False, server_default="0"),
    Column("entities_written", Integer, nullable=False, server_default="0"),
    Column("statements_written", Integer, nullable=False, server_default="0"),
    Column("links_written", Integer, nullable=False, server_default="0"),
    Column("batches_done", Integer, nullable=False, server_default="0"),
)

entities = Table(
    "entities",
    metadata,
    Column("id", ID, primary_key=True),
    Column("schema", String(64), nullable=False),
    Column("source", String(100), ForeignKey("sources.name"), nullable=False),
    Column("record_key", Text, nullable=False),
    Column("marking_id", String(16), ForeignKey("markings.id"), nullable=False),
    Column("first_run", String(32), nullable=False),
    Column("last_run", String(32), nullable=False),
    Column("first_seen", TIME, nullable=False),
    Column("last_seen", TIME, nullable=False),
    # 'active' | 'restricted' (s.46(4)/s.47: kept, but out of every capability) | 'erased'
    Column("state", String(16), nullable=False, server_default="active"),
    Index("ix_entities_schema_source", "schema", "source"),
    Index("ix_entities_source_key", "source", "record_key"),
)

statements = Table(
    "statements",
    metadata,
    Column("id", ID, primary_key=True),
    Column("entity_id", ID, ForeignKey("entities.id"), nullable=False),
    Column("schema", String(64), nullable=False),
    Column("prop", String(64), nullable=False),
    Column("value", Text, nullable=False),
    Column("original", Text, nullable=False),
    Column("match_key", Text, nullable=False),
    Column("source", String(100), nullable=False),
    Column("record_key", Text, nullable=False),
    Column("run_id", String(32), nullable=False),
    Column("first_seen", TIME, nullable=False),
    Column("last_seen", TIME, nullable=False),
    # the ingest run that found a different value for this property; NULL while current
    Column("superseded_by", String(32)),
    Column("kind", String(16), nullable=False, server_default="fact"),
    Column("marking_id", String(16), ForeignKey("markings.id"), nullable=False),
    Index("ix_statements_entity", "entity_id", "prop"),
)

links = Table(
    "links",
    metadata,
    Column("id", ID, primary_key=True),
    Column("schema", String(64), nullable=False),
    Column("source_id", ID, ForeignKey("entities.id"), nullable=False),
    Column("target_id", ID, ForeignKey("entities.id"), nullable=False),
    Column("properties", Text, nullable=False, server_default="{}"),
    Column("valid_from", String(32)),
    Column("valid_to", String(32)),
    Column("source", String(100), nullable=False),
    Column("record_key", Text, nullable=False),
    Column("run_id", String(32), nullable=False),
    Column("first_seen", TIME, nullable=False),
    Column("last_seen", TIME, nullable=False),
    Column("kind", String(16), nullable=False, server_default="fact"),
    Column("marking_id", String(16), ForeignKey("markings.id"), nullable=False),
    Column("state", String(16), nullable=False, server_default="active"),
    Index("ix_links_source_id", "source_id"),
    Index("ix_links_target_id", "target_id"),
)

judgements = Table(
    "judgements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("schema", String(64), nullable=False),
    Column("left_id", ID, nullable=False),
    Column("right_id", ID, nullable=False),
    # 'same' | 'not_same' | 'split'
    Column("judgement", String(16), nullable=False),
    Column("user", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("score", Float),
    Column("model_version", String(64)),
    Column("created_at", TIME, nullable=False),
    Column("deleted_at", TIME),
    Column("deleted_by", String(64)),
    Index("ix_judgements_pair", "left_id", "right_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("at", TIME, nullable=False),
    Column("operation", String(16), nullable=False),
    Column("action", String(100), nullable=False),
    Column("user", String(64), nullable=False),
    Column("purpose", Text, nullable=False),
    Column("component", String(100), nullable=False),
    Column("client", String(200), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("subjects", Text, nullable=False),
    Column("details", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    Index("ix_audit_log_user_at", "user", "at"),
)

audit_nodes = Table(
    "audit_nodes",
    metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

# -- entity resolution ---------------------------------------------------------------
# Canonical entities are clusters of source entities. A source entity with no row here is
# its own canonical entity. Rows are derived (a pure function of the match pairs and
# the judgements) and are rewritten by each resolution run.
clusters = Table(
    "clusters",
    metadata,
    Column("entity_id", ID, ForeignKey("entities.id"), primary_key=True),
    Column("schema", String(64), nullable=False),
    Column("canonical_id", ID, nullable=False, index=True),
    # 'model' | 'deterministic' | 'human' | 'singleton'
    Column("method", String(16), nullable=False),
    Column("score", Float),
    Column("model_version", String(64)),
    Column("updated_at", TIME, nullable=False),
)

resolution_models = Table(
    "resolution_models",
    metadata,
    Column("version", String(64), primary_key=True),
    Column("schema", String(64), nullable=False),
    Column("created_at", TIME, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("settings", Text, nullable=False),
    Column("model", Text, nullable=False),
    Column("metrics", Text, nullable=False, server_default="{}"),
    Column("active", Boolean, nullable=False, server_default=sa_true()),
)

match_pairs = Table(
    "match_pairs",
    metadata,
    Column("id", ID, primary_key=True),
    Column("schema", String(64), nullable=False),
    Column("left_id", ID, nullable=False),
    Column("right_id", ID, nullable=False),
    Column("match_weight", Float, nullable=False),
    Column("match_probability", Float, nullable=False),
    # the waterfall: what each comparison contributed (ALG-4); an assessment (DSR-2)
    Column("explanation", Text, nullable=False, server_default="{}"),
    Column("model_version", String(64), nullable=False),
    # 'merge' (above the merge threshold) | 'review' (in the band) | 'blocked' (conflicting ids)
    Column("status", String(16), nullable=False),
    Column("created_at", TIME, nullable=False),
    Index("ix_match_pairs_status", "status", "schema"),
    Index("ix_match_pairs_left", "left_id"),
    Index("ix_match_pairs_right", "right_id"),
)

# -- search (derived) ------------------------------------------------------------------
# The search index is a pure function of the current statements and is rebuilt or
# refreshed by clearsight.search.refresh_index. Free text lives in ``search_text``, which
# is backend-specific (FTS5 on SQLite, tsvector on PostgreSQL) and created by migration
# 0003_search; it is reached through raw, parameterised SQL in store/search_index.py.
search_keys = Table(
    "search_keys",
    metadata,
    Column("entity_id", ID, nullable=False),
    Column("prop", String(64), nullable=False),
    # 'name' | 'phonetic' | 'initial' | 'ident' | 'district' | 'lsoa' | 'date'
    Column("kind", String(16), nullable=False),
    Column("key", Text, nullable=False),
    Column("marking_id", String(16), nullable=False),
    Index("ix_search_keys_lookup", "kind", "key", "entity_id"),
    Index("ix_search_keys_entity", "entity_id"),
)

def _pair_keys(owner: str) -> list[Column[str]]:
    """The key of a table of name-key pairs ``(a, b)`` (``a < b``) held by ``owner`` ids, read by pair."""
    return [Column("a", Text, primary_key=True), Column("b", Text, primary_key=True), Column(owner, ID, primary_key=True)]


#: name-key pairs of each entity (phonetic codes ``p:`` and initials ``i:`` of its name
#: tokens, every unordered pair, ``a < b``): a two-word name query is one seek here instead
#: of an intersection of two long posting lists. Each row also says what a two-word query
#: needs to count, facet and rank its hits without reading ``search_keys`` or
#: ``entities``: the name token behind each phonetic code (``''`` for an initial), the
#: marking of the statements each key came from, and the entity's marking, state, schema
#: and source (kept current by the index refresh; a trigger queues an entity re-marked or
#: changed in state). One row per distinct combination, so a viewer sees a pair only
#: when both of its keys and the entity are visible. Without a rowid on SQLite: a range
#: of pairs is one contiguous read of the table itself.
search_pairs = Table(
    "search_pairs",
    metadata,
    *_pair_keys("entity_id"),
    Column("a_term", Text, primary_key=True),
    Column("b_term", Text, primary_key=True),
    Column("a_marking_id", String(16), primary_key=True),
    Column("b_marking_id", String(16), primary_key=True),
    Column("marking_id", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("schema", String(64), nullable=False),
    Column("source", String(100), nullable=False),
    Index("ix_search_pairs_entity", "entity_id"),
    sqlite_with_rowid=False,
)

#: the same pairs over the union of the members' keys of each canonical entity in
#: ``clusters``, so that the words of a query may match different members: every two keys
#: with different pair keys, of one member or of two. Each side of a row says what a
#: ``search_pairs`` row says of its one entity (the token, the statement's marking, and
#: the member's id, marking, state and source), so a two-word query counts, facets and
#: scores resolved people from one range of these rows with the viewer's visibility on
#: both sides: a hidden member or value adds nothing. Kept current by the index refresh
#: (a member's entity re-derived, or its cluster rows moved). Without a rowid on SQLite.
search_cluster_pairs = Table(
    "search_cluster_pairs",
    metadata,
    *_pair_keys("canonical_id"),
    Column("a_entity_id", ID, primary_key=True),
    Column("b_entity_id", ID, primary_key=True),
    Column("a_term", Text, primary_key=True),
    Column("b_term", Text, primary_key=True),
    Column("a_marking_id", String(16), primary_key=True),
    Column("b_marking_id", String(16), primary_key=True),
    Column("a_entity_marking_id", String(16), nullable=False),
    Column("b_entity_marking_id", String(16), nullable=False),
    Column("a_state", String(16), nullable=False),
    Column("b_state", String(16), nullable=False),
    Column("a_source", String(100), nullable=False),
    Column("b_source", String(100), nullable=False),
    Column("schema", String(64), nullable=False),
    Index("ix_search_cluster_pairs_canonical", "canonical_id"),
    sqlite_with_rowid=False,
)

#: the cluster membership the cluster pairs were derived from (member -> canonical id):
#: a member moved to another cluster or taken out of one leaves its old canonical entity's
#: pairs behind, found here and re-derived.
search_cluster_members = Table(
    "search_cluster_members",
    metadata,
    Column("entity_id", ID, primary_key=True),
    Column("canonical_id", ID, nullable=False),
    Index("ix_search_cluster_members_canonical", "canonical_id"),
)

search_vocab = Table(
    "search_vocab",
    metadata,
    Column("term", String(200), primary_key=True),
)

search_vocab_deletions = Table(
    "search_vocab_deletions",
    metadata,
    Column("deletion", String(200), primary_key=True),
    Column("term", String(200), primary_key=True),
)

#: entities whose index rows may be stale because a statement was re-marked in place
#: (filled by a trigger, emptied by the next index refresh)
search_pending = Table(
    "search_pending",
    metadata,
    Column("entity_id", ID, primary_key=True),
)

search_state = Table(
    "search_state",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# -- ingest data quality ---------------------------------------------------------------
# Per-batch counts of what each ingest run read for each mapped field: values seen, values
# that could not be normalised (rows rejected, or values dropped with a warning), empties,
# and rows whose record key repeated. The data-quality report reads them with the stored
# values. Counts only: no value is kept here.
ingest_field_stats = Table(
    "ingest_field_stats",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("batch", Integer, primary_key=True, autoincrement=False),
    Column("field", String(200), primary_key=True),
    Column("source", String(100), nullable=False),
    Column("schema", String(64), nullable=False, server_default=""),
    Column("prop", String(64), nullable=False, server_default=""),
    Column("type_name", String(32), nullable=False, server_default=""),
    Column("seen", Integer, nullable=False, server_default="0"),
    Column("empty", Integer, nullable=False, server_default="0"),
    Column("invalid", Integer, nullable=False, server_default="0"),
    Column("dropped", Integer, nullable=False, server_default="0"),
    Index("ix_ingest_field_stats_source", "source"),
)

# One row per resolution run: what ran, with which model and thresholds, and what changed.
# A later incremental run matches only records seen since the last run's start.
resolution_runs = Table(
    "resolution_runs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("schema", String(64), nullable=False),
    # 'full' | 'incremental' | 'judgement'
    Column("mode", String(16), nullable=False),
    Column("model_version", String(64)),
    Column("started_at", TIME, nullable=False),
    Column("finished_at", TIME, nullable=False),
    Column("user", String(64), nullable=False),
    Column("thresholds", Text, nullable=False, server_default="{}"),
    Column("summary", Text, nullable=False, server_default="{}"),
    Index("ix_resolution_runs_schema_started", "schema", "started_at"),
)

# Oversight (PUR-4 to PUR-6): the declared-interests register held by the DPO, the
# high-profile watch list, shift patterns, the alert queue, the scan position and the
# weekly reviews. Reading the audit log for these never changes it (LOG-15).
oversight_interests = Table(
    "oversight_interests",
    metadata,
    Column("id", ID, primary_key=True),
    Column("user", String(64), ForeignKey("users.name"), nullable=False),
    # 'self': the user's own identity; 'associate': a declared association
    Column("kind", String(16), nullable=False),
    Column("name", Text, nullable=False, server_default=""),
    Column("birth_date", String(16), nullable=False, server_default=""),
    Column("postcode", String(16), nullable=False, server_default=""),
    Column("vrm", String(16), nullable=False, server_default=""),
    Column("entity_id", ID, nullable=False, server_default=""),
    Column("relation", Text, nullable=False, server_default=""),
    Column("recorded_at", TIME, nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Index("ix_oversight_interests_user", "user"),
)

oversight_watchlist = Table(
    "oversight_watchlist",
    metadata,
    Column("entity_id", ID, primary_key=True),
    Column("reason", Text, nullable=False, server_default=""),
    Column("added_at", TIME, nullable=False),
    Column("added_by", String(64), nullable=False),
)

oversight_shifts = Table(
    "oversight_shifts",
    metadata,
    Column("user", String(64), ForeignKey("users.name"), primary_key=True),
    # ISO weekday numbers, e.g. "1,2,3,4,5"; a shift belongs to the day it starts
    Column("days", String(32), nullable=False),
    Column("start", String(5), nullable=False),
    Column("end", String(5), nullable=False),
    Column("timezone", String(64), nullable=False, server_default="Europe/London"),
    Column("recorded_at", TIME, nullable=False),
    Column("recorded_by", String(64), nullable=False),
)

oversight_state = Table(
    "oversight_state",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

oversight_alerts = Table(
    "oversight_alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule", String(40), nullable=False),
    Column("user", String(64), nullable=False),
    Column("raised_at", TIME, nullable=False),
    Column("first_at", TIME, nullable=False),
    Column("last_at", TIME, nullable=False),
    Column("summary", Text, nullable=False),
    # JSON: the triggering audit seqs; the subjects as [{"id", "schema"}]; the proofs
    Column("seqs", Text, nullable=False),
    Column("subjects", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("reviewer", String(64)),
    Column("closed_at", TIME),
    Column("outcome", String(32)),
    Column("reason", Text),
    Index("ix_oversight_alerts_status", "status"),
    Index("ix_oversight_alerts_rule_user", "rule", "user"),
)

oversight_reviews = Table(
    "oversight_reviews",
    metadata,
    Column("week", String(8), primary_key=True),
    Column("reviewed_by", String(64), nullable=False),
    Column("reviewed_at", TIME, nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("report_sha256", String(64), nullable=False),
)

# Indexes for cheap change detection by derived data (search index, cached graphs):
# the newest last_seen / updated_at and the count of non-active records are index reads.
Index("ix_entities_last_seen", entities.c.last_seen)
Index("ix_entities_state", entities.c.state)
Index("ix_statements_last_seen", statements.c.last_seen)
Index("ix_links_last_seen", links.c.last_seen)
Index("ix_links_state", links.c.state)
Index("ix_clusters_updated_at", clusters.c.updated_at)

APPEND_ONLY_TABLES = ("audit_log", "audit_nodes")

__all__ = [
    "APPEND_ONLY_TABLES",
    "api_tokens",
    "audit_log",
    "audit_nodes",
    "case_members",
    "cases",
    "clusters",
    "entities",
    "ingest_field_stats",
    "ingest_runs",
    "judgements",
    "links",
    "markings",
    "match_pairs",
    "metadata",
    "oversight_alerts",
    "oversight_interests",
    "oversight_reviews",
    "oversight_shifts",
    "oversight_state",
    "oversight_watchlist",
    "resolution_models",
    "resolution_runs",
    "search_cluster_members",
    "search_cluster_pairs",
    "search_keys",
    "search_pairs",
    "search_pending",
    "search_state",
    "search_vocab",
    "search_vocab_deletions",
    "sources",
    "statements",
    "users",
]
