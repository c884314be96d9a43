"""Routes over heavier analyses, on SQLite and PostgreSQL: hotspots from an ingested
police.uk slice, and the review queue after a real resolution run."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from clearsight.cli.main import app
from clearsight.governance import audit
from clearsight.resolution import service as resolution
from clearsight.resolution.settings import Thresholds
from tests.api.conftest import PURPOSE, STREET, Api
from tests.helpers import make_context, seed, street_slice
from tests.resolution.population import build


@pytest.mark.skipif(not STREET.exists(), reason="police.uk sample data not present")
def test_hotspots_are_a_marked_geojson_layer(api: Api, tmp_path: Path) -> None:
    ws = api.workspace
    result = CliRunner().invoke(app, ["--workspace", str(ws.settings.workspace), "--db-url", ws.settings.database_url,
                                      "--user", "analyst1", "ingest", str(street_slice(tmp_path, "2017-07", 1500)), "--mapping",
                                      "police-uk-street", "--purpose", PURPOSE])
    assert result.exit_code == 0, result.output
    res = api.get("/api/v1/hotspots?month=2017-07&cell=500&permutations=99")
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("application/geo+json")
    layer = res.json()
    assert layer["type"] == "FeatureCollection" and layer["marking"].startswith("OFFICIAL")
    assert layer["figures"]["events"] > 1000 and layer["figures"]["cells"] == len(layer["features"])
    assert sum(f["properties"]["count"] for f in layer["features"]) == layer["figures"]["events"]
    cell = layer["features"][0]
    assert cell["geometry"]["type"] == "Polygon"
    lon, lat = cell["geometry"]["coordinates"][0][0]
    assert -3 < lon < -1 and 53 < lat < 54.2  # West Yorkshire, in WGS84
    assert {f["properties"]["category"] for f in layer["features"]} & {"hot", "cold"}
    assert layer["explanation"]["limits"]
    with ws.store.connect() as conn:
        (entry,) = [e for e in audit.search(conn, operation="consultation") if e.action == "patterns.hotspots"]
    assert entry.user == "secret" and entry.client == "api" and entry.outcome == "ok"
    # a month with no events is a clear 404, not an empty map
    missing = api.get("/api/v1/hotspots?month=1999-01")
    assert missing.status_code == 404 and missing.json()["type"].endswith("not-found")


def test_the_review_queue_through_the_api(api: Api) -> None:
    pop = build()
    seed(api.workspace.store, pop.records, pop.links)
    resolution.resolve(api.workspace.governance, make_context(purpose="DATA-QUALITY: resolution of the test people"),
                       schema="Person", thresholds=Thresholds(merge=0.999999, review_low=0.5, review_high=0.999999))
    queue = api.get("/api/v1/review?limit=5")
    assert queue.status_code == 200, queue.text
    items = queue.json()
    assert items and items[0]["waterfall"] and "assessment" in items[0]["note"]
    assert all(i["marking"].startswith("OFFICIAL") for i in items)
    pair = items[0]["pair"]
    shown = api.get(f"/api/v1/review/{pair}").json()
    assert shown["pair"] == pair and shown["status"] and shown["judgements"] == []
    assert shown["marking"] == items[0]["marking"]
    no_reason = api.post("/api/v1/review/decisions", json={"judgement": "same", "pair": pair, "reason": ""})
    assert no_reason.status_code == 422
    bad = api.post("/api/v1/review/decisions", json={"judgement": "perhaps", "pair": pair, "reason": "unsure"})
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "judgement"
    decided = api.post("/api/v1/review/decisions", json={"judgement": "not_same", "pair": pair,
                                                        "reason": "different dates of birth on the PNC"})
    assert decided.status_code == 201, decided.text
    body = decided.json()
    assert body["judgement"] == "not_same" and isinstance(body["judgement_id"], int)
    after = api.get(f"/api/v1/review/{pair}").json()
    assert after["judgements"][0]["user"] == "secret" and after["judgements"][0]["reason"].startswith("different")
    assert pair not in {i["pair"] for i in api.get("/api/v1/review?limit=1000").json()}
