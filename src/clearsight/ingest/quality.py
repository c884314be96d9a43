"""The data-quality report of a source: per field and per property, with charts.

Figures come from two places: the counts each ingest run kept for every mapped field
(values seen, empty, invalid, dropped; record keys repeated) and the values stored now
(how many entities have each property, distinct values, ranges, outliers). The read is a
governed "consultation": the viewer's figures count only what the viewer may see, and a
source the viewer may not see looks the same as one that does not exist (ACC-3, ACC-9).

The HTML report embeds its charts as PNG images (matplotlib, no internet needed).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clearsight.errors import NotFound
from clearsight.governance.context import Context
from clearsight.governance.gateway import Governance
from clearsight.ontology.model import load_model
from clearsight.store.ingest_queries import SourceFigures, source_figures

try:  # the ontology's own UK test when the coordinates type provides one
    from clearsight.ontology.types.coordinates import in_uk as _in_uk
except ImportError:  # pragma: no cover - the fallback box matches UK_BOUNDS
    def _in_uk(lon: float, lat: float) -> bool:
        return -11.0 <= lon <= 3.0 and 49.0 <= lat <= 61.5

DATE_TYPES = ("date", "datetime")


@dataclass
class FieldQuality:
    """One mapped field as the ingest runs read it."""

    field: str
    schema: str
    prop: str
    type_name: str
    seen: int
    empty: int
    invalid: int
    dropped: int

    @property
    def completeness(self) -> float | None:
        total = self.seen + self.empty
        return self.seen / total if total else None

    @property
    def validity(self) -> float | None:
        return (self.seen - self.invalid) / self.seen if self.seen else None


@dataclass
class PropertyQuality:
    """One stored property: coverage, distinct values and range."""

    schema: str
    prop: str
    type_name: str
    entities: int
    with_value: int
    values: int
    distinct: int
    minimum: str | None
    maximum: str | None

    @property
    def completeness(self) -> float | None:
        return self.with_value / self.entities if self.entities else None


@dataclass
class QualityReport:
    """The quality of one source as the viewer may see it."""

    source: str
    owner_group: str
    kind: str
    mapping: str
    entities: dict[str, int]
    fields: list[FieldQuality]
    properties: list[PropertyQuality]
    validity_by_type: dict[str, tuple[int, int]]
    runs: list[dict[str, Any]]
    duplicate_keys: int
    birth_dates_out_of_range: int
    coordinates: int
    coordinates_outside_uk: int
    months: dict[str, dict[str, int]] = field(default_factory=dict)
    coordinate_sample: list[tuple[float, float]] = field(default_factory=list)
    html_path: Path | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "owner_group": self.owner_group,
            "kind": self.kind,
            "mapping": self.mapping,
            "entities": self.entities,
            "fields": [dict(f.__dict__, completeness=f.completeness, validity=f.validity) for f in self.fields],
            "properties": [dict(p.__dict__, completeness=p.completeness) for p in self.properties],
            "validity_by_type": {k: {"values": v[0], "invalid": v[1]} for k, v in self.validity_by_type.items()},
            "runs": self.runs,
            "duplicate_keys": self.duplicate_keys,
            "outliers": {
                "birth_dates_out_of_range": self.birth_dates_out_of_range,
                "coordinates": self.coordinates,
                "coordinates_outside_uk": self.coordinates_outside_uk,
            },
            "html": str(self.html_path) if self.html_path else None,
        }


def _date_props() -> tuple[str, ...]:
    model = load_model()
    return tuple(sorted({p.name for s in model.entities for p in s.properties.values() if p.type_name in DATE_TYPES}))


def _type_of(schema: str, prop: str) -> str:
    model = load_model()
    try:
        return model.get(schema).get(prop).type_name
    except Exception:  # an unknown schema or property stored by an older ontology
        return ""


def assess(gov: Governance, ctx: Context, source: str) -> QualityReport:
    """Compute the quality report of ``source`` for the viewer ``ctx`` (one audited read).

    Raises:
        NotFound: no source by that name that the viewer may see.
    """
    with gov.operation(ctx, "consultation", "ingest.quality", component="ingest.quality") as op:
        figures: SourceFigures = op.run(
            source_figures, source=source, date_props=_date_props(), today=dt.date.today().isoformat(), in_uk=_in_uk,
        )
        op.note(source=source, report="data quality")
    owner_held = bool(figures.owner_group) and figures.owner_group in ctx.groups
    if not figures.entities and not owner_held:
        raise NotFound(f"no source {source!r}")
    fields = [FieldQuality(**{k: f[k] for k in ("field", "schema", "prop", "type_name", "seen", "empty", "invalid", "dropped")})
              for f in figures.fields] if owner_held else []
    by_type: dict[str, tuple[int, int]] = {}
    for f in fields:
        if f.type_name:
            seen, invalid = by_type.get(f.type_name, (0, 0))
            by_type[f.type_name] = (seen + f.seen, invalid + f.invalid)
    props = [
        PropertyQuality(
            schema=p.schema, prop=p.prop, type_name=_type_of(p.schema, p.prop), entities=figures.entities.get(p.schema, 0),
            with_value=p.entities_with_value, values=p.values, distinct=p.distinct, minimum=p.minimum, maximum=p.maximum,
        )
        for p in figures.properties
    ]
    return QualityReport(
        source=source,
        owner_group=figures.owner_group if owner_held else "",
        kind=figures.kind,
        mapping=figures.mapping if owner_held else "",
        entities=figures.entities,
        fields=fields,
        properties=props,
        validity_by_type=by_type,
        runs=[{k: r[k] for k in ("id", "status", "started_at", "finished_at", "rows_read", "rows_rejected", "location")} for r in figures.runs]
        if owner_held else [],
        duplicate_keys=figures.duplicate_keys if owner_held else 0,
        birth_dates_out_of_range=figures.birth_dates_out_of_range,
        coordinates=figures.coordinates,
        coordinates_outside_uk=figures.coordinates_outside,
        months=figures.months,
        coordinate_sample=figures.coordinate_sample,
    )


# -- HTML ------------------------------------------------------------------------------------
def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _charts(report: QualityReport) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    charts: list[tuple[str, str]] = []
    rated = [f for f in report.fields if f.completeness is not None]
    if rated:
        fig, ax = plt.subplots(figsize=(8, 0.3 * len(rated) + 1))
        names = [f.field.split(" <- ")[-1][:40] + f" ({f.prop})" for f in rated]
        ax.barh(names, [100 * (f.completeness or 0) for f in rated], color="#4c72b0", label="complete")
        ax.barh(names, [100 * (f.completeness or 0) * (1 - (f.validity or 1)) for f in rated], color="#c44e52", label="invalid")
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of rows")
        ax.invert_yaxis()
        ax.legend(loc="lower right")
        charts.append(("Completeness and invalid values per field", _png(fig)))
        plt.close(fig)
    for prop, counts in sorted(report.months.items()):
        if len(counts) < 1:
            continue
        keys = sorted(counts)
        fig, ax = plt.subplots(figsize=(8, 2.5))
        ax.bar(range(len(keys)), [counts[k] for k in keys], color="#55a868")
        step = max(1, len(keys) // 12)
        ax.set_xticks(range(0, len(keys), step), [keys[i] for i in range(0, len(keys), step)], rotation=45, ha="right")
        ax.set_ylabel("values")
        charts.append((f"Values of {prop} by month", _png(fig)))
        plt.close(fig)
    if report.coordinate_sample:
        fig, ax = plt.subplots(figsize=(5, 5))
        lons = [p[0] for p in report.coordinate_sample]
        lats = [p[1] for p in report.coordinate_sample]
        colours = ["#c44e52" if not _in_uk(lo, la) else "#4c72b0" for lo, la in report.coordinate_sample]
        ax.scatter(lons, lats, s=2, c=colours)
        ax.set_xlabel("longitude")
        ax.set_ylabel("latitude")
        charts.append(("Coordinates (red: outside the UK)", _png(fig)))
        plt.close(fig)
    return charts


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def write_html(report: QualityReport, folder: Path) -> Path:
    """Write the report as a self-contained HTML page; return its path."""
    e = html.escape
    rows_f = "".join(
        f"<tr><td>{e(f.field)}</td><td>{e(f.type_name)}</td><td>{f.seen}</td><td>{f.empty}</td><td>{f.invalid}</td>"
        f"<td>{f.dropped}</td><td>{_pct(f.completeness)}</td><td>{_pct(f.validity)}</td></tr>"
        for f in report.fields
    )
    rows_p = "".join(
        f"<tr><td>{e(p.schema)}.{e(p.prop)}</td><td>{e(p.type_name)}</td><td>{p.with_value}</td><td>{_pct(p.completeness)}</td>"
        f"<td>{p.distinct}</td><td>{e(p.minimum or '') if p.type_name in DATE_TYPES else ''}</td>"
        f"<td>{e(p.maximum or '') if p.type_name in DATE_TYPES else ''}</td></tr>"
        for p in report.properties
    )
    rows_t = "".join(
        f"<tr><td>{e(k)}</td><td>{v[0]}</td><td>{v[1]}</td><td>{_pct((v[0] - v[1]) / v[0] if v[0] else None)}</td></tr>"
        for k, v in sorted(report.validity_by_type.items())
    )
    charts = "".join(f"<h3>{e(title)}</h3><img alt='{e(title)}' src='data:image/png;base64,{data}'>" for title, data in _charts(report))
    entities = ", ".join(f"{e(k)}: {v}" for k, v in sorted(report.entities.items()))
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Data quality: {e(report.source)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin-bottom:1.5em}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:left}}th{{background:#eee}}</style></head><body>
<h1>Data quality: {e(report.source)}</h1>
<p>Owner group: {e(report.owner_group)}. Kind: {e(report.kind)}. Mapping: {e(report.mapping)}.
Generated {e(dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC'))}. Figures count only the records the viewer may see.</p>
<p>Entities: {entities}</p>
<h2>Outliers</h2><ul>
<li>Record keys repeated within a run: {report.duplicate_keys}</li>
<li>Birth dates in the future or before 1900: {report.birth_dates_out_of_range}</li>
<li>Coordinates outside the UK: {report.coordinates_outside_uk} of {report.coordinates}</li></ul>
<h2>Fields as read</h2><table><tr><th>field</th><th>type</th><th>values</th><th>empty</th><th>invalid</th><th>dropped</th>
<th>complete</th><th>valid</th></tr>{rows_f}</table>
<h2>Validity by property type</h2><table><tr><th>type</th><th>values</th><th>invalid</th><th>valid</th></tr>{rows_t}</table>
<h2>Stored properties</h2><table><tr><th>property</th><th>type</th><th>entities with a value</th><th>complete</th>
<th>distinct values</th><th>earliest</th><th>latest</th></tr>{rows_p}</table>
{charts}
</body></html>
"""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "quality.html"
    path.write_text(page, encoding="utf-8")
    report.html_path = path
    return path


__all__ = ["FieldQuality", "PropertyQuality", "QualityReport", "assess", "write_html"]
