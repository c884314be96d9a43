"""The events frame every pattern analysis reads, and loaders that produce it.

An events frame has one row per crime or incident with the columns in
:data:`EVENT_COLUMNS`. :func:`prepare_events` checks it, projects the points to the
British National Grid (EPSG:27700, metres) and records what was dropped and how precise
the times are, so that every analysis can state its limits (ALG-4).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pyproj import Transformer

from clearsight.errors import InvalidData, Problem
from clearsight.governance.markings import Marking, combine

EVENT_COLUMNS: tuple[str, ...] = (
    "entity_id",
    "crime_type",
    "month",
    "occurred_at",
    "lon",
    "lat",
    "lsoa_code",
    "discovery",
    "marking",
)
"""Columns an events frame must have."""

MARKING_ID_COLUMN = "marking_id"
"""Optional column: the stored marking id of each event, resolved by ``EventSet.markings``."""

DISCOVERY_VALUES = frozenset({"reported", "discovered"})

POLICE_UK_COLUMNS: tuple[str, ...] = (
    "Crime ID",
    "Month",
    "Longitude",
    "Latitude",
    "LSOA code",
    "Crime type",
)
"""Columns a police.uk street-level CSV must have for us to read it."""

POLICE_UK_DISCOVERED_TYPES: tuple[str, ...] = ("Drugs", "Possession of weapons")
"""police.uk crime types treated as police-discovered by default.

police.uk does not say how a crime came to notice. Drug and weapon possession offences
are overwhelmingly found by proactive policing (stop and search, warrants), so they are the
usual proxy for "discovered" (Lum & Isaac 2016). The proxy is stated in every explanation.
"""

POLICE_UK_LIMITS: tuple[str, ...] = (
    "police.uk gives the month only (no day or time of day) and snaps locations to "
    "anonymised map points, so several crimes share one point and patterns finer than "
    "about 200 m are not reliable.",
    "police.uk does not say whether a crime was reported by the public or found by police; "
    "drug and weapon possession offences are treated as police-discovered as a proxy.",
)

TimePrecision = Literal["month", "day", "hour"]
_PRECISION_RANK: dict[str, int] = {"month": 0, "day": 1, "hour": 2}
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

# Rough bounds of Great Britain in WGS84; points outside cannot be projected meaningfully.
_LON_RANGE = (-9.0, 2.5)
_LAT_RANGE = (49.5, 61.5)


@lru_cache(maxsize=2)
def _transformer(inverse: bool = False) -> Transformer:
    if inverse:
        return Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    return Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def to_bng(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 longitude/latitude to British National Grid easting/northing (metres)."""
    x, y = _transformer(False).transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, float), np.asarray(y, float)


