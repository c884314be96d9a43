"""The command line through its public surface: help, init, ontology, audit commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from clearsight.cli.main import app

runner = CliRunner()


def cs(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "clearsight.cli.main", *args], capture_output=True, text=True, env=env, check=False,
        timeout=300,
    )


def test_help_lists_the_command_groups() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for group in ("init", "ontology", "audit", "users", "cases", "ingest", "demo", "search", "graph"):
        assert group in result.output


def test_ontology_lists_schemata_and_exports_json_schema() -> None:
    result = cs("ontology", "--json-schema")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    for name in ("Person", "Vehicle", "Crime", "IntelligenceReport", "Involvement", "Communication", "Sighting"):
        assert name in doc["$defs"]
    assert doc["$defs"]["Involvement"]["properties"]["category"]["enum"] == ["suspect", "offender", "victim", "witness", "other"]
    listing = cs("ontology", "Person")
    assert listing.returncode == 0
    assert "birthDate" in listing.stderr and "pnc" in listing.stderr


def test_init_then_audit_verify_checkpoint_prove(tmp_path: Path) -> None:
    ws = ["--workspace", str(tmp_path / "ws"), "--user", "dpo1"]
    assert cs(*ws, "init").returncode == 0
    head = tmp_path / "head.json"
    out = cs(*ws, "audit", "checkpoint", "-o", str(head))
    assert out.returncode == 0, out.stderr
    verify = cs(*ws, "audit", "verify", "--against", str(head))
    assert verify.returncode == 0, verify.stderr
    assert "OK" in verify.stderr
    proof = cs(*ws, "audit", "prove", "1", "--head", str(head))
    assert proof.returncode == 0, proof.stderr
    proof_file = tmp_path / "proof.json"
    proof_file.write_text(proof.stdout)
    checked = subprocess.run(
        [sys.executable, "-m", "clearsight.governance.verifier", "inclusion", str(proof_file),
         "--public-key", str(tmp_path / "ws" / "keys" / "audit-signing.key.pub")],
        capture_output=True, text=True, check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_audit_log_needs_an_audit_purpose(tmp_path: Path) -> None:
    ws = ["--workspace", str(tmp_path / "ws"), "--user", "dpo1"]
    assert cs(*ws, "init").returncode == 0
    refused = cs(*ws, "audit", "log", "--purpose", "INTELLIGENCE: curious about the log")
    assert refused.returncode != 0
    assert "s.62(4)" in refused.stderr
    assert "Traceback" not in refused.stderr
    listed = cs(*ws, "audit", "log", "--purpose", "AUDIT-LAWFULNESS: weekly access review", "--json")
    assert listed.returncode == 0, listed.stderr
    entries = json.loads(listed.stdout)
    assert any(e["action"] == "audit.log" and e["outcome"] == "denied" for e in entries)


def test_analyst_cannot_read_the_audit_log(tmp_path: Path) -> None:
    ws = ["--workspace", str(tmp_path / "ws"), "--user", "admin1"]
    assert cs(*ws, "init").returncode == 0
    assert cs(*ws, "users", "add", "jdoe", "--roles", "analyst").returncode == 0
    refused = cs("--workspace", str(tmp_path / "ws"), "--user", "jdoe", "audit", "log", "--purpose",
                 "AUDIT-LAWFULNESS: looking at the log")
    assert refused.returncode == 4
    assert "auditor" in refused.stderr


def test_unknown_user_and_missing_store_are_clear_errors(tmp_path: Path) -> None:
    missing = cs("--workspace", str(tmp_path / "none"), "audit", "verify")
    assert missing.returncode != 0 and "clearsight init" in missing.stderr and "Traceback" not in missing.stderr
    assert cs("--workspace", str(tmp_path / "ws"), "--user", "a1", "init").returncode == 0
    stranger = cs("--workspace", str(tmp_path / "ws"), "--user", "mallory", "audit", "verify")
    assert stranger.returncode == 4 and "unknown user" in stranger.stderr


def test_case_purpose_requires_assignment(tmp_path: Path) -> None:
    ws = ["--workspace", str(tmp_path / "ws"), "--user", "admin1"]
    assert cs(*ws, "init").returncode == 0
    assert cs(*ws, "users", "add", "jdoe", "--roles", "analyst,auditor").returncode == 0
    assert cs(*ws, "cases", "add", "OP-KESTREL", "--members", "admin1").returncode == 0
    other = ["--workspace", str(tmp_path / "ws"), "--user", "jdoe"]
    refused = cs(*other, "search", "smith", "--purpose", "case:OP-KESTREL")
    assert refused.returncode == 4 and "not assigned" in refused.stderr
    assert cs(*ws, "cases", "assign", "OP-KESTREL", "jdoe").returncode == 0
    allowed = cs(*other, "search", "smith", "--purpose", "case:OP-KESTREL")
    assert allowed.returncode == 0, allowed.stderr
    # revoking takes effect on the next request (ACC-8)
    assert cs(*ws, "cases", "assign", "OP-KESTREL", "jdoe", "--remove").returncode == 0
    again = cs(*other, "search", "smith", "--purpose", "case:OP-KESTREL")
    assert again.returncode == 4


def test_witness_push_then_verify_detects_a_restored_backup(tmp_path: Path) -> None:
    import shutil

    ws = ["--workspace", str(tmp_path / "ws"), "--user", "dpo1"]
    assert cs(*ws, "init").returncode == 0
    store = tmp_path / "witness"
    store.mkdir()
    first = cs(*ws, "audit", "witness", "push", "--to", str(store))
    assert first.returncode == 0, first.stderr
    assert "Witnessed the signed tree head" in first.stderr
    db = tmp_path / "ws" / "clearsight.db"
    backup = tmp_path / "backup.db"
    shutil.copy(db, backup)  # no writer is open: the WAL is checkpointed on close
    assert cs(*ws, "audit", "verify", "--witness", str(store), "--workers", "1").returncode == 0  # logs itself
    second = cs(*ws, "audit", "witness", "push", "--to", str(store))
    assert second.returncode == 0 and "consistent with the previous head" in second.stderr
    for leftover in (tmp_path / "ws").glob("clearsight.db-*"):
        leftover.unlink()
    shutil.copy(backup, db)
    restored = cs(*ws, "audit", "verify", "--witness", str(store))
    assert restored.returncode != 0
    assert "FAIL" in restored.stderr and "older backup" in restored.stderr
    refused = cs(*ws, "audit", "witness", "push", "--to", str(store))
    assert refused.returncode != 0 and "nothing was witnessed" in refused.stderr
