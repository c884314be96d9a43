"""Ingest benchmark: police.uk CSVs and a generated crime-report CSV into SQLite and PostgreSQL.

For each file and database it prints source rows per second, peak memory (the maximum
resident set of a fresh subprocess per measurement), and the ratio to a reference
measured in the same run: parsing the same file with pyarrow plus a raw bulk insert
(``executemany`` on SQLite, ``COPY`` on PostgreSQL) of exactly the database rows the
ingest wrote, with no mapping, normalisation, provenance checks or audit. The reference
rows are exported to Parquet beforehand (untimed) and streamed back in batches, so the
reference's memory is flat too.

On SQLite it also prints floors: the same entities, values and links inserted raw into the
narrowest tables that still keep them (integer keys; a value reduced to entity, property,
value and run), in three shapes: a row per value under hashed ids, each entity's values
packed into one JSON column, and a row per value under the natural key with no hashed id.
No store of one of those shapes can ingest faster than its floor, whatever its mapping code
does (see ``measure_floor``).

Usage:
    python benchmarks/bench_ingest.py                 # 10^5 and 10^6 generated rows
    python benchmarks/bench_ingest.py --rows 200000   # 10^5 and 2x10^5
    python benchmarks/bench_ingest.py --rows 20000 --no-postgres
    python benchmarks/bench_ingest.py --no-police-uk --no-postgres   # run these two side by side
    python benchmarks/bench_ingest.py --no-police-uk --no-sqlite

PostgreSQL is the server at 127.0.0.1:5432 (user postgres); the script creates and drops
a scratch database per measurement.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLEARSIGHT_SHARED_DATA", REPO.parent / "shared" / "data"))
PG_ADMIN = os.environ.get("CLEARSIGHT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PURPOSE = "DEMONSTRATION: ingest benchmark on generated and public data"

CRIME_MAPPING = """\
name: crime-reports
description: Generated crime reports, one row per crime with a suspect and a victim
format: csv
record_key: [crime_ref]
marking: {classification: OFFICIAL-SENSITIVE, descriptors: [PERSONAL]}
kind: fact
entities:
  - id: crime
    schema: Crime
    properties:
      crimeReference: {column: crime_ref}
      crimeType: {column: crime_type}
      occurredFrom: {column: date, format: "%d/%m/%Y"}
      latitude: {column: lat}
      longitude: {column: lon}
  - id: suspect
    schema: Person
    skip_if_empty: [suspect_surname]
    properties:
      forename: {column: suspect_forename}
      surname: {column: suspect_surname}
      birthDate: {column: suspect_dob, format: "%d/%m/%Y"}
  - id: victim
    schema: Person
    skip_if_empty: [victim_surname]
    properties:
      forename: {column: victim_forename}
      surname: {column: victim_surname}
      birthDate: {column: victim_dob, format: "%d/%m/%Y"}
  - id: place
    schema: Address
    key: [address, postcode]
    properties:
      fullAddress: {column: address}
      postcode: {column: postcode}
      latitude: {column: lat}
      longitude: {column: lon}
links:
  - schema: Involvement
    source: suspect
    target: crime
    properties: {category: {constant: suspect}}
  - schema: Involvement
    source: victim
    target: crime
    properties: {category: {constant: victim}}
  - schema: OccurredAt
    source: crime
    target: place
