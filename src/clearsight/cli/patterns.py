"""``clearsight patterns``: hotspots, forecasts, backtests, temporal profiles, near repeats
and patrol allocation over the events in the store (thin faces of
:mod:`clearsight.patterns`).

Each command reads the visible events in one governed, audited consultation, runs one
service, writes its tables and figures to ``--out`` and prints a summary with the
explanation and limits (``--json`` prints the figures to stdout instead).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import typer
from rich.table import Table

from clearsight.cli.common import PURPOSE_HELP, err, print_json, state
from clearsight.errors import InvalidData
from clearsight.patterns import (
    load_census_population,
    run_allocate,
    run_backtest,
    run_forecast,
    run_hotspots,
    run_nearrepeat,
    run_temporal,
)
from clearsight.patterns.allocate import (
    AREA_LEVELS,
    DEFAULT_MIN_PATROLS,
    DEFAULT_RATIO_WARNING,
    AreaLevel,
)
from clearsight.patterns.events import EventSet
from clearsight.patterns.service import ServiceResult
from clearsight.patterns.store import load_events

app = typer.Typer(
    help="Pattern analysis over the events in the store: hotspots, forecasts, backtests, near repeats, patrols.",
    no_args_is_help=True,
)

CENSUS_FILE = Path("lsoa") / "census_2011_population_hh.csv"

_PURPOSE = typer.Option(None, "--purpose", "-p", envvar="CLEARSIGHT_PURPOSE", help=PURPOSE_HELP)
_CRIME = typer.Option(None, "--crime-type", "-t", help="Only this crime type (repeat for several), e.g. Burglary.")
_CELL = typer.Option(250.0, "--cell", help="Cell size in metres.")
_OUT = typer.Option(None, "--out", "-o", help="Output folder (default: workspace/reports/patterns-<command>-<time>).")
_JSON = typer.Option(False, "--json", help="Print the figures and explanation as JSON on stdout.")


def _months(values: Sequence[str] | None) -> list[str] | None:
    """Months from repeatable, comma-separated options ("2016-07,2016-08")."""
    if not values:
        return None
    out = [m.strip() for v in values for m in v.split(",") if m.strip()]
    return out or None


def _out_dir(ctx: typer.Context, command: str, out: Path | None) -> Path:
    if out is not None:
        return out
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return state(ctx).settings.workspace / "reports" / f"patterns-{command}-{stamp}"


def _events(
    ctx: typer.Context,
    purpose: str | None,
    command: str,
    crime_types: Sequence[str] | None,
    months: Sequence[str] | None,
) -> EventSet:
    ws = state(ctx).workspace()
    return load_events(
        ws.governance, ws.context(purpose), crime_types=list(crime_types) if crime_types else None,
        months=list(months) if months else None, action=f"patterns.{command}",
    )


def _headline(figures: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    for key, value in figures.items():
        if isinstance(value, dict | list):
            continue
        rows.append((key.replace("_", " "), f"{value:,.4g}" if isinstance(value, float) else str(value)))
    return rows


def _report(result: ServiceResult, out: Path, as_json: bool, table: Table | None = None) -> None:
    """Print the result: JSON on stdout, or a Rich summary with the explanation and limits."""
    if as_json:
        print_json(result.to_dict())
        return
    expl = result.explanation
    err.print(f"[bold]{result.marking.label()}[/bold]", highlight=False)
    summary = Table(title=f"patterns {result.command}", title_justify="left", show_edge=False)
    summary.add_column("")
    summary.add_column("value", justify="right")
    for label, value in _headline(result.figures):
        summary.add_row(label, value)
    err.print(summary)
    if table is not None:
        err.print(table)
    err.print(f"[bold]Method:[/bold] {expl.method}", highlight=False)
    if expl.baseline:
        err.print(f"[bold]Baseline:[/bold] {expl.baseline}", highlight=False)
    err.print(f"[bold]Period:[/bold] {expl.period}   [bold]Sources:[/bold] {'; '.join(expl.data_sources)}", highlight=False)
    counts = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in expl.counts.items())
    err.print(f"[bold]Counts:[/bold] {counts}", highlight=False)
    err.print("[bold]Limits:[/bold]")
    for limit in expl.limits:
        err.print(f"  - {limit}", highlight=False, markup=False)
    for name, extra in result.extra.items():
        for limit in extra.limits:
            err.print(f"  - ({name}) {limit}", highlight=False, markup=False)
    err.print(f"Written to {out} ({len(result.files)} files).", highlight=False)


@app.command()
def hotspots(
    ctx: typer.Context,
    purpose: str | None = _PURPOSE,
    crime_type: list[str] | None = _CRIME,
    month: list[str] | None = typer.Option(None, "--month", "-m", help="Only these months, YYYY-MM (repeat or comma-separate)."),
    cell: float = _CELL,
    permutations: int = typer.Option(999, "--permutations", help="Monte Carlo permutations for Gi* p-values."),
    out: Path | None = _OUT,
    as_json: bool = _JSON,
) -> None:
    """Hot and cold spots (Getis-Ord Gi*, FDR-controlled) with counts and kernel density maps.

    Example: clearsight patterns hotspots --month 2017-07 --crime-type Burglary -p 'case:OP-KESTREL burglary series'
    """
    months = _months(month)
    events = _events(ctx, purpose, "hotspots", crime_type, months)
    folder = _out_dir(ctx, "hotspots", out)
    result = run_hotspots(events, folder, crime_types=crime_type, months=months, cell_size=cell, permutations=permutations)
    _report(result, folder, as_json)


@app.command()
def forecast(
    ctx: typer.Context,
    purpose: str | None = _PURPOSE,
    crime_type: list[str] | None = _CRIME,
    train: list[str] | None = typer.Option(None, "--train", help="Training months, YYYY-MM (default: every month held)."),
    model: str = typer.Option("points", "--model", help="prior, kde, blend, points or etas."),
    cell: float = _CELL,
    out: Path | None = _OUT,
    as_json: bool = _JSON,
) -> None:
    """Where events will concentrate in the month after the training months.

    Example: clearsight patterns forecast --train 2017-07 -p 'TASKING: August patrol planning'
    """
    if model not in ("prior", "kde", "blend", "points", "etas"):
        raise InvalidData(f"unknown model {model!r}: use prior, kde, blend, points or etas")
    months = _months(train)
    events = _events(ctx, purpose, "forecast", crime_type, None)
    folder = _out_dir(ctx, "forecast", out)
    result = run_forecast(events, folder, model=model, train_months=months, crime_types=crime_type, cell_size=cell)  # type: ignore[arg-type]
    _report(result, folder, as_json)


@app.command()
def backtest(
    ctx: typer.Context,
    purpose: str | None = _PURPOSE,
    train: list[str] = typer.Option(..., "--train", help="Training months, YYYY-MM (repeat or comma-separate)."),
    test: str = typer.Option(..., "--test", help="Month to score against, YYYY-MM."),
    crime_type: list[str] | None = _CRIME,
    cell: float = _CELL,
    out: Path | None = _OUT,
    as_json: bool = _JSON,
) -> None:
    """Train every model on earlier months and score hit rate, PAI and PEI on a later month.

    Example: clearsight patterns backtest --train 2016-07 --test 2017-07 --cell 250 -p 'PERFORMANCE: forecast review'
    """
    months = _months(train) or []
    events = _events(ctx, purpose, "backtest", crime_type, [*months, test])
    folder = _out_dir(ctx, "backtest", out)
    result = run_backtest(events, folder, train_months=months, test_month=test, cell_size=cell, crime_types=crime_type)
    table = Table(title="Accuracy at 5% of the study area", title_justify="left", show_edge=False)
    for col in ("study area", "model", "cells", "hit rate", "PAI", "PEI"):
        table.add_column(col, justify="left" if col in ("study area", "model") else "right")
    for row in result.figures["metrics"]:
        if abs(row["area_fraction"] - 0.05) < 1e-9:
            table.add_row(row["study_area"], row["model"], f"{row['cells']:,}", f"{row['hit_rate']:.3f}",
                          f"{row['pai']:.2f}", f"{row['pei']:.3f}")
    _report(result, folder, as_json, table)
    if not as_json:
        params = result.explanation.parameters
        err.print(f"[bold]Study area (PAI):[/bold] {params['study_area']}", highlight=False)
        for other in params.get("other_study_areas", []):
            err.print(f"[bold]Also shown:[/bold] {other}", highlight=False)
        err.print(f"[bold]Hit-rate denominator:[/bold] {params['hit_rate_denominator']}", highlight=False)


@app.command()
def temporal(
    ctx: typer.Context,
    purpose: str | None = _PURPOSE,
    crime_type: list[str] | None = _CRIME,
    test: str | None = typer.Option(None, "--test", help="Month checked for spikes (default: the latest)."),
    out: Path | None = _OUT,
    as_json: bool = _JSON,
) -> None:
    """Monthly trend, weekday-by-hour profile (when times are known) and spikes by area.

    Example: clearsight patterns temporal --crime-type 'Vehicle crime' -p 'case:OP-HARRIER vehicle crime review'
    """
    events = _events(ctx, purpose, "temporal", crime_type, None)
    folder = _out_dir(ctx, "temporal", out)
    result = run_temporal(events, folder, crime_types=crime_type, test_month=test)
    _report(result, folder, as_json)


@app.command()
def nearrepeat(
    ctx: typer.Context,
    purpose: str | None = _PURPOSE,
    crime_type: list[str] | None = _CRIME,
    month: list[str] | None = typer.Option(None, "--month", "-m", help="Only these months, YYYY-MM."),
    permutations: int = typer.Option(999, "--permutations", help="Monte Carlo permutations."),
    out: Path | None = _OUT,
    as_json: bool = _JSON,
) -> None:
    """Knox near-repeat test: do events close in space also fall close in time?

    Needs the date of each event; month-only data (police.uk) is refused.

    Example: clearsight patterns nearrepeat --crime-type Burglary -p 'case:OP-KESTREL near-repeat check'
    """
    months = _months(month)
    events = _events(ctx, purpose, "nearrepeat", crime_type, months)
    folder = _out_dir(ctx, "nearrepeat", out)
    result = run_nearrepeat(events, folder, crime_types=crime_type, permutations=permutations)
    _report(result, folder, as_json)


def default_census() -> Path:
    """The LSOA census table: ``$CLEARSIGHT_SHARED_DATA/lsoa/...`` or the repository's ../shared/data."""
    env = os.environ.get("CLEARSIGHT_SHARED_DATA")
    if env:
        return Path(env) / CENSUS_FILE
    return Path(__file__).resolve().parents[3].parent / "shared" / "data" / CENSUS_FILE


