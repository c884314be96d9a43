"""Synthetic force data with known truth, for the demo, tests and accuracy benchmarks.

Real police data about people cannot be shared, so Clearsight generates a West Yorkshire
force's exports (custody, crime, stop and search, intelligence, ANPR, vehicle keepers,
phone subscribers and call records), each in its own format with its own mapping, plus the
ground truth behind them: who every record really is, and the planted structures (an
organised crime group, a burglary series, co-offending pairs, a prolific offender).

Public surface:
- :func:`generate` and :class:`GenerationSummary`
- :func:`corrupt` and :class:`CorruptionSummary`: a deliberately broken copy with the
  rejections ingest should report
- :class:`GeographyMissing`: the shared geography data was not found
"""

from clearsight.synthetic.corrupt import CorruptionSummary, corrupt
from clearsight.synthetic.generate import GenerationSummary, generate
from clearsight.synthetic.geography import GeographyMissing

__all__ = ["CorruptionSummary", "GenerationSummary", "GeographyMissing", "corrupt", "generate"]