"""

FORENAMES = ["James", "Olivia", "Mohammed", "Amelia", "Jack", "Isla", "Harry", "Ava", "Oliver", "Mia", "Aisha",
             "Noah", "Zara", "George", "Grace", "Leo", "Freya", "Arthur", "Lily", "Muhammad", "Sophie", "Thomas"]
SURNAMES = ["Smith", "Jones", "Khan", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
            "Robinson", "Wright", "Thompson", "Evans", "Walker", "O'Brien", "Hussain", "Ali", "Roberts", "Green"]
TYPES = ["Burglary", "Vehicle crime", "Violence and sexual offences", "Criminal damage and arson", "Shoplifting",
         "Other theft", "Robbery", "Drugs", "Public order", "Possession of weapons"]
STREETS = ["High Street", "Church Lane", "Station Road", "Victoria Road", "Green Lane", "Manor Road", "Park Avenue"]
TOWNS = [("Leeds", "LS"), ("Bradford", "BD"), ("Wakefield", "WF"), ("Huddersfield", "HD"), ("Halifax", "HX")]


def generate(path: Path, rows: int, seed: int = 2024) -> None:
    """A deterministic crime-report CSV: crime ref, type, date, suspect, victim, address, postcode, lat/lon."""
    rng = random.Random(seed)
    addresses = []
    for _ in range(max(1000, rows // 20)):
        town, area = rng.choice(TOWNS)
        pc = f"{area}{rng.randint(1, 29)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        lat, lon = 53.5 + rng.random() * 0.4, -2.0 + rng.random() * 0.7
        addresses.append((f"{rng.randint(1, 250)} {rng.choice(STREETS)}, {town}", pc, f"{lat:.6f}", f"{lon:.6f}"))
    people = [(rng.choice(FORENAMES), rng.choice(SURNAMES), f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1940, 2008)}")
              for _ in range(max(1000, rows // 5))]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["crime_ref", "crime_type", "date", "suspect_forename", "suspect_surname", "suspect_dob",
                    "victim_forename", "victim_surname", "victim_dob", "address", "postcode", "lat", "lon"])
        for n in range(rows):
            s = rng.choice(people) if rng.random() < 0.6 else ("", "", "")
            v = rng.choice(people)
            a = rng.choice(addresses)
            date = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2019, 2024)}"
            w.writerow([f"13/{n:08d}/24", rng.choice(TYPES), date, *s, *v, *a])


# -- measurements, each in its own subprocess ------------------------------------------------
def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _rss_mb() -> float:
    """The resident set now (Linux), for the trace of memory during a run."""
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


#: points of a run (fractions of its rows) at which the trace samples rate and memory
TRACE_AT = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def _fresh_db(kind: str, folder: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"cs_bench_ingest_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)


def _drop_db(url: str) -> None:
    if url.startswith("sqlite"):
        Path(url.split("///", 1)[1]).unlink(missing_ok=True)
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def measure_ingest(file: Path, mapping: str, url: str, workspace: Path, export: Path | None) -> dict[str, float]:
    """Ingest ``file`` into a fresh store at ``url``; optionally export what was written to Parquet."""
    from clearsight.bootstrap import init_workspace
    from clearsight.ingest import ingest
    from clearsight.settings import load_settings

    settings = load_settings(environ={}, workspace=workspace, db_url=url, user="bench")
    ws = init_workspace(settings, user="bench")
    ctx = ws.context(PURPOSE)
    total_bytes = file.stat().st_size
    trace: list[list[float]] = []
    marks = list(TRACE_AT)
    start = time.perf_counter()

    def progress(rows: int, done: int | None, _size: int | None) -> None:
        # memory and elapsed time at each tenth of the file, to show whether either drifts
        if marks and done is not None and done >= marks[0] * total_bytes:
            marks.pop(0)
            trace.append([rows, round(time.perf_counter() - start, 3), round(_rss_mb())])

    summary = ingest(ws.governance, ctx, str(file), mapping, reports_dir=workspace / "reports",
                     batch_size=settings.batch_size, progress=progress)
    seconds = time.perf_counter() - start
    out = {"rows": summary.rows_read, "seconds": seconds, "peak_mb": _peak_mb(), "statements": summary.statements_written,
           "entities": summary.entities_written, "links": summary.links_written, "trace": trace}
    if export is not None:
        _export(ws.store.engine, export)
    ws.close()
    return out


def _export(engine: object, folder: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from sqlalchemy import text

    folder.mkdir(parents=True, exist_ok=True)
    for table in ("markings", "sources", "entities", "statements", "links"):
        with engine.connect() as conn:  # type: ignore[attr-defined]
            result = conn.execution_options(stream_results=True).execute(text(f"SELECT * FROM {table}"))
            cols = list(result.keys())
            writer = None
            for part in result.partitions(50_000):
                batch = pa.table({c: pa.array([None if r[i] is None else str(r[i]) if c != "active" else r[i] for r in part], pa.string()) for i, c in enumerate(cols)})
                if writer is None:
                    writer = pq.ParquetWriter(folder / f"{table}.parquet", batch.schema)
                writer.write_table(batch)
            if writer is not None:
                writer.close()


def measure_reference(file: Path, url: str, rows_dir: Path, batch_rows: int) -> dict[str, float]:
    """pyarrow CSV parse of ``file`` plus a raw bulk insert of the exported rows into ``url``."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from clearsight.store.engine import Store

    store = Store(url)
    store.migrate()
    raw = store.engine.raw_connection()
    conn = raw.driver_connection  # type: ignore[attr-defined]
    pg = store.is_postgres
    for table in ("markings", "sources"):  # what the rows refer to: untimed
        pf = pq.ParquetFile(rows_dir / f"{table}.parquet")
        cols = pf.schema_arrow.names
        t = pf.read()
        rows = list(zip(*(t.column(i).to_pylist() for i in range(len(cols))), strict=True))
        mark = "%s" if pg else "?"
        cur = conn.cursor()
        cur.executemany(f"INSERT INTO {table} ({', '.join(chr(34) + c + chr(34) for c in cols)}) VALUES ({', '.join(mark for _ in cols)})", rows)
        conn.commit()
        cur.close()
    start = time.perf_counter()
    reader = pacsv.open_csv(file)
    n = 0
    for batch in reader:
        n += batch.num_rows
    for table in ("entities", "statements", "links"):
        path = rows_dir / f"{table}.parquet"
        if not path.exists():
            continue
        pf = pq.ParquetFile(path)
        cols = pf.schema_arrow.names
        collist = ", ".join(f'"{c}"' for c in cols)
        for batch in pf.iter_batches(batch_size=batch_rows):
            rows = list(zip(*(batch.column(i).to_pylist() for i in range(len(cols))), strict=True))
            if table == "entities" or table == "links":
                rows = [tuple(v if c != "state" else (v or "active") for c, v in zip(cols, r, strict=True)) for r in rows]
            cur = conn.cursor()
            if pg:
                with cur.copy(f"COPY {table} ({collist}) FROM STDIN") as copy:
                    for r in rows:
                        copy.write_row(r)
            else:
                cur.executemany(f"INSERT INTO {table} ({collist}) VALUES ({', '.join('?' for _ in cols)})", rows)
            conn.commit()
            cur.close()
    seconds = time.perf_counter() - start
    raw.close()
    store.dispose()
    return {"rows": n, "seconds": seconds, "peak_mb": _peak_mb()}


