"""Audit log benchmark: append and verify rates, proof time, and the cost of an audited read.

Prints, on SQLite and PostgreSQL:
- append rate (entries/s), one governed append per transaction and many per transaction;
- verify rate (entries/s) at 10^4..10^6 entries (target >= 200,000/s), in one process and
  on every core, against a plain driver read of the same rows measured in the same run;
- inclusion and consistency proof time at the largest size (target <= 10 ms at 10^6);
- an audited read of 1,000 rows through the gateway against a raw SQL read of the same
  rows in the same run (target <= 1.5x; the median of five rounds of interleaved timings).

Usage: python benchmarks/bench_audit.py [--sizes 10000,100000,1000000] [--no-postgres]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import bindparam, create_engine, insert, text

from clearsight.governance import audit, integrity, merkle
from clearsight.governance.context import Context, Purpose
from clearsight.governance.gateway import Governance
from clearsight.governance.markings import Marking
from clearsight.store import tables as t
from clearsight.store.engine import Store
from clearsight.store.ids import entity_id, statement_id
from clearsight.store.writes import bulk_insert, ensure_markings

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
console = Console()


def _ctx() -> Context:
    return Context(user="bench", roles=frozenset({"analyst"}), clearance="OFFICIAL", groups=frozenset({"local"}),
                   purpose=Purpose.parse("INTELLIGENCE: benchmark of audited reads"))


_FILL_COLUMNS = ("seq", "at", "operation", "action", "user", "purpose", "component", "client", "outcome",
                 "subjects", "details", "prev_hash", "entry_hash")


def bulk_fill(store: Store, n: int) -> None:
    """Append n entries quickly: the same chain and tree as audit.append, written in bulk."""
    tree = merkle.MemoryNodeStore()
    with store.begin() as conn:
        last, prev = audit._last(conn)
        assert last == 0, "bulk fill needs an empty log"
        batch_log: list[tuple[Any, ...]] = []
        batch_nodes: list[tuple[Any, ...]] = []
        for i in range(1, n + 1):
            fields = [audit.utc_now(), "consultation", "search", "bench", "INTELLIGENCE: bench", "search", "cli", "ok",
                      f'["id-{i}"]', "{}", prev]
            canonical = audit.canonical_bytes(i, *fields)
            digest = audit.entry_hash(canonical)
            batch_log.append((i, *fields, digest))
            for level, idx, h in merkle.nodes_completed_by_append(tree.get_node, i - 1, bytes.fromhex(digest)):
                batch_nodes.append((level, idx, h))
            tree.append(bytes.fromhex(digest))
            prev = digest
            if len(batch_log) >= 50_000 or i == n:
                bulk_insert(conn, "audit_log", _FILL_COLUMNS, batch_log)
                bulk_insert(conn, "audit_nodes", ("level", "idx", "hash"), batch_nodes)
                batch_log, batch_nodes = [], []


def seed_people(store: Store, n: int) -> list[str]:
    m = Marking.make("OFFICIAL", groups=["local"])
    ids = [entity_id("bench", "Person", f"p{i}") for i in range(n)]
    with store.begin() as conn:
        ensure_markings(conn, [{"id": m.id, "classification": m.classification, "level": m.level, "descriptors": "",
                                "caveats": "", "groups": "local"}])
        conn.execute(insert(t.sources).values(name="bench", created_at=audit.utc_now(), created_by="bench"))
        conn.execute(insert(t.entities), [
            {"id": e, "schema": "Person", "source": "bench", "record_key": f"p{i}", "marking_id": m.id, "first_run": "r",
             "last_run": "r", "first_seen": "2026", "last_seen": "2026"} for i, e in enumerate(ids)])
        rows = []
        for i, e in enumerate(ids):
            for prop, value in (("forename", f"Fore{i}"), ("surname", f"Sur{i % 500}"), ("birthDate", "1990-01-01")):
                rows.append({"id": statement_id(e, prop, value), "entity_id": e, "schema": "Person", "prop": prop,
                             "value": value, "original": value, "match_key": value.lower(), "source": "bench",
                             "record_key": f"p{i}", "run_id": "r", "first_seen": "2026", "last_seen": "2026",
                             "marking_id": m.id})
        conn.execute(insert(t.statements), rows)
    return ids


def _interleaved_medians(a, b, repeat: int = 41) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Median times of a and b, measured alternately so drift on a shared machine hits both."""
    a()
    b()
    ta: list[float] = []
    tb: list[float] = []
    for _ in range(repeat):
        for fn, times in ((a, ta), (b, tb)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return statistics.median(ta), statistics.median(tb)


CORES = min(os.cpu_count() or 1, 8)


def _plain_read(store: Store) -> float:
    """Seconds to read every audit entry, all columns, through the driver in batches (no checks)."""
    with store.connect() as conn:
        driver = conn.connection.driver_connection
        # streamed on PostgreSQL, as verification streams it
        cursor = driver.cursor(name="plain_read") if store.is_postgres else driver.cursor()  # type: ignore[union-attr]
        start = time.perf_counter()
        cursor.execute("SELECT * FROM audit_log ORDER BY seq")
        while cursor.fetchmany(16_384):
            pass
        took = time.perf_counter() - start
        cursor.close()
    return took


def run_backend(name: str, make_url, sizes: list[int], table: Table) -> None:  # type: ignore[no-untyped-def]
    # append rates
    url = make_url()
    store = Store(url)
    store.migrate()
    gov = Governance(store)
    ctx = _ctx()
    n_tx = 1000
    start = time.perf_counter()
    for i in range(n_tx):
        with gov.operation(ctx, "consultation", "bench.read") as op:
            op.record([f"id-{i}"])
    per_tx = n_tx / (time.perf_counter() - start)
    n_batch = 20_000
    start = time.perf_counter()
    with store.begin() as conn:
        for i in range(n_batch):
            audit.append(conn, operation="consultation", action="bench", user="bench", purpose="x", component="c",
                         client="cli", subjects=[f"id-{i}"])
    in_batch = n_batch / (time.perf_counter() - start)
    table.add_row(name, "append, one entry per transaction", f"{per_tx:,.0f} entries/s", "")
    table.add_row(name, "append, many per transaction", f"{in_batch:,.0f} entries/s", "")

    # audited read vs raw read of 1,000 rows
    ids = seed_people(store, 1000)
    if store.is_postgres:
        with store.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    # the same rows and columns the governed read returns, with no governance at all
    sel = text("SELECT id, entity_id, schema, prop, value, original, source, record_key, run_id, first_seen, "
               "last_seen, kind, marking_id, superseded_by IS NULL FROM statements "
               "WHERE entity_id IN :ids").bindparams(bindparam("ids", expanding=True))

    def raw() -> None:
        with store.engine.connect() as conn:
            conn.execute(sel, {"ids": ids}).all()

    def governed() -> None:
        with gov.operation(ctx, "consultation", "bench.read") as op:
            op.statements(ids)

    # five rounds of interleaved medians; the ratio reported is the median round's
    rounds = sorted((_interleaved_medians(raw, governed, repeat=21) for _ in range(5)), key=lambda r: r[1] / r[0])
    raw_t, gov_t = rounds[2]
    spread = f"{rounds[0][1] / rounds[0][0]:.2f}-{rounds[-1][1] / rounds[-1][0]:.2f}"
    table.add_row(name, "read 1,000 entities (3,000 values): raw SQL", f"{raw_t * 1000:.1f} ms", "")
    table.add_row(name, "same read, governed + audited", f"{gov_t * 1000:.1f} ms",
                  f"{gov_t / raw_t:.2f}x raw, median of 5 (range {spread}; target <= 1.5)")
    store.dispose()

    for n in sizes:
        url = make_url()
        store = Store(url)
        store.migrate()
        start = time.perf_counter()
        bulk_fill(store, n)
        fill = time.perf_counter() - start
        read_rate = n / _plain_read(store)
        rates = {}
        for workers in (1, None):
            with store.connect() as conn:
                start = time.perf_counter()
                report = integrity.verify(conn, workers=workers)
                rates[workers] = n / (time.perf_counter() - start)
            assert report.ok, report.problems
        table.add_row(name, f"read every entry of {n:,} (driver, all columns)", f"{read_rate:,.0f} entries/s",
                      f"reference (bulk fill {fill:.1f} s)")
        table.add_row(name, f"verify {n:,} entries, one process", f"{rates[1]:,.0f} entries/s",
                      f"{rates[1] / read_rate:.2f}x the plain read's rate")
        # below two pieces the log is verified in one process whatever the setting
        split = n >= 2 * integrity._PIECE
        used = CORES if split else 1
        table.add_row(name, f"verify {n:,} entries, {used} process{'es' if used > 1 else ''} (default)",
                      f"{rates[None]:,.0f} entries/s",
                      f"{rates[None] / rates[1]:.2f}x one process (target >= 200,000/s)")
        with store.connect() as conn:
            node_store = audit.SqlNodeStore(conn)
            size = node_store.size()
            idx = [int(i * (size - 1) / 49) for i in range(50)]
            start = time.perf_counter()
            for i in idx:
                fresh = audit.SqlNodeStore(conn)
                audit.warm(fresh, lambda s, i=i, n=size: merkle.inclusion_proof(s, i, n))
                merkle.inclusion_proof(fresh, i, size)
            incl = (time.perf_counter() - start) / len(idx)
            start = time.perf_counter()
            for i in idx[1:]:
                fresh = audit.SqlNodeStore(conn)
                audit.warm(fresh, lambda s, i=i, n=size: merkle.consistency_proof(s, i, n))
                merkle.consistency_proof(fresh, i, size)
            cons = (time.perf_counter() - start) / (len(idx) - 1)
        table.add_row(name, f"inclusion proof at {n:,}", f"{incl * 1000:.2f} ms", "target <= 10 ms at 1,000,000")
        table.add_row(name, f"consistency proof at {n:,}", f"{cons * 1000:.2f} ms", "")
        store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    table = Table(title="Clearsight audit log")
    for col in ("backend", "measure", "figure", "note"):
        table.add_column(col)
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(1000))
        run_backend("SQLite", lambda: f"sqlite:///{Path(tmp) / f'a{next(counter)}.db'}", sizes, table)
        if not args.no_postgres:
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            created: list[str] = []

            def pg_url() -> str:
                name = f"cs_bench_{uuid.uuid4().hex[:8]}"
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                created.append(name)
                return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

            try:
                run_backend("PostgreSQL", pg_url, sizes, table)
            finally:
                with admin.connect() as conn:
                    for name in created:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    console.print(table)


if __name__ == "__main__":
    main()