@app.command()
def allocate(
    ctx: typer.Context,
    purpose: str | None = _PURPOSE,
    k: int = typer.Option(..., "--k", help="Number of patrol cells to choose."),
    crime_type: list[str] | None = _CRIME,
    train: list[str] | None = typer.Option(None, "--train", help="Training months, YYYY-MM (default: every month held)."),
    population: Path | None = typer.Option(None, "--population", help="2011 census population by LSOA (CSV)."),
    level: str = typer.Option("lsoa", "--level", help="Areas of the disparity report: lsoa, msoa or district."),
    ratio_warning: float = typer.Option(
        DEFAULT_RATIO_WARNING, "--ratio-warning",
        help="Warn where an area's share of patrols exceeds this many times its share of the harm "
        "recorded in the patrolled areas.",
    ),
    min_patrols: int = typer.Option(
        DEFAULT_MIN_PATROLS, "--min-patrols", help="Warn only for areas with at least this many patrol cells."
    ),
    cell: float = _CELL,
    out: Path | None = _OUT,
    as_json: bool = _JSON,
) -> None:
    """Choose patrol cells by forecast harm and report who they fall on (disparity report).

    Police-discovered events (drugs, weapons finds) are left out of training so patrols do
    not feed on their own discoveries. The disparity report compares each area's share of
    patrols with its share of residents and of recorded crime and harm; it warns where an
    area's patrol share is more than --ratio-warning times its share of the harm recorded in
    the patrolled areas, for areas with at least --min-patrols patrol cells.

    Example: clearsight patterns allocate --k 50 --train 2017-07 -p 'TASKING: August patrol plan'
    """
    if k < 1:
        raise InvalidData("--k must be at least 1")
    if level not in AREA_LEVELS:
        raise InvalidData(f"--level must be one of {', '.join(AREA_LEVELS)}, not {level!r}")
    if not ratio_warning > 0:
        raise InvalidData(f"--ratio-warning must be a positive number, not {ratio_warning:g}")
    if min_patrols < 1:
        raise InvalidData(f"--min-patrols must be at least 1, not {min_patrols}")
    census = population or default_census()
    if not census.exists():
        raise InvalidData(f"census population table not found at {census}; give one with --population")
    pop = load_census_population(census)
    months = _months(train)
    events = _events(ctx, purpose, "allocate", crime_type, months)
    folder = _out_dir(ctx, "allocate", out)
    result = run_allocate(
        events, folder, k=k, population=pop, cell_size=cell, train_months=months, crime_types=crime_type,
        level=cast(AreaLevel, level), ratio_warning=ratio_warning, min_patrols=min_patrols,
    )
    _report(result, folder, as_json)
    if not as_json:
        disp = result.figures["disparity"]
        err.print(
            f"[bold]Disparity report:[/bold] {disp['areas_with_patrols']} of {disp['areas']} areas get patrols; "
            f"largest share of patrols against share of harm in patrolled areas "
            f"{disp['max_patrol_to_patrolled_harm']:.2f} (against all harm {disp['max_patrol_to_harm']:.2f}).",
            highlight=False,
        )
        err.print(f"Warning rule: {disp['warning_rule']}.", highlight=False)
        warnings = result.figures["warnings"]
        for w in warnings[:20]:
            err.print(f"[yellow]Warning:[/yellow] {w}", highlight=False)
        if len(warnings) > 20:
            err.print(f"[yellow]... and {len(warnings) - 20} more warnings in disparity.csv[/yellow]")


__all__ = ["app", "default_census"]
