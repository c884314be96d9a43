"""``clearsight serve``: the REST API and the web workspace on the configured store."""

from __future__ import annotations

import typer

from clearsight.cli.common import err, state


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (keep it local unless behind TLS)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
) -> None:
    """Serve the REST API (/api/v1) and the analysts' web workspace (/).

    Users sign in with a token from 'clearsight users token create'.

    Example: clearsight serve --port 8000
    """
    import uvicorn

    from clearsight.api import create_app

    st = state(ctx)
    app = create_app(workspace=st.workspace())
    err.print(f"Clearsight at http://{host}:{port}/ (store: {st.workspace().store.safe_url}); Ctrl-C to stop.")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        st.workspace().close()


__all__ = ["serve"]
