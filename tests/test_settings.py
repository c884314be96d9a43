"""The settings object: environment, overrides, validation, and documentation of each setting."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from clearsight.errors import InvalidData
from clearsight.settings import SETTINGS_HELP, Settings, load_settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_environment_then_overrides(tmp_path: Path) -> None:
    env = {"CLEARSIGHT_WORKSPACE": str(tmp_path / "a"), "CLEARSIGHT_BATCH_SIZE": "250", "CLEARSIGHT_USER": "jdoe"}
    s = load_settings(environ=env, user="asmith")
    assert s.workspace == tmp_path / "a"
    assert s.batch_size == 250
    assert s.user == "asmith"
    assert s.database_url == f"sqlite:///{tmp_path / 'a' / 'clearsight.db'}"
    assert s.signing_key_path == tmp_path / "a" / "keys" / "audit-signing.key"


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        ("CLEARSIGHT_BATCH_SIZE", "many", "batch_size"),
        ("CLEARSIGHT_BATCH_SIZE", "0", "batch_size"),
        ("CLEARSIGHT_AUDIT_RETENTION_DAYS", "364", "audit_retention_days"),
        ("CLEARSIGHT_DEFAULT_MARKING", "RESTRICTED", "default_marking"),
        ("CLEARSIGHT_DUCKDB_THREADS", "0", "duckdb_threads"),
    ],
)
def test_bad_values_name_the_setting(tmp_path: Path, name: str, value: str, field: str) -> None:
    with pytest.raises(InvalidData) as info:
        load_settings(environ={name: value}, workspace=tmp_path)
    assert any(p.field == field for p in info.value.problems)


def test_every_setting_has_help_and_is_documented() -> None:
    names = {f.name for f in fields(Settings)}
    assert names == set(SETTINGS_HELP)
    readme = README.read_text(encoding="utf-8")
    for name in names:
        assert f"CLEARSIGHT_{name.upper()}" in readme, f"README does not document CLEARSIGHT_{name.upper()}"
