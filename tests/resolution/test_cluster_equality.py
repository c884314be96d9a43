"""The array-based clusterer agrees with the record-by-record one it replaced, on random graphs.

Each seed draws records of a few surnames, forenames (variants and slips among them) and
birth dates, strong identifiers that sometimes disagree, model, identifier and human edges,
blocked pairs and judgements, so every constraint (cannot-link, identifier values, the
household, twin and date of birth rules) flags components to rebuild.
"""

from __future__ import annotations

import random

import pytest

from clearsight.resolution.cluster import Edge, JudgementRule, cluster_records
from clearsight.resolution.deterministic import kept_apart
from tests.resolution.reference_cluster import reference_cluster_records

FORENAMES = ["jack", "jak", "jill", "bill", "william", "oliver", "olivia", None]
SURNAMES = ["hill", "hall", "smith", None]
DOBS = ["2001-02-03", "2001-03-02", "1961-04-02", "1990-04-02", "2001", None]


def _population(seed: int) -> tuple[list[Edge], list[JudgementRule], list[tuple[str, str]], dict, dict]:
    rng = random.Random(seed)
    ids = [f"r{i:03d}" for i in range(rng.randint(5, 80))]
    attributes = {}
    for i in ids:
        forename, surname = rng.choice(FORENAMES), rng.choice(SURNAMES)
        if forename and surname:
            attributes[i] = {"forename": forename, "forename_joined": forename, "surname": surname,
                             "dob": rng.choice(DOBS), "gender": rng.choice(["male", "female", None]),
                             "forename_rare": rng.choice(["rare", None]), "email": rng.choice([None, None, "a@x.uk"])}
    identifiers = {i: {"pnc": rng.choice(["P1", "P2", "P3"])} for i in ids if rng.random() < 0.15}
    edges = []
    for _ in range(rng.randint(1, 3 * len(ids))):
        a, b = rng.sample(ids, 2)
        method = rng.choice(["model", "model", "model", "deterministic"])
        edges.append(Edge(min(a, b), max(a, b), 1.0 if method == "deterministic" else round(rng.uniform(0.9, 1.0), 3), method))
    blocked = [tuple(sorted(rng.sample(ids, 2))) for _ in range(rng.randint(0, 4))]
    judgements = [JudgementRule(*rng.sample(ids, 2), rng.choice(["same", "not_same", "split"])) for _ in range(rng.randint(0, 4))]
    return edges, judgements, blocked, identifiers, attributes  # type: ignore[return-value]


@pytest.mark.parametrize("seed", range(60))
def test_array_clusterer_agrees_with_the_record_by_record_one(seed: int) -> None:
    edges, judgements, blocked, identifiers, attributes = _population(seed)
    kwargs = {"blocked": blocked, "identifiers": identifiers, "attributes": attributes, "apart": kept_apart}
    assert cluster_records(edges, judgements, **kwargs) == reference_cluster_records(edges, judgements, **kwargs)
    assert cluster_records(edges, judgements) == reference_cluster_records(edges, judgements)
