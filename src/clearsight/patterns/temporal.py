"""When events happen: hour-by-weekday profiles, monthly trends and spike detection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2, nbinom, poisson

from clearsight.errors import InvalidData
from clearsight.patterns.events import EventSet
from clearsight.patterns.explain import Explanation

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass
class TemporalTable:
    """A table of counts over time with its explanation."""

    table: pd.DataFrame
    explanation: Explanation


def hour_weekday(events: EventSet, timezone: str = "Europe/London") -> TemporalTable:
    """Counts by weekday (rows) and hour of day (columns, local time).

    Raises:
        InvalidData: No event carries a time of day.
    """
    hourly = events.frame["time_precision"] == "hour"
    if not bool(hourly.any()):
        raise InvalidData(
            f"an hour-by-weekday profile needs the time of each event, but none of the "
            f"{events.n} events has one (month-only or date-only data such as police.uk)."
        )
    local = events.frame.loc[hourly, "occurred_at"].dt.tz_convert(timezone)
    table = pd.crosstab(local.dt.dayofweek, local.dt.hour).reindex(
        index=range(7), columns=range(24), fill_value=0
    )
    table.index = pd.Index(WEEKDAYS, name="weekday")
    table.columns = pd.Index(range(24), name="hour")
    expl = Explanation(
        method=f"counts by weekday and hour of day ({timezone})",
        counts={**events.counts(), "events_with_time": int(hourly.sum())},
        baseline=None,
        period=events.period(),
        data_sources=events.sources,
        parameters={"timezone": timezone},
        limits=[
            *events.all_limits(),
            *(
                [f"{int((~hourly).sum())} events without a time of day are left out."]
                if (~hourly).any()
                else []
            ),
            "Recorded times are often the time reported or a midpoint of a window, not the "
            "time the crime happened (e.g. burglaries discovered on return).",
        ],
    )
    return TemporalTable(table=table, explanation=expl)


def _month_range(months: Sequence[str]) -> list[str]:
    ms = sorted(months)
    rng = pd.period_range(ms[0], ms[-1], freq="M")
    return [str(p) for p in rng]


def monthly_trend(events: EventSet, by_crime_type: bool = True) -> TemporalTable:
    """Events per month (every month between the first and last, zeros kept)."""
    f = events.frame
    if f.empty:
        raise InvalidData("no events to count")
    months = _month_range(f["month"].unique().tolist())
    if by_crime_type:
        table = pd.crosstab(f["month"], f["crime_type"]).reindex(months, fill_value=0)
        table["All"] = table.sum(axis=1)
    else:
        table = f.groupby("month").size().reindex(months, fill_value=0).to_frame("All")
    table.index.name = "month"
    expl = Explanation(
        method="events per calendar month",
        counts=events.counts(),
        period=events.period(),
        data_sources=events.sources,
        parameters={"by_crime_type": by_crime_type},
        limits=[
            *events.all_limits(),
            "Counts are of recorded events: changes in recording practice show up as trends.",
        ],
    )
    return TemporalTable(table=table, explanation=expl)


@dataclass
class SpikeResult:
    """Series whose test-month count exceeds what their baseline makes likely.

    Attributes:
        table: One row per area and crime type: ``baseline_mean``, ``count``,
            ``expected``, ``threshold`` (smallest count that would be flagged), ``p_value``,
            ``false_alarm_probability`` and ``spike``.
        model: "poisson" or "negative binomial".
        dispersion: Estimated 1/k of the negative binomial (0 when Poisson).
        expected_false_alarm_rate: Mean chance a series with no real change is flagged.
        expected_false_alarms: Expected flagged series if nothing changed anywhere.
        explanation: Counts, baseline, period, parameters and limits.
    """

    table: pd.DataFrame
    model: str
    dispersion: float
    expected_false_alarm_rate: float
    expected_false_alarms: float
    explanation: Explanation

    def figures(self) -> dict[str, object]:
        """Headline figures (JSON-serialisable)."""
        return {
            "series": len(self.table),
            "spikes": int(self.table["spike"].sum()),
            "model": self.model,
            "dispersion_1_over_k": self.dispersion,
            "expected_false_alarm_rate": self.expected_false_alarm_rate,
            "expected_false_alarms": self.expected_false_alarms,
        }


def count_series(
    frame: pd.DataFrame, area: str, by_crime_type: bool, months: Sequence[str]
) -> pd.DataFrame:
    """Counts per (area, crime type) series and month; every month a column, zeros kept."""
    keys = [area, "crime_type"] if by_crime_type else [area]
    f = frame[frame["month"].isin(list(months))].copy()
    f[area] = f[area].fillna("unknown")
    table = f.groupby([*keys, "month"]).size().unstack("month", fill_value=0)
    return table.reindex(columns=list(months), fill_value=0)


def detect_spikes(
    events: EventSet,
    *,
    test_month: str,
    baseline_months: Sequence[str] | None = None,
    area: str = "lsoa_code",
    by_crime_type: bool = True,
    alpha: float = 0.01,
    min_count: int = 3,
    model: str = "auto",
) -> SpikeResult:
    """Flag areas (and crime types) whose count in ``test_month`` exceeds their baseline.

    The baseline rate of each series is ``(baseline total + 0.5) / baseline months`` (the
    0.5 keeps a series with no past events from flagging on one event). A series is
    flagged when ``P(X >= count) <= alpha`` and ``count >= min_count``. With at least two
    baseline months a Pearson dispersion test decides between Poisson and a negative
    binomial with one pooled dispersion (method of moments); ``model`` can force either.

    Args:
        events: Prepared events.
        test_month: Month to test ("YYYY-MM").
        baseline_months: Earlier months forming the baseline; None takes all earlier ones.
        area: Column naming the area ("lsoa_code" by default).
        by_crime_type: One series per area and crime type (else per area).
        alpha: Per-series exceedance probability.
        min_count: Smallest count that can be flagged.
        model: "auto", "poisson" or "negative binomial".

    Returns:
        The :class:`SpikeResult`, with the expected false-alarm rate computed exactly from
        each series' threshold.
    """
    f = events.frame
    if baseline_months is None:
        baseline_months = sorted(m for m in f["month"].unique() if m < test_month)
    baseline_months = sorted(baseline_months)
    if not baseline_months:
        raise InvalidData(f"spike detection needs at least one month before {test_month}")
    if test_month in baseline_months:
        raise InvalidData("the test month cannot be part of its own baseline")
    series = count_series(f, area, by_crime_type, [*baseline_months, test_month])
    base = series[baseline_months].to_numpy(float)
    count = series[test_month].to_numpy(float)
    m = len(baseline_months)
    lam = (base.sum(axis=1) + 0.5) / m
    dispersion = 0.0
    p_disp = float("nan")
    chosen = "poisson" if model == "auto" else model
    if m >= 2:
        mean = base.mean(axis=1)
        var = base.var(axis=1, ddof=1)
        pos = mean > 0
        stat = float(np.sum((m - 1) * var[pos] / mean[pos]))
        dof = int(pos.sum() * (m - 1))
        p_disp = float(chi2.sf(stat, dof)) if dof else float("nan")
        dispersion = max(0.0, float(np.sum(var[pos] - mean[pos]) / max(np.sum(mean[pos] ** 2), 1e-12)))
        if model == "auto" and p_disp < 0.05 and dispersion > 0:
            chosen = "negative binomial"
    elif model == "negative binomial":
        raise InvalidData("a negative binomial baseline needs at least two baseline months")
    if chosen == "negative binomial" and dispersion > 0:
        size = 1.0 / dispersion
        dist_p = size / (size + lam)
        pval = nbinom.sf(count - 1, size, dist_p)
        thr = nbinom.ppf(1 - alpha, size, dist_p) + 1
        thr = np.maximum(thr, min_count)
        fa = nbinom.sf(thr - 1, size, dist_p)
    else:
        chosen = "poisson"
        pval = poisson.sf(count - 1, lam)
        thr = np.maximum(poisson.ppf(1 - alpha, lam) + 1, min_count)
        fa = poisson.sf(thr - 1, lam)
    spike = (pval <= alpha) & (count >= min_count)
    table = series.reset_index()[list(series.index.names)]
    table["baseline_mean"] = base.mean(axis=1)
    table["expected"] = lam
    table["count"] = count.astype(int)
    table["threshold"] = thr.astype(int)
    table["p_value"] = pval
    table["false_alarm_probability"] = fa
    table["spike"] = spike
    table = table.sort_values(["spike", "p_value"], ascending=[False, True]).reset_index(drop=True)
    rate = float(np.mean(fa)) if len(fa) else 0.0
    expl = Explanation(
        method=f"{chosen} exceedance test per series against a baseline of earlier months",
        counts={
            **events.counts(),
            "series": len(table),
            "spikes": int(spike.sum()),
            "baseline_months": m,
        },
        baseline=f"mean monthly count in {', '.join(baseline_months)} (+0.5 per series)",
        period=test_month,
        data_sources=events.sources,
        parameters={
            "area": area,
            "by_crime_type": by_crime_type,
            "alpha": alpha,
            "min_count": min_count,
            "model": chosen,
            "dispersion_1_over_k": dispersion,
            "dispersion_test_p": p_disp,
            "expected_false_alarm_rate": rate,
            "expected_false_alarms": float(np.sum(fa)),
        },
        limits=[
            *events.all_limits(),
            f"If nothing changed anywhere, about {np.sum(fa):.1f} of {len(table)} series "
            f"({rate:.2%}) would still be flagged by chance.",
            "The baseline rate is estimated from few months, so real false-alarm rates run a "
            "little above the stated one; seasonality is not modelled unless the baseline "
            "months are the same calendar month in earlier years.",
            *(["With one baseline month over-dispersion cannot be tested; Poisson is assumed."] if m < 2 else []),
        ],
    )
    return SpikeResult(
        table=table,
        model=chosen,
        dispersion=dispersion if chosen != "poisson" else 0.0,
        expected_false_alarm_rate=rate,
        expected_false_alarms=float(np.sum(fa)),
        explanation=expl,
    )
