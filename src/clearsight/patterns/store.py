"""Read events for pattern analysis from the store, through the governance gateway.

One governed "consultation" reads the current visible values of Crime and Incident
entities, so hidden records leave no trace in the events, counts or errors (ACC-3), and
one audit entry lists the ids of the events used (a count and digest when there are many).
The (entity, property, value) rows are pivoted to the events frame in vectorised pandas.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from clearsight.errors import InvalidData, NotFound
from clearsight.governance.context import Context
from clearsight.governance.gateway import Governance
from clearsight.governance.markings import Marking
from clearsight.patterns.events import MARKING_ID_COLUMN, POLICE_UK_LIMITS, EventSet, prepare_events
from clearsight.store import queries

EVENT_SCHEMATA: tuple[str, ...] = ("Crime", "Incident")
"""Entity schemata read as events."""

EVENT_PROPS: tuple[str, ...] = (
    "crimeType",
    "incidentType",
    "month",
    "occurredFrom",
    "latitude",
    "longitude",
    "lsoaCode",
    "discovery",
)
"""Properties read; everything else about an event stays in the store."""

STORE_LIMITS: tuple[str, ...] = (
    "Only events visible to you under your clearance, need-to-know groups and caveats are "
    "counted; others may exist.",
    "Events whose source does not say how they came to notice have discovery 'unknown'; "
    "they are treated as reported when training patrol models.",
)

NO_EVENTS = (
    "No events are visible to you for this purpose with these filters. Check the crime "
    "types and months asked for, or ask the data owner for access."
)


def _month_of(occurred: pd.Series) -> pd.Series:
    """The "YYYY-MM" month of stored date or date-time values (None for year-only)."""
    text = occurred.astype("string")
    return text.str.slice(0, 7).where(text.str.len() >= 7)


def _occurred_at(occurred: pd.Series) -> pd.Series:
    """UTC instants from stored values; NaT when only a month or year is known."""
    text = occurred.astype("string")
    dated = text.str.len() >= 10
    out = pd.to_datetime(text.where(dated), utc=True, errors="coerce", format="ISO8601")
    return out.astype("datetime64[ns, UTC]")


def pivot_events(rows: Sequence[tuple[str, str, str, str, str]]) -> pd.DataFrame:
    """Turn (entity id, schema, marking id, property, value) rows into an events frame.

    When an entity holds several current values of one property (two sources disagree),
    the first in sort order is used.

    Args:
        rows: Rows as returned by :func:`clearsight.store.queries.property_frame_rows`.

    Returns:
        A frame with the events columns plus ``marking_id`` and ``schema``; ``marking``
        is filled in later from the marking ids.
    """
    long = pd.DataFrame.from_records(rows, columns=["entity_id", "schema", "marking_id", "prop", "value"])
    ent_col, schema_col, mark_col, prop_col, value_col = (
        long[c].to_numpy(dtype=object) for c in ("entity_id", "schema", "marking_id", "prop", "value")
    )
    del long
    # factorise once and scatter each property's values into an entity-indexed column;
    # writing in reverse order lets the first value in sort order win
    codes, entity_ids = pd.factorize(ent_col)
    n = len(entity_ids)
    first = np.full(n, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    prop_codes, prop_names = pd.factorize(prop_col)
    data: dict[str, object] = {
        "entity_id": entity_ids,
        "schema": schema_col[first] if n else np.zeros(0, dtype=object),
        "marking_id": mark_col[first] if n else np.zeros(0, dtype=object),
    }
    for prop in EVENT_PROPS:
        column = np.full(n, None, dtype=object)
        where = np.flatnonzero(prop_names == prop)
        if len(where):
            sel = np.flatnonzero(prop_codes == where[0])[::-1]
            column[codes[sel]] = value_col[sel]
        data[prop] = column
    frame = pd.DataFrame(data)
    crime_type = frame["crimeType"].fillna(frame["incidentType"])
    occurred = frame["occurredFrom"]
    month = frame["month"].astype("string").str.slice(0, 7)
    month = month.where(month.str.len() == 7).fillna(_month_of(occurred))
    return pd.DataFrame(
        {
            "entity_id": frame["entity_id"].astype(str),
            "crime_type": crime_type.fillna("Unknown").astype(str),
            "month": month,
            "occurred_at": _occurred_at(occurred),
            "lon": pd.to_numeric(frame["longitude"], errors="coerce"),
            "lat": pd.to_numeric(frame["latitude"], errors="coerce"),
            "lsoa_code": frame["lsoaCode"].astype(object).where(frame["lsoaCode"].notna(), None),
            "discovery": frame["discovery"].astype(object).where(
                frame["discovery"].isin(["reported", "discovered"]), None
            ),
            "marking": "",
            MARKING_ID_COLUMN: frame["marking_id"].astype(str),
            "schema": frame["schema"].astype(str),
        }
    )


def load_events(
    gov: Governance,
    ctx: Context,
    *,
    crime_types: Iterable[str] | None = None,
    months: Iterable[str] | None = None,
    action: str = "patterns.events",
) -> EventSet:
    """Read the visible Crime and Incident events as a prepared :class:`EventSet`.

    One governed consultation: the purpose is required, only values the viewer may see are
    read, and the audit entry lists the ids of the events used (after the filters).

    Args:
        gov: The governance gateway of the workspace.
        ctx: Who is reading and why.
        crime_types: Keep only these crime (or incident) types.
        months: Keep only these months ("YYYY-MM").
        action: The action named in the audit entry (e.g. "patterns.hotspots").

    Returns:
        The prepared events, with ``sources`` set to the store source names and
        ``markings`` to the markings of the events used.

    Raises:
        PurposeRequired: No purpose was given; nothing is read.
        NotFound: No event is visible with these filters (hidden and missing look the same).
    """
    types = None if crime_types is None else sorted(set(crime_types))
    wanted_months = None if months is None else sorted(set(months))
    with gov.operation(ctx, "consultation", action, component="patterns") as op:
        rows = op.run(queries.property_frame_rows, schema=list(EVENT_SCHEMATA), props=list(EVENT_PROPS))
        df = pivot_events(rows)
        del rows
        keep = np.ones(len(df), bool)
        if types is not None:
            keep &= df["crime_type"].isin(types).to_numpy()
        if wanted_months is not None:
            keep &= df["month"].isin(wanted_months).to_numpy()
        no_month = int((keep & df["month"].isna().to_numpy()).sum())
        keep &= df["month"].notna().to_numpy()
        df = df.loc[keep].reset_index(drop=True)
        markings: dict[str, Marking] = {mid: op.marking(mid) for mid in pd.unique(df[MARKING_ID_COLUMN])}
        df["marking"] = df[MARKING_ID_COLUMN].map({k: m.classification for k, m in markings.items()})
        ids = df["entity_id"].tolist()
        sources: list[str] = []
        if ids:
            # one pass over the events' entity rows; ids chunked only when few are used
            records = (
                op.run(queries.entities, ids=ids)
                if len(ids) <= 20_000
                else op.run(queries.entities, schema=list(EVENT_SCHEMATA))
            )
            chosen = set(ids)
            sources = sorted({r.source for r in records if r.id in chosen})
        op.record(ids)
        op.note(
            events=len(ids),
            crime_types=types or "all",
            months=wanted_months or "all",
            sources=sources,
        )
    if not ids:
        raise NotFound(NO_EVENTS)
    limits = list(STORE_LIMITS)
    if no_month:
        limits.append(f"{no_month} events had no month or date and were left out.")
    if any("police-uk" in s or "police.uk" in s for s in sources):
        limits.extend(POLICE_UK_LIMITS)
    df.attrs["limits"] = limits
    try:
        return prepare_events(df, sources=sources, markings=markings)
    except InvalidData as exc:
        raise InvalidData(f"stored events could not be analysed: {exc}", exc.problems) from exc


__all__ = ["EVENT_PROPS", "EVENT_SCHEMATA", "NO_EVENTS", "load_events", "pivot_events"]
