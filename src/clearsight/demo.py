"""The end-to-end demo: a synthetic force plus real police.uk data, through every capability.

``clearsight demo`` runs it on the embedded default. Each step is a function that takes the
workspace and returns a small summary; the steps run in order and their summaries are
printed at the end. The demo acts under the DEMONSTRATION purpose, so everything it reads
is audited like any other work.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clearsight.bootstrap import Workspace
from clearsight.governance.context import Context
from clearsight.ingest import assess, ingest, write_html
from clearsight.synthetic import generate

DEMO_PURPOSE = "DEMONSTRATION: end-to-end demonstration on synthetic and open data"
DEMO_SEED = 20261122


def shared_data_dir() -> Path:
    """The shared data folder: ``CLEARSIGHT_SHARED_DATA`` or ``../shared/data`` beside the repo."""
    env = os.environ.get("CLEARSIGHT_SHARED_DATA")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent.parent / "shared" / "data"
        if (parent / "pyproject.toml").exists() and candidate.exists():
            return candidate
    return Path.cwd().parent / "shared" / "data"


@dataclass
class StepResult:
    name: str
    seconds: float
    summary: dict[str, Any]


@dataclass
class DemoRun:
    """Everything the demo did, step by step."""

    workspace: Path
    steps: list[StepResult] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.steps)


Step = Callable[[Workspace, Context, Path], dict[str, Any]]


def step_generate(people: int, seed: int) -> Step:
    def run(ws: Workspace, ctx: Context, data: Path) -> dict[str, Any]:
        marker = data / f".generated-{people}-{seed}"
        if marker.exists():
            return {"people": people, "seed": seed, "reused": True}
        summary = generate(data, people=people, seed=seed)
        marker.write_text("ok\n", encoding="utf-8")
        return {"people": summary.people, "rows": summary.total_rows, "files": len(summary.files), "reused": False}

    return run


def _mapping_files(data: Path) -> list[Path]:
    return sorted(data.glob("*.mapping.yaml"))


def _data_file(mapping: Path) -> Path:
    stem = mapping.name[: -len(".mapping.yaml")]
    matches = [p for p in mapping.parent.glob(stem + ".*") if not p.name.endswith(".mapping.yaml")]
    if not matches:
        raise FileNotFoundError(f"no data file beside {mapping}")
    return matches[0]


def step_ingest(ws: Workspace, ctx: Context, data: Path) -> dict[str, Any]:
    reports = ws.settings.workspace / "reports"
    loaded: dict[str, Any] = {}
    for mapping in _mapping_files(data):
        s = ingest(ws.governance, ctx, str(_data_file(mapping)), mapping, reports_dir=reports,
                   batch_size=ws.settings.batch_size, default_marking=ws.settings.default_marking)
        loaded[s.source] = {"rows": s.rows_read, "rejected": s.rows_rejected, "entities": s.entities_written,
                            "links": s.links_written, "unchanged": s.unchanged}
    police = shared_data_dir() / "police_uk" / "west-yorkshire"
    for csv in sorted(police.glob("*-street.csv")):
        s = ingest(ws.governance, ctx, str(csv), "police-uk-street", reports_dir=reports,
                   source_name="police-uk-west-yorkshire", batch_size=ws.settings.batch_size,
                   default_marking=ws.settings.default_marking)
        loaded[f"police.uk {csv.name[:7]}"] = {"rows": s.rows_read, "rejected": s.rows_rejected,
                                                "entities": s.entities_written, "links": s.links_written,
                                                "unchanged": s.unchanged}
    return loaded


def step_quality(ws: Workspace, ctx: Context, data: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    folder = ws.settings.workspace / "reports" / "quality"
    # the synthetic force's sources; the police.uk source's report is one command away
    # ('clearsight quality police-uk-west-yorkshire') and would double this step's time
    sources = [m.name[: -len(".mapping.yaml")] for m in _mapping_files(data)]
    for source in sources:
        report = assess(ws.governance, ctx, source)
        path = write_html(report, folder / source)
        seen = [f for f in report.fields if f.seen or f.empty]
        completeness = [f.completeness for f in seen if f.completeness is not None]
        invalid = sum(f.invalid + f.dropped for f in report.fields)
        out[source] = {
            "entities": sum(report.entities.values()),
            "fields": len(seen),
            "mean completeness": f"{sum(completeness) / len(completeness):.1%}" if completeness else "n/a",
            "invalid values": invalid,
            "report": str(path),
        }
    return out


def step_resolve(ws: Workspace, ctx: Context, data: Path) -> dict[str, Any]:
    from clearsight.resolution import EngineOptions, resolve

    options = EngineOptions(memory_limit=ws.settings.duckdb_memory_limit, threads=ws.settings.duckdb_threads)
    out: dict[str, Any] = {}
    for schema in ("Person", "Vehicle", "Phone"):
        summary = resolve(ws.governance, ctx, schema=schema, options=options)
        out[schema] = {
            "records": summary.records,
            "canonical entities": summary.clusters,
            "merged records": summary.clustered_records,
            "in review queue": summary.pairs.get("review", 0),
        }
    out["note"] = "match scores and merges are assessments, not facts; review with 'clearsight review list'"
    return out


def step_networks(ws: Workspace, ctx: Context, data: Path) -> dict[str, Any]:
    from clearsight.graph.demo import demo_step

    return demo_step(ws.governance, ctx)


def step_patterns(ws: Workspace, ctx: Context, data: Path) -> dict[str, Any]:
    from clearsight.patterns.demo import demo_step

    return demo_step(ws.governance, ctx, ws.settings.workspace / "reports" / "demo-patterns")


def run_demo(ws: Workspace, ctx: Context, *, people: int = 5000, seed: int = DEMO_SEED,
             on_step: Callable[[str], None] | None = None, extra_steps: list[tuple[str, Step]] | None = None) -> DemoRun:
    """Generate, ingest and analyse; return what each step did."""
    data = ws.settings.workspace / "demo-data"
    data.mkdir(parents=True, exist_ok=True)
    steps: list[tuple[str, Step]] = [
        ("generate synthetic force", step_generate(people, seed)),
        ("ingest sources", step_ingest),
        ("data quality", step_quality),
        ("resolve identities", step_resolve),
        ("networks: the organised crime group", step_networks),
        ("crime patterns on police.uk data", step_patterns),
        *(extra_steps or []),
    ]
    run = DemoRun(workspace=ws.settings.workspace)
    for name, fn in steps:
        if on_step:
            on_step(name)
        start = time.perf_counter()
        summary = fn(ws, ctx, data)
        run.steps.append(StepResult(name, time.perf_counter() - start, summary))
    return run


__all__ = ["DEMO_PURPOSE", "DEMO_SEED", "DemoRun", "StepResult", "run_demo", "shared_data_dir"]
