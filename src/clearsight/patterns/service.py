"""Pattern-analysis services: run an analysis, write its tables, GeoJSON and maps.

These are what the ``clearsight patterns ...`` commands call. Each takes a prepared
events set, parameters and an output folder, writes its files and returns a
:class:`ServiceResult` whose ``figures`` and ``explanation`` are JSON-serialisable.

Every product takes the highest marking of the events it was derived from (ACC-4) and
says so in each file: a ``product_marking`` column in tables, a ``marking`` member in JSON
and GeoJSON, and a banner above every map and chart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from clearsight.errors import NotFound
from clearsight.governance.markings import Marking
from clearsight.patterns.allocate import (
    DEFAULT_MIN_PATROLS,
    DEFAULT_RATIO_WARNING,
    AreaLevel,
    allocate_patrols,
    disparity_report,
)
from clearsight.patterns.backtest import backtest
from clearsight.patterns.events import EventSet, select_events
from clearsight.patterns.explain import Explanation, jsonable
from clearsight.patterns.export import cells_geojson, write_csv, write_geojson
from clearsight.patterns.forecast import ModelName, make_forecast
from clearsight.patterns.gistar import WeightKind
from clearsight.patterns.grid import CellShape, StudyArea, cell_union, hull
from clearsight.patterns.hotspots import HotspotResult, find_hotspots
from clearsight.patterns.kde import Kernel
from clearsight.patterns.knox import DEFAULT_SPACE_BANDS, DEFAULT_TIME_BANDS, knox_test
from clearsight.patterns.maps import (
    plot_categories,
    plot_cells,
    plot_hour_weekday,
    plot_surface,
    plot_trend,
)
from clearsight.patterns.temporal import detect_spikes, hour_weekday, monthly_trend


@dataclass
class ServiceResult:
    """What a pattern service produced.

    Attributes:
        command: The analysis ("hotspots", "forecast", ...).
        figures: Headline figures (JSON-serialisable).
        files: Files written.
        explanation: The analysis's explanation (ALG-4).
        extra: Further explanations (e.g. the disparity report's), by name.
        marking: The product's marking: the highest of its input events' (ACC-4).
    """

    command: str
    figures: dict[str, Any]
    files: list[Path]
    explanation: Explanation
    extra: dict[str, Explanation] = field(default_factory=dict)
    marking: Marking = field(default_factory=Marking)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary."""
        return jsonable(
            {
                "command": self.command,
                "marking": self.marking.label(),
                "marking_detail": self.marking.as_dict(),
                "figures": self.figures,
                "files": [str(p) for p in self.files],
                "explanation": self.explanation.to_dict(),
                **{f"explanation_{k}": v.to_dict() for k, v in self.extra.items()},
            }
        )


def _title_scope(events: EventSet, crime_types: Sequence[str] | None) -> str:
    what = ", ".join(crime_types) if crime_types else "all crime"
    return f"{what}, {events.period()}"


def _footnote(expl: Explanation, mark: Marking) -> str:
    src = "; ".join(expl.data_sources[:2])
    lim = expl.limits[0] if expl.limits else ""
    return f"{mark.label()}. Source: {src}. {lim}"[:300]


def _banner(mark: Marking, title: str) -> str:
    """A map or chart title with the product's marking above it."""
    return f"{mark.label()}\n{title}"


def _marking_meta(mark: Marking) -> dict[str, Any]:
    return {"marking": mark.label(), "marking_detail": mark.as_dict()}


def _write_json(data: Mapping[str, Any], path: Path, mark: Marking) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {**_marking_meta(mark), **dict(data)}
    path.write_text(json.dumps(jsonable(body), indent=2, allow_nan=False), encoding="utf-8")
    return path


def _csv(frame: pd.DataFrame, path: Path, mark: Marking) -> Path:
    """A table with the product marking on every row (it survives copying rows elsewhere)."""
    return write_csv(frame.assign(product_marking=mark.label()), path)


def _hotspot_geojson(res: HotspotResult, mark: Marking) -> dict[str, Any]:
    """The hotspot cells as GeoJSON, with the product's marking and the explanation."""
    return cells_geojson(
        res.tessellation, res.cell_index,
        res.cells.drop(columns=["x", "y", "lon", "lat"]),
        {**_marking_meta(mark), "explanation": res.explanation.to_dict(), "figures": res.figures()},
    )


def _mappable(events: EventSet, crime_types: Sequence[str] | None, months: Sequence[str] | None) -> EventSet:
    """The located events the filters choose; NotFound when there are none to map."""
    chosen = select_events(events, crime_types=crime_types, months=months)
    if not chosen.n:
        raise NotFound("no located events match these filters (events without coordinates cannot be mapped)")
    return chosen


def hotspot_layer(
    events: EventSet,
    *,
    crime_types: Sequence[str] | None = None,
    months: Sequence[str] | None = None,
    cell_size: float = 250.0,
    permutations: int = 999,
    alpha: float = 0.05,
    seed: int = 0,
) -> dict[str, Any]:
    """Hotspots as one GeoJSON layer (no files): cells with counts, Gi* and category.

    The layer carries the highest marking of its events (ACC-4), the explanation and the
    headline figures as top-level members.
    """
    chosen = _mappable(events, crime_types, months)
    res = find_hotspots(chosen, cell_size=cell_size, permutations=permutations, alpha=alpha, seed=seed)
    return _hotspot_geojson(res, chosen.product_marking())


def run_hotspots(
    events: EventSet,
    out_dir: str | Path,
    *,
    crime_types: Sequence[str] | None = None,
    months: Sequence[str] | None = None,
    cell_size: float = 250.0,
    shape: CellShape = "square",
    kernel: Kernel = "quartic",
    bandwidth: float | None = None,
    weight: WeightKind = "queen",
    distance_band: float | None = None,
    permutations: int = 999,
    alpha: float = 0.05,
    study_area: StudyArea = "hull",
    seed: int = 0,
) -> ServiceResult:
    """Hotspots: cell table (CSV), GeoJSON, count / Gi* / density maps (PNG)."""
    out = Path(out_dir)
    chosen = _mappable(events, crime_types, months)
    mark = chosen.product_marking()
    res = find_hotspots(
        chosen, cell_size=cell_size, shape=shape, kernel=kernel, bandwidth=bandwidth,
        weight=weight, distance_band=distance_band, permutations=permutations, alpha=alpha,
        study_area=study_area, seed=seed,
    )
    x, y = chosen.frame["x"].to_numpy(), chosen.frame["y"].to_numpy()
    outline = hull(x, y)
    scope = _title_scope(chosen, crime_types)
    foot = _footnote(res.explanation, mark)
    expl = res.explanation.to_dict()
    files = [
        _csv(res.cells, out / "hotspot_cells.csv", mark),
        write_geojson(_hotspot_geojson(res, mark), out / "hotspot_cells.geojson"),
        plot_cells(
            res.tessellation, res.cell_index, res.cells["count"].to_numpy(float),
            out / "hotspot_counts.png",
            title=_banner(mark, f"Recorded events per cell: {scope} ({chosen.n:,} events)"),
            label=f"events per {cell_size:g} m cell", outline=outline, footnote=foot, log_scale=True,
        ),
        plot_categories(
            res.tessellation, res.cell_index, res.cells["category"].to_numpy(),
            out / "hotspot_gistar.png",
            title=_banner(mark, f"Gi* hot and cold spots: {scope} ({chosen.n:,} events, FDR {alpha:g})"),
            outline=outline, footnote=foot,
        ),
        plot_surface(
            res.kde_grid, res.kde, out / "hotspot_density.png",
            title=_banner(mark, f"Kernel density ({kernel}, bandwidth {res.bandwidth:.0f} m): {scope}"),
            label="events per km²", outline=outline, footnote=foot,
        ),
    ]
    files.append(_write_json({"figures": res.figures(), "explanation": expl}, out / "hotspots.json", mark))
    return ServiceResult("hotspots", res.figures(), files, res.explanation, marking=mark)


def run_forecast(
    events: EventSet,
    out_dir: str | Path,
    *,
    model: ModelName = "blend",
    train_months: Sequence[str] | None = None,
    crime_types: Sequence[str] | None = None,
    cell_size: float = 250.0,
    kernel: Kernel = "gaussian",
    study_area: StudyArea = "hull",
    top_fraction: float = 0.05,
    seed: int = 0,
) -> ServiceResult:
    """Forecast for the next month: ranked cell table, GeoJSON of the top cells, map."""
    out = Path(out_dir)
    chosen = select_events(events, crime_types=crime_types)
    mark = select_events(chosen, months=train_months).product_marking()
    fc = make_forecast(
        chosen, model=model, train_months=train_months, cell_size=cell_size, kernel=kernel,
        study_area=study_area, seed=seed, exposure=events,
    )
    cells = fc.cells()
    k = max(1, int(round(top_fraction * len(cells))))
    top = cells.head(k)
    x, y = chosen.frame["x"].to_numpy(), chosen.frame["y"].to_numpy()
    expl = fc.explanation.to_dict()
    scope = _title_scope(select_events(chosen, months=train_months), crime_types)
    figures = {
        "model": model,
        "study_cells": len(cells),
        "top_cells": k,
        "top_fraction": top_fraction,
        "forecast_in_top_cells": float(top["forecast"].sum()),
        "forecast_total": float(cells["forecast"].sum()),
        **{k2: v for k2, v in fc.parameters.items() if isinstance(v, int | float | str)},
    }
    files = [
        _csv(cells.drop(columns=["cell"]), out / "forecast_cells.csv", mark),
        write_geojson(
            cells_geojson(fc.grid, top["cell"].to_numpy(), top.drop(columns=["cell", "x", "y"]), {**_marking_meta(mark), "explanation": expl}),
            out / "forecast_top_cells.geojson",
        ),
        plot_surface(
            fc.grid, fc.surface, out / "forecast.png",
            title=_banner(mark, f"Forecast ({model}) for the month after {scope}"),
            label=f"expected events per {cell_size:g} m cell", outline=hull(x, y),
            footnote=_footnote(fc.explanation, mark),
        ),
    ]
    files.append(_write_json({"figures": figures, "explanation": expl}, out / "forecast.json", mark))
    return ServiceResult("forecast", figures, files, fc.explanation, marking=mark)


def run_backtest(
    events: EventSet,
    out_dir: str | Path,
    *,
    train_months: Sequence[str],
    test_month: str,
    cell_size: float = 250.0,
    crime_types: Sequence[str] | None = None,
    models: Sequence[ModelName] = ("prior", "kde", "blend", "points", "etas"),
    study_area: StudyArea = "hull",
    seed: int = 0,
) -> ServiceResult:
    """Backtest: metrics table (hit rate, PAI, PEI at 1/2/5/10%) as CSV and JSON."""
    out = Path(out_dir)
    mark = select_events(events, months=[*train_months, test_month]).product_marking()
    res = backtest(
        events, train_months=train_months, test_month=test_month, cell_size=cell_size,
        crime_types=crime_types, models=models, study_area=study_area,
        extra_study_areas=("cells_with_events", "bbox"), seed=seed,
    )
    figures = res.figures()
    files = [_csv(res.table, out / "backtest_metrics.csv", mark)]
    files.append(
        _write_json({"figures": figures, "explanation": res.explanation.to_dict()}, out / "backtest.json", mark)
    )
    return ServiceResult("backtest", figures, files, res.explanation, marking=mark)


def run_temporal(
    events: EventSet,
    out_dir: str | Path,
    *,
    crime_types: Sequence[str] | None = None,
    test_month: str | None = None,
    baseline_months: Sequence[str] | None = None,
    area: str = "lsoa_code",
    alpha: float = 0.01,
) -> ServiceResult:
    """Monthly trend, hour-by-weekday profile (when times are known) and spikes."""
    out = Path(out_dir)
    chosen = select_events(events, crime_types=crime_types)
    mark = chosen.product_marking()
    trend = monthly_trend(chosen)
    files = [_csv(trend.table.reset_index(), out / "monthly_trend.csv", mark)]
    figures: dict[str, Any] = {"months": len(trend.table), "events": int(trend.table["All"].sum())}
    extra: dict[str, Explanation] = {}
    cols = trend.table.columns if len(trend.table.columns) <= 8 else ["All"]
    files.append(
        plot_trend(trend.table[list(cols)], out / "monthly_trend.png",
                   title=_banner(mark, f"Events per month: {_title_scope(chosen, crime_types)}"))
    )
    if (chosen.frame["time_precision"] == "hour").any():
        hw = hour_weekday(chosen)
        files.append(_csv(hw.table.reset_index(), out / "hour_weekday.csv", mark))
        files.append(
            plot_hour_weekday(hw.table, out / "hour_weekday.png",
                              title=_banner(mark, f"Events by weekday and hour: {_title_scope(chosen, crime_types)}"))
        )
        extra["hour_weekday"] = hw.explanation
        figures["hour_weekday"] = "written"
    else:
        figures["hour_weekday"] = "not available: the events carry no time of day"
    months = sorted(chosen.frame["month"].unique())
    test = test_month or months[-1]
    if any(m < test for m in months):
        spikes = detect_spikes(chosen, test_month=test, baseline_months=baseline_months, area=area, alpha=alpha)
        files.append(_csv(spikes.table, out / "spikes.csv", mark))
        figures["spikes"] = spikes.figures()
        extra["spikes"] = spikes.explanation
    else:
        figures["spikes"] = "not run: no month before the test month"
    files.append(
        _write_json(
            {"figures": figures, "explanation": trend.explanation.to_dict(),
             **{f"explanation_{k}": v.to_dict() for k, v in extra.items()}},
            out / "temporal.json",
            mark,
        )
    )
    return ServiceResult("temporal", figures, files, trend.explanation, extra, marking=mark)


def run_nearrepeat(
    events: EventSet,
    out_dir: str | Path,
    *,
    crime_types: Sequence[str] | None = None,
    space_bands: Sequence[float] = DEFAULT_SPACE_BANDS,
    time_bands: Sequence[float] = DEFAULT_TIME_BANDS,
    permutations: int = 999,
    seed: int = 0,
) -> ServiceResult:
    """Knox near-repeat table (CSV and JSON). Refuses month-only data."""
    out = Path(out_dir)
    chosen = select_events(events, crime_types=crime_types)
    mark = chosen.product_marking()
    res = knox_test(chosen, space_bands=space_bands, time_bands=time_bands, permutations=permutations, seed=seed)
    first = res.cell(0, 0)
    figures = {
        "pairs": res.explanation.counts["pairs_within_max_distance"],
        "closest_band_ratio": float(first["knox_ratio"]),
        "closest_band_p": float(first["p_value"]),
        "significant_bands": int(res.table["significant"].sum()),
    }
    files = [_csv(res.table, out / "knox.csv", mark)]
    files.append(_write_json({"figures": figures, "explanation": res.explanation.to_dict()}, out / "nearrepeat.json", mark))
    return ServiceResult("nearrepeat", figures, files, res.explanation, marking=mark)


def run_allocate(
    events: EventSet,
    out_dir: str | Path,
    *,
    k: int,
    population: pd.DataFrame,
    cell_size: float = 250.0,
    model: ModelName = "blend",
    train_months: Sequence[str] | None = None,
    crime_types: Sequence[str] | None = None,
    severity: Mapping[str, float] | None = None,
    patrolled_cells: Sequence[str] | None = None,
    learn_from_discoveries: bool = False,
    level: AreaLevel = "lsoa",
    ratio_warning: float = DEFAULT_RATIO_WARNING,
    min_patrols: int = DEFAULT_MIN_PATROLS,
    seed: int = 0,
) -> ServiceResult:
    """Patrol allocation with its disparity report: tables, GeoJSON and map."""
    out = Path(out_dir)
    alloc = allocate_patrols(
        events, k=k, cell_size=cell_size, model=model, train_months=train_months,
        crime_types=crime_types, severity=severity, patrolled_cells=patrolled_cells,
        learn_from_discoveries=learn_from_discoveries, seed=seed,
    )
    mark = alloc.training.product_marking()
    disp = disparity_report(alloc, population, level=level, ratio_warning=ratio_warning, min_patrols=min_patrols)
    cells = alloc.cells
    tx, ty = alloc.training.frame["x"].to_numpy(), alloc.training.frame["y"].to_numpy()
    idx = cells["cell"].to_numpy()
    figures = {
        "k": k,
        "harm_captured_share": alloc.harm_captured,
        "discovered_left_out": alloc.explanation.counts["discovered_left_out"],
        "disparity": disp.figures(),
        "warnings": disp.warnings,
    }
    files = [
        _csv(cells.drop(columns=["cell"]), out / "patrol_cells.csv", mark),
        _csv(disp.table, out / "disparity.csv", mark),
        write_geojson(
            cells_geojson(alloc.forecast.grid, idx, cells.drop(columns=["cell", "x", "y"]),
                          {**_marking_meta(mark), "explanation": alloc.explanation.to_dict()}),
            out / "patrol_cells.geojson",
        ),
        plot_cells(
            alloc.forecast.grid, idx, cells["forecast_harm"].to_numpy(float), out / "patrol_cells.png",
            title=_banner(mark, f"{k} patrol cells by forecast harm ({model}), trained on {alloc.training.period()}"),
            label="forecast harm per cell", outline=hull(tx, ty) if len(tx) > 2 else cell_union(alloc.forecast.grid, idx),
            footnote=_footnote(alloc.explanation, mark),
        ),
    ]
    files.append(
        _write_json(
            {"figures": figures, "explanation": alloc.explanation.to_dict(),
             "explanation_disparity": disp.explanation.to_dict()},
            out / "allocate.json",
            mark,
        )
    )
    return ServiceResult(
        "allocate", figures, files, alloc.explanation, {"disparity": disp.explanation}, marking=mark
    )


__all__ = [
    "ServiceResult",
    "run_allocate",
    "run_backtest",
    "run_forecast",
    "run_hotspots",
    "run_nearrepeat",
    "run_temporal",
]

