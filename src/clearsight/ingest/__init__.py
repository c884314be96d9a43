"""Ingest: declarative mappings from CSV, JSON, Excel and SQL sources into the ontology.

Public surface:

- :func:`load_mapping`, :func:`builtin_names`, :class:`Mapping`: read and check mappings
  (``docs/mappings.md``);
- :func:`ingest`, :class:`IngestSummary`: load a source in governed, all-or-nothing
  batches with provenance, idempotent on re-runs, with a rejection report;
- :func:`assess`, :func:`write_html`, :class:`QualityReport`: the data-quality report.
"""

from clearsight.ingest.mapping import Mapping, builtin_names, check_header, load_mapping
from clearsight.ingest.quality import QualityReport, assess, write_html
from clearsight.ingest.run import IngestSummary, ingest

__all__ = [
    "IngestSummary",
    "Mapping",
    "QualityReport",
    "assess",
    "builtin_names",
    "check_header",
    "ingest",
    "load_mapping",
    "write_html",
]
