"""``clearsight graph``: neighbourhoods, paths with evidence, measures, communities, exports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from clearsight.cli.common import PURPOSE_HELP, err, print_json, state
from clearsight.graph import (
    FORMATS,
    GraphCache,
    co_offending,
    export,
    neighbours,
    network_communities,
    network_measures,
    path,
)

app = typer.Typer(help="Link analysis over resolved entities, with the evidence for every link.", no_args_is_help=True)

Purpose = typer.Option(None, "--purpose", "-p", envvar="CLEARSIGHT_PURPOSE", help=PURPOSE_HELP)
IncludeEGraded = typer.Option(
    False, "--include-e-graded", help="Let links from E-graded intelligence count (left out by default, INT-3)."
)


def _cache(ctx: typer.Context) -> GraphCache:
    return GraphCache(state(ctx).settings.workspace / "cache" / "graph")


def _footer(marking: str, built: str) -> None:
    err.print(f"[dim]marking: {marking}; graph: {built}[/dim]")


@app.command("neighbours")
def neighbours_cmd(
    ctx: typer.Context,
    entity_id: str = typer.Argument(..., help="Canonical or source entity id."),
    hops: int = typer.Option(2, "--hops", min=1, max=6),
    schema: list[str] | None = typer.Option(None, "--schema", help="Follow only these link schemata (repeatable)."),
    node_schema: list[str] | None = typer.Option(None, "--node-schema", help="Reach only these entity schemata."),
    since: str | None = typer.Option(None, "--since"),
    until: str | None = typer.Option(None, "--until"),
    as_json: bool = typer.Option(False, "--json"),
    purpose: str | None = Purpose,
) -> None:
    """Expand the network around an entity.

    Example: clearsight graph neighbours 3f2a... --hops 2 --schema Association --purpose 'case:OP-ASH'
    """
    ws = state(ctx).workspace()
    net = neighbours(ws.governance, ws.context(purpose), entity_id, hops=hops, link_schemas=schema,
                     node_schemas=node_schema, since=since, until=until, cache=_cache(ctx))
    if as_json:
        print_json(net.as_dict())
        return
    table = Table(show_edge=False)
    for col in ("hop", "id", "schema", "caption"):
        table.add_column(col)
    for n in net.nodes:
        table.add_row(str(n["hop"]), n["id"][:12], n["schema"], n["caption"])
    err.print(table)
    err.print(f"{len(net.nodes)} entities, {len(net.edges)} connections, {len(net.link_ids())} links")
    _footer(net.marking.label(), net.built)


@app.command("path")
def path_cmd(
    ctx: typer.Context,
    a: str = typer.Argument(..., help="From this entity."),
    b: str = typer.Argument(..., help="To this entity."),
    k: int = typer.Option(1, "--k", min=1, max=20, help="How many shortest paths."),
    schema: list[str] | None = typer.Option(None, "--schema", help="Follow only these link schemata."),
    include_e_graded: bool = IncludeEGraded,
    as_json: bool = typer.Option(False, "--json"),
    purpose: str | None = Purpose,
) -> None:
    """How is A linked to B: the shortest paths, each link with its source records.

    Example: clearsight graph path 3f2a... 9c1d... --k 3 --purpose 'case:OP-ASH'
    """
    ws = state(ctx).workspace()
    res = path(ws.governance, ws.context(purpose), a, b, k=k, link_schemas=schema, include_e_graded=include_e_graded,
               cache=_cache(ctx))
    if as_json:
        print_json(res.as_dict())
        return
    if not res.paths:
        err.print("No path through links you may see.")
    for n, p in enumerate(res.paths, start=1):
        names = {d["id"]: d["caption"] for d in p["node_details"]}
        err.print(f"[bold]Path {n}[/bold] ({p['length']} links): " + " - ".join(names[x] for x in p["nodes"]))
        for step in p["steps"]:
            for ev in step["evidence"]:
                grade = ev["grading"] or {}
                extra = ev["category"] or "".join(grade.get(x, "") for x in ("sourceEvaluation", "intelligenceAssessment", "handlingCode"))
                err.print(f"   {names[step['from']]} -> {names[step['to']]}: {ev['schema']} {extra} "
                          f"[dim]{ev['source']}:{ev['record_key']} {ev['valid_from'] or ''} {ev['marking']}[/dim]")
    if "bound" in res.explanation:
        err.print(f"[yellow]{res.explanation['bound']}[/yellow]")
    err.print(f"[dim]E-graded intelligence: {res.explanation['e_graded']}[/dim]")
    _footer(res.marking.label(), res.built)


@app.command("measures")
def measures_cmd(
    ctx: typer.Context,
    top: int = typer.Option(20, "--top", min=1, max=1000),
    node_schema: list[str] | None = typer.Option(None, "--node-schema", help="Only these entity schemata, e.g. Person."),
    include_e_graded: bool = IncludeEGraded,
    as_json: bool = typer.Option(False, "--json"),
    purpose: str | None = Purpose,
) -> None:
    """Degree, betweenness and PageRank; the top entities by betweenness.

    Example: clearsight graph measures --top 20 --node-schema Person --purpose 'case:OP-ASH'
    """
    ws = state(ctx).workspace()
    net = network_measures(ws.governance, ws.context(purpose), top=top, node_schemas=node_schema,
                           include_e_graded=include_e_graded, cache=_cache(ctx))
    if as_json:
        print_json(net.as_dict())
        return
    table = Table(show_edge=False)
    for col in ("rank", "id", "schema", "caption", "degree", "betweenness", "pagerank"):
        table.add_column(col)
    for n in net.nodes:
        table.add_row(str(n["rank"]), n["id"][:12], n["schema"], n["caption"], str(n["degree"]),
                      f"{n['betweenness']:.1f}", f"{n['pagerank']:.5f}")
    err.print(table)
    err.print(f"[dim]betweenness: {net.explanation['betweenness']}; E-graded intelligence: {net.explanation['e_graded']}[/dim]")
    _footer(net.marking.label(), net.built)


def _print_communities(report: Any) -> None:
    for c in report.communities:
        names = ", ".join(m["caption"] for m in c["members"][:12])
        more = f" and {c['size'] - 12} more" if c["size"] > 12 else ""
        players = ", ".join(next(m["caption"] for m in c["members"] if m["id"] == k["id"]) for k in c["key_players"])
        err.print(f"[bold]Community {c['community']}[/bold] ({c['size']}): {names}{more}\n   key players: {players}")
    if report.brokers:
        err.print("Brokers: " + ", ".join(f"{b['id'][:12]} (communities {b['communities']})" for b in report.brokers))
    _footer(report.marking.label(), report.built)


@app.command("communities")
def communities_cmd(
    ctx: typer.Context,
    node_schema: list[str] | None = typer.Option(None, "--node-schema", help="Only these entity schemata, e.g. Person."),
    min_size: int = typer.Option(3, "--min-size", min=1),
    include_e_graded: bool = IncludeEGraded,
    as_json: bool = typer.Option(False, "--json"),
    purpose: str | None = Purpose,
) -> None:
    """Communities (Leiden, seeded), their key players and the brokers between them.

    Example: clearsight graph communities --node-schema Person --purpose 'case:OP-ASH'
    """
    ws = state(ctx).workspace()
    rep = network_communities(ws.governance, ws.context(purpose), node_schemas=node_schema, min_size=min_size,
                              include_e_graded=include_e_graded, cache=_cache(ctx))
    if as_json:
        print_json(rep.as_dict())
        return
    _print_communities(rep)


@app.command("co-offending")
def co_offending_cmd(
    ctx: typer.Context,
    min_size: int = typer.Option(2, "--min-size", min=1),
    since: str | None = typer.Option(None, "--since"),
    until: str | None = typer.Option(None, "--until"),
    include_e_graded: bool = IncludeEGraded,
    as_json: bool = typer.Option(False, "--json"),
    purpose: str | None = Purpose,
) -> None:
    """People who share crimes as suspects or offenders: groups, key players, brokers.

    Example: clearsight graph co-offending --since 2024-01-01 --purpose 'case:OP-ASH'
    """
    ws = state(ctx).workspace()
    rep = co_offending(ws.governance, ws.context(purpose), min_size=min_size, since=since, until=until,
                       include_e_graded=include_e_graded, cache=_cache(ctx))
    if as_json:
        print_json(rep.as_dict())
        return
    _print_communities(rep)


@app.command("export")
def export_cmd(
    ctx: typer.Context,
    fmt: str = typer.Argument(..., help=f"One of {', '.join(FORMATS)}."),
    out: Path = typer.Argument(..., help="File to write."),
    recipient: str = typer.Option(..., "--recipient", help="Who receives it (person, organisation or system)."),
    ids: list[str] | None = typer.Option(None, "--ids", help="Entity ids to chart (repeatable)."),
    community: int | None = typer.Option(None, "--community", help="Or a community number from 'graph communities'."),
    purpose: str | None = Purpose,
) -> None:
    """Export a chart (GraphML, Cytoscape JSON, i2 ANX, CSV, Excel): an audited disclosure.

    Example: clearsight graph export anx chart.anx --recipient 'CPS Yorkshire' --community 0 --purpose 'case:OP-ASH'
    """
    ws = state(ctx).workspace()
    rep = export(ws.governance, ws.context(purpose), fmt, out, recipient=recipient, ids=ids, community=community,
                 cache=_cache(ctx))
    err.print(f"[green]Wrote[/green] {rep.path} ({rep.nodes} entities, {rep.links} links) for {rep.recipient}; "
              f"marked {rep.marking}. The disclosure is in the audit log.")


__all__ = ["app"]
