"""Pattern analysis: hotspots, forecasts, temporal profiles, near repeats and patrol allocation.

Every analysis is a pure function over a prepared events set (:func:`prepare_events`)
and returns a result carrying an :class:`Explanation` (ALG-4). The ``run_*`` services in
:mod:`clearsight.patterns.service` write tables, GeoJSON and maps for the CLI.
"""

from clearsight.patterns.allocate import (
    Allocation,
    DisparityReport,
    allocate_patrols,
    disparity_report,
    load_census_population,
    load_force_lsoas,
)
from clearsight.patterns.backtest import BacktestResult, backtest
from clearsight.patterns.etas import EtasFit, etas_forecast, fit_etas
from clearsight.patterns.evaluate import AREA_FRACTIONS, evaluate_forecast
from clearsight.patterns.events import (
    EVENT_COLUMNS,
    EventSet,
    load_police_uk_csv,
    prepare_events,
    select_events,
)
from clearsight.patterns.explain import Explanation
from clearsight.patterns.forecast import BlendFit, Forecast, fit_blend, make_forecast
from clearsight.patterns.gistar import GiStar, gi_star
from clearsight.patterns.grid import HexGrid, SquareGrid, make_tessellation
from clearsight.patterns.hotspots import HotspotResult, find_hotspots
from clearsight.patterns.kde import bandwidth_rule, kde_surface
from clearsight.patterns.knox import KnoxResult, knox_test
from clearsight.patterns.service import (
    ServiceResult,
    run_allocate,
    run_backtest,
    run_forecast,
    run_hotspots,
    run_nearrepeat,
    run_temporal,
)
from clearsight.patterns.simulate import FeedbackSimulation, simulate_feedback
from clearsight.patterns.temporal import (
    SpikeResult,
    TemporalTable,
    detect_spikes,
    hour_weekday,
    monthly_trend,
)

__all__ = [
    "AREA_FRACTIONS",
    "EVENT_COLUMNS",
    "Allocation",
    "BacktestResult",
    "BlendFit",
    "DisparityReport",
    "EtasFit",
    "EventSet",
    "Explanation",
    "FeedbackSimulation",
    "Forecast",
    "GiStar",
    "HexGrid",
    "HotspotResult",
    "KnoxResult",
    "ServiceResult",
    "SpikeResult",
    "SquareGrid",
    "TemporalTable",
    "allocate_patrols",
    "backtest",
    "bandwidth_rule",
    "detect_spikes",
    "disparity_report",
    "etas_forecast",
    "evaluate_forecast",
    "find_hotspots",
    "fit_blend",
    "fit_etas",
    "gi_star",
    "hour_weekday",
    "kde_surface",
    "knox_test",
    "load_census_population",
    "load_force_lsoas",
    "load_police_uk_csv",
    "make_forecast",
    "make_tessellation",
    "monthly_trend",
    "prepare_events",
    "run_allocate",
    "run_backtest",
    "run_forecast",
    "run_hotspots",
    "run_nearrepeat",
    "run_temporal",
    "select_events",
    "simulate_feedback",
]
