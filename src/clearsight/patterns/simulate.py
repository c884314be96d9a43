"""Feedback-loop simulation (Ensign et al. 2018; Lum & Isaac 2016), for ALG-10.

Areas have *equal* true crime rates. Each round the model sends patrols to the areas it
rates highest; patrols discover crime where they go, and the public reports crime
everywhere at the same rate. The naive model learns from every observation, so the areas
it patrols look worse and keep the patrols: it runs away. The default model learns from
public reports only (no discoveries from patrolled areas), so its ratings stay unbiased
and patrols spread evenly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from clearsight.patterns.explain import Explanation

Policy = Literal["greedy", "proportional"]


@dataclass
class FeedbackSimulation:
    """Outcome of a feedback-loop simulation.

    Attributes:
        patrol_counts: Patrols sent to each area over all rounds.
        patrol_share: Share of all patrols per area.
        late_share: Share per area over the last half of the rounds.
        max_late_share: Largest area share in the last half (1 / n_areas is fair).
        total_variation: Total-variation distance between the last-half shares and the
            true (equal) shares; 0 is fair, ``1 - 1 / n_areas`` is total runaway.
        runaway: Whether ``total_variation`` exceeds the runaway threshold.
        history: Patrol share per area after each round, shape (rounds, n_areas).
        explanation: Parameters, counts and limits.
    """

    patrol_counts: np.ndarray
    patrol_share: np.ndarray
    late_share: np.ndarray
    max_late_share: float
    total_variation: float
    runaway: bool
    history: np.ndarray
    explanation: Explanation


def simulate_feedback(
    *,
    n_areas: int = 5,
    rounds: int = 1000,
    patrols_per_round: int = 1,
    true_rate: float = 1.0,
    report_rate: float = 0.2,
    discovery_rate: float = 0.8,
    learn_from_discoveries: bool = False,
    policy: Policy = "greedy",
    window: int | None = 30,
    prior: float = 1.0,
    runaway_threshold: float = 0.5,
    seed: int = 0,
) -> FeedbackSimulation:
    """Polya-urn style simulation of patrol allocation learning from its own observations.

    Each round, every area has ``Poisson(true_rate)`` crimes. The public reports each with
    probability ``report_rate`` wherever it happens; a patrolled area has each of its
    crimes discovered with probability ``discovery_rate``. The model's rating of an area
    is ``prior`` plus what it has learnt from there over the last ``window`` rounds.

    Args:
        n_areas: Areas (all with the same true rate).
        rounds: Rounds (days) simulated.
        patrols_per_round: Areas patrolled each round.
        true_rate: Crimes per area per round (the same everywhere).
        report_rate: Chance a crime is reported by the public.
        discovery_rate: Chance a crime in a patrolled area is found by police.
        learn_from_discoveries: The naive variant; the default follows ALG-10.
        policy: "greedy" (top-rated areas, ties at random) or "proportional" (areas drawn
            with probability proportional to rating, the Polya urn).
        window: Rounds of observations the rating remembers (a forecast trained on recent
            periods); None remembers everything (the classic urn).
        prior: Starting rating of every area.
        runaway_threshold: Total-variation distance above which the run counts as runaway.
        seed: Random seed.

    Returns:
        The :class:`FeedbackSimulation`.
    """
    if patrols_per_round >= n_areas:
        raise ValueError("patrols_per_round must be below n_areas")
    rng = np.random.default_rng(seed)
    learnt = np.zeros((rounds, n_areas))
    counts = np.zeros(n_areas)
    history = np.zeros((rounds, n_areas))
    late = np.zeros(n_areas)
    for r in range(rounds):
        lo = 0 if window is None else max(0, r - window)
        rating = prior + learnt[lo:r].sum(axis=0)
        if policy == "greedy":
            noise = rng.random(n_areas) * 1e-9  # random tie-break
            chosen = np.argsort(-(rating + noise))[:patrols_per_round]
        else:
            chosen = rng.choice(n_areas, size=patrols_per_round, replace=False, p=rating / rating.sum())
        crimes = rng.poisson(true_rate, n_areas)
        reported = rng.binomial(crimes, report_rate)
        patrolled = np.zeros(n_areas, bool)
        patrolled[chosen] = True
        discovered = np.where(patrolled, rng.binomial(crimes - reported, discovery_rate), 0)
        learnt[r] = reported + (discovered if learn_from_discoveries else 0)
        counts[chosen] += 1
        if r >= rounds // 2:
            late[chosen] += 1
        history[r] = counts / counts.sum()
    share = counts / counts.sum()
    late_share = late / late.sum()
    tv = 0.5 * float(np.abs(late_share - 1.0 / n_areas).sum())
    expl = Explanation(
        method=f"feedback-loop simulation ({policy} allocation), equal true rates in every area",
        counts={"rounds": rounds, "areas": n_areas, "patrols": int(counts.sum())},
        baseline=f"fair share 1/{n_areas} = {1 / n_areas:.3f} per area (true rates are equal)",
        period=f"{rounds} rounds",
        data_sources=["simulated"],
        parameters={
            "true_rate": true_rate,
            "report_rate": report_rate,
            "discovery_rate": discovery_rate,
            "learn_from_discoveries": learn_from_discoveries,
            "policy": policy,
            "patrols_per_round": patrols_per_round,
            "window_rounds": window,
            "runaway_threshold": runaway_threshold,
            "seed": seed,
        },
        limits=[
            "A stylised model: real reporting rates differ between areas and over time, "
            "and patrols also deter and displace crime.",
        ],
    )
    return FeedbackSimulation(
        patrol_counts=counts,
        patrol_share=share,
        late_share=late_share,
        max_late_share=float(late_share.max()),
        total_variation=tv,
        runaway=tv > runaway_threshold,
        history=history,
        explanation=expl,
    )
