"""An API over a real workspace (SQLite and PostgreSQL) holding the planted network, with
users of different standing and a token for each."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from clearsight.api import create_app
from clearsight.bootstrap import Workspace
from clearsight.governance.tokens import create_token
from clearsight.governance.users import create_case, create_user
from tests.graph import planted as P
from tests.helpers import seed, street_file

PURPOSE = "INTELLIGENCE: testing the REST API"
STREET = street_file("2017-07")
AUDIT_PURPOSE = "AUDIT-LAWFULNESS: weekly review of access through the API"




@dataclass
class Api:
    """A test client and the tokens of the seeded users."""

    client: TestClient
    workspace: Workspace
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, user: str = "secret", purpose: str | None = PURPOSE) -> dict[str, str]:
        out = {"Authorization": f"Bearer {self.tokens[user]}"}
        if purpose is not None:
            out["X-Clearsight-Purpose"] = purpose
        return out

    def get(self, url: str, user: str = "secret", purpose: str | None = PURPOSE, **kwargs: object):  # type: ignore[no-untyped-def]
        return self.client.get(url, headers=self.headers(user, purpose), **kwargs)  # type: ignore[arg-type]

    def post(self, url: str, user: str = "secret", purpose: str | None = PURPOSE, **kwargs: object):  # type: ignore[no-untyped-def]
        return self.client.post(url, headers=self.headers(user, purpose), **kwargs)  # type: ignore[arg-type]


def add_users(ws: Workspace) -> dict[str, str]:
    """Users: 'viewer' (OFFICIAL-SENSITIVE analyst), 'secret' (SECRET analyst on OP-KESTREL),
    'auditor' (auditor role only); and a token for each and for the first user."""
    create_user(ws.store, actor="analyst1", name="viewer", roles=["analyst"], clearance="OFFICIAL-SENSITIVE", groups=["local"])
    create_user(ws.store, actor="analyst1", name="secret", roles=["analyst", "investigator"], clearance="SECRET",
                groups=["local"])
    create_user(ws.store, actor="analyst1", name="auditor", roles=["auditor"], clearance="OFFICIAL-SENSITIVE")
    create_case(ws.store, actor="analyst1", reference="OP-KESTREL", title="Drug supply", members=["secret"])
    return {u: create_token(ws.store, actor="analyst1", user=u, label="tests")[1]
            for u in ("analyst1", "viewer", "secret", "auditor")}


@pytest.fixture
def api(workspace: Workspace) -> Iterator[Api]:
    seed(workspace.store, P.records() + P.hidden_records(), P.links() + P.hidden_links())
    tokens = add_users(workspace)
    with TestClient(create_app(workspace=workspace), raise_server_exceptions=False) as client:
        yield Api(client, workspace, tokens)
