"""Killing an ingest mid-run leaves the store consistent, and re-running completes it."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clearsight.bootstrap import Workspace
from clearsight.governance.integrity import verify
from clearsight.store import tables as t
from tests.conftest import SHARED

STREET = SHARED / "police_uk" / "west-yorkshire" / "2017-07-west-yorkshire-street.csv"
PURPOSE = "INTELLIGENCE: load of a large street crime extract"


def _big_csv(path: Path, copies: int) -> int:
    """The real file repeated with a unique Crime ID per row; returns the row count."""
    n = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        for copy in range(copies):
            with STREET.open(encoding="utf-8", newline="") as src:
                reader = csv.reader(src)
                header = next(reader)
                if copy == 0:
                    writer.writerow(header)
                for row in reader:
                    n += 1
                    row[0] = f"K{n:07d}"
                    writer.writerow(row)
    return n


def _batches_done(ws: Workspace) -> int:
    try:
        with ws.store.connect() as conn:
            return int(conn.execute(select(func.coalesce(func.max(t.ingest_runs.c.batches_done), 0))).scalar_one())
    except Exception:
        return 0


@pytest.mark.slow
def test_sigkill_mid_ingest_then_rerun(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    ws = sqlite_workspace
    path = tmp_path / "big.csv"
    rows = _big_csv(path, 2)
    exe = Path(sys.executable).parent / "clearsight"
    env = {**os.environ, "CLEARSIGHT_WORKSPACE": str(ws.settings.workspace), "CLEARSIGHT_USER": "analyst1",
           "CLEARSIGHT_BATCH_SIZE": "2000", "CLEARSIGHT_PURPOSE": PURPOSE}
    env.pop("CLEARSIGHT_DB_URL", None)
    cmd = [str(exe), "ingest", str(path), "--mapping", "police-uk-street"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _batches_done(ws) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, "the ingest finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    with ws.store.connect() as conn:
        orphans = conn.execute(
            select(func.count()).select_from(t.entities).where(
                ~select(t.statements.c.id).where(t.statements.c.entity_id == t.entities.c.id).exists()
            )
        ).scalar_one()
        crimes = conn.execute(select(func.count()).select_from(t.entities).where(t.entities.c.schema == "Crime")).scalar_one()
        status = conn.execute(select(t.ingest_runs.c.status, t.ingest_runs.c.batches_done)).one()
        assert verify(conn).ok
    assert orphans == 0
    assert 0 < crimes < rows and crimes % 2000 == 0  # whole batches only
    assert status[0] == "running"

    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Completed the interrupted run" in done.stderr
    with ws.store.connect() as conn:
        crimes = conn.execute(select(func.count()).select_from(t.entities).where(t.entities.c.schema == "Crime")).scalar_one()
        statuses = sorted(conn.execute(select(t.ingest_runs.c.status)).scalars())
        assert verify(conn).ok
    assert crimes == rows
    assert statuses == ["complete", "interrupted"]


class _StopAt(Exception):
    """Raised by the progress callback once enough rows have been read."""


@pytest.mark.parametrize("stop", [KeyboardInterrupt, _StopAt])
def test_stop_while_reading_keeps_whole_batches(workspace: Workspace, tmp_path: Path, stop: type[BaseException]) -> None:
    """A stop while the source is read (Ctrl+C, or an error) reaches the caller; the batches
    already written stay, the run is marked, and running again completes the load."""
    from clearsight.ingest import ingest

    ws = workspace
    path = tmp_path / "big.csv"
    rows = _big_csv(path, 1)
    ctx = ws.context(PURPOSE)
    reports = ws.settings.workspace / "reports"

    def progress(read: int, _done: int | None, _size: int | None) -> None:
        if read >= 9_000:
            raise stop("stop here")

    with pytest.raises(stop):
        ingest(ws.governance, ctx, str(path), "police-uk-street", reports_dir=reports, batch_size=2000, progress=progress)
    with ws.store.connect() as conn:
        crimes = conn.execute(select(func.count()).select_from(t.entities).where(t.entities.c.schema == "Crime")).scalar_one()
        run = conn.execute(select(t.ingest_runs.c.status, t.ingest_runs.c.batches_done)).one()
    assert 0 < crimes < rows and crimes % 2000 == 0
    assert crimes == run.batches_done * 2000
    assert run.status == ("interrupted" if stop is KeyboardInterrupt else "failed")

    summary = ingest(ws.governance, ctx, str(path), "police-uk-street", reports_dir=reports, batch_size=2000)
    assert summary.rows_read == rows
    with ws.store.connect() as conn:
        crimes = conn.execute(select(func.count()).select_from(t.entities).where(t.entities.c.schema == "Crime")).scalar_one()
        assert verify(conn).ok
    assert crimes == rows