#: the narrowest tables that still keep a row per property value with its provenance: the
#: value's entity (which carries source and record key), property, value and ingest run
FLOOR_PER_VALUE = (
    "CREATE TABLE e (no INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, schema TEXT, source TEXT, record_key TEXT, marking TEXT, run INTEGER)",
    "CREATE TABLE s (entity INTEGER, prop INTEGER, value TEXT, run INTEGER, PRIMARY KEY (entity, prop, value)) WITHOUT ROWID",
    "CREATE TABLE l (no INTEGER PRIMARY KEY, schema TEXT, src INTEGER, tgt INTEGER, run INTEGER)",
    "CREATE INDEX l_src ON l (src)",
    "CREATE INDEX l_tgt ON l (tgt)",
)
#: the same with all of an entity's values packed into one JSON column of its row
FLOOR_PACKED = (
    "CREATE TABLE e (no INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, schema TEXT, source TEXT, record_key TEXT, marking TEXT, run INTEGER, props TEXT)",
    *FLOOR_PER_VALUE[2:],
)
#: a row per value again, but with no hashed id: the natural key is the unique index
FLOOR_NATURAL = (
    "CREATE TABLE e (no INTEGER PRIMARY KEY, schema TEXT, source TEXT, record_key TEXT, marking TEXT, run INTEGER, UNIQUE (source, schema, record_key))",
    *FLOOR_PER_VALUE[1:],
)


def _timed_inserts(folder: Path, ddl: tuple[str, ...], tables: list[tuple[str, list[tuple[Any, ...]]]]) -> dict[str, float]:
    """Seconds to ``executemany`` each table's rows, 50,000 a transaction, into a fresh SQLite file."""
    import sqlite3

    path = folder / f"floor-{uuid.uuid4().hex[:8]}.db"
    conn = sqlite3.connect(path)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-65536"):
        conn.execute(f"PRAGMA {pragma}")
    for statement in ddl:
        conn.execute(statement)
    conn.commit()
    timed: dict[str, float] = {}
    for table, rows in tables:
        marks = ", ".join("?" for _ in rows[0]) if rows else ""
        start = time.perf_counter()
        for i in range(0, len(rows), 50_000):
            conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows[i : i + 50_000])
            conn.commit()
        timed[table] = time.perf_counter() - start
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return timed


