"""The REST API on SQLite and PostgreSQL: tokens, purposes, roles, markings, problems,
disclosures and the audit trail each request leaves."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clearsight.api import create_app
from clearsight.bootstrap import Workspace, init_workspace
from clearsight.governance import audit
from clearsight.governance.tokens import create_token, revoke_token
from clearsight.governance.users import set_case_member, update_user
from clearsight.settings import load_settings
from clearsight.store import tables as t
from tests.api.conftest import AUDIT_PURPOSE, PURPOSE, Api, add_users
from tests.conftest import fresh_pg_url
from tests.graph import planted as P
from tests.graph.test_graph import visible_copy_links
from tests.helpers import seed

PROBLEM = "application/problem+json"


def entries(ws: Workspace, **filters: Any) -> list[audit.AuditEntry]:
    with ws.store.connect() as conn:
        return audit.search(conn, limit=1000, **filters)


def assert_problem(res: Any, status: int, slug: str) -> dict[str, Any]:
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith(PROBLEM)
    body = res.json()
    assert body["type"] == f"urn:clearsight:problem:{slug}"
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["instance"]
    assert "Traceback" not in res.text and "sqlalchemy" not in res.text.lower() and "File \"" not in res.text
    return body


# -- tokens ---------------------------------------------------------------------------


def test_a_token_is_required_and_every_refusal_is_a_security_event(api: Api) -> None:
    before = len(entries(api.workspace, operation="security"))
    url = "/api/v1/search?q=Crane"
    missing = api.client.get(url, headers={"X-Clearsight-Purpose": PURPOSE})
    body = assert_problem(missing, 401, "unauthenticated")
    assert missing.headers["www-authenticate"].startswith("Bearer")
    real = api.tokens["viewer"]
    wrong_secret = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    for bad in ("nonsense", "cs_0123456789abcdef_" + "x" * 43, wrong_secret):
        res = api.client.get(url, headers={"Authorization": f"Bearer {bad}", "X-Clearsight-Purpose": PURPOSE})
        # the same answer whatever was wrong: a guesser learns nothing about which tokens exist
        assert assert_problem(res, 401, "unauthenticated")["detail"] == body["detail"]
    refusals = [e for e in entries(api.workspace, operation="security") if e.action == "auth.token"]
    assert len(entries(api.workspace, operation="security")) - before == 4
    assert [json.loads(e.details)["reason"] for e in refusals] == ["wrong secret", "unknown token id", "malformed token",
                                                                    "no bearer token"]
    assert all(e.outcome == "denied" for e in refusals)
    assert refusals[0].user == "viewer"  # the wrong secret was for a real token: its owner is named
    # nothing was read: no consultation entry exists at all
    assert entries(api.workspace, operation="consultation") == []


def test_a_revoked_token_is_refused_on_the_next_request(api: Api) -> None:
    info, token = create_token(api.workspace.store, actor="analyst1", user="viewer", label="laptop")
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/v1/me", headers=headers).json()["user"] == "viewer"
    revoke_token(api.workspace.store, actor="analyst1", token_id=info.id)
    assert_problem(api.client.get("/api/v1/me", headers=headers), 401, "unauthenticated")
    events = [(e.action, e.outcome) for e in entries(api.workspace, operation="security")]
    assert ("token.revoke", "ok") in events and ("token.create", "ok") in events
    last = entries(api.workspace, operation="security")[0]
    assert last.action == "auth.token" and json.loads(last.details)["reason"] == "revoked token"
    # the other tokens of the same user still work
    assert api.get("/api/v1/me", user="viewer").status_code == 200


def test_deactivating_a_user_or_removing_a_case_takes_effect_at_once(api: Api) -> None:
    case = "case:OP-KESTREL checking the network"
    assert api.get(f"/api/v1/entities/{P.LEADER.id}", purpose=case).status_code == 200
    set_case_member(api.workspace.store, actor="analyst1", reference="OP-KESTREL", user="secret", member=False)
    assert_problem(api.get(f"/api/v1/entities/{P.LEADER.id}", purpose=case), 403, "forbidden")
    update_user(api.workspace.store, actor="analyst1", name="secret", active=False)
    assert_problem(api.get("/api/v1/me"), 401, "unauthenticated")
    security = entries(api.workspace, operation="security")
    assert security[0].action == "auth.token" and json.loads(security[0].details)["reason"] == "user is not active"
    (context,) = [e for e in security if e.action == "api.context"]
    assert context.outcome == "denied" and "not assigned" in json.loads(context.details)["reason"]


def test_signing_in_is_audited_and_an_expired_token_is_refused(api: Api) -> None:
    assert api.get("/api/v1/me", user="viewer", purpose=None).status_code == 200
    signin = entries(api.workspace, operation="security")[0]
    assert (signin.action, signin.outcome, signin.user, signin.client) == ("auth.signin", "ok", "viewer", "api")
    assert json.loads(signin.subjects) == [api.tokens["viewer"].split("_")[1]]
    _, old = create_token(api.workspace.store, actor="analyst1", user="viewer", expires_at="2020-01-01T00:00:00Z")
    assert_problem(api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {old}"}), 401, "unauthenticated")
    assert json.loads(entries(api.workspace, operation="security")[0].details)["reason"] == "expired token"


def test_tokens_are_stored_hashed(api: Api) -> None:
    with api.workspace.store.connect() as conn:
        rows = conn.execute(select(t.api_tokens.c.id, t.api_tokens.c.secret_hash)).all()
    assert len(rows) == 4
    for token in api.tokens.values():
        secret = token.rsplit("_", 1)[1]
        assert all(secret not in r.secret_hash and len(r.secret_hash) == 64 for r in rows)


# -- purposes -------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/search?q=Crane", f"/api/v1/entities/{P.LEADER.id}",
                                 f"/api/v1/entities/{P.LEADER.id}/neighbours",
                                 f"/api/v1/paths?from={P.LEADER.id}&to={P.BROKER.id}", "/api/v1/graph/measures",
                                 "/api/v1/review", "/api/v1/hotspots"])
def test_a_personal_data_route_needs_a_purpose_and_reads_nothing_without_one(api: Api, url: str) -> None:
    body = assert_problem(api.get(url, purpose=None), 400, "purpose-required")
    assert "X-Clearsight-Purpose" in body["detail"]
    assert_problem(api.get(url, purpose="INTELLIGENCE: short"), 400, "purpose-required")
    assert_problem(api.get(url, purpose="HR: disciplinary fishing expedition"), 403, "forbidden")
    assert entries(api.workspace, operation="consultation") == []
    refusals = [e for e in entries(api.workspace, operation="security") if e.outcome == "denied"]
    assert {e.action for e in refusals} >= {"api.purpose"}


def test_the_purpose_is_recorded_with_each_read(api: Api) -> None:
    purpose = "case:OP-KESTREL who runs the Hale brothers"
    res = api.get("/api/v1/search?q=Hale", purpose=purpose)
    assert res.status_code == 200 and res.json()["total"] >= 2
    (entry,) = entries(api.workspace, operation="consultation")
    assert entry.action == "search" and entry.purpose == purpose and entry.user == "secret" and entry.client == "api"
    # a case the user is not on is refused before anything is read
    assert_problem(api.get("/api/v1/search?q=Hale", user="viewer", purpose=purpose), 403, "forbidden")
    # non-ASCII purposes travel percent-encoded
    res = api.get("/api/v1/me", purpose="INTELLIGENCE: r%C3%A9sum%C3%A9 of the network")
    assert res.json()["purpose"]["text"] == "INTELLIGENCE: résumé of the network"


# -- audit log ------------------------------------------------------------------------


def test_only_auditors_with_an_audit_purpose_read_the_audit_log(api: Api) -> None:
    assert api.get("/api/v1/search?q=Crane", user="viewer").status_code == 200
    assert_problem(api.get("/api/v1/audit/log", user="viewer", purpose=AUDIT_PURPOSE), 403, "forbidden")
    assert_problem(api.get("/api/v1/audit/log", user="auditor", purpose=PURPOSE), 403, "forbidden")
    res = api.get("/api/v1/audit/log?by=viewer&operation=consultation", user="auditor", purpose=AUDIT_PURPOSE)
    assert res.status_code == 200
    (seen,) = res.json()
    assert seen["action"] == "search" and seen["user"] == "viewer" and seen["purpose"] == PURPOSE
    denied = [e for e in entries(api.workspace, operation="security") if e.action == "audit.log"]
    assert [e.outcome for e in denied] == ["ok", "denied", "denied"]  # newest first; the read itself is logged
    verify = api.get("/api/v1/audit/verify", user="auditor", purpose="AUDIT-INTEGRITY: weekly check of the chain")
    assert verify.status_code == 200 and verify.json()["ok"] is True
    assert verify.json()["entries"] == len(entries(api.workspace)) - 1  # all but the verify entry written after it


def test_no_route_can_change_or_delete_audit_entries(api: Api) -> None:
    schema = api.client.get("/api/v1/openapi.json").json()
    methods = {(p, m) for p, ops in schema["paths"].items() for m in ops}
    audit_routes = {(p, m) for p, m in methods if "audit" in p}
    assert audit_routes == {("/api/v1/audit/log", "get"), ("/api/v1/audit/verify", "get")}
    assert not [pm for pm in methods if pm[1] in ("put", "patch", "delete")]
    assert {p for p, m in methods if m == "post"} == {"/api/v1/review/decisions", "/api/v1/exports"}
    for path, method in [("/api/v1/audit/log", "delete"), ("/api/v1/audit/log", "put"), ("/api/v1/audit/log/1", "patch")]:
        res = api.client.request(method, path, headers=api.headers("auditor", AUDIT_PURPOSE))
        assert res.status_code in (404, 405) and res.headers["content-type"].startswith(PROBLEM)


# -- markings through the API ---------------------------------------------------------


@pytest.fixture
def copy_api(api: Api, tmp_path: Path) -> Iterator[Api]:
    """The same API over a store holding only what 'viewer' may see (hidden items deleted)."""
    backend = api.workspace.store.engine.dialect.name
    gen: Iterator[str] | None = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'copy.db'}"
    else:
        gen = fresh_pg_url()
        url = next(gen)
    ws = init_workspace(load_settings(environ={}, workspace=tmp_path / "copy", db_url=url, user="analyst1"))
    seed(ws.store, P.records(), visible_copy_links())
    tokens = add_users(ws)
    with TestClient(create_app(workspace=ws), raise_server_exceptions=False) as client:
        yield Api(client, ws, tokens)
    ws.close()
    if gen is not None:
        next(gen, None)


def _comparable(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: _comparable(v) for k, v in body.items() if k not in ("graph", "index", "instance", "first_seen")}
    if isinstance(body, list):
        return [_comparable(v) for v in body]
    return body


def test_a_restricted_viewer_sees_through_the_api_exactly_what_a_store_without_the_hidden_items_shows(
        api: Api, copy_api: Api) -> None:
    urls = [
        "/api/v1/search?q=Hector%20Shade", "/api/v1/search?q=Hale", "/api/v1/search?q=Webb&schema=Person",
        f"/api/v1/entities/{P.LEADER.id}", f"/api/v1/entities/{P.GANG[0].id}", f"/api/v1/entities/{P.HIDDEN_PERSON.id}",
        f"/api/v1/entities/{P.LEADER.id}/neighbours?hops=2",
        f"/api/v1/paths?from={P.OCG[3].id}&to={P.GANG[2].id}&k=3",
        f"/api/v1/paths?from={P.LEADER.id}&to={P.HIDDEN_PERSON.id}",
        "/api/v1/graph/measures?top=50", "/api/v1/graph/communities",
    ]
    for url in urls:
        full, copy = api.get(url, user="viewer"), copy_api.get(url, user="viewer")
        assert (full.status_code, _comparable(full.json())) == (copy.status_code, _comparable(copy.json())), url
    # and the SECRET viewer does see the hidden person and the covert shortcut
    assert api.get("/api/v1/search?q=Hector%20Shade").json()["total"] == 1
    shortcut = api.get(f"/api/v1/paths?from={P.OCG[3].id}&to={P.GANG[2].id}").json()
    assert shortcut["paths"][0]["length"] == 1 and shortcut["marking"].startswith("SECRET")


def test_hidden_and_missing_items_give_the_same_answer(api: Api) -> None:
    hidden = api.get(f"/api/v1/entities/{P.HIDDEN_PERSON.id}", user="viewer")
    missing = api.get("/api/v1/entities/" + "0" * 40, user="viewer")
    h, m = assert_problem(hidden, 404, "not-found"), assert_problem(missing, 404, "not-found")
    assert h["detail"].replace(P.HIDDEN_PERSON.id, "ID") == m["detail"].replace("0" * 40, "ID")
    assert set(h) == set(m) and hidden.headers["content-type"] == missing.headers["content-type"]
    assert api.get(f"/api/v1/entities/{P.HIDDEN_PERSON.id}").status_code == 200


def test_each_result_carries_its_marking(api: Api) -> None:
    hits = api.get("/api/v1/search?q=Hyperlink&schema=Organisation").json()
    assert hits["hits"] and hits["hits"][0]["marking"].startswith("OFFICIAL-SENSITIVE")
    assert hits["marking"].startswith("OFFICIAL-SENSITIVE")
    net = api.get(f"/api/v1/entities/{P.GANG[0].id}/neighbours").json()
    assert net["marking"].startswith("SECRET")  # the hidden person is linked to Gary Webb
    assert net["cytoscape"]["data"]["marking"] == net["marking"]
    ids = {n["data"]["id"] for n in net["cytoscape"]["elements"]["nodes"]}
    assert ids == {n["id"] for n in net["nodes"]} and P.HIDDEN_PERSON.id in ids
    mine = api.get(f"/api/v1/entities/{P.GANG[0].id}/neighbours", user="viewer").json()
    assert P.HIDDEN_PERSON.id not in {n["id"] for n in mine["nodes"]}
    assert mine["marking"].startswith("OFFICIAL-SENSITIVE")  # the organisation it belongs to


# -- problems -------------------------------------------------------------------------


def test_errors_are_problem_details_without_internals(api: Api) -> None:
    assert_problem(api.get("/api/v1/no-such-thing"), 404, "not-found")
    body = assert_problem(api.get("/api/v1/search?q=Crane&limit=0"), 422, "invalid-input")
    assert body["problems"][0]["field"] == "limit"
    body = assert_problem(api.get("/api/v1/search?q=%20%20"), 422, "invalid-input")
    assert body["problems"][0]["field"] == "query"
    assert_problem(api.get("/api/v1/entities/" + P.LEADER.id + "/neighbours?hops=99"), 422, "invalid-input")
    broken = api.client.post("/api/v1/review/decisions", content=b"{not json",
                             headers={**api.headers(), "Content-Type": "application/json"})
    assert_problem(broken, 422, "invalid-input")
    assert_problem(api.get("/api/v1/review/no-such-pair"), 404, "not-found")
    # NUL characters cannot be stored as text: refused in words wherever they come in
    body = assert_problem(api.get("/api/v1/search?q=Crane&source=%00"), 422, "invalid-input")
    assert body["problems"] == [{"field": "source", "message": "must not contain NUL characters"}]
    assert_problem(api.get("/api/v1/entities/a%00b"), 422, "invalid-input")
    assert_problem(api.get("/api/v1/me", purpose="INTELLIGENCE: nul %00 in the purpose"), 400, "purpose-required")
    assert_problem(api.post("/api/v1/exports", json={"format": "csv", "ids": ["x"], "recipient": "CPS\x00"}), 422,
                   "invalid-input")
    assert_problem(api.get("/api/v1/hotspots?month=2016-07"), 404, "not-found")


def test_the_workspace_is_served_with_a_strict_content_policy(api: Api) -> None:
    page = api.client.get("/")
    assert page.status_code == 200 and "<title>Clearsight workspace</title>" in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    for asset in ("/app.js", "/app.css"):
        assert api.client.get(asset).status_code == 200
    assert "http" not in api.client.get("/app.js").text.replace("http://www.w3.org/2000/svg", "")


# -- exports --------------------------------------------------------------------------


def test_an_export_is_a_disclosure_to_a_named_recipient(api: Api) -> None:
    ids = [m.id for m in P.OCG]
    assert_problem(api.post("/api/v1/exports", json={"format": "cytoscape", "ids": ids}), 422, "invalid-input")
    assert_problem(api.post("/api/v1/exports", json={"format": "cytoscape", "ids": ids, "recipient": "   "}), 422,
                   "invalid-input")
    assert [e for e in entries(api.workspace) if e.operation == "disclosure" and e.outcome == "ok"] == []
    res = api.post("/api/v1/exports", json={"format": "cytoscape", "ids": ids, "recipient": "CPS Yorkshire"})
    assert res.status_code == 200 and res.headers["content-type"].startswith("application/json")
    doc = res.json()
    assert {n["data"]["id"] for n in doc["elements"]["nodes"]} == set(ids)
    assert res.headers["x-clearsight-marking"] == doc["data"]["marking"]
    (disclosure,) = [e for e in entries(api.workspace, operation="disclosure") if e.outcome == "ok"]
    details = json.loads(disclosure.details)
    assert details["recipient"] == "CPS Yorkshire" and details["format"] == "cytoscape" and disclosure.user == "secret"
    sheet = api.post("/api/v1/exports", json={"format": "xlsx", "ids": ids[:2], "recipient": "CPS Yorkshire"})
    assert sheet.status_code == 200 and sheet.content[:2] == b"PK"
    hidden = api.post("/api/v1/exports", user="viewer", json={"format": "csv", "ids": [P.HIDDEN_PERSON.id],
                                                              "recipient": "CPS Yorkshire"})
    assert_problem(hidden, 404, "not-found")


# -- the CLI for tokens and the server ------------------------------------------------


def test_token_commands(workspace: Workspace) -> None:
    from typer.testing import CliRunner

    from clearsight.cli.main import app

    base = ["--workspace", str(workspace.settings.workspace), "--db-url", workspace.settings.database_url, "--user", "analyst1"]
    runner = CliRunner()
    created = runner.invoke(app, [*base, "users", "token", "create", "analyst1", "--label", "web"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("cs_")
    with TestClient(create_app(workspace=workspace)) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/me", headers=headers).json()["user"] == "analyst1"
        listed = runner.invoke(app, [*base, "users", "token", "list"], env={"COLUMNS": "250"})
        token_id = token.split("_")[1]
        assert listed.exit_code == 0 and token_id in listed.output and token.split("_", 2)[2] not in listed.output
        revoked = runner.invoke(app, [*base, "users", "token", "revoke", token_id])
        assert revoked.exit_code == 0, revoked.output
        assert client.get("/api/v1/me", headers=headers).status_code == 401
    unknown = runner.invoke(app, [*base, "users", "token", "create", "nobody"])
    assert unknown.exit_code != 0
    assert "serve" in runner.invoke(app, ["--help"]).output
