"""Test helpers that put records straight into a store (below governance, as ingest would)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import insert

from clearsight.governance.audit import utc_now
from clearsight.governance.context import Context, Purpose
from clearsight.governance.markings import Marking
from clearsight.store import tables as t
from clearsight.store.engine import Store
from clearsight.store.ids import entity_id, link_id, statement_id
from clearsight.store.writes import ensure_markings, insert_ignore

#: the shared data folder (police.uk CSVs, LSOA tables): beside the repository unless
#: CLEARSIGHT_SHARED_DATA says otherwise
SHARED_DATA = Path(os.environ.get("CLEARSIGHT_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
#: the real West Yorkshire street-level crime files, one per month
POLICE_UK = SHARED_DATA / "police_uk" / "west-yorkshire"


def street_file(month: str) -> Path:
    """The police.uk street-level crime CSV for ``month`` (``YYYY-MM``)."""
    return POLICE_UK / f"{month}-west-yorkshire-street.csv"


def street_slice(tmp: Path, month: str, rows: int) -> Path:
    """The header and first ``rows`` crimes of a month's police.uk file, written under ``tmp``."""
    out = tmp / f"{month}-slice.csv"
    with street_file(month).open(encoding="utf-8") as f, out.open("w", encoding="utf-8") as g:
        for i, line in enumerate(f):
            if i > rows:
                break
            g.write(line)
    return out


@dataclass
class Rec:
    schema: str
    key: str
    props: dict[str, str]
    marking: Marking = field(default_factory=Marking)
    source: str = "test"

    @property
    def id(self) -> str:
        return entity_id(self.source, self.schema, self.key)


@dataclass
class Lnk:
    schema: str
    src: Rec
    dst: Rec
    props: dict[str, str] = field(default_factory=dict)
    marking: Marking = field(default_factory=Marking)
    source: str = "test"

    @property
    def id(self) -> str:
        return link_id(self.source, self.schema, self.src.id, self.dst.id, f"{self.src.key}>{self.dst.key}")


def marking_row(m: Marking) -> dict[str, object]:
    return {
        "id": m.id,
        "classification": m.classification,
        "level": m.level,
        "descriptors": ",".join(m.descriptors),
        "caveats": ",".join(m.caveats),
        "groups": ",".join(m.groups),
    }


def seed(store: Store, records: Sequence[Rec], links: Sequence[Lnk] = ()) -> None:
    now = utc_now()
    with store.begin() as conn:
        ensure_markings(conn, [marking_row(r.marking) for r in records] + [marking_row(lk.marking) for lk in links])
        for src in sorted({r.source for r in records} | {lk.source for lk in links}):
            conn.execute(
                insert_ignore(conn, t.sources).values(name=src, created_at=now, created_by="test")
            )
        for r in records:
            conn.execute(
                insert(t.entities).values(
                    id=r.id, schema=r.schema, source=r.source, record_key=r.key, marking_id=r.marking.id,
                    first_run="r1", last_run="r1", first_seen=now, last_seen=now,
                )
            )
            for prop, value in r.props.items():
                conn.execute(
                    insert(t.statements).values(
                        id=statement_id(r.id, prop, value), entity_id=r.id, schema=r.schema, prop=prop, value=value,
                        original=value, match_key=value.casefold(), source=r.source, record_key=r.key, run_id="r1",
                        first_seen=now, last_seen=now, marking_id=r.marking.id,
                    )
                )
        for lk in links:
            conn.execute(
                insert(t.links).values(
                    id=lk.id, schema=lk.schema, source_id=lk.src.id, target_id=lk.dst.id, properties=json.dumps(lk.props),
                    source=lk.source, record_key=f"{lk.src.key}>{lk.dst.key}", run_id="r1", first_seen=now, last_seen=now,
                    marking_id=lk.marking.id,
                )
            )


def make_context(user: str = "analyst1", *, clearance: str = "OFFICIAL-SENSITIVE", groups: tuple[str, ...] = ("local",),
                 roles: tuple[str, ...] = ("analyst",), purpose: str | None = "INTELLIGENCE: test of governed reads") -> Context:
    return Context(
        user=user,
        roles=frozenset(roles),
        clearance=clearance,
        groups=frozenset(groups),
        purpose=Purpose.parse(purpose) if purpose else None,
    )