def measure_floor(file_rows: int, rows_dir: Path, folder: Path) -> dict[str, float]:
    """The fastest SQLite takes the rows the ingest wrote, in the narrowest forms that keep them.

    Three forms, each inserted raw into a fresh database:

    - per value: entities get sequential integer keys (plus the deterministic text id that
      makes a re-ingest idempotent), statements shrink to (entity, property, value, run)
      clustered by entity, links to integer ends;
    - packed: the same, but each entity's values are one JSON column of its own row;
    - natural: per value, but with no hashed id; the unique index that makes a re-ingest
      idempotent is (source, schema, record key), which is in order when the file's record
      keys are.

    Building the rows is untimed; only ``executemany`` is timed. These are ceilings on any
    store of that shape, with no parsing, mapping, normalising or checking at all.
    """
    import pyarrow.parquet as pq

    ents = pq.read_table(rows_dir / "entities.parquet", columns=["id", "schema", "source", "record_key", "marking_id"]).to_pylist()
    number = {e["id"]: n for n, e in enumerate(ents, start=1)}
    e_rows = [(number[e["id"]], e["id"], e["schema"], e["source"], e["record_key"], e["marking_id"], 1) for e in ents]
    del ents
    props: dict[str, int] = {}
    s_rows = sorted({
        (number[r["entity_id"]], props.setdefault(r["prop"], len(props)), r["value"], 1)
        for r in pq.read_table(rows_dir / "statements.parquet", columns=["entity_id", "prop", "value"]).to_pylist()
    })
    l_rows = [
        (n, r["schema"], number[r["source_id"]], number[r["target_id"]], 1)
        for n, r in enumerate(pq.read_table(rows_dir / "links.parquet", columns=["schema", "source_id", "target_id"]).to_pylist(), start=1)
    ] if (rows_dir / "links.parquet").exists() else []
    per_value = _timed_inserts(folder, FLOOR_PER_VALUE, [("e", e_rows), ("s", s_rows), ("l", l_rows)])
    natural = _timed_inserts(folder, FLOOR_NATURAL, [("e", [(r[0], *r[2:]) for r in e_rows]), ("s", s_rows), ("l", l_rows)])
    names = {n: p for p, n in props.items()}
    packed: dict[int, dict[str, list[str]]] = {}
    for entity, prop, value, _run in s_rows:
        packed.setdefault(entity, {}).setdefault(names[prop], []).append(value)
    del s_rows
    p_rows = [(*row, json.dumps(packed.get(row[0], {}))) for row in e_rows]
    del packed
    packed_times = _timed_inserts(folder, FLOOR_PACKED, [("e", p_rows), ("l", l_rows)])
    return {
        "rows": file_rows, "seconds": sum(per_value.values()), "statements_seconds": per_value["s"],
        "packed_seconds": sum(packed_times.values()), "natural_seconds": sum(natural.values()),
    }