def to_wgs84(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project British National Grid easting/northing (metres) to WGS84 longitude/latitude."""
    lon, lat = _transformer(True).transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, float), np.asarray(lat, float)


@dataclass
class EventSet:
    """A checked, projected events frame and what preparing it cost.

    Attributes:
        frame: The events with coordinates, plus ``x``, ``y`` (BNG metres) and
            ``time_precision`` ("month", "day" or "hour") per row.
        n_input: Rows received.
        n_no_location: Rows dropped because they had no usable coordinates.
        n_outside_gb: Rows dropped because their coordinates lie outside Great Britain.
        precision: The finest time precision *every* kept row has ("month" if any row
            carries the month only).
        sources: Data sources, carried into explanations.
        limits: What the data cannot say, carried into explanations.
        markings: Full markings by marking id, for frames that carry a ``marking_id``
            column (events read from the store); the ``marking`` column then holds the
            classification alone.
    """

    frame: pd.DataFrame
    n_input: int
    n_no_location: int
    n_outside_gb: int
    precision: TimePrecision
    sources: list[str] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)
    markings: dict[str, Marking] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Events kept."""
        return len(self.frame)

    def counts(self) -> dict[str, int]:
        """Counts for an explanation."""
        disc = self.frame["discovery"].fillna("unknown").value_counts()
        return {
            "events_input": self.n_input,
            "events_used": self.n,
            "dropped_no_location": self.n_no_location,
            "dropped_outside_great_britain": self.n_outside_gb,
            "reported": int(disc.get("reported", 0)),
            "discovered": int(disc.get("discovered", 0)),
            "discovery_unknown": int(disc.get("unknown", 0)),
        }

    def all_limits(self) -> list[str]:
        """The data's own limits plus those that follow from what was dropped."""
        out = list(self.limits)
        if self.precision == "month" and not any("month only" in s for s in out):
            out.append("Some or all events carry the month only; no day or time of day.")
        if self.n_no_location:
            out.append(
                f"{self.n_no_location} of {self.n_input} events had no location and are "
                "left out of every spatial figure."
            )
        return out

    def period(self) -> str:
        """The months covered, as "YYYY-MM" or "YYYY-MM to YYYY-MM"."""
        if self.frame.empty:
            return ""
        months = sorted(self.frame["month"].unique())
        return months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}"

    def product_marking(self) -> Marking:
        """The marking of anything derived from these events (ACC-4).

        The highest tier and the union of handling conditions of the events' markings
        (:func:`clearsight.governance.markings.combine`). Events without a stored marking
        id contribute their classification alone.
        """
        f = self.frame
        found: list[Marking] = []
        if MARKING_ID_COLUMN in f and self.markings:
            ids = pd.unique(f[MARKING_ID_COLUMN].dropna().to_numpy())
            found.extend(self.markings[str(i)] for i in ids if str(i) in self.markings)
            rest = f.loc[f[MARKING_ID_COLUMN].isna(), "marking"]
        else:
            rest = f["marking"]
        found.extend(Marking.make(str(c)) for c in pd.unique(rest.dropna().to_numpy()))
        return combine(found)

    def subset(self, mask: np.ndarray | pd.Series) -> EventSet:
        """The same set restricted to rows where ``mask`` is true (counts kept)."""
        keep = np.asarray(mask, bool)
        frame = self.frame if keep.all() else self.frame.loc[keep].reset_index(drop=True)
        return EventSet(
            frame=frame,
            n_input=self.n_input,
            n_no_location=self.n_no_location,
            n_outside_gb=self.n_outside_gb,
            precision=_overall_precision(frame),
            sources=list(self.sources),
            limits=list(self.limits),
            markings=self.markings,
        )


def _overall_precision(frame: pd.DataFrame) -> TimePrecision:
    if frame.empty or "time_precision" not in frame:
        return "month"
    ranks = frame["time_precision"].map(_PRECISION_RANK)
    low = int(ranks.min())
    return "month" if low == 0 else ("day" if low == 1 else "hour")


def _validate(df: pd.DataFrame) -> list[Problem]:
    problems: list[Problem] = []
    missing = [c for c in EVENT_COLUMNS if c not in df.columns]
    for c in missing:
        problems.append(Problem("required column is missing", field=c))
    if missing:
        return problems
    months = df["month"].astype("string")
    uniq = pd.unique(months.fillna("").to_numpy())
    good = {m for m in uniq if isinstance(m, str) and _MONTH.match(m)}
    bad = ~months.fillna("").isin(list(good))
    for idx in np.flatnonzero(bad.to_numpy())[:50]:
        problems.append(
            Problem("month must be YYYY-MM", row=int(idx), field="month", value=str(months.iloc[idx]))
        )
    disc = df["discovery"]
    bad_disc = disc.notna() & ~disc.isin(list(DISCOVERY_VALUES))
    for idx in np.flatnonzero(bad_disc.to_numpy())[:50]:
        problems.append(
            Problem(
                "discovery must be 'reported', 'discovered' or empty",
                row=int(idx),
                field="discovery",
                value=str(disc.iloc[idx]),
            )
        )
    for col in ("lon", "lat"):
        values = pd.to_numeric(df[col], errors="coerce")
        bad_num = values.isna() & df[col].notna()
        for idx in np.flatnonzero(bad_num.to_numpy())[:50]:
            problems.append(
                Problem("not a number", row=int(idx), field=col, value=str(df[col].iloc[idx]))
            )
    occ = df["occurred_at"]
    if not (pd.api.types.is_datetime64_any_dtype(occ) or occ.isna().all()):
        problems.append(Problem("must be a datetime column (UTC) or all missing", field="occurred_at"))
    return problems


