"""``clearsight audit``: read, verify, checkpoint and prove the audit log."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from clearsight.cli.common import PURPOSE_HELP, err, print_json, state
from clearsight.errors import IntegrityError
from clearsight.governance import service

app = typer.Typer(help="The tamper-evident audit log: list, verify, checkpoint, prove.", no_args_is_help=True)

INTEGRITY_PURPOSE = "AUDIT-INTEGRITY: integrity check of the audit log"


@app.command("log")
def log_(
    ctx: typer.Context,
    purpose: str | None = typer.Option(None, "--purpose", "-p", envvar="CLEARSIGHT_PURPOSE", help=PURPOSE_HELP),
    user: str | None = typer.Option(None, "--by", help="Only entries by this user."),
    operation: str | None = typer.Option(None, "--operation", help="collection, consultation, disclosure, ..."),
    purpose_filter: str | None = typer.Option(None, "--purpose-contains", help="Only entries whose purpose contains this."),
    since: str | None = typer.Option(None, "--since", help="From this UTC time (ISO 8601)."),
    until: str | None = typer.Option(None, "--until", help="Up to this UTC time (ISO 8601)."),
    entity: str | None = typer.Option(None, "--entity", help="Only entries that touched this record id."),
    limit: int = typer.Option(50, "--limit"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List audit entries, newest first (auditor or DPO, with a s.62(4) purpose).

    Example: clearsight audit log --purpose 'AUDIT-DISCIPLINE: review of PSD referral 42' --by jdoe
    """
    st = state(ctx)
    ws = st.workspace()
    entries = service.read_log(
        ws.governance,
        ws.context(purpose),
        user=user,
        purpose=purpose_filter,
        operation=operation,
        since=since,
        until=until,
        entity=entity,
        limit=limit,
    )
    if as_json:
        print_json([e.as_dict() for e in entries])
        return
    table = Table(show_edge=False)
    for col in ("seq", "at (UTC)", "operation", "action", "user", "purpose", "outcome", "records"):
        table.add_column(col)
    for e in entries:
        subjects = json.loads(e.subjects)
        n = len(subjects) if isinstance(subjects, list) else subjects.get("count", 0)
        table.add_row(str(e.seq), e.at, e.operation, e.action, e.user, e.purpose, e.outcome, str(n))
    err.print(table)


@app.command()
def verify(
    ctx: typer.Context,
    against: Path | None = typer.Option(None, "--against", help="A signed tree head kept elsewhere (JSON)."),
    witness_store: Path | None = typer.Option(
        None, "--witness", help="A witness store (folder or file): check against its newest head."
    ),
    public_key: Path | None = typer.Option(None, "--public-key", help="The signer's public key (default: the workspace key's .pub)."),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Processes to verify a large log with (default: one per core)."
    ),
    purpose: str = typer.Option(INTEGRITY_PURPOSE, "--purpose", "-p", help=PURPOSE_HELP),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Recompute the hash chain and Merkle tree; name the first bad entry.

    Example: clearsight audit verify --against heads/2026-11-01.json
    Example: clearsight audit verify --witness /mnt/dpo-witness
    """
    st = state(ctx)
    ws = st.workspace()
    report = service.verify(
        ws.governance, ws.context(purpose), against=against, public_key=public_key,
        signing_key=st.settings.signing_key_path, witness_store=witness_store, workers=workers,
    )
    if as_json:
        print_json(report.as_dict())
    if report.ok:
        extra = f", consistent with the kept head of {report.checked_against}" if report.checked_against else ""
        err.print(f"[green]OK[/green]: {report.entries} entries, root {report.root_hash}{extra}")
        return
    for problem in report.problems[:20]:
        err.print(f"[red]FAIL[/red]: {problem}", highlight=False)
    raise IntegrityError(
        f"audit log verification failed; first bad entry: {report.first_bad_entry if report.first_bad_entry else 'see above'}"
    )


@app.command()
def checkpoint(
    ctx: typer.Context,
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the signed head here (default: stdout)."),
    purpose: str = typer.Option(INTEGRITY_PURPOSE, "--purpose", "-p", help=PURPOSE_HELP),
) -> None:
    """Sign the current tree head (Ed25519) for an auditor to keep outside the platform.

    Example: clearsight audit checkpoint -o /media/dpo/head-2026-11-22.json
    """
    st = state(ctx)
    ws = st.workspace()
    sth = service.checkpoint(ws.governance, ws.context(purpose), signing_key=st.settings.signing_key_path)
    text = sth.to_json()
    if output:
        output.write_text(text + "\n", encoding="utf-8")
        err.print(f"Signed tree head of {sth.head.size} entries written to {output}")
    else:
        typer.echo(text)


witness_app = typer.Typer(help="Witnessed tree heads kept outside the platform (LOG-9).", no_args_is_help=True)
app.add_typer(witness_app, name="witness")


@witness_app.command("push")
def witness_push(
    ctx: typer.Context,
    to: Path = typer.Option(..., "--to", help="The witness store: a folder (tree-heads.jsonl inside) or a file."),
    purpose: str = typer.Option(INTEGRITY_PURPOSE, "--purpose", "-p", help=PURPOSE_HELP),
) -> None:
    """Sign the current tree head and append it to a witness store, after proving it extends the newest one there.

    Run it on a schedule (see docs/audit.md). Example: clearsight audit witness push --to /mnt/dpo-witness
    """
    st = state(ctx)
    ws = st.workspace()
    result = service.witness_push(ws.governance, ws.context(purpose), to, signing_key=st.settings.signing_key_path)
    if not result.appended:
        err.print(f"Nothing new: the witness store already holds the head of {result.head.head.size} entries")
        return
    since = "" if result.previous_size is None else f", consistent with the previous head of {result.previous_size}"
    err.print(f"Witnessed the signed tree head of {result.head.head.size} entries{since}")


@app.command()
def prove(
    ctx: typer.Context,
    entry: int = typer.Argument(..., help="The entry's sequence number."),
    head: Path | None = typer.Option(None, "--head", help="Prove against this signed tree head."),
    purpose: str = typer.Option(INTEGRITY_PURPOSE, "--purpose", "-p", help=PURPOSE_HELP),
) -> None:
    """Print an inclusion proof for one entry (check it with python -m clearsight.governance.verifier).

    Example: clearsight audit prove 42 --head head.json > proof.json
    """
    st = state(ctx)
    ws = st.workspace()
    print_json(service.prove(ws.governance, ws.context(purpose), entry, head=head, signing_key=st.settings.signing_key_path))


@app.command()
def consistency(
    ctx: typer.Context,
    old: Path = typer.Argument(..., help="The older signed tree head."),
    new: Path | None = typer.Argument(None, help="The newer signed tree head (default: the log now)."),
    purpose: str = typer.Option(INTEGRITY_PURPOSE, "--purpose", "-p", help=PURPOSE_HELP),
) -> None:
    """Print a consistency proof that the log at OLD is a prefix of the log at NEW.

    Example: clearsight audit consistency head-1.json head-2.json > consistency.json
    """
    st = state(ctx)
    ws = st.workspace()
    print_json(service.consistency(ws.governance, ws.context(purpose), old, new, signing_key=st.settings.signing_key_path))
