"""Benchmark search and link analysis at scale, with raw igraph as the in-run reference.

Generates a synthetic population straight into a fresh store with bulk inserts (people
with names, dates of birth, postcodes and phones; vehicles; crimes with suspects and
victims; associations and family links), resolves a fraction of the people as a resolved
store would have them (each gets a second record of themselves from another source, with a
slightly different spelling, and the two are one canonical entity), builds the search
index and the viewer's graph, then times governed queries end to end (audit entry
included) and the graph algorithm alone against the raw igraph call on the same graph.

Usage:
    python benchmarks/bench_graph_search.py --people 100000 [--db-url URL] [--queries 300] [--resolved 0.2]

``--reuse`` on a store kept with ``--keep`` adds the resolved people it lacks first (so a
store built without them gets them without a rebuild; a second run adds nothing).

Targets (at 10^6 people): search p95 <= 50 ms on SQLite; 2-hop neighbourhood and shortest
path p95 <= 100 ms; Clearsight path / raw igraph <= 2.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from clearsight.bootstrap import init_workspace, open_workspace
from clearsight.governance.audit import utc_now
from clearsight.governance.context import Context, Purpose
from clearsight.governance.markings import Marking
from clearsight.graph import GraphCache, neighbours, path
from clearsight.graph import analysis as an
from clearsight.search import refresh_index, search, update_index
from clearsight.settings import load_settings
from clearsight.store import tables as t
from clearsight.store.ids import entity_id, link_id, statement_id
from clearsight.store.ingest_writes import refresh_statistics
from clearsight.store.resolution_store import write_clusters
from clearsight.store.search_index import data_version, index_state, version_text
from clearsight.store.writes import ensure_markings, insert_ignore

FORENAMES = ["John", "Mary", "James", "Sarah", "Mohammed", "Aisha", "David", "Emma", "Daniel", "Olivia", "Jack",
             "Amelia", "Harry", "Isla", "Oliver", "Ava", "Charlie", "Mia", "George", "Grace", "Noah", "Lily",
             "Leo", "Zara", "Adam", "Ella", "Imran", "Chloe", "Ryan", "Hannah", "Tomasz", "Agnieszka", "Kwame",
             "Priya", "Arjun", "Fatima", "Liam", "Sophie", "Ethan", "Ruby"]
SURNAMES = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Khan",
            "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
            "Jackson", "Clarke", "Hussain", "Ahmed", "Begum", "Kowalski", "Nowak", "Mensah", "Singh", "Shah",
            "Hughes", "Edwards", "Lewis", "Harris", "Martin", "Cooper", "King", "Lee", "Baker", "Hill"]
DISTRICTS = ["LS1", "LS2", "LS6", "LS7", "LS8", "LS9", "LS11", "BD1", "BD3", "BD7", "WF1", "WF10", "HX1", "HD1"]
RUN = "bench"
#: the source of the people's second records (resolved into one canonical entity with the first)
SECOND_SOURCE = "custody"
#: what a kept store's queries are drawn from (names, phones, VRMs, person ids), beside it
SAMPLE = "bench-sample.json"
#: the query shapes generated in turn (query n has shape n % 6)
QUERY_SHAPES = ("forename_surname", "surname_comma_forename", "initial_surname", "near_spelling", "phone", "vrm")


def index_state_of(ws: Any) -> dict[str, str]:
    with ws.store.begin() as conn:
        return index_state(conn)


def index_current(ws: Any) -> bool:
    """Whether the search index was last brought up to date for the data as it is now."""
    with ws.store.begin() as conn:
        return index_state(conn).get("version") == version_text(data_version(conn))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return (time.perf_counter() - start) * 1000.0, out


class _Writer:
    """Bulk inserts straight into the store tables, flushed every ``FLUSH`` rows.

    A fixture builder only: it writes the same entity, statement and link rows an ingest
    would, without the ingest pipeline, so a large population costs minutes rather than
    hours; every query timed below is the product's own.
    """

    FLUSH = 50_000

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.rows: dict[Any, list[dict[str, Any]]] = {t.entities: [], t.statements: [], t.links: []}
        self.counts = {"entities": 0, "statements": 0, "links": 0}

    def add(self, table: Any, row: dict[str, Any]) -> None:
        self.rows[table].append(row)
        self.counts[table.name] += 1
        if len(self.rows[table]) >= self.FLUSH:
            self.flush()

    def flush(self) -> None:
        """Write what is held, entities first (statements and links refer to them)."""
        with self.ws.store.begin() as conn:
            mark = "%s" if conn.dialect.name == "postgresql" else "?"
            for tb in (t.entities, t.statements, t.links):
                rows = self.rows[tb]
                if not rows:
                    continue
                # plain tuples through the driver: no per-row parameter processing
                cols = list(rows[0])
                names = ", ".join(f'"{c}"' for c in cols)
                marks = ", ".join(mark for _ in cols)
                sql = f"INSERT INTO {tb.name} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING"
                conn.exec_driver_sql(sql, [tuple(r[c] for c in cols) for r in rows])
                self.rows[tb] = []


def generate(ws: Any, people: int, seed: int) -> dict[str, Any]:
    """Bulk-insert a population; return what queries need (names, phones, VRMs, ids)."""
    rng = random.Random(seed)
    now = utc_now()
    marking = Marking()
    out = _Writer(ws)
    sample: dict[str, Any] = {"names": [], "phones": [], "vrms": [], "people": []}
    with ws.store.begin() as conn:
        ensure_markings(conn, [{"id": marking.id, "classification": marking.classification, "level": marking.level,
                                "descriptors": "", "caveats": "", "groups": ""}])
        conn.execute(insert_ignore(conn, t.sources).values(name="bench", created_at=now, created_by="bench"))

    def entity(schema: str, key: str, props: dict[str, str]) -> str:
        eid = entity_id("bench", schema, key)
        out.add(t.entities, {"id": eid, "schema": schema, "source": "bench", "record_key": key, "marking_id": marking.id,
                             "first_run": RUN, "last_run": RUN, "first_seen": now, "last_seen": now})
        for prop, value in props.items():
            out.add(t.statements, {"id": statement_id(eid, prop, value), "entity_id": eid, "schema": schema, "prop": prop,
                                   "value": value, "original": value, "match_key": value.casefold(), "source": "bench",
                                   "record_key": key, "run_id": RUN, "first_seen": now, "last_seen": now,
                                   "marking_id": marking.id})
        return eid

    def link(schema: str, a: str, b: str, key: str, props: dict[str, str] | None = None) -> None:
        out.add(t.links, {"id": link_id("bench", schema, a, b, key), "schema": schema, "source_id": a, "target_id": b,
                          "properties": json.dumps(props or {}), "source": "bench", "record_key": key, "run_id": RUN,
                          "first_seen": now, "last_seen": now, "marking_id": marking.id})

    person_ids: list[str] = []
    for i in range(people):
        fore, sur = rng.choice(FORENAMES), rng.choice(SURNAMES)
        district = rng.choice(DISTRICTS)
        postcode = f"{district} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        pid = entity("Person", f"p{i}", {"name": f"{fore} {sur}", "forename": fore, "surname": sur,
                                         "birthDate": f"{rng.randint(1950, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                                         "postcode": postcode})
        person_ids.append(pid)
        if len(sample["names"]) < 2000:
            sample["names"].append((fore, sur))
        if rng.random() < 0.5:
            number = f"+447700{i % 1000000:06d}" if i < 1000 else f"+4479{rng.randint(10**8, 10**9 - 1)}"
            ph = entity("Phone", f"ph{i}", {"number": number})
            link("PhoneUse", pid, ph, f"pu{i}")
            if len(sample["phones"]) < 500:
                sample["phones"].append(number)
        if rng.random() < 0.3:
            vrm = f"{rng.choice('ABCDEFGHKLMNOPRSVWY')}{rng.choice('ABCDEFGHJKLMNOPRSTUVWXY')}{rng.randint(10, 73)}" \
                  f"{''.join(rng.choice('ABCDEFGHJKLMNOPRSTUVWXYZ') for _ in range(3))}"
            v = entity("Vehicle", f"v{i}", {"registration": vrm})
            link("Keepership", pid, v, f"k{i}")
            if len(sample["vrms"]) < 500:
                sample["vrms"].append(vrm)
    for i in range(people // 2):
        crime = entity("Crime", f"c{i}", {"crimeType": rng.choice(["Burglary", "Robbery", "Vehicle crime", "Drugs"]),
                                          "month": f"20{rng.randint(18, 25)}-{rng.randint(1, 12):02d}"})
        for j, who in enumerate(rng.sample(person_ids, k=rng.randint(1, 3))):
            link("Involvement", who, crime, f"i{i}-{j}", {"category": rng.choice(["suspect", "suspect", "offender", "victim", "witness"])})
    for i in range(int(people * 1.5)):
        a = rng.randrange(people)
        # mostly local ties (people near each other in the list), some long ones
        b = (a + rng.randint(1, 50)) % people if rng.random() < 0.85 else rng.randrange(people)
        if a != b:
            link("Association", person_ids[a], person_ids[b], f"a{i}")
    out.flush()
    with ws.store.begin() as conn:
        refresh_statistics(conn)
    sample["people"] = person_ids
    return {**sample, **out.counts}


def respell(name: str, rng: random.Random) -> str:
    """A slightly different spelling: one inner letter doubled, dropped or a vowel changed."""
    i = rng.randrange(1, len(name) - 1)
    how = rng.randrange(3)
    if how == 0:
        return name[: i + 1] + name[i] + name[i + 1 :]
    if how == 1 and len(name) > 4:
        return name[:i] + name[i + 1 :]
    vowels = {"a": "e", "e": "a", "i": "y", "y": "i", "o": "a", "u": "o"}
    at = [n for n in range(1, len(name)) if name[n] in vowels]
    if not at:
        return name[: i + 1] + name[i] + name[i + 1 :]
    n = rng.choice(at)
    return name[:n] + vowels[name[n]] + name[n + 1 :]


def resolve_people(ws: Any, people: list[str], fraction: float, seed: int) -> dict[str, int]:
    """Give a fraction of the people a second record from another source, resolved with the first.

    The second record is the same person as another system holds them: same birth date and
    postcode, the surname (or, for one in four, the forename) spelt slightly differently.
    The two are written as one cluster the way resolution writes clusters
    (:func:`write_clusters`, canonical id the smaller member id, method ``model``).
    Idempotent: the people are drawn from ``seed``, their second records have fixed ids,
    and only people not yet in a cluster get one; returns how many records are clustered.
    """
    rng = random.Random(seed)
    chosen = sorted(rng.sample(range(len(people)), int(len(people) * fraction)))
    now = utc_now()
    c, s = t.clusters, t.statements
    values: dict[str, dict[str, str]] = {}
    clustered: set[str] = set()
    with ws.store.begin() as conn:
        conn.execute(insert_ignore(conn, t.sources).values(name=SECOND_SOURCE, created_at=now, created_by="bench"))
        for i in range(0, len(chosen), 500):
            ids = [people[n] for n in chosen[i : i + 500]]
            clustered.update(r[0] for r in conn.execute(select(c.c.entity_id).where(c.c.entity_id.in_(ids))))
            rows = conn.execute(select(s.c.entity_id, s.c.prop, s.c.value, s.c.marking_id)
                                .where(s.c.entity_id.in_(ids), s.c.superseded_by.is_(None)))
            for eid, prop, value, marking_id in rows:
                values.setdefault(eid, {"_marking": marking_id})[prop] = value
    out = _Writer(ws)
    clusters: list[tuple[Any, ...]] = []
    for n in chosen:
        first = people[n]
        if first in clustered or first not in values:
            continue
        props = dict(values[first])
        marking = props.pop("_marking")
        fore, sur = props.get("forename", ""), props.get("surname", "")
        if fore and sur:
            if rng.random() < 0.25:
                fore = respell(fore, rng)
            else:
                sur = respell(sur, rng)
            props.update(name=f"{fore} {sur}", forename=fore, surname=sur)
        key = f"r{n}"
        second = entity_id(SECOND_SOURCE, "Person", key)
        out.add(t.entities, {"id": second, "schema": "Person", "source": SECOND_SOURCE, "record_key": key,
                             "marking_id": marking, "first_run": RUN, "last_run": RUN, "first_seen": now, "last_seen": now})
        for prop, value in props.items():
            out.add(t.statements, {"id": statement_id(second, prop, value), "entity_id": second, "schema": "Person",
                                   "prop": prop, "value": value, "original": value, "match_key": value.casefold(),
                                   "source": SECOND_SOURCE, "record_key": key, "run_id": RUN, "first_seen": now,
                                   "last_seen": now, "marking_id": marking})
        canonical = min(first, second)
        # in the order of CLUSTER_COLUMNS
        clusters += [(e, "Person", canonical, "model", 0.97, "bench", now) for e in (first, second)]
    out.flush()
    with ws.store.begin() as conn:
        if clusters:
            write_clusters(conn, schema="Person", remove=[], rows=clusters)
            refresh_statistics(conn)
        return {"resolved_added": len(clusters) // 2,
                "clustered_records": int(conn.execute(select(func.count()).select_from(c)).scalar_one())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--db-url", default="")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", default="", help="Build the store in this (new) folder and keep it; "
                        "by default a temporary folder is used and removed at the end.")
    parser.add_argument("--reuse", default="", help="Time the queries again on a store kept with --keep "
                        "(no generation; the index is rebuilt only when a migration asks for it; the graph is built afresh).")
    parser.add_argument("--search-only", action="store_true", help="Time the searches only (no graph figures).")
    parser.add_argument("--resolved", type=float, default=0.2, help="The fraction of people given a second record "
                        "resolved with the first (0: none; on --reuse, only those missing are added).")
    args = parser.parse_args()
    if args.keep and args.reuse:
        parser.error("give --keep or --reuse, not both")
    if args.reuse:
        folder = Path(args.reuse)
        if not (folder / SAMPLE).exists():
            parser.error(f"--reuse: {folder} holds no store kept by --keep")
    elif args.keep:
        folder = Path(args.keep)
        if folder.exists():
            parser.error(f"--keep: {folder} already exists; give a new folder")
        folder.mkdir(parents=True)
    else:
        folder = Path(tempfile.mkdtemp(prefix="cs-bench-"))
    settings = load_settings(environ={}, workspace=folder, db_url=args.db_url or None, user="bench")
    # a kept store is brought to the newest schema first (a migration may add index tables)
    ms_open, ws = timed(lambda: open_workspace(settings, create=True) if args.reuse else init_workspace(settings, user="bench"))
    ctx = Context(user="bench", roles=frozenset({"analyst"}), clearance="OFFICIAL-SENSITIVE",
                  groups=frozenset({"local"}), purpose=Purpose.parse("INTELLIGENCE: benchmark of search and graph"))
    gov = ws.governance
    figures: dict[str, Any] = {}

    def put(key: str, value: Any) -> None:
        """Record a figure and print it at once (a long run shows what it has so far)."""
        figures[key] = value
        print(f"{key:40s} {value}", flush=True)

    put("people", args.people)
    put("backend", ws.store.dialect)

    if args.reuse:
        data = json.loads((folder / SAMPLE).read_text())
        for key in ("entities", "statements", "links"):
            put(key, data[key])
        put("people", data["population"])
        put("open_and_migrate_s", round(ms_open / 1000, 1))
        if index_state_of(ws).get("built") != "yes":
            # a migration asked for the index to be rebuilt: time it here, not in the first search
            ms, report = timed(lambda: refresh_index(gov, ctx))
            put("index_build_s", round(ms / 1000, 1))
            put("index_keys", report.keys)
        if args.resolved > 0:
            ms, got = timed(lambda: resolve_people(ws, data["people"], args.resolved, args.seed + 2))
            put("resolve_people_s", round(ms / 1000, 1))
            put("resolved_added", got["resolved_added"])
            put("clustered_records", got["clustered_records"])
            if not index_current(ws):
                # what the first search after a resolution does: an incremental refresh
                ms, how = timed(lambda: update_index(gov, ctx))
                put("index_refresh_after_resolve_s", round(ms / 1000, 1))
                put("index_refreshed", how)
    else:
        ms, data = timed(lambda: generate(ws, args.people, args.seed))
        for key in ("entities", "statements", "links"):
            put(key, data[key])
        put("generate_s", round(ms / 1000, 1))
        ms, report = timed(lambda: refresh_index(gov, ctx))
        put("index_build_s", round(ms / 1000, 1))
        put("index_keys", report.keys)
        if args.resolved > 0:
            # as in use: the index is built after the load, then resolution joins records
            # into people and the first search brings the index up to date incrementally
            ms, got = timed(lambda: resolve_people(ws, data["people"], args.resolved, args.seed + 2))
            put("resolve_people_s", round(ms / 1000, 1))
            put("clustered_records", got["clustered_records"])
            ms, how = timed(lambda: update_index(gov, ctx))
            put("index_refresh_after_resolve_s", round(ms / 1000, 1))
            put("index_refreshed", how)
        if args.keep:
            (folder / SAMPLE).write_text(json.dumps({**data, "population": args.people}))

    rng = random.Random(args.seed + 1)
    queries: list[str] = []
    for n in range(args.queries):
        fore, sur = rng.choice(data["names"])
        kind = n % 6
        if kind == 0:
            queries.append(f"{fore} {sur}")
        elif kind == 1:
            queries.append(f"{sur}, {fore}")
        elif kind == 2:
            queries.append(f"{fore[0]} {sur}")
        elif kind == 3:
            queries.append(f"{fore} {sur[:-1] + 'e' if len(sur) > 4 else sur}")
        elif kind == 4:
            number = rng.choice(data["phones"])
            queries.append("0" + number[3:8] + " " + number[8:])
        else:
            vrm = rng.choice(data["vrms"])
            queries.append(vrm[:4] + " " + vrm[4:])
    search(gov, ctx, queries[0], limit=20)  # warm caches
    lat: list[float] = []
    cpu: list[float] = []
    totals: list[int] = []
    for q in queries:
        start_cpu = time.process_time()
        ms, res = timed(lambda q=q: search(gov, ctx, q, limit=20))
        cpu.append((time.process_time() - start_cpu) * 1000.0)
        lat.append(ms)
        totals.append(res.total)
    put("search_p50_ms", round(statistics.median(lat), 1))
    put("search_p95_ms", round(pct(lat, 0.95), 1))
    # this process's own CPU time per search: what the figures above would be on an idle machine
    put("search_cpu_p50_ms", round(statistics.median(cpu), 1))
    put("search_cpu_p95_ms", round(pct(cpu, 0.95), 1))
    for n, shape in enumerate(QUERY_SHAPES):
        part = lat[n::len(QUERY_SHAPES)]
        put(f"search_{shape}_p50_p95_ms", f"{statistics.median(part):.1f} / {pct(part, 0.95):.1f}")
        part = cpu[n::len(QUERY_SHAPES)]
        put(f"search_{shape}_cpu_p50_p95_ms", f"{statistics.median(part):.1f} / {pct(part, 0.95):.1f}")
        # the work each shape does: how many visible hits its queries count (median / most)
        found = totals[n::len(QUERY_SHAPES)]
        put(f"search_{shape}_hits_p50_max", f"{statistics.median(found):.0f} / {max(found)}")

    if args.search_only:
        ws.close()
        return
    graph_dir = Path(tempfile.mkdtemp(prefix="cs-bench-graph-"))
    cache = GraphCache(graph_dir)
    people = data["people"]
    ms, _ = timed(lambda: neighbours(gov, ctx, people[0], hops=1, cache=cache))
    put("graph_build_s", round(ms / 1000, 2))
    vg = next(iter(cache._memory.values()))
    put("graph_nodes", vg.graph.vcount())
    put("graph_edges", vg.graph.ecount())
    pairs = [(rng.choice(people), rng.choice(people)) for _ in range(max(50, args.queries // 3))]
    hood = [timed(lambda a=a: neighbours(gov, ctx, a, hops=2, cache=cache))[0] for a, _ in pairs]
    put("neighbours_2hop_p50_ms", round(statistics.median(hood), 1))
    put("neighbours_2hop_p95_ms", round(pct(hood, 0.95), 1))
    paths = [timed(lambda a=a, b=b: path(gov, ctx, a, b, cache=cache))[0] for a, b in pairs]
    put("path_p50_ms", round(statistics.median(paths), 1))
    put("path_p95_ms", round(pct(paths, 0.95), 1))

    # the algorithm alone: Clearsight's path function vs the raw igraph call, same graph
    idx = [(vg.index[a], vg.index[b]) for a, b in pairs if a in vg.index and b in vg.index]
    window = an.Window()
    ours = [timed(lambda a=a, b=b: an.paths(vg, a, b, 1, window))[0] for a, b in idx]
    raw = [timed(lambda a=a, b=b: vg.graph.get_shortest_paths(a, to=b, output="epath"))[0] for a, b in idx]
    put("path_compute_p50_ms", round(statistics.median(ours), 3))
    put("raw_igraph_p50_ms", round(statistics.median(raw), 3))
    put("ratio_path_to_raw_igraph", round(statistics.median(ours) / statistics.median(raw), 2))
    put("ratio_end_to_end_path_to_raw_igraph", round(statistics.median(paths) / statistics.median(raw), 1))
    # k = 3 shortest paths between connected pairs, end to end, and the raw igraph call on one pair
    joined = [(a, b) for (a, b), p in zip(idx, (an.paths(vg, a, b, 1, window) for a, b in idx), strict=True) if p][:20]
    by_id = {v: k for k, v in vg.index.items()}
    k3 = [timed(lambda a=a, b=b: path(gov, ctx, by_id[a], by_id[b], k=3, cache=cache))[0] for a, b in joined]
    if k3:
        put("k3_paths_p50_ms", round(statistics.median(k3), 1))
        put("k3_paths_p95_ms", round(pct(k3, 0.95), 1))
        a, b = joined[0]
        ms_ours, _ = timed(lambda: an.paths(vg, a, b, 3, window))
        ms_raw, _ = timed(lambda: vg.graph.get_k_shortest_paths(a, to=b, k=3, output="epath"))
        put("k3_compute_ms", round(ms_ours, 2))
        put("raw_igraph_k3_ms", round(ms_raw, 1))
        put("ratio_k3_to_raw_igraph", round(ms_ours / ms_raw, 3))
    ws.close()
    shutil.rmtree(graph_dir, ignore_errors=True)
    if not (args.keep or args.reuse):
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
