"""The web workspace in a real headless Chromium against a real uvicorn server, on SQLite
and PostgreSQL: sign in, declare a purpose, search, open a profile, expand the network,
find a path, and see the audit entries all that caused.

Chromium is the distribution's (/usr/bin/chromium), driven by Playwright; in CI a
missing browser fails the run instead of skipping it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from clearsight.bootstrap import Workspace
from clearsight.cli.main import app
from clearsight.governance.tokens import create_token
from tests.api.conftest import STREET
from tests.conftest import IN_CI
from tests.graph import planted as P
from tests.helpers import seed, street_slice

CHROMIUM = Path(os.environ.get("CLEARSIGHT_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SHOTS = Path(os.environ.get("CLEARSIGHT_SCREENSHOTS", "")) if os.environ.get("CLEARSIGHT_SCREENSHOTS") else None


def _require_browser() -> None:
    missing = None
    if not CHROMIUM.exists():
        missing = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "the playwright package is not installed (pip install -e '.[dev]')"
    if missing:
        if IN_CI:
            pytest.fail(missing)
        pytest.skip(missing)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(workspace: Workspace, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``clearsight serve`` on a free port over the seeded workspace; yields (url, token)."""
    _require_browser()
    seed(workspace.store, P.records() + P.hidden_records(), P.links() + P.hidden_links())
    if STREET.exists():
        ws = workspace.settings
        result = CliRunner().invoke(app, ["--workspace", str(ws.workspace), "--db-url", ws.database_url, "--user",
                                          "analyst1", "ingest", str(street_slice(tmp_path, "2017-07", 1500)), "--mapping",
                                          "police-uk-street", "--purpose", "INTELLIGENCE: load of the July crime map"])
        assert result.exit_code == 0, result.output
    _, token = create_token(workspace.store, actor="analyst1", user="analyst1", label="browser test")
    port = _free_port()
    cmd = [sys.executable, "-m", "clearsight.cli.main", "--workspace", str(workspace.settings.workspace),
           "--db-url", workspace.settings.database_url, "--user", "analyst1", "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/api/v1/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"the server did not start: {out}")
            time.sleep(0.3)
        yield url, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_an_analyst_works_a_case_in_the_browser(server: tuple[str, str], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, token = server
    shots = SHOTS or tmp_path
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        failed: list[str] = []
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.on("pageerror", lambda e: failed.append(str(e)))
        page.goto(url + "/")
        # before sign-in only the sign-in form shows: no user, purpose or workspace tabs
        expect(page.locator("#signin")).to_be_visible()
        for hidden in ("#who", "#purpose-bar", "#tabs", "#error"):
            expect(page.locator(hidden)).to_be_hidden()

        # a wrong token is refused in words
        page.fill("#token", "cs_not_a_token")
        page.press("#token", "Enter")
        expect(page.locator("#error")).to_contain_text("token is missing, invalid")

        page.fill("#token", token)
        page.press("#token", "Enter")
        expect(page.locator("#who-user")).to_have_text("analyst1")

        # a purpose code needs an explanation: refused in words, then accepted
        page.check("input[name=kind][value=code]")
        page.select_option("#purpose-code-select", "INTELLIGENCE")
        page.fill("#purpose-free", "short")
        page.click("#purpose-form button[type=submit]")
        expect(page.locator("#error")).to_contain_text("at least 10 characters")
        page.fill("#purpose-free", "who directs the Hale brothers")
        page.click("#purpose-form button[type=submit]")
        expect(page.locator("#purpose-text")).to_have_text("INTELLIGENCE: who directs the Hale brothers")

        # search with the keyboard, open the profile
        page.fill("#q", "Victor Crane")
        page.keyboard.press("Enter")
        hit = page.locator("#search-results .hit button", has_text="Victor Crane")
        expect(hit).to_be_visible()
        expect(page.locator("#search-results .marking").first).to_have_text("OFFICIAL")
        hit.focus()
        page.keyboard.press("Enter")
        expect(page.locator("#profile-title")).to_contain_text("Victor Crane")
        expect(page.locator("#profile-body table").first).to_contain_text("Full name")
        expect(page.locator("#profile-body")).to_contain_text("fact")
        page.screenshot(path=str(shots / "profile.png"), full_page=True)

        # expand the network: the SECRET-free view of an OFFICIAL-SENSITIVE analyst
        page.click("text=Expand network")
        nodes = page.locator("#network-body svg g.node")
        expect(nodes.first).to_be_visible()
        assert nodes.count() >= 8  # the leader, six members, the report and the crimes he is on
        labels = [nodes.nth(i).get_attribute("aria-label") or "" for i in range(nodes.count())]
        assert not any("Hector Shade" in x for x in labels)  # the SECRET person stays hidden
        fred = page.locator("#network-body svg g.node[aria-label^='Fred Lowe']")
        fred.focus()
        page.keyboard.press("Enter")
        expect(page.locator("#network-side")).to_contain_text("Fred Lowe")
        # a connection's evidence is reachable from the keyboard too
        page.locator("#network-side button", has_text="Victor Crane").focus()
        page.keyboard.press("Enter")
        expect(page.locator("#network-side")).to_contain_text("Association")
        expect(page.locator("#network-side h3")).to_have_text("Fred Lowe \u2013 Victor Crane")
        fred.focus()
        page.keyboard.press("Enter")
        before = nodes.count()
        page.click("#network-side >> text=Expand from here")
        expect(page.locator("#network-body svg g.node[aria-label^='Leon Marsh']")).to_be_visible()
        assert nodes.count() > before
        page.screenshot(path=str(shots / "network.png"), full_page=True)

        # a path with the evidence of each link
        page.click("nav >> text=Path")
        page.fill("#path-from", P.LEADER.id)
        page.fill("#path-to", P.BROKER.id)
        page.click("#path-form button[type=submit]")
        expect(page.locator("#path-results .path").first).to_contain_text("Leon Marsh")
        expect(page.locator("#path-results .evidence").first).to_contain_text("Association")

        # the hotspot map of the ingested police.uk month
        if STREET.exists():
            page.click("nav >> text=Hotspots")
            page.fill("#hs-month", "2017-07")
            page.fill("#hs-cell", "500")
            page.click("#hotspots-form button[type=submit]")
            cells = page.locator("#hotspots-body svg path.cell")
            expect(cells.first).to_be_attached(timeout=60_000)
            assert cells.count() > 20
            expect(page.locator("#hotspots-body .marking").first).to_have_text("OFFICIAL need-to-know: local")
            expect(page.locator("#hotspots-body")).to_contain_text("hot")
            page.screenshot(path=str(shots / "hotspots.png"), full_page=True)

        # the audit log shows what this session did (the first user is also an auditor,
        # but needs a s.62(4) purpose for it)
        page.click("nav >> text=Audit log")
        page.click("#audit-form button[type=submit]")
        expect(page.locator("#error")).to_contain_text("s.62(4)")
        page.click("#purpose-change")
        page.check("input[name=kind][value=code]")
        page.select_option("#purpose-code-select", "AUDIT-LAWFULNESS")
        page.fill("#purpose-free", "checking my own trail from the workspace")
        page.click("#purpose-form button[type=submit]")
        expect(page.locator("#purpose-text")).to_have_text("AUDIT-LAWFULNESS: checking my own trail from the workspace")
        page.click("nav >> text=Audit log")
        page.fill("#audit-by", "analyst1")
        page.click("#audit-form button[type=submit]")
        log = page.locator("#audit-body table")
        for action in ("search", "profile", "graph.neighbours", "graph.path"):
            expect(log).to_contain_text(action)
        expect(log).to_contain_text("INTELLIGENCE: who directs the Hale brothers")
        profile_row = log.locator("tbody tr", has=page.locator("td:nth-child(4)", has_text="profile"))
        expect(profile_row.locator("td").nth(7)).not_to_have_text("0")  # the records it read are listed
        page.click("#audit-verify")
        expect(page.locator("#audit-body")).to_contain_text("Verified:")
        page.screenshot(path=str(shots / "audit.png"), full_page=True)
        browser.close()
    assert failed == []
