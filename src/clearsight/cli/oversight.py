"""``clearsight oversight``: misuse alerts, their review, the weekly audit review, the registers.

Every command needs the auditor or DPO role (the registers: DPO or admin) and a s.62(4)
purpose, like ``clearsight audit log``, and is itself audited.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from clearsight.cli.common import PURPOSE_HELP, err, print_json, state
from clearsight.governance.oversight import register, service
from clearsight.governance.oversight.config import OversightConfig

app = typer.Typer(help="Oversight of use: misuse alerts, their review, the weekly audit review.", no_args_is_help=True)
alert_app = typer.Typer(help="One alert: show it (redacted) or close it with an outcome.", no_args_is_help=True)
interests_app = typer.Typer(help="The DPO's registers: declared interests, watch list, shift patterns.", no_args_is_help=True)
app.add_typer(alert_app, name="alert")
app.add_typer(interests_app, name="interests")

Purpose = typer.Option(None, "--purpose", "-p", envvar="CLEARSIGHT_PURPOSE", help=PURPOSE_HELP)
Json = typer.Option(False, "--json", help="Print JSON.")
ConfigOption = typer.Option(None, "--config", help="Rule thresholds (TOML); default oversight.toml in the workspace.")


def _config(ctx: typer.Context, path: Path | None) -> OversightConfig:
    return OversightConfig.load(path or state(ctx).settings.workspace / "oversight.toml")


def _alert_table(alerts: list[service.Alert]) -> Table:
    table = Table(show_edge=False)
    for col in ("id", "rule", "user", "from (UTC)", "to (UTC)", "entries", "status", "summary"):
        table.add_column(col)
    for a in alerts:
        table.add_row(str(a.id), a.rule, a.user, a.first_at, a.last_at, str(len(a.seqs)),
                      a.status + (f" ({a.outcome})" if a.outcome else ""), a.summary)
    return table


@app.command()
def scan(ctx: typer.Context, purpose: str | None = Purpose, config: Path | None = ConfigOption, as_json: bool = Json) -> None:
    """Run the misuse rules over the audit entries added since the last scan.

    Example: clearsight oversight scan --purpose 'AUDIT-DISCIPLINE: daily misuse scan'
    """
    st = state(ctx)
    ws = st.workspace()
    report = service.scan(ws.governance, ws.context(purpose), signing_key=st.settings.signing_key_path,
                          config=_config(ctx, config))
    if as_json:
        print_json(report.as_dict())
        return
    err.print(f"Scanned audit entries {report.from_seq}-{report.to_seq}: {len(report.alerts)} alert(s) raised.")
    if report.alerts:
        err.print(_alert_table(list(report.alerts)))


@app.command("alerts")
def alerts(
    ctx: typer.Context,
    purpose: str | None = Purpose,
    status: str | None = typer.Option("open", "--status", help="open, closed, or 'all'."),
    rule: str | None = typer.Option(None, "--rule"),
    user: str | None = typer.Option(None, "--by", help="Only alerts about this user."),
    as_json: bool = Json,
) -> None:
    """List the alert queue (open alerts by default).

    Example: clearsight oversight alerts --status all --by jdoe
    """
    ws = state(ctx).workspace()
    found = service.list_alerts(ws.governance, ws.context(purpose), status=None if status == "all" else status,
                                rule=rule, user=user)
    if as_json:
        print_json([a.as_dict() for a in found])
        return
    err.print(_alert_table(found))


@alert_app.command("show")
def alert_show(
    ctx: typer.Context,
    alert_id: int = typer.Argument(..., help="The alert's number."),
    purpose: str | None = Purpose,
    open_records: bool = typer.Option(False, "--open", help="Also show the records' values (the read is audited)."),
    as_json: bool = Json,
) -> None:
    """Show an alert: its audit entries, their inclusion proofs, and the records by id and schema.

    Example: clearsight oversight alert show 12 --purpose 'AUDIT-DISCIPLINE: PSD referral 42'
    """
    ws = state(ctx).workspace()
    shown = service.show_alert(ws.governance, ws.context(purpose), alert_id, open_records=open_records)
    if as_json:
        print_json(shown)
        return
    err.print(f"[bold]Alert {shown['id']}[/bold] {shown['rule']} about {shown['user']} ({shown['status']}): {shown['summary']}",
              highlight=False)
    entries = Table(title="audit entries (each with an inclusion proof; --json prints them)", title_justify="left", show_edge=False)
    for col in ("seq", "at (UTC)", "operation", "action", "purpose", "records"):
        entries.add_column(col)
    for e in shown["entries"]:
        entries.add_row(str(e["seq"]), e["at"], e["operation"], e["action"], e["purpose"], str(e["records"]))
    err.print(entries)
    records = Table(title="records concerned", title_justify="left", show_edge=False)
    records.add_column("id")
    records.add_column("schema")
    records.add_column("values")
    for s in shown["subjects"]:
        values = shown.get("records", {}).get(s["id"])
        records.add_row(s["id"], s["schema"], json.dumps(values, ensure_ascii=False) if values else "(redacted; --open to read)")
    err.print(records)
    if shown["status"] == "closed":
        err.print(f"Closed by {shown['reviewer']} at {shown['closed_at']}: {shown['outcome']}: {shown['reason']}", highlight=False)


@alert_app.command("close")
def alert_close(
    ctx: typer.Context,
    alert_id: int = typer.Argument(..., help="The alert's number."),
    outcome: str = typer.Option(..., "--outcome", help=", ".join(service.OUTCOMES)),
    reason: str = typer.Option(..., "--reason", help="Why (at least 10 characters)."),
    purpose: str | None = Purpose,
) -> None:
    """Close an alert with an outcome and the reason for it.

    Example: clearsight oversight alert close 12 --outcome no-case-to-answer --reason 'on OP-KESTREL, late assignment'
    """
    ws = state(ctx).workspace()
    a = service.close_alert(ws.governance, ws.context(purpose), alert_id, outcome=outcome, reason=reason)
    err.print(f"Alert {a.id} closed by {a.reviewer}: {a.outcome}")


@app.command()
def report(
    ctx: typer.Context,
    week: str = typer.Argument(..., help="ISO week, e.g. 2026-W48 (weeks run Monday to Monday, UTC)."),
    purpose: str | None = Purpose,
    config: Path | None = ConfigOption,
    as_json: bool = Json,
) -> None:
    """The weekly audit review report: use per user, operation and purpose, sampled reads, alerts.

    Example: clearsight oversight report 2026-W48 --purpose 'AUDIT-LAWFULNESS: weekly review'
    """
    ws = state(ctx).workspace()
    rep = service.weekly_report(ws.governance, ws.context(purpose), week, config=_config(ctx, config))
    if as_json:
        print_json(rep)
        return
    err.print(f"[bold]Week {rep['week']}[/bold] ({rep['from']} to {rep['to']}): {rep['entries']} audit entries, "
              f"{rep['non_case_reads']} reads without a case; report sha256 {rep['sha256']}")
    counts = Table(title="use", title_justify="left", show_edge=False)
    for col in ("user", "operation", "purpose", "entries"):
        counts.add_column(col)
    for c in rep["counts"]:
        counts.add_row(c["user"], c["operation"], c["purpose"], str(c["count"]))
    err.print(counts)
    sample = Table(title="sampled for supervisor review", title_justify="left", show_edge=False)
    for col in ("seq", "at (UTC)", "user", "action", "purpose", "records"):
        sample.add_column(col)
    for s in rep["sampled"]:
        sample.add_row(str(s["seq"]), s["at"], s["user"], s["action"], s["purpose"], str(s["records"]))
    err.print(sample)
    err.print(f"Alerts raised: {len(rep['alerts_raised'])}; closed: {len(rep['alerts_closed'])}")
    review = rep["review"]
    err.print(f"Reviewed by {review['reviewed_by']} at {review['reviewed_at']}: {review['outcome']}" if review
              else "[yellow]Not reviewed yet.[/yellow]")
    if rep["unreviewed_weeks"]:
        err.print(f"[red]Weeks without a recorded review:[/red] {', '.join(rep['unreviewed_weeks'])}")


@app.command()
def review(
    ctx: typer.Context,
    week: str = typer.Argument(..., help="ISO week, e.g. 2026-W48."),
    outcome: str = typer.Option(..., "--outcome", help=", ".join(service.REVIEW_OUTCOMES)),
    note: str = typer.Option("", "--note"),
    purpose: str | None = Purpose,
    config: Path | None = ConfigOption,
) -> None:
    """Record that a week's report was reviewed (who, when, outcome).

    Example: clearsight oversight review 2026-W48 --outcome satisfactory --note 'sample checked'
    """
    ws = state(ctx).workspace()
    row = service.record_review(ws.governance, ws.context(purpose), week, outcome=outcome, note=note,
                                config=_config(ctx, config))
    err.print(f"Week {row['week']} reviewed by {row['reviewed_by']} at {row['reviewed_at']}: {row['outcome']}")


@interests_app.command("add")
def interests_add(
    ctx: typer.Context,
    user: str = typer.Argument(..., help="The user whose interest this is."),
    kind: str = typer.Option("self", "--kind", help="self (their own identity) or associate."),
    name: str = typer.Option("", "--name"),
    dob: str = typer.Option("", "--dob", help="Date of birth."),
    postcode: str = typer.Option("", "--postcode"),
    vrm: str = typer.Option("", "--vrm", help="Vehicle registration."),
    entity: str = typer.Option("", "--entity", help="A record id of the associate."),
    relation: str = typer.Option("", "--relation", help="How the associate is related."),
    purpose: str | None = Purpose,
) -> None:
    """Record a declared interest (DPO or admin).

    Example: clearsight oversight interests add jdoe --kind self --name 'Jane Doe' --dob 1984-02-01 --postcode 'LS6 1AA'
    """
    ws = state(ctx).workspace()
    i = register.add_interest(ws.governance, ws.context(purpose), user=user, kind=kind, name=name, birth_date=dob,
                              postcode=postcode, vrm=vrm, entity_id=entity, relation=relation)
    err.print(f"Recorded {i.kind} interest {i.id} for {i.user}")


@interests_app.command("list")
def interests_list(ctx: typer.Context, user: str | None = typer.Option(None, "--user"), purpose: str | None = Purpose,
                   as_json: bool = Json) -> None:
    """List declared interests."""
    ws = state(ctx).workspace()
    found = register.list_interests(ws.governance, ws.context(purpose), user)
    if as_json:
        print_json([i.as_dict() for i in found])
        return
    table = Table(show_edge=False)
    for col in ("id", "user", "kind", "name", "dob", "postcode", "vrm", "record", "relation", "recorded"):
        table.add_column(col)
    for i in found:
        table.add_row(i.id, i.user, i.kind, i.name, i.birth_date, i.postcode, i.vrm, i.entity_id, i.relation,
                      f"{i.recorded_at} by {i.recorded_by}")
    err.print(table)


@interests_app.command("remove")
def interests_remove(ctx: typer.Context, interest_id: str, purpose: str | None = Purpose) -> None:
    """Remove a declared interest."""
    ws = state(ctx).workspace()
    register.remove_interest(ws.governance, ws.context(purpose), interest_id)
    err.print(f"Removed {interest_id}")


@interests_app.command("watch")
def interests_watch(
    ctx: typer.Context,
    entity: str = typer.Argument(..., help="The record id."),
    reason: str = typer.Option("", "--reason", help="Why it is high-profile (at least 10 characters)."),
    remove: bool = typer.Option(False, "--remove", help="Take it off the watch list."),
    purpose: str | None = Purpose,
) -> None:
    """Put a record on the high-profile watch list (every read of it raises an alert)."""
    ws = state(ctx).workspace()
    register.watch(ws.governance, ws.context(purpose), entity, reason, add=not remove)
    err.print(f"{entity} {'removed from' if remove else 'added to'} the watch list")


@interests_app.command("watchlist")
def interests_watchlist(ctx: typer.Context, purpose: str | None = Purpose, as_json: bool = Json) -> None:
    """List the high-profile watch list."""
    ws = state(ctx).workspace()
    found = register.list_watchlist(ws.governance, ws.context(purpose))
    if as_json:
        print_json(found)
        return
    table = Table(show_edge=False)
    table.add_column("record")
    table.add_column("reason")
    for k, v in sorted(found.items()):
        table.add_row(k, v)
    err.print(table)


@interests_app.command("shift")
def interests_shift(
    ctx: typer.Context,
    user: str = typer.Argument(...),
    days: str = typer.Option(..., "--days", help="e.g. mon-fri or sun-thu or mon,wed,fri."),
    start: str = typer.Option(..., "--start", help="HH:MM"),
    end: str = typer.Option(..., "--end", help="HH:MM (before the start: an overnight shift)."),
    timezone: str = typer.Option("Europe/London", "--timezone"),
    purpose: str | None = Purpose,
) -> None:
    """Set a user's shift pattern (reads outside it raise an alert).

    Example: clearsight oversight interests shift jdoe --days sun-thu --start 22:00 --end 07:00
    """
    ws = state(ctx).workspace()
    s = register.set_shift(ws.governance, ws.context(purpose), user=user, days=days, start=start, end=end, timezone=timezone)
    d = s.as_dict()
    err.print(f"Shift of {s.user}: {d['days']} {d['start']}-{d['end']} {d['timezone']}")


@interests_app.command("shifts")
def interests_shifts(ctx: typer.Context, purpose: str | None = Purpose, as_json: bool = Json) -> None:
    """List shift patterns."""
    ws = state(ctx).workspace()
    found = [s.as_dict() for s in register.list_shifts(ws.governance, ws.context(purpose))]
    if as_json:
        print_json(found)
        return
    table = Table(show_edge=False)
    for col in ("user", "days", "start", "end", "timezone"):
        table.add_column(col)
    for s in found:
        table.add_row(s["user"], s["days"], s["start"], s["end"], s["timezone"])
    err.print(table)
