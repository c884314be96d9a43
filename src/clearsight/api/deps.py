"""Who is asking and why, for one request: the bearer token and the purpose header.

Each request authenticates its token against the tables and builds a fresh
:class:`~clearsight.governance.context.Context` from the users table (ACC-8), with the
purpose from ``X-Clearsight-Purpose`` (PUR-1). Refusals here are security events
(LOG-11); refusals inside a service are audited by the service's governed operation.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from clearsight.bootstrap import Workspace
from clearsight.errors import InvalidData, PermissionDenied, Problem, PurposeRequired
from clearsight.governance.context import Context
from clearsight.governance.tokens import authenticate
from clearsight.graph import GraphCache

PURPOSE_HEADER = "X-Clearsight-Purpose"
PURPOSE_DESCRIPTION = (
    "Why you are reading this data (PUR-1): 'case:REF [text]' for a case you are assigned to, or "
    "'CODE: explanation' (INTELLIGENCE, INVESTIGATION, ...; AUDIT-LAWFULNESS, ... for the audit log). "
    "Percent-encode characters outside ASCII."
)

bearer = HTTPBearer(auto_error=False, description="An API token from 'clearsight users token create'.")


@dataclass
class Services:
    """What the routes share: the open workspace and the graph cache."""

    workspace: Workspace
    graphs: GraphCache


async def services(request: Request) -> Services:
    found = request.app.state.services
    assert isinstance(found, Services)
    return found


async def plain_text_parameters(request: Request) -> None:
    """Refuse NUL characters in the path and query (no store can keep them in text)."""
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        if isinstance(value, str) and "\x00" in value:
            raise InvalidData("invalid parameter", [Problem("must not contain NUL characters", field=name)])


def _context(svc: Services, credentials: HTTPAuthorizationCredentials | None, purpose: str | None, *,
             sign_in: bool = False) -> Context:
    """Authenticate the token, then build the Context from the users table and the purpose.

    One blocking function, so a request makes one trip to the thread pool for both.
    """
    user = authenticate(svc.workspace.store, credentials.credentials if credentials else None, client="api",
                        sign_in=sign_in)
    raw = unquote(purpose) if purpose else None
    try:
        if raw is not None and "\x00" in raw:
            raise PurposeRequired("a purpose must not contain NUL characters")
        return svc.workspace.context(raw, user=user, client="api")
    except PermissionDenied as exc:
        svc.workspace.governance.log_refusal(Context(user=user, client="api"), "security", "api.context", "api",
                                             "denied", str(exc))
        raise


def signed_in_viewer(
    svc: Services = Depends(services),
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    purpose: str | None = Header(None, alias=PURPOSE_HEADER, description=PURPOSE_DESCRIPTION),
) -> Context:
    """The Context of a sign-in (or a purpose check), whose success is audited too (LOG-11);
    the purpose may be absent."""
    return _context(svc, credentials, purpose, sign_in=True)


def purposeful_viewer(
    svc: Services = Depends(services),
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    purpose: str | None = Header(None, alias=PURPOSE_HEADER, description=PURPOSE_DESCRIPTION),
) -> Context:
    """The request's Context with a lawful purpose; without one nothing is read (PUR-1, PUR-3)."""
    ctx = _context(svc, credentials, purpose)
    try:
        if ctx.purpose is None:
            raise PurposeRequired(
                f"a purpose is required to read personal data: send the header {PURPOSE_HEADER} with "
                "'case:REF [text]' or 'CODE: explanation'"
            )
        ctx.require_purpose()
    except PermissionDenied as exc:
        svc.workspace.governance.log_refusal(ctx, "security", "api.purpose", "api", "denied", str(exc))
        raise
    return ctx


__all__ = [
    "PURPOSE_HEADER",
    "Services",
    "bearer",
    "plain_text_parameters",
    "purposeful_viewer",
    "services",
    "signed_in_viewer",
]
