"""``clearsight users`` and ``clearsight cases``: accounts, roles, clearances and cases."""

from __future__ import annotations

import typer
from rich.table import Table

from clearsight.cli.common import err, state
from clearsight.governance import tokens as token_svc
from clearsight.governance import users as svc

users_app = typer.Typer(help="Users, roles and clearances (administrators).", no_args_is_help=True)
cases_app = typer.Typer(help="Cases and who is assigned to them.", no_args_is_help=True)
tokens_app = typer.Typer(help="API bearer tokens: issue, list, revoke (administrators).", no_args_is_help=True)
users_app.add_typer(tokens_app, name="token")


def _split(text: str | None) -> list[str] | None:
    return None if text is None else [p.strip() for p in text.split(",") if p.strip()]


def _require_admin(ctx: typer.Context) -> str:
    st = state(ctx)
    ws = st.workspace()
    actor = ws.context(None)
    actor.require_role("admin")
    return actor.user


@users_app.command("list")
def list_users(ctx: typer.Context) -> None:
    """List users with their roles, clearance and groups."""
    _require_admin(ctx)
    ws = state(ctx).workspace()
    with ws.store.begin() as conn:
        rows = svc.list_users(conn)
    table = Table(show_edge=False)
    for col in ("user", "roles", "clearance", "groups", "caveats", "active"):
        table.add_column(col)
    for u in rows:
        table.add_row(u.name, ",".join(u.roles), u.clearance, ",".join(u.groups), ",".join(u.caveats), str(u.active))
    err.print(table)


@users_app.command("add")
def add_user(
    ctx: typer.Context,
    name: str,
    roles: str = typer.Option("analyst", help="Comma-separated roles."),
    clearance: str = typer.Option("OFFICIAL"),
    groups: str = typer.Option("", help="Comma-separated need-to-know groups."),
    caveats: str = typer.Option("", help="Comma-separated handling caveats held."),
) -> None:
    """Add a user.

    Example: clearsight users add jdoe --roles analyst --clearance OFFICIAL-SENSITIVE --groups local
    """
    actor = _require_admin(ctx)
    u = svc.create_user(
        state(ctx).workspace().store, actor=actor, name=name, roles=_split(roles) or [], clearance=clearance,
        groups=_split(groups) or [], caveats=_split(caveats) or [],
    )
    err.print(f"Added {u.name} ({', '.join(u.roles)}; {u.clearance})")


@users_app.command("update")
def update_user(
    ctx: typer.Context,
    name: str,
    roles: str | None = typer.Option(None),
    clearance: str | None = typer.Option(None),
    groups: str | None = typer.Option(None),
    caveats: str | None = typer.Option(None),
    active: bool | None = typer.Option(None, "--active/--inactive"),
) -> None:
    """Change a user's roles, clearance, groups or caveats; takes effect on their next request."""
    actor = _require_admin(ctx)
    u = svc.update_user(
        state(ctx).workspace().store, actor=actor, name=name, roles=_split(roles), clearance=clearance,
        groups=_split(groups), caveats=_split(caveats), active=active,
    )
    err.print(f"Updated {u.name}: {', '.join(u.roles)}; {u.clearance}; groups {', '.join(u.groups)}")


@cases_app.command("add")
def add_case(
    ctx: typer.Context,
    reference: str,
    title: str = typer.Option(""),
    members: str = typer.Option("", help="Comma-separated users assigned to the case."),
) -> None:
    """Open a case and assign users to it.

    Example: clearsight cases add OP-KESTREL --title 'Drug supply, Leeds' --members jdoe,asmith
    """
    actor = _require_admin(ctx)
    svc.create_case(state(ctx).workspace().store, actor=actor, reference=reference, title=title, members=_split(members) or [])
    err.print(f"Opened case {reference}")


@cases_app.command("assign")
def assign(
    ctx: typer.Context,
    reference: str,
    user: str,
    remove: bool = typer.Option(False, "--remove", help="Take the user off the case."),
) -> None:
    """Assign a user to a case (or take them off it)."""
    actor = _require_admin(ctx)
    svc.set_case_member(state(ctx).workspace().store, actor=actor, reference=reference, user=user, member=not remove)
    err.print(("Removed " if remove else "Assigned ") + f"{user} " + ("from " if remove else "to ") + reference)


@tokens_app.command("create")
def create_token(
    ctx: typer.Context,
    user: str = typer.Argument(..., help="The user the token acts as."),
    label: str = typer.Option("", "--label", help="What the token is for, e.g. 'web workspace, desk 4'."),
    expires: str | None = typer.Option(None, "--expires", help="UTC expiry time (ISO 8601), e.g. 2026-12-31T00:00:00Z."),
) -> None:
    """Issue an API token for a user; the token is printed once, on stdout, and stored only hashed.

    Example: clearsight users token create jdoe --label 'web workspace'
    """
    actor = _require_admin(ctx)
    info, token = token_svc.create_token(state(ctx).workspace().store, actor=actor, user=user, label=label,
                                         expires_at=expires)
    err.print(f"Issued token {info.id} for {info.user}. Keep it now: it cannot be shown again.")
    typer.echo(token)


@tokens_app.command("list")
def list_tokens(
    ctx: typer.Context,
    user: str | None = typer.Option(None, "--user", help="Only this user's tokens."),
) -> None:
    """List tokens (ids, users, state); secrets are never shown."""
    _require_admin(ctx)
    with state(ctx).workspace().store.begin() as conn:
        rows = token_svc.list_tokens(conn, user)
    table = Table(show_edge=False)
    for col in ("id", "user", "label", "created (UTC)", "by", "expires", "state"):
        table.add_column(col)
    for tk in rows:
        status = f"revoked {tk.revoked_at} by {tk.revoked_by}" if tk.revoked_at else ("active" if tk.active else "expired")
        table.add_row(tk.id, tk.user, tk.label, tk.created_at, tk.created_by, tk.expires_at or "", status)
    err.print(table)


@tokens_app.command("revoke")
def revoke_token(ctx: typer.Context, token_id: str = typer.Argument(..., help="The token id (from 'users token list').")) -> None:
    """Revoke a token: it is refused from the next request on."""
    actor = _require_admin(ctx)
    info = token_svc.revoke_token(state(ctx).workspace().store, actor=actor, token_id=token_id)
    err.print(f"Revoked token {info.id} of {info.user}.")
