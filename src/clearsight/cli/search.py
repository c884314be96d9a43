"""``clearsight search`` and ``clearsight profile``: find anyone, and see what is known and from where."""

from __future__ import annotations

import typer
from rich.table import Table

from clearsight.cli.common import PURPOSE_HELP, err, print_json, state
from clearsight.search import profile as profile_svc
from clearsight.search import search as search_svc


def search(
    ctx: typer.Context,
    query: str = typer.Argument(..., help="A name, an identifier typed any way, an address, a postcode or words."),
    schema: list[str] | None = typer.Option(None, "--schema", help="Only these schemata (repeatable)."),
    source: list[str] | None = typer.Option(None, "--source", help="Only via records from these sources (repeatable)."),
    since: str | None = typer.Option(None, "--since", help="Dated records on or after (ISO date)."),
    until: str | None = typer.Option(None, "--until", help="Dated records on or before (ISO date)."),
    area: str | None = typer.Option(None, "--area", help="LSOA code or postcode district, e.g. LS6."),
    limit: int = typer.Option(20, "--limit", min=1, max=1000),
    offset: int = typer.Option(0, "--offset", min=0),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    purpose: str | None = typer.Option(None, "--purpose", "-p", envvar="CLEARSIGHT_PURPOSE", help=PURPOSE_HELP),
) -> None:
    """Search people, objects, places and events you may see; say why each matched.

    Example: clearsight search "J Smith" --schema Person --purpose 'case:OP-ASH'
    """
    ws = state(ctx).workspace()
    res = search_svc(ws.governance, ws.context(purpose), query, schema=schema, source=source, since=since,
                     until=until, area=area, limit=limit, offset=offset)
    if as_json:
        print_json(res.as_dict())
        return
    table = Table(title=f"{res.total} found", title_justify="left", show_edge=False)
    for col in ("id", "schema", "caption", "score", "why", "sources"):
        table.add_column(col)
    for h in res.hits:
        why = "; ".join(f"{r.label} {r.match} ({r.term})" for r in h.reasons[:3])
        table.add_row(h.id[:12], h.schema, h.caption, f"{h.score:.2f}", why, ", ".join(h.sources))
    err.print(table)
    facets = "  ".join(f"{k}={v}" for k, v in res.facets["schema"].items())
    err.print(f"[dim]by schema: {facets}[/dim]")


def profile(
    ctx: typer.Context,
    entity_id: str = typer.Argument(..., help="A canonical or source entity id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    purpose: str | None = typer.Option(None, "--purpose", "-p", envvar="CLEARSIGHT_PURPOSE", help=PURPOSE_HELP),
) -> None:
    """Show an entity's values with their sources, its links and its timeline.

    Example: clearsight profile 3f2a... --purpose 'case:OP-ASH'
    """
    ws = state(ctx).workspace()
    p = profile_svc(ws.governance, ws.context(purpose), entity_id)
    if as_json:
        print_json(p.as_dict())
        return
    err.print(f"[bold]{p.caption}[/bold] ({p.schema}) {p.id}  [dim]{p.marking}; {len(p.members)} source records[/dim]")
    values = Table(title="Values", title_justify="left", show_edge=False)
    for col in ("property", "value", "source", "record", "fact/assessment", "marking"):
        values.add_column(col)
    for v in p.values:
        values.add_row(v.label, v.value, v.source, v.record_key, v.kind, v.marking)
    err.print(values)
    links = Table(title="Links", title_justify="left", show_edge=False)
    for col in ("link", "other", "category / grading", "dates", "source", "marking"):
        links.add_column(col)
    for lk in p.links:
        grade = "".join(lk.grading.get(g, "?") for g in ("sourceEvaluation", "intelligenceAssessment", "handlingCode")) if lk.grading else ""
        links.add_row(f"{lk.label} ({lk.direction})", f"{lk.other_caption} [{lk.other_schema}]", lk.category or grade,
                      " to ".join(x for x in (lk.valid_from, lk.valid_to) if x), f"{lk.source}:{lk.record_key}", lk.marking)
    err.print(links)
    timeline = Table(title="Timeline", title_justify="left", show_edge=False)
    for col in ("date", "event", "via", "category"):
        timeline.add_column(col)
    for e in p.timeline:
        timeline.add_row(e.date, f"{e.caption} [{e.schema}]", e.via, e.category or "")
    err.print(timeline)


__all__ = ["profile", "search"]
