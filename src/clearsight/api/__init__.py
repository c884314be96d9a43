"""The REST API face: FastAPI routes over the services, with token auth and purpose headers."""

from clearsight.api.app import create_app

__all__ = ["create_app"]
