"""API bearer tokens: issued per user, stored hashed, revocable, checked on every request.

A token reads ``cs_<id>_<secret>``. The id is public (it names the token in lists, the
audit log and revocation); the secret is 32 random bytes, shown once when the token is
created and stored only as its SHA-256 (a high-entropy secret needs no slow hash). A
token is checked against the tables on every request, together with its user's active
flag, so revoking either takes effect on the next request (ACC-8). Issuing and revoking
are administrative actions, and every failed use is a security event (LOG-11).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from clearsight.errors import InvalidValue, NotFound, PermissionDenied
from clearsight.governance import audit
from clearsight.governance.users import get_user
from clearsight.store import tables as t
from clearsight.store.engine import Store

PREFIX = "cs_"
_TOKEN = re.compile(r"^cs_(?P<id>[0-9a-f]{16})_(?P<secret>[A-Za-z0-9_-]{43})$")
#: what a caller is told whenever a token is refused, whatever the reason (the reason is
#: audited, not returned, so a guesser learns nothing about which tokens exist)
REFUSED = "the bearer token is missing, invalid, expired or revoked"


class TokenRefused(PermissionDenied):
    """No usable bearer token was presented (the face asks the caller to authenticate)."""


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed (never its secret)."""

    id: str
    user: str
    label: str
    created_at: str
    created_by: str
    expires_at: str | None
    revoked_at: str | None
    revoked_by: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > audit.utc_now())


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _security_event(conn: Connection, *, actor: str, action: str, outcome: str, subjects: list[str],
                    details: dict[str, object], client: str) -> None:
    audit.append(
        conn,
        operation="security",
        action=action,
        user=actor,
        purpose="ADMINISTRATION" if action.startswith("token.") else "",
        component="governance.tokens",
        client=client,
        outcome=outcome,
        subjects=subjects,
        details=details,
    )


def _info(row: object) -> TokenInfo:
    return TokenInfo(**{k: getattr(row, k) for k in TokenInfo.__dataclass_fields__})


def create_token(store: Store, *, actor: str, user: str, label: str = "", expires_at: str | None = None) -> tuple[TokenInfo, str]:
    """Issue a token for ``user``; return it and the only copy of its plaintext."""
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    with store.begin() as conn:
        u = get_user(conn, user)
        if not u.active:
            raise InvalidValue("user", user, "is not active; reactivate the user before issuing a token")
        conn.execute(
            insert(t.api_tokens).values(
                id=token_id, user=user, secret_hash=_digest(secret), label=label.strip(), created_at=audit.utc_now(),
                created_by=actor, expires_at=expires_at,
            )
        )
        _security_event(conn, actor=actor, action="token.create", outcome="ok", subjects=[user, token_id],
                        details={"label": label.strip(), "expires_at": expires_at}, client="admin")
        row = conn.execute(select(t.api_tokens).where(t.api_tokens.c.id == token_id)).one()
    return _info(row), f"{PREFIX}{token_id}_{secret}"


def revoke_token(store: Store, *, actor: str, token_id: str) -> TokenInfo:
    """Revoke a token; it is refused from the next request on."""
    with store.begin() as conn:
        row = conn.execute(select(t.api_tokens).where(t.api_tokens.c.id == token_id)).first()
        if row is None:
            raise NotFound(f"no token {token_id!r}")
        if row.revoked_at is None:
            conn.execute(
                update(t.api_tokens).where(t.api_tokens.c.id == token_id).values(revoked_at=audit.utc_now(), revoked_by=actor)
            )
            _security_event(conn, actor=actor, action="token.revoke", outcome="ok", subjects=[row.user, token_id],
                            details={}, client="admin")
        return _info(conn.execute(select(t.api_tokens).where(t.api_tokens.c.id == token_id)).one())


def list_tokens(conn: Connection, user: str | None = None) -> list[TokenInfo]:
    q = select(t.api_tokens).order_by(t.api_tokens.c.user, t.api_tokens.c.created_at)
    if user:
        q = q.where(t.api_tokens.c.user == user)
    return [_info(r) for r in conn.execute(q)]


def authenticate(store: Store, raw: str | None, *, client: str = "api", sign_in: bool = False) -> str:
    """The user a presented token belongs to; refuse (and audit) anything else.

    With ``sign_in`` (a face starting a session) the successful use is audited too (LOG-11);
    the requests that follow are audited by the operations they carry out.

    Raises:
        TokenRefused: no token, a malformed, unknown, wrong, expired or revoked
            token, or one whose user is inactive. The message is the same for all.
    """
    reason = ""
    user = "anonymous"
    token_id = ""
    m = _TOKEN.match(raw.strip()) if raw else None
    if not raw:
        reason = "no bearer token"
    elif m is None:
        reason = "malformed token"
    else:
        token_id = m.group("id")
        with store.connect() as conn:
            row = conn.execute(select(t.api_tokens).where(t.api_tokens.c.id == token_id)).first()
            if row is None:
                reason = "unknown token id"
            else:
                user = row.user
                if not hmac.compare_digest(row.secret_hash, _digest(m.group("secret"))):
                    reason = "wrong secret"
                elif row.revoked_at is not None:
                    reason = "revoked token"
                elif row.expires_at is not None and row.expires_at <= audit.utc_now():
                    reason = "expired token"
                else:
                    try:
                        active = get_user(conn, row.user).active
                    except NotFound:
                        active = False
                    if not active:
                        reason = "user is not active"
    if reason:
        with store.begin() as conn:
            _security_event(conn, actor=user, action="auth.token", outcome="denied",
                            subjects=[token_id] if token_id else [], details={"reason": reason}, client=client)
        raise TokenRefused(REFUSED)
    if sign_in:
        with store.begin() as conn:
            _security_event(conn, actor=user, action="auth.signin", outcome="ok", subjects=[token_id],
                            details={}, client=client)
    return user


__all__ = ["PREFIX", "REFUSED", "TokenInfo", "TokenRefused", "authenticate", "create_token", "list_tokens", "revoke_token"]