def prepare_events(
    df: pd.DataFrame,
    sources: Sequence[str] | None = None,
    markings: dict[str, Marking] | None = None,
) -> EventSet:
    """Check an events frame, project it to British National Grid and flag time precision.

    Rows without usable coordinates are dropped and counted, never silently lost.

    Args:
        df: Events with the columns in :data:`EVENT_COLUMNS`.
        sources: Data sources to name in explanations; defaults to ``df.attrs["sources"]``.
        markings: Full markings by id when ``df`` has a ``marking_id`` column.

    Returns:
        The prepared :class:`EventSet`.

    Raises:
        InvalidData: A column is missing or values have the wrong form; every problem
            found is listed with its row and field.
    """
    problems = _validate(df)
    if problems:
        raise InvalidData("events frame failed validation", problems)
    n_input = len(df)
    keep_cols = list(EVENT_COLUMNS) + ([MARKING_ID_COLUMN] if MARKING_ID_COLUMN in df.columns else [])
    frame = df.loc[:, keep_cols].copy()
    frame["lon"] = pd.to_numeric(frame["lon"], errors="coerce").astype(float)
    frame["lat"] = pd.to_numeric(frame["lat"], errors="coerce").astype(float)
    frame["month"] = frame["month"].astype(str)
    frame["crime_type"] = frame["crime_type"].fillna("Unknown").astype(str)
    frame["entity_id"] = frame["entity_id"].astype(str)
    occ = frame["occurred_at"]
    if occ.isna().all() and not pd.api.types.is_datetime64_any_dtype(occ):
        frame["occurred_at"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    elif getattr(occ.dt, "tz", None) is None:
        frame["occurred_at"] = occ.dt.tz_localize("UTC")
    no_loc = frame["lon"].isna() | frame["lat"].isna()
    outside = ~no_loc & ~(
        frame["lon"].between(*_LON_RANGE) & frame["lat"].between(*_LAT_RANGE)
    )
    keep = ~(no_loc | outside)
    if not bool(keep.all()):
        frame = frame.loc[keep].reset_index(drop=True)
    frame["x"], frame["y"] = to_bng(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    occ = frame["occurred_at"]
    has_time = occ.notna()
    if has_time.any():
        secs = (occ.dt.hour * 3600 + occ.dt.minute * 60 + occ.dt.second).fillna(0)
        timed = bool((secs[has_time] != 0).any())
    else:
        timed = False
    frame["time_precision"] = np.where(~has_time, "month", "hour" if timed else "day")
    src = list(sources) if sources is not None else list(df.attrs.get("sources", []))
    limits = list(df.attrs.get("limits", []))
    return EventSet(
        frame=frame,
        n_input=n_input,
        n_no_location=int(no_loc.sum()),
        n_outside_gb=int(outside.sum()),
        precision=_overall_precision(frame),
        sources=src or ["events frame supplied by caller"],
        limits=limits,
        markings=dict(markings or {}),
    )


def select_events(
    events: EventSet,
    *,
    crime_types: Iterable[str] | None = None,
    months: Iterable[str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    lsoa_codes: Iterable[str] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> EventSet:
    """Filter prepared events by crime type, time and area.

    Args:
        events: Prepared events.
        crime_types: Keep only these crime types.
        months: Keep only these months ("YYYY-MM").
        start: Keep events on or after this time (needs day-level times; month-only rows
            are kept when their month starts on or after ``start``).
        end: Keep events before this time (same rule as ``start``).
        lsoa_codes: Keep only events in these LSOAs.
        bbox: Keep events inside (xmin, ymin, xmax, ymax) in BNG metres.

    Returns:
        The filtered :class:`EventSet`.
    """
    f = events.frame
    mask = np.ones(len(f), bool)
    if crime_types is not None:
        mask &= f["crime_type"].isin(list(crime_types)).to_numpy()
    if months is not None:
        mask &= f["month"].isin(list(months)).to_numpy()
    if start is not None or end is not None:
        when = f["occurred_at"].fillna(pd.to_datetime(f["month"] + "-01", utc=True))
        if start is not None:
            mask &= (when >= pd.Timestamp(start, tz="UTC")).to_numpy()
        if end is not None:
            mask &= (when < pd.Timestamp(end, tz="UTC")).to_numpy()
    if lsoa_codes is not None:
        mask &= f["lsoa_code"].isin(list(lsoa_codes)).to_numpy()
    if bbox is not None:
        x0, y0, x1, y1 = bbox
        mask &= ((f["x"] >= x0) & (f["x"] <= x1) & (f["y"] >= y0) & (f["y"] <= y1)).to_numpy()
    return events.subset(mask)


def load_police_uk_csv(
    paths: str | Path | Sequence[str | Path],
    discovered_crime_types: Sequence[str] = POLICE_UK_DISCOVERED_TYPES,
) -> pd.DataFrame:
    """Read police.uk street-level crime CSVs into an events frame.

    Rows keep their month only (``occurred_at`` is NaT). Rows without a Crime ID (anti-social
    behaviour) get a stable id from the file name and line number.

    Args:
        paths: One CSV path or several.
        discovered_crime_types: Crime types marked ``discovery="discovered"``; all others are
            ``"reported"`` (see :data:`POLICE_UK_DISCOVERED_TYPES`).

    Returns:
        An events frame with ``attrs["sources"]`` and ``attrs["limits"]`` set.

    Raises:
        InvalidData: A file is missing a column or has a malformed month or coordinate,
            naming the file, line and field.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    frames: list[pd.DataFrame] = []
    problems: list[Problem] = []
    for path in paths:
        p = Path(path)
        raw = pd.read_csv(p, dtype=str, keep_default_na=False)
        missing = [c for c in POLICE_UK_COLUMNS if c not in raw.columns]
        if missing:
            problems.extend(Problem("required column is missing", file=str(p), field=c) for c in missing)
            continue
        lines = np.arange(len(raw)) + 2  # header is line 1
        lon = pd.to_numeric(raw["Longitude"].replace("", np.nan), errors="coerce")
        lat = pd.to_numeric(raw["Latitude"].replace("", np.nan), errors="coerce")
        for col, parsed in (("Longitude", lon), ("Latitude", lat)):
            bad = parsed.isna() & (raw[col] != "")
            problems.extend(
                Problem("not a number", file=str(p), line=int(lines[i]), field=col, value=raw[col].iloc[i])
                for i in np.flatnonzero(bad.to_numpy())[:20]
            )
        bad_month = ~raw["Month"].str.match(_MONTH)
        problems.extend(
            Problem("month must be YYYY-MM", file=str(p), line=int(lines[i]), field="Month", value=raw["Month"].iloc[i])
            for i in np.flatnonzero(bad_month.to_numpy())[:20]
        )
        ids = raw["Crime ID"].where(raw["Crime ID"] != "", p.stem + ":" + pd.Series(lines.astype(str)))
        frames.append(
            pd.DataFrame(
                {
                    "entity_id": ids,
                    "crime_type": raw["Crime type"],
                    "month": raw["Month"],
                    "occurred_at": pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]"),
                    "lon": lon.astype(float),
                    "lat": lat.astype(float),
                    "lsoa_code": raw["LSOA code"].replace("", None),
                    "discovery": np.where(
                        raw["Crime type"].isin(list(discovered_crime_types)), "discovered", "reported"
                    ),
                    "marking": "OFFICIAL",
                }
            )
        )
    if problems:
        raise InvalidData("police.uk CSV could not be read", problems)
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(EVENT_COLUMNS))
    df.attrs["sources"] = [f"police.uk street-level crime: {Path(p).name}" for p in paths]
    df.attrs["limits"] = list(POLICE_UK_LIMITS)
    return df
