"""Clearsight: open, self-hostable intelligence analysis with the safeguards built in.

The layers, top to bottom (each imports only from layers below it):

    faces         cli/  api/  web/
    capabilities  ingest/ synthetic/ resolution/ search/ graph/ patterns/
    safeguards    governance/
    data          store/
    model         ontology/
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
