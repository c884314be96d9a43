"""Oversight benchmark: how long a misuse scan takes against the reads it watches.

Seeds a store with people, users with shifts and declared identities, and a watch list;
drives N profile reads through the real profile service (each writes its audit entry);
then times, in the same run:
- the reads themselves (the reference: what the scan watches);
- a full scan of those N entries (every rule, the facts read through the governed path,
  alerts with inclusion proofs);
- an incremental scan with nothing new;
- ``audit verify`` over the same log (a second reference: one pass over every entry).

Usage: python benchmarks/bench_oversight.py [--entries 2000] [--people 1000] [--postgres]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

# the same synthetic population as the graph and search benchmark (benchmarks/ is on the path)
from bench_graph_search import generate  # type: ignore[import-not-found]
from clearsight.bootstrap import init_workspace
from clearsight.governance import integrity
from clearsight.governance.oversight import register, service
from clearsight.governance.oversight.config import OversightConfig
from clearsight.governance.users import create_case, create_user
from clearsight.search.profile import profile
from clearsight.settings import load_settings

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PURPOSE = "AUDIT-DISCIPLINE: benchmark of the misuse scan"
console = Console(width=160)


def run(db_url: str, folder: Path, entries: int, people: int) -> dict[str, float]:
    ws = init_workspace(load_settings(environ={}, workspace=folder, db_url=db_url, user="admin"))
    clock_at = [datetime(2026, 11, 2, 8, 30, tzinfo=UTC)]

    def clock() -> str:
        clock_at[0] += timedelta(seconds=20)
        return clock_at[0].strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    ws.governance.clock = clock
    person_ids = generate(ws, people, 7)["people"]
    users = [f"pc{u}" for u in range(8)]
    for u in users:
        create_user(ws.store, actor="admin", name=u, roles=("analyst",), clearance="OFFICIAL-SENSITIVE", groups=("local",))
    create_case(ws.store, actor="admin", reference="OP-BENCH", members=users)
    dpo = ws.context(PURPOSE)
    gov = ws.governance
    for n, u in enumerate(users):
        register.add_interest(gov, dpo, user=u, kind="self", name=f"Officer {'ABCDEFGH'[n]}wright", birth_date="1980-01-01",
                              postcode=f"HX{n} 1ZZ", vrm=f"YA{n + 51:02d} XYU")
        register.set_shift(gov, dpo, user=u, days="mon-fri", start="08:00", end="18:00")
    register.watch(gov, dpo, person_ids[7], "high-profile record for the benchmark")
    contexts = {u: ws.context("case:OP-BENCH benchmark enquiries", user=u) for u in users}
    t0 = time.perf_counter()
    for i in range(entries):
        u = users[i % len(users)]
        profile(gov, contexts[u], person_ids[(i * 7919) % people])
    reads = time.perf_counter() - t0
    config = OversightConfig()
    t0 = time.perf_counter()
    report = service.scan(gov, dpo, signing_key=ws.settings.signing_key_path, config=config)
    full = time.perf_counter() - t0
    t0 = time.perf_counter()
    service.scan(gov, dpo, signing_key=ws.settings.signing_key_path, config=config)
    idle = time.perf_counter() - t0
    t0 = time.perf_counter()
    with ws.store.connect() as conn:
        ok = integrity.verify(conn).ok
    verify = time.perf_counter() - t0
    ws.close()
    assert ok
    return {"reads": reads, "scan": full, "idle": idle, "verify": verify, "processed": report.processed,
            "alerts": len(report.alerts)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=2000, help="profile reads to scan")
    parser.add_argument("--people", type=int, default=1000, help="people in the store")
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL")
    args = parser.parse_args()
    table = Table(title=f"oversight scan of {args.entries} profile reads over {args.people} people", show_edge=False)
    for col in ("backend", "reads (s)", "scan (s)", "scan entries/s", "scan / reads", "verify (s)", "scan / verify",
                "idle scan (ms)", "alerts"):
        table.add_column(col, justify="right")
    with tempfile.TemporaryDirectory() as tmp:
        backends = [("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}")]
        name = ""
        if args.postgres:
            name = f"cs_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            backends.append(("postgresql", PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"))
        try:
            for backend, url in backends:
                r = run(url, Path(tmp) / backend, args.entries, args.people)
                table.add_row(backend, f"{r['reads']:.2f}", f"{r['scan']:.2f}", f"{r['processed'] / r['scan']:,.0f}",
                              f"{r['scan'] / r['reads']:.3f}x", f"{r['verify']:.3f}", f"{r['scan'] / r['verify']:.1f}x",
                              f"{r['idle'] * 1000:.1f}", str(r["alerts"]))
        finally:
            if name:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    console.print(table)
    console.print("The reads are the reference: a scan should cost a small fraction of the activity it watches.")


if __name__ == "__main__":
    main()
