"""Benchmark the REST API face against the services it calls, measured in the same run.

Builds the synthetic population of ``bench_graph_search.py`` in a fresh store, issues an
API token, serves the app with uvicorn on a free localhost port, and times the same
queries two ways: the service called directly with a ready Context (the reference), and
the HTTP request over a keep-alive connection (token check, a fresh Context from the
users table, purpose parsing, the service, JSON, HTTP). The difference is what the face
costs per request; ``/me`` alone shows the cost of a sign-in (token check, Context and
its security audit entry).

Usage:
    python benchmarks/bench_api.py --people 20000 [--db-url URL] [--queries 200]

Target: beyond the HTTP round trip itself (the floor, a static file), the face adds at most
10 ms per request (p50). Client and server share one process here, so on a loaded machine
the floor is inflated by their contention; compare figures within one run.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import uvicorn

from bench_graph_search import generate, pct, timed
from clearsight.api import create_app
from clearsight.bootstrap import init_workspace
from clearsight.governance.tokens import create_token
from clearsight.governance.users import create_user
from clearsight.graph import neighbours, path
from clearsight.search import profile, refresh_index, search
from clearsight.settings import load_settings

PURPOSE = "INTELLIGENCE: benchmark of the REST API"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--db-url", default="")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cs-bench-api-"))
    settings = load_settings(environ={}, workspace=folder, db_url=args.db_url or None, user="bench")
    ws = init_workspace(settings, user="bench")
    create_user(ws.store, actor="bench", name="analyst", roles=["analyst"], clearance="OFFICIAL-SENSITIVE", groups=["local"])
    _, token = create_token(ws.store, actor="bench", user="analyst", label="benchmark")
    figures: dict[str, Any] = {"people": args.people, "backend": ws.store.dialect, "queries": args.queries}
    data = generate(ws, args.people, args.seed)
    figures.update(entities=data["entities"], links=data["links"])

    app = create_app(workspace=ws)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    headers = {"Authorization": f"Bearer {token}", "X-Clearsight-Purpose": PURPOSE}
    services = app.state.services
    gov, cache = ws.governance, services.graphs
    ctx = ws.context(PURPOSE, user="analyst", client="api")
    refresh_index(gov, ctx)

    rng = random.Random(args.seed)
    names = [f"{f} {s}" for f, s in rng.sample(data["names"], min(args.queries, len(data["names"])))]
    people = data["people"]
    pairs = [(rng.choice(people), rng.choice(people)) for _ in range(args.queries)]

    def get(url: str) -> Any:
        res = client.get(url, headers=headers)
        if res.status_code != 200:
            raise SystemExit(f"{url}: {res.status_code} {res.text}")
        return res.json()

    # warm both paths (index, graph cache, imports)
    search(gov, ctx, names[0])
    get("/api/v1/search?q=" + quote(names[0]))
    neighbours(gov, ctx, people[0], hops=2, cache=cache)

    # the floor: an HTTP round trip that does no work (a small static file)
    floor = [timed(lambda: client.get("/app.css"))[0] for _ in range(args.queries)]
    figures["http_floor_static_file_p50_ms"] = round(statistics.median(floor), 2)

    cases = {
        "search": (lambda i: search(gov, ctx, names[i % len(names)], limit=20),
                   lambda i: get("/api/v1/search?limit=20&q=" + quote(names[i % len(names)]))),
        "profile": (lambda i: profile(gov, ctx, pairs[i][0]),
                    lambda i: get(f"/api/v1/entities/{pairs[i][0]}")),
        "neighbours_2hop": (lambda i: neighbours(gov, ctx, pairs[i][0], hops=2, cache=cache),
                            lambda i: get(f"/api/v1/entities/{pairs[i][0]}/neighbours?hops=2")),
        "path": (lambda i: path(gov, ctx, pairs[i][0], pairs[i][1], cache=cache),
                 lambda i: get(f"/api/v1/paths?from={pairs[i][0]}&to={pairs[i][1]}")),
    }
    for name, (direct, through_api) in cases.items():
        ref, face = [], []
        for i in range(args.queries):  # interleaved, so shared-machine load hits both alike
            ref.append(timed(lambda i=i, f=direct: f(i))[0])
            face.append(timed(lambda i=i, f=through_api: f(i))[0])
        figures[f"{name}_service_p50_ms"] = round(statistics.median(ref), 2)
        figures[f"{name}_api_p50_ms"] = round(statistics.median(face), 2)
        figures[f"{name}_api_p95_ms"] = round(pct(face, 0.95), 2)
        figures[f"{name}_overhead_p50_ms"] = round(statistics.median(face) - statistics.median(ref), 2)
        figures[f"{name}_face_beyond_http_floor_p50_ms"] = round(
            statistics.median(face) - statistics.median(ref) - statistics.median(floor), 2)
        figures[f"ratio_{name}_api_to_service"] = round(statistics.median(face) / statistics.median(ref), 2)
    me = [timed(lambda: client.get("/api/v1/me", headers={"Authorization": headers["Authorization"]}))[0]
          for _ in range(args.queries)]
    figures["auth_and_context_p50_ms"] = round(statistics.median(me), 2)
    ctx_only = [timed(lambda: ws.context(PURPOSE, user="analyst", client="api"))[0] for _ in range(args.queries)]
    figures["context_from_users_table_p50_ms"] = round(statistics.median(ctx_only), 2)
    for key, value in figures.items():
        print(f"{key:40s} {value}")
    client.close()
    server.should_exit = True
    thread.join()
    ws.close()


if __name__ == "__main__":
    main()
