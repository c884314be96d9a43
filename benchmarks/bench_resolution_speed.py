"""Speed of resolving N person records end to end, against raw Splink on the same data and settings.

A simple generator (inside this benchmark) writes N Person records into a fresh SQLite
workspace: about 80% distinct people and 20% duplicates carrying typical noise (a typo, a
nickname, names the other way round, a missing date of birth or postcode). Names follow
Zipf-like frequencies of realistic strength (the commonest forename about 3% of people, the
commonest surname 1-3%) and people live at about 384,000 addresses. Then, in the same
run:

* Clearsight: ``resolution.service.resolve`` from the store to canonical clusters (read
  through the governance gateway, train, score, rules, store the pairs with explanations,
  cluster, write clusters and audit entries);
* raw Splink: a ``Linker`` with the same settings (``splink_settings(PERSON, ...)``) on the
  same prepared records, the same training steps, ``predict`` and
  ``cluster_pairwise_predictions_at_threshold`` at the same merge threshold.

It prints both times, their ratio (target <= 1.3), the peak resident memory of the process
and pairwise F1 of both against the generator's truth.

Usage: ``python benchmarks/bench_resolution_speed.py --n 100000``
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")

from clearsight.bootstrap import init_workspace  # noqa: E402
from clearsight.governance.audit import utc_now  # noqa: E402
from clearsight.governance.context import Context, Purpose  # noqa: E402
from clearsight.governance.markings import Marking  # noqa: E402
from clearsight.resolution import evaluate, service  # noqa: E402
from clearsight.resolution.model import EngineOptions, ResolutionEngine  # noqa: E402
from clearsight.resolution.nicknames import VARIANTS  # noqa: E402
from clearsight.resolution.settings import PERSON, Thresholds, splink_settings, training_rules  # noqa: E402
from clearsight.settings import load_settings  # noqa: E402
from clearsight.store import tables as t  # noqa: E402
from clearsight.store.ids import entity_id, statement_id  # noqa: E402
from clearsight.store.ingest_writes import ENTITY_COLUMNS, STATEMENT_COLUMNS  # noqa: E402
from clearsight.store.writes import bulk_insert, ensure_markings, insert_ignore  # noqa: E402

SYL = ["an", "ber", "cal", "dor", "el", "fen", "gar", "hol", "is", "jon", "kel", "lor", "mar", "nor", "os", "pen",
       "quin", "ros", "sol", "tor", "ul", "van", "wil", "yar", "zen", "ash", "bro", "cor", "dun", "ford"]
STREETS = ["High Street", "Church Lane", "Mill Road", "Park Avenue", "Station Road", "Green Lane", "Kirkgate", "Westgate"]
TOWNS = ["Leeds", "Bradford", "Wakefield", "Halifax", "Huddersfield", "Dewsbury", "Keighley", "Batley"]


def _names(rng: np.random.Generator, n: int, parts: int) -> list[str]:
    out = set()
    while len(out) < n:
        out.add("".join(rng.choice(SYL, size=parts)).capitalize())
    return sorted(out)


def _zipf_weights(n: int, exponent: float) -> np.ndarray:
    """Probabilities proportional to 1 / rank ** exponent over ``n`` ranks."""
    w = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** exponent
    return w / w.sum()


def make_people(n_records: int, seed: int = 1) -> pd.DataFrame:
    """N records: unique_id, person, forename, surname, dob, address, postcode, gender."""
    rng = np.random.default_rng(seed)
    n_people = int(n_records / 1.25)
    formal = [f.capitalize() for f in VARIANTS]
    forenames = formal + _names(rng, 600, 2)
    surnames = _names(rng, max(2000, n_people // 40), 3)
    # Zipf-like name frequencies at realistic strength: the commonest forename is about 3% of
    # people and the commonest surname 1-3% (David and Smith in England and Wales). A raw
    # zipf(1.3) draw made a quarter of all people one forename and an eighth one surname, so
    # a single name block held millions of pairs.
    fz = rng.choice(len(forenames), size=n_people, p=_zipf_weights(len(forenames), 0.6))
    sz = rng.choice(len(surnames), size=n_people, p=_zipf_weights(len(surnames), 0.7))
    people = pd.DataFrame({
        "person": np.arange(n_people),
        "forename": np.array(forenames)[fz],
        "surname": np.array(surnames)[sz],
        "dob": pd.to_datetime("1940-01-01") + pd.to_timedelta(rng.integers(0, 68 * 365, n_people), unit="D"),
        # 240 streets in 8 towns, 200 houses each: about 384,000 addresses
        "address": [f"{h} {SYL[p].capitalize()}{STREETS[s].lower()}, {TOWNS[w]}" for h, p, s, w in zip(
            rng.integers(1, 200, n_people), rng.integers(0, len(SYL), n_people), rng.integers(0, 8, n_people),
            rng.integers(0, 8, n_people), strict=True)],
        "postcode": [f"LS{d} {i}{a}{b}" for d, i, a, b in zip(rng.integers(1, 30, n_people), rng.integers(1, 9, n_people), rng.choice(list("ABDEFGHJ"), n_people), rng.choice(list("LNPQRSTU"), n_people), strict=True)],
        "gender": rng.choice(["male", "female"], n_people),
    })
    people["dob"] = people["dob"].dt.strftime("%Y-%m-%d")
    dupes = people.sample(n=n_records - n_people, replace=True, random_state=seed).copy()
    kind = rng.integers(0, 5, len(dupes))
    fn = dupes["forename"].to_numpy(dtype=object)
    sn = dupes["surname"].to_numpy(dtype=object)
    dob = dupes["dob"].to_numpy(dtype=object)
    pc = dupes["postcode"].to_numpy(dtype=object)
    for i, k in enumerate(kind):
        if k == 0 and len(sn[i]) > 3:
            j = int(rng.integers(1, len(sn[i]) - 1))
            sn[i] = sn[i][:j] + sn[i][j + 1] + sn[i][j] + sn[i][j + 2 :]
        elif k == 1:
            nick = VARIANTS.get(fn[i].lower())
            fn[i] = nick[0].capitalize() if nick else fn[i][:-1]
        elif k == 2:
            fn[i], sn[i] = sn[i], fn[i]
        elif k == 3:
            dob[i] = None
        else:
            pc[i] = None
    dupes = dupes.assign(forename=fn, surname=sn, dob=dob, postcode=pc)
    records = pd.concat([people, dupes], ignore_index=True)
    records["key"] = [f"R{i:08d}" for i in range(len(records))]
    return records


PROPS = {"forename": "forename", "surname": "surname", "dob": "birthDate", "address": "address", "postcode": "postcode", "gender": "gender"}


def load_store(ws_dir: Path, records: pd.DataFrame) -> tuple[object, dict[str, int]]:
    ws = init_workspace(load_settings(environ={}, workspace=ws_dir, user="bench"))
    marking = Marking()
    now = utc_now()
    ids = [entity_id("bench", "Person", k) for k in records["key"]]
    truth = dict(zip(ids, records["person"].tolist(), strict=True))
    with ws.store.begin() as conn:
        ensure_markings(conn, [{"id": marking.id, "classification": marking.classification, "level": marking.level,
                                "descriptors": "", "caveats": "", "groups": ""}])
        conn.execute(insert_ignore(conn, t.sources).values(name="bench", created_at=now, created_by="bench"))
        for start in range(0, len(records), 50_000):
            chunk = records.iloc[start : start + 50_000]
            cids = ids[start : start + 50_000]
            bulk_insert(conn, "entities", ENTITY_COLUMNS, [
                (i, "Person", "bench", k, marking.id, "r1", "r1", now, now, "active") for i, k in zip(cids, chunk["key"], strict=True)
            ])
            rows = []
            for col, prop in PROPS.items():
                for i, k, v in zip(cids, chunk["key"], chunk[col], strict=True):
                    if v is None or v != v:
                        continue
                    value = str(v)
                    key = value.upper() if prop == "postcode" else value.casefold()
                    rows.append((statement_id(i, prop, value), i, "Person", prop, value, value, key, "bench", k, "r1", now, now,
                                 None, "fact", marking.id))
            bulk_insert(conn, "statements", STATEMENT_COLUMNS, rows)
    return ws, truth


def raw_splink(frame: object, present: set[str], threshold: float) -> tuple[dict[str, str], float]:
    from splink import DuckDBAPI, Linker
    from splink.clustering import cluster_pairwise_predictions_at_threshold  # noqa: F401

    settings = splink_settings(PERSON, present)
    settings["retain_intermediate_calculation_columns"] = False
    prior_rules, em_rules = training_rules(present)
    t0 = time.perf_counter()
    db_api = DuckDBAPI()
    sdf = db_api.register(frame)
    linker = Linker(sdf, settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(list(prior_rules), recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=PERSON.max_pairs_u, seed=42)
    for rule in em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(rule, estimate_without_term_frequencies=True, max_pairs=PERSON.max_pairs_em)
    pred = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, threshold_match_probability=threshold)
    out = clusters.as_pandas_dataframe()[["unique_id", "cluster_id"]]
    elapsed = time.perf_counter() - t0
    return dict(zip(out.unique_id, out.cluster_id.astype(str), strict=True)), elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="Person records (10^4, 10^5, 10^6).")
    parser.add_argument("--memory-limit", default="8GB")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    records = make_people(args.n)
    tmp = Path(tempfile.mkdtemp(prefix="cs-speed-"))
    ws, truth = load_store(tmp / "ws", records)
    print(f"{args.n:,} records generated and stored in {time.perf_counter() - t0:.1f} s")
    ctx = Context(user="bench", roles=frozenset({"analyst"}), clearance="SECRET", groups=frozenset({"local"}),
                  purpose=Purpose.parse("DATA-QUALITY: speed benchmark of entity resolution"))
    options = EngineOptions(memory_limit=args.memory_limit, threads=args.threads)
    th = Thresholds()
    t0 = time.perf_counter()
    summary = service.resolve(ws.governance, ctx, options=options, thresholds=th)  # type: ignore[attr-defined]
    ours = time.perf_counter() - t0
    exported = service.export(ws.governance, ctx)  # type: ignore[attr-defined]
    pred = {r.entity_id: r.canonical_id for r in exported}
    # raw Splink gets the same prepared records (the engine's derived columns), not timed
    engine = ResolutionEngine(PERSON, options)
    frame = records.assign(unique_id=[entity_id("bench", "Person", k) for k in records["key"]])
    for col in ("forename", "surname", "address", "gender"):
        frame[col] = frame[col].str.casefold()
    engine.load(frame)
    prepared = engine.con.execute("SELECT * FROM records").to_arrow_table()
    present = set(engine.present)
    engine.close()
    raw_pred, raw = raw_splink(prepared, present, th.merge)
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"Clearsight resolve (store -> clusters): {ours:.1f} s  [{summary.timings}]")
    print(f"raw Splink (same settings and data):   {raw:.1f} s")
    print(f"ratio Clearsight / raw Splink:          {ours / raw:.2f}  (target <= 1.3)")
    print(f"peak resident memory of the process:   {peak_gb:.2f} GB")
    print(f"pairwise F1: Clearsight {evaluate.pairwise(pred, {k: str(v) for k, v in truth.items()}).f1:.4f}, "
          f"raw Splink {evaluate.pairwise(raw_pred, {k: str(v) for k, v in truth.items()}).f1:.4f}")
    print(f"pairs {summary.pairs}, clusters {summary.clusters:,}, merges {summary.merges:,}")
    ws.close()  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    sys.exit(main())
