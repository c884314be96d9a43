"""The application: the REST API under ``/api/v1`` and the analysts' web workspace at ``/``.

The app opens the workspace once (the store and governance); everything about the caller
is rebuilt on each request from the token and the users table.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from clearsight import __version__
from clearsight.api import problems
from clearsight.api.deps import Services
from clearsight.api.v1 import router
from clearsight.bootstrap import Workspace, open_workspace
from clearsight.graph import GraphCache
from clearsight.settings import Settings

WEB = Path(str(files("clearsight") / "web"))

#: the workspace fetches nothing from anywhere else, and nothing may frame it
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def create_app(settings: Settings | None = None, *, workspace: Workspace | None = None) -> FastAPI:
    """Build the app on a workspace (given, or opened from the settings).

    A workspace passed in stays the caller's to close; one opened here is closed when
    the app shuts down.
    """
    if workspace is None and settings is None:
        raise ValueError("give the settings or an open workspace")
    owned = workspace is None
    ws = workspace if workspace is not None else open_workspace(settings)  # type: ignore[arg-type]

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            ws.close()

    app = FastAPI(
        title="Clearsight",
        version=__version__,
        description="Intelligence analysis with the safeguards built in: every read of personal data needs a "
                    "bearer token and a purpose (header X-Clearsight-Purpose), and is audited.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.services = Services(workspace=ws, graphs=GraphCache(ws.settings.workspace / "cache" / "graph"))
    problems.install(app)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.url.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        if not request.url.path.startswith("/api/v1/docs"):
            response.headers.setdefault("Content-Security-Policy", CSP)
        return response

    app.include_router(router)
    app.mount("/", StaticFiles(directory=WEB, html=True), name="web")
    return app


__all__ = ["create_app"]
