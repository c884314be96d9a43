"""The record frame read through the store's scans and DuckDB equals the SQL pivot it replaced, on both databases.

The store is seeded with the resolution test population (an E-graded intelligence report
mentions one person) and then given what a pivot can get wrong: several current values of
one property, superseded history, a value under a marking the viewer may not see, a hidden
record, a restricted one, a record with no values, an empty value, and values with commas,
quotes, tabs, new lines and non-ASCII letters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from sqlalchemy import Connection, and_, case, exists, func, insert, select, update

from clearsight.bootstrap import Workspace
from clearsight.governance.audit import utc_now
from clearsight.governance.markings import Marking
from clearsight.resolution.settings import PERSON
from clearsight.store import resolution_store as rs
from clearsight.store import tables as t
from clearsight.store.ids import statement_id
from clearsight.store.visibility import Visibility
from tests.helpers import Rec, make_context, seed
from tests.resolution.population import build

PURPOSE = "DATA-QUALITY: resolution of people in the test store"


def _reference_frame(
    conn: Connection, *, visible: Visibility, schema: str, fields: Mapping[str, str], since: str | None, exclude_e_graded: bool
) -> pd.DataFrame:
    """The one-query pivot (GROUP BY with a CASE per field) that record_frame used to run."""
    s, e, lk = t.statements, t.entities, t.links
    marks = sorted(visible.marking_ids)
    cols = [func.max(case((s.c.prop == prop, s.c.match_key), else_=None)).label(col) for col, prop in fields.items()]
    changed = (e.c.last_seen > since) if since else (e.c.id == e.c.id)
    q = (
        select(e.c.id, e.c.source, e.c.record_key, changed.label("changed"), *cols)
        .select_from(e.outerjoin(s, and_(
            s.c.entity_id == e.c.id, s.c.superseded_by.is_(None), s.c.marking_id.in_(marks),
            s.c.prop.in_(sorted(set(fields.values()))),
        )))
        .where(e.c.schema == schema, e.c.marking_id.in_(marks), e.c.state.in_(sorted(visible.states)))
        .group_by(e.c.id, e.c.source, e.c.record_key, e.c.last_seen)
    )
    if exclude_e_graded:
        grade = t.statements.alias("grade")
        q = q.where(~exists(
            select(lk.c.id).join(grade, grade.c.entity_id == lk.c.source_id).where(
                lk.c.target_id == e.c.id, lk.c.schema == "Mention", grade.c.prop == "intelligenceAssessment",
                grade.c.value == "E", grade.c.superseded_by.is_(None),
            )
        ))
    frame = pd.DataFrame([tuple(r) for r in conn.execute(q)], columns=["unique_id", "source", "record_key", "changed", *fields])
    frame["changed"] = frame["changed"].astype(bool)
    return frame.sort_values("unique_id").reset_index(drop=True)


def _statement(entity: Rec, prop: str, key: str, marking: Marking, *, superseded: str | None = None, seen: str) -> dict[str, Any]:
    return {"id": statement_id(entity.id, prop, key), "entity_id": entity.id, "schema": entity.schema, "prop": prop,
            "value": key, "original": key, "match_key": key, "source": entity.source, "record_key": entity.key,
            "run_id": "r2", "first_seen": seen, "last_seen": seen, "superseded_by": superseded, "marking_id": marking.id}


def _seed_awkward(ws: Workspace) -> tuple[str, list[Rec], set[str]]:
    pop = build()
    secret = Marking(classification="SECRET")
    people = [r for r in pop.records if r.schema == "Person"]
    hidden = Rec("Person", "hidden-1", {"forename": "hidden", "surname": "person"}, marking=secret)
    empty = Rec("Person", "no-values", {})
    restricted = Rec("Person", "restricted-1", {"forename": "kept", "surname": "back"})
    seed(ws.store, [*pop.records, hidden, empty, restricted], pop.links)
    before = utc_now()
    later = "2999-01-01T00:00:00.000000Z"
    with ws.store.begin() as conn:
        conn.execute(update(t.entities).where(t.entities.c.id == restricted.id).values(state="restricted"))
        conn.execute(update(t.entities).where(t.entities.c.id == people[1].id).values(last_seen=later))
        conn.execute(insert(t.statements), [
            _statement(people[0], "phone", "07700900001", Marking(), seen=later),
            _statement(people[0], "phone", "07700900002", Marking(), seen=later),
            _statement(people[0], "email", "old@example.org", Marking(), superseded="r2", seen=later),
            _statement(people[0], "pncId", "99/1234Z", secret, seen=later),
            _statement(people[1], "address", 'flat 2, "the mill",\tleeds\nls1', Marking(), seen=later),
            _statement(people[1], "email", "", Marking(), seen=later),
            _statement(people[2], "forename", "zoë", Marking(), seen=later),
        ])
    graded = {lk.dst.id for lk in pop.links if lk.schema == "Mention"}
    return before, [hidden, restricted], graded


def test_record_frame_equals_the_sql_pivot(workspace: Workspace) -> None:
    since, hidden, graded = _seed_awkward(workspace)
    assert graded
    ctx = make_context(purpose=PURPOSE)
    for kwargs in ({"since": None, "exclude_e_graded": True}, {"since": since, "exclude_e_graded": False}):
        with workspace.governance.operation(ctx, "combination", "resolve.Person", component="resolution") as op:
            new = op.run(rs.record_frame, schema="Person", fields=PERSON.fields, **kwargs).table.to_pandas()
            old = op.run(_reference_frame, schema="Person", fields=PERSON.fields, **kwargs)
        assert list(new.columns) == list(old.columns)
        pd.testing.assert_frame_equal(new.reset_index(drop=True), old, check_dtype=False)
        assert len(new) > 10 and new["phone"].notna().any() and (new["email"] == "").any()
        assert bool(new["changed"].all()) == (kwargs["since"] is None) and new["changed"].any()
        ids = set(new["unique_id"])
        assert not ids & {r.id for r in hidden}
        assert (graded <= ids) == (not kwargs["exclude_e_graded"])
