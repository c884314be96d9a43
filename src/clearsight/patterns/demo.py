"""The pattern-analysis step of ``clearsight demo``: a hotspot map and a forecast backtest
on the police.uk events already ingested into the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from clearsight.governance.context import Context
from clearsight.governance.gateway import Governance
from clearsight.patterns.events import select_events
from clearsight.patterns.service import run_backtest, run_hotspots
from clearsight.patterns.store import load_events

DEMO_TRAIN = "2016-07"
DEMO_TEST = "2017-07"
DEMO_CELL = 250.0


def demo_step(gov: Governance, ctx: Context, out_dir: str | Path) -> dict[str, Any]:
    """Hotspot map of the latest month and a backtest (train 2016-07, test 2017-07, 250 m).

    Reads the events once, in one governed consultation, and writes into ``out_dir``:
    ``hotspots/`` (maps, GeoJSON, table) and ``backtest/`` (metrics table and JSON).

    Args:
        gov: The workspace's governance gateway.
        ctx: Who runs the demo and why (a purpose is required).
        out_dir: Folder for the outputs.

    Returns:
        A small summary: events used, the product marking, the hotspot map path and Gi*
        hot-spot count, and PAI / PEI at 5% of the study area for each model (or the reason
        the backtest could not run).
    """
    out = Path(out_dir)
    events = load_events(gov, ctx, action="patterns.demo")
    months = sorted(events.frame["month"].unique())
    # the police.uk test month when present (the synthetic force's months are later)
    latest = DEMO_TEST if DEMO_TEST in months else months[-1]
    hot = run_hotspots(events, out / "hotspots", months=[latest], cell_size=DEMO_CELL, permutations=99)
    summary: dict[str, Any] = {
        "events": events.n,
        "marking": hot.marking.label(),
        "sources": events.sources,
        "hotspot_month": latest,
        "hotspot_map": str(out / "hotspots" / "hotspot_counts.png"),
        "hot_cells": hot.figures["hot_cells"],
    }
    have = set(months)
    if not {DEMO_TRAIN, DEMO_TEST} <= have:
        summary["backtest"] = f"not run: needs events in {DEMO_TRAIN} and {DEMO_TEST}; the store holds {', '.join(months)}"
        return summary
    chosen = select_events(events, months=[DEMO_TRAIN, DEMO_TEST])
    bt = run_backtest(chosen, out / "backtest", train_months=[DEMO_TRAIN], test_month=DEMO_TEST, cell_size=DEMO_CELL)
    rows = [
        r for r in bt.figures["metrics"]
        if r["study_area"] == "hull" and np.isclose(r["area_fraction"], 0.05)
    ]
    summary["backtest"] = {
        "train": DEMO_TRAIN,
        "test": DEMO_TEST,
        "cell_m": DEMO_CELL,
        "area_fraction": 0.05,
        "study_area": bt.explanation.parameters["study_area"],
        "pai": {r["model"]: round(float(r["pai"]), 3) for r in rows},
        "pei": {r["model"]: round(float(r["pei"]), 3) for r in rows},
        "metrics_csv": str(out / "backtest" / "backtest_metrics.csv"),
    }
    return summary


__all__ = ["demo_step"]