def _sub(args: list[str]) -> dict[str, float]:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"measurement failed: {' '.join(args)}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_pair(label: str, file: Path, mapping: str, kind: str, tmp: Path) -> dict[str, object]:
    """Ingest and reference for one file on one backend, each in a fresh subprocess and database."""
    rows_dir = tmp / f"rows-{uuid.uuid4().hex[:6]}"
    url = _fresh_db(kind, tmp)
    try:
        ing = _sub(["--measure", "ingest", "--file", str(file), "--mapping", mapping, "--url", url,
                    "--workspace", str(tmp / f"ws-{uuid.uuid4().hex[:6]}"), "--export", str(rows_dir)])
    finally:
        _drop_db(url)
    url = _fresh_db(kind, tmp)
    try:
        ref = _sub(["--measure", "reference", "--file", str(file), "--url", url, "--rows-dir", str(rows_dir)])
    finally:
        _drop_db(url)
    floor = _sub(["--measure", "floor", "--rows-dir", str(rows_dir), "--file-rows", str(int(ing["rows"])),
                  "--workspace", str(tmp)]) if kind == "sqlite" else None
    rate = ing["rows"] / ing["seconds"]
    ref_rate = ref["rows"] / ref["seconds"]
    line = {
        "file": label, "db": kind, "rows": int(ing["rows"]), "db_rows": int(ing["statements"] + ing["entities"] + ing["links"]),
        "ingest_s": round(ing["seconds"], 2), "rows_per_s": round(rate), "peak_mb": round(ing["peak_mb"]),
        "reference_s": round(ref["seconds"], 2), "reference_rows_per_s": round(ref_rate),
        "reference_peak_mb": round(ref["peak_mb"]), "ratio": round(ing["seconds"] / ref["seconds"], 2),
    }
    print(f"{label:<34} {kind:<8} {line['rows']:>9,} rows {line['db_rows']:>10,} db rows  "
          f"{line['rows_per_s']:>7,} rows/s  peak {line['peak_mb']:>5} MB  reference {line['reference_rows_per_s']:>7,} rows/s "
          f"({line['reference_peak_mb']} MB)  ratio {line['ratio']:.2f}x", flush=True)
    trace = ing.get("trace") or []
    if trace:
        # rows/s over each tenth of the file and the resident set at its end: flat lines mean
        # neither the rate nor the memory depends on how much is already loaded
        steps, last_rows, last_s = [], 0.0, 0.0
        for rows, secs, rss in trace:
            rate_here = (rows - last_rows) / max(secs - last_s, 1e-9)
            steps.append(f"{int(rows):,}: {rate_here:,.0f} rows/s, {rss:.0f} MB")
            last_rows, last_s = rows, secs
        print("    trace  " + " | ".join(steps), flush=True)
        line["trace"] = trace
    if floor is not None:
        # ceilings for stores that keep these rows in their narrowest forms: see measure_floor
        line["floor_rows_per_s"] = round(floor["rows"] / floor["seconds"])
        line["floor_statements_only_rows_per_s"] = round(floor["rows"] / floor["statements_seconds"])
        line["floor_packed_rows_per_s"] = round(floor["rows"] / floor["packed_seconds"])
        line["floor_natural_rows_per_s"] = round(floor["rows"] / floor["natural_seconds"])
        print(f"    floor  raw executemany into the narrowest tables: a row per value {line['floor_rows_per_s']:,} rows/s "
              f"(the values alone {line['floor_statements_only_rows_per_s']:,}); a row per entity, values packed as JSON "
              f"{line['floor_packed_rows_per_s']:,} rows/s; a row per value keyed by (source, schema, record key) "
              f"with no hashed id {line['floor_natural_rows_per_s']:,} rows/s", flush=True)
    return line


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000, help="Rows of the larger generated file (the smaller is 10^5, or rows/10 if less).")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only (to run the two backends side by side).")
    ap.add_argument("--no-police-uk", action="store_true")
    ap.add_argument("--measure", choices=["ingest", "reference", "floor"], help=argparse.SUPPRESS)
    ap.add_argument("--file-rows", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--file", help=argparse.SUPPRESS)
    ap.add_argument("--mapping", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--workspace", help=argparse.SUPPRESS)
    ap.add_argument("--export", help=argparse.SUPPRESS)
    ap.add_argument("--rows-dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure == "ingest":
        res = measure_ingest(Path(args.file), args.mapping, args.url, Path(args.workspace), Path(args.export) if args.export else None)
        print(json.dumps(res))
        return
    if args.measure == "floor":
        print(json.dumps(measure_floor(args.file_rows, Path(args.rows_dir), Path(args.workspace))))
        return
    if args.measure == "reference":
        print(json.dumps(measure_reference(Path(args.file), args.url, Path(args.rows_dir), 5000)))
        return

    kinds = [k for k, off in (("sqlite", args.no_sqlite), ("postgres", args.no_postgres)) if not off]
    small = 100_000 if args.rows > 100_000 else max(1000, args.rows // 10)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmpdir:
        tmp = Path(tmpdir)
        mapping = tmp / "crime-reports.yaml"
        mapping.write_text(CRIME_MAPPING, encoding="utf-8")
        print(f"Ingest benchmark ({os.cpu_count()} CPUs); each figure from a fresh subprocess and database.", flush=True)
        if not args.no_police_uk:
            for f in sorted((SHARED / "police_uk").glob("*/*-street.csv")):
                for kind in kinds:
                    results.append(run_pair(f.name, f, "police-uk-street", kind, tmp))
        for n in (small, args.rows):
            path = tmp / f"crime-{n}.csv"
            t0 = time.perf_counter()
            generate(path, n)
            print(f"generated {path.name} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s", flush=True)
            for kind in kinds:
                results.append(run_pair(f"generated crime reports {n:,}", path, str(mapping), kind, tmp))
            path.unlink()
    gen = [r for r in results if str(r["file"]).startswith("generated")]
    for kind in kinds:
        pair = [r for r in gen if r["db"] == kind]
        if len(pair) == 2:
            print(f"{kind}: peak memory {pair[0]['peak_mb']} MB at {pair[0]['rows']:,} rows vs {pair[1]['peak_mb']} MB at {pair[1]['rows']:,} rows")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
