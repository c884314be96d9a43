"""Unit tests: settings, deterministic rules, clustering with judgements, evaluation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearsight.errors import ResolutionError
from clearsight.resolution import evaluate
from clearsight.resolution.cluster import (
    ClusterChange,
    Edge,
    JudgementRule,
    changes,
    cluster_records,
)
from clearsight.resolution.deterministic import identifiers_conflict, twin_conflict
from clearsight.resolution.nicknames import are_variants, forename_groups
from clearsight.resolution.settings import (
    PERSON,
    Thresholds,
    blocking_rules,
    comparison_labels,
    spec_for,
    splink_settings,
)

ALL = {"forename", "surname", "dob", "postcode", "address", "gender", "phone", "email", "pnc"}


def test_thresholds_validate_and_classify() -> None:
    th = Thresholds().validate()
    assert th.status(0.99) == "merge" and th.status(0.7) == "review" and th.status(0.2) is None
    with pytest.raises(ResolutionError, match="below the merge threshold"):
        Thresholds(merge=0.8, review_low=0.5, review_high=0.9).validate()
    with pytest.raises(ResolutionError, match="between 0 and 1"):
        Thresholds(merge=1.5).validate()


def test_person_settings_compare_forename_and_surname_separately() -> None:
    settings = splink_settings(PERSON, ALL)
    names = [c["output_column_name"] for c in settings["comparisons"]]
    assert names[:3] == ["forename", "surname", "dob"]
    forename = settings["comparisons"][0]["comparison_levels"]
    labels = [lv["label_for_charts"] for lv in forename]
    assert labels[:5] == ["missing", "exact", "crossed with surname", "crossed with surname, mistyped", "nickname"]
    assert forename[1]["tf_adjustment_column"] == "forename"
    # a disagreeing forename is strong evidence against
    assert forename[-1]["m_probability"] / forename[-1]["u_probability"] < 0.05
    rules = blocking_rules(PERSON, ALL)
    assert 'l."forename" = r."surname" AND l."surname" = r."forename"' in rules
    # crossed over with a slip in one name: each side of the crossing blocks with the birth date
    assert 'l."forename" = r."surname" AND l."dob" = r."dob"' in rules and 'l."surname" = r."forename" AND l."dob" = r."dob"' in rules
    assert comparison_labels(settings)["dob"][-1] == "exact"


def test_settings_drop_comparisons_without_data_and_refuse_too_few() -> None:
    settings = splink_settings(PERSON, {"forename", "surname", "dob"})
    assert [c["output_column_name"] for c in settings["comparisons"]] == ["forename", "surname", "dob"]
    with pytest.raises(ResolutionError, match="too few"):
        splink_settings(PERSON, {"dob"})
    with pytest.raises(ResolutionError, match="strong identifiers only"):
        splink_settings(spec_for("Vehicle"), {"vrm"})
    with pytest.raises(ResolutionError, match="resolvable schemata"):
        spec_for("Crime")


def test_spec_version_changes_with_the_comparisons() -> None:
    assert PERSON.version == PERSON.with_changes(label="x").version
    assert PERSON.version != PERSON.with_changes(model_identifiers=("ni",)).version


def test_nicknames() -> None:
    assert are_variants("bill", "william") and are_variants("sam", "samantha") and are_variants("sam", "samuel")
    assert not are_variants("jack", "oliver")
    assert forename_groups("unknownname") == ("unknownname",)


def test_twin_rule_and_identifier_conflicts() -> None:
    base = {"surname": "hill", "dob": "2001-02-03"}
    assert twin_conflict({**base, "forename": "jack"}, {**base, "forename": "oliver"})
    assert not twin_conflict({**base, "forename": "bill"}, {**base, "forename": "william"})
    assert not twin_conflict({**base, "forename": "jon"}, {**base, "forename": "jonn"})
    assert not twin_conflict({**base, "forename": "jack"}, {**base, "forename": None})
    assert not twin_conflict({"surname": "hill", "dob": "2001", "forename": "jack"}, {"surname": "hill", "dob": "2001", "forename": "oliver"})
    assert identifiers_conflict(PERSON, {"pnc": "A", "ni": "X"}, {"pnc": "B", "ni": "X"}) == ["pnc"]
    assert identifiers_conflict(PERSON, {"pnc": "A"}, {"pnc": None}) == []


def _canon(memberships: dict) -> dict[str, str]:
    return {k: v.canonical_id for k, v in memberships.items()}


def test_clusters_are_components_with_smallest_member_as_id() -> None:
    edges = [Edge("b", "c", 0.99, "model"), Edge("c", "d", 0.97, "model"), Edge("x", "y", 1.0, "deterministic")]
    out = cluster_records(edges)
    assert _canon(out) == {"b": "b", "c": "b", "d": "b", "x": "x", "y": "x"}
    assert out["b"].method == "model" and out["b"].score == 0.97
    assert out["x"].method == "deterministic"
    # stable: the same edges in another order give the same ids
    assert _canon(cluster_records(list(reversed(edges)))) == _canon(out)


def test_not_same_cuts_and_prevents_transitive_remerge_and_undo_restores() -> None:
    edges = [Edge("a", "b", 0.99, "model"), Edge("b", "c", 0.98, "model"), Edge("a", "c", 0.96, "model")]
    judged = [JudgementRule("a", "c", "not_same")]
    out = cluster_records(edges, judged)
    assert out["a"].canonical_id != out.get("c", None) if "c" in out else True
    assert not ("a" in out and "c" in out and out["a"].canonical_id == out["c"].canonical_id)
    # the strongest edge wins: a-b kept, c alone
    assert _canon(out) == {"a": "a", "b": "a"}
    # undo = the judgement is no longer live
    assert _canon(cluster_records(edges, [])) == {"a": "a", "b": "a", "c": "a"}


def test_same_adds_and_split_removes() -> None:
    edges = [Edge("a", "b", 0.99, "model"), Edge("b", "c", 0.99, "model")]
    out = cluster_records(edges, [JudgementRule("c", "a", "split")])
    assert _canon(out) == {"a": "a", "b": "a"}
    out = cluster_records(edges, [JudgementRule("c", "a", "split"), JudgementRule("c", "z", "same")])
    assert _canon(out) == {"a": "a", "b": "a", "c": "c", "z": "c"} and out["z"].method == "human"


def test_conflicting_identifiers_and_blocked_pairs_never_share_a_cluster() -> None:
    edges = [Edge("a", "x", 0.99, "model"), Edge("x", "b", 0.98, "model")]
    ids = {"a": {"pnc": "P1"}, "b": {"pnc": "P2"}}
    out = cluster_records(edges, identifiers=ids)
    assert out["x"].canonical_id == "a" and "b" not in out
    out = cluster_records(edges, blocked=[("a", "b")])
    assert "b" not in out
    # a person may still join them
    out = cluster_records(edges, [JudgementRule("a", "b", "same")], identifiers=ids)
    assert out["a"].canonical_id == out["b"].canonical_id


def test_changes_list_merges_and_splits() -> None:
    old = cluster_records([Edge("a", "b", 0.99, "model"), Edge("b", "c", 0.99, "model")])
    new = cluster_records([Edge("a", "b", 0.99, "model")])
    made = changes(old, new)
    assert [c.kind for c in made] == ["merge", "split"]
    assert made[1] == ClusterChange("split", "a", ("a", "b", "c"), ("a", "c"), "model", 0.99)
    assert changes(new, new) == []


def test_evaluation() -> None:
    truth = {"a": "1", "b": "1", "c": "1", "d": "2"}
    pred = {"a": "x", "b": "x", "c": "y", "d": "y"}
    pw = evaluate.pairwise(pred, truth)
    assert (pw.true_positives, pw.false_positives, pw.false_negatives) == (1, 1, 2)
    assert evaluate.clusters({"a": "x", "b": "x", "c": "x"}, truth).f1 == 1.0
    assert evaluate.pairwise_from_pairs([("b", "a")], [("a", "b"), ("c", "d")]).recall == 0.5
    assert evaluate.truth_from_pairs(["a", "b", "c"], [("a", "b")]) == {"a": "a", "b": "a", "c": "c"}


def test_twins_never_meet_through_a_third_record() -> None:
    attrs = {
        "jack": {"forename": "jack", "surname": "hill", "dob": "2001-02-03"},
        "oliver": {"forename": "oliver", "surname": "hill", "dob": "2001-02-03"},
    }
    # 'x' has no forename: it matches both twins; the twins were never scored as a pair
    edges = [Edge("jack", "x", 0.99, "model"), Edge("oliver", "x", 0.98, "model")]
    out = cluster_records(edges, attributes=attrs, apart=twin_conflict)
    assert _canon(out) == {"jack": "jack", "x": "jack"}
    assert _canon(cluster_records(edges)) == {"jack": "jack", "oliver": "jack", "x": "jack"}


def test_public_surface() -> None:
    import clearsight.resolution as package

    assert all(hasattr(package, name) for name in package.__all__)
    assert {"resolve", "ResolveSummary", "decide", "undo", "cluster_records", "PERSON"} <= set(package.__all__)


def test_household_members_are_kept_apart() -> None:
    from clearsight.resolution.deterministic import forename_conflict

    attrs: dict[str, dict[str, str | None]] = {
        "dad": {"forename": "kevin", "surname": "taylor", "dob": None},
        "son": {"forename": "callum", "surname": "taylor", "dob": "2003-01-01"},
        "kev": {"forename": "kev", "surname": "taylor", "dob": None},
    }
    assert forename_conflict(attrs["dad"], attrs["son"]) and not forename_conflict(attrs["dad"], {**attrs["dad"], "forename": "kevinn"})
    edges = [Edge("dad", "x", 0.99, "model"), Edge("son", "x", 0.98, "model"), Edge("dad", "kev", 0.97, "model")]
    out = cluster_records(edges, attributes=attrs, apart=forename_conflict)
    assert "son" not in out and out["dad"].canonical_id == out["x"].canonical_id


def test_forenames_split_by_a_slip_are_one_name_not_two_people() -> None:
    from clearsight.resolution.deterministic import forename_conflict

    base = {"surname": "shepherd", "dob": "1992-09-27"}
    # 'wil liam' keyed with a space: its first word is 'wil', the whole name is william
    slip = {**base, "forename": "wil", "forename_joined": "william"}
    assert not twin_conflict({**base, "forename": "william", "forename_joined": "william"}, slip)
    assert forename_conflict({**base, "forename": "paul", "forename_joined": "paul"}, {**base, "forename": "john", "forename_joined": "johnpaul"})
    # similar names are read as a slip, unless the recorded genders differ too: a boy and a girl
    assert not twin_conflict({**base, "forename": "michael"}, {**base, "forename": "michelle"})
    assert twin_conflict({**base, "forename": "michael", "gender": "male"}, {**base, "forename": "michelle", "gender": "female"})
    assert not twin_conflict({**base, "forename": "michael", "gender": "male"}, {**base, "forename": "michael", "gender": "female"})


def test_dates_of_birth_that_disagree_are_two_people_in_pairs_and_clusters() -> None:
    from clearsight.resolution.deterministic import DOB_APART_DAYS, dob_conflict, kept_apart

    dad = {"forename": "david", "surname": "williams", "dob": "1961-03-02"}
    son = {"forename": "david", "surname": "williams", "dob": "1990-07-14"}
    assert DOB_APART_DAYS == 365
    assert dob_conflict(dad, son) and kept_apart(dad, son)
    # a wrong year or digit, day and month swapped, a missing or partial date: the same person
    assert not dob_conflict(dad, {**dad, "dob": "1962-03-02"}) and not dob_conflict(dad, {**dad, "dob": "1961-02-03"})
    assert not dob_conflict(dad, {**dad, "dob": "1991-03-02"}) and dob_conflict(dad, {**dad, "dob": "1964-08-02"})
    assert not dob_conflict(dad, {**dad, "dob": None}) and not dob_conflict(dad, {**dad, "dob": "1990"})
    # an email only one person has overrides it; another surname is not this rule's business
    assert not dob_conflict({**dad, "email": "d@x.uk"}, {**son, "email": "d@x.uk"})
    assert not kept_apart(dad, {**son, "surname": "jones"})
    # a record without a date of birth matches both: it joins one of them, never both
    attrs = {"dad": dad, "son": son, "x": {"forename": "david", "surname": "williams", "dob": None}}
    edges = [Edge("dad", "x", 0.99, "model"), Edge("son", "x", 0.98, "model")]
    out = cluster_records(edges, attributes=attrs, apart=kept_apart)
    assert _canon(out) == {"dad": "dad", "x": "dad"}


def test_whole_names_are_split_when_a_source_gives_only_them() -> None:
    from clearsight.resolution.model import split_full_name

    assert split_full_name("HUSSAIN, Mohammed") == ("Mohammed", "HUSSAIN")
    assert split_full_name("jan van der berg") == ("jan", "van der berg")
    assert split_full_name("john smith jr") == ("john", "smith")


def _engine_pairs(rows: list[dict], th: Thresholds | None = None) -> dict[tuple[str, str], tuple[str, str]]:
    import pandas as pd

    from clearsight.resolution.model import ResolutionEngine

    engine = ResolutionEngine(PERSON)
    try:
        engine.load(pd.DataFrame(rows))
        engine.train()
        th = th or Thresholds(review_low=0.01)
        engine.score(th)
        pairs = engine.pairs(th, model_version="t")
    finally:
        engine.close()
    return {(r.left_id, r.right_id): (r.status, r.reason) for r in pairs.itertuples()}


def test_second_pass_merges_a_bare_name_only_one_person_carries() -> None:
    filler = [
        {"unique_id": f"f{i:02d}", "forename": f"name{i}", "surname": f"family{i}", "dob": f"19{50 + i}-01-01",
         "postcode": f"LS{i} 1AA", "address": f"{i} some street leeds"}
        for i in range(30)
    ]
    rows = [
        *filler,
        # a crime record gives the whole name only; a stop and search gives the name and nothing else
        {"unique_id": "a1", "full_name": "AKHTAR, Aisha", "dob": "1990-05-06", "postcode": "BD22 2WX", "address": "26 west terrace bradford bd22 2wx"},
        {"unique_id": "a2", "forename": "aisha", "surname": "akhtar", "postcode": "BD22 2WX", "address": "26 west terrace bradford", "phone": "+447446014564"},
        {"unique_id": "a3", "forename": "aisha", "surname": "akhtar"},
        # two John Smiths with different birth dates: a bare 'John Smith' stays in review
        {"unique_id": "j1", "forename": "john", "surname": "smith", "dob": "1980-04-12", "postcode": "LS1 4AP"},
        {"unique_id": "j2", "forename": "john", "surname": "smith", "dob": "1962-09-30", "postcode": "WF1 3QT"},
        {"unique_id": "j3", "forename": "john", "surname": "smith"},
    ]
    pairs = _engine_pairs(rows)
    assert pairs[("a1", "a2")][0] == "merge"
    assert pairs[("a2", "a3")][0] == "merge" and pairs[("a1", "a3")][0] == "merge"
    assert any("second pass" in reason for status, reason in pairs.values() if status == "merge")
    assert all(pairs.get(p, ("none", ""))[0] != "merge" for p in (("j1", "j3"), ("j2", "j3")))


def test_engine_never_merges_a_parent_and_child_of_one_name_but_merges_slips() -> None:
    filler = [
        {"unique_id": f"f{i:02d}", "forename": f"name{i}", "surname": f"family{i}", "dob": f"19{50 + i}-01-01",
         "postcode": f"LS{i} 1AA", "address": f"{i} some street leeds"}
        for i in range(30)
    ]
    home = {"postcode": "BD11 6FQ", "address": "79 horsforth lane bradford"}
    rows = [
        *filler,
        {"unique_id": "d1", "forename": "david", "surname": "williams", "dob": "1961-03-02", **home},
        {"unique_id": "s1", "forename": "david", "surname": "williams", "dob": "1990-07-14", **home},
        # one person: names crossed over with a slip, and a forename keyed with a space
        {"unique_id": "c1", "forename": "jasmine", "surname": "sachdev", "dob": "1979-11-09", "postcode": "LS2 3AB"},
        {"unique_id": "c2", "forename": "sachdve", "surname": "jasmine", "dob": "1979-11-09", "postcode": "LS2 3AB"},
        {"unique_id": "w1", "forename": "william", "surname": "shepherd", "dob": "1992-09-27", "postcode": "HD1 2CD"},
        {"unique_id": "w2", "forename": "wil liam", "surname": "shepherd", "dob": "1992-09-27", "postcode": "HD1 2CD"},
        # twins, a boy and a girl, with similar names
        {"unique_id": "t1", "forename": "michael", "surname": "ashworth", "dob": "2004-05-06", "gender": "male", **home},
        {"unique_id": "t2", "forename": "michelle", "surname": "ashworth", "dob": "2004-05-06", "gender": "female", **home},
    ]
    pairs = _engine_pairs(rows)
    assert pairs.get(("d1", "s1"), ("none", ""))[0] != "merge"
    assert pairs.get(("t1", "t2"), ("none", ""))[0] in {"none", "blocked"}
    assert pairs[("c1", "c2")][0] in {"merge", "review"}
    assert pairs[("w1", "w2")][0] == "merge"


def test_two_slips_of_one_forename_are_one_name_only_when_a_spelling_is_rare() -> None:
    from clearsight.resolution.deterministic import forename_conflict, rare_forename

    base = {"surname": "hughes", "dob": "1975-02-11"}
    # btian and biran: two slips for brian, two edits apart; a corrupted spelling is rare
    assert not twin_conflict({**base, "forename": "btian", "forename_rare": "rare"}, {**base, "forename": "biran", "forename_rare": "rare"})
    assert not twin_conflict({**base, "forename": "btian", "forename_rare": "rare"}, {**base, "forename": "biran"})
    assert twin_conflict({**base, "forename": "btian"}, {**base, "forename": "biran"})
    # real names two edits apart recur in the data: twins named so stay apart
    assert twin_conflict({**base, "forename": "imran"}, {**base, "forename": "irfan"})
    assert twin_conflict({**base, "forename": "hassan"}, {**base, "forename": "hussain"})
    # a rare spelling does not make names unalike in more than two places one name
    assert forename_conflict({**base, "forename": "jack", "forename_rare": "rare"}, {**base, "forename": "oliver"})
    assert twin_conflict({**base, "forename": "ella", "forename_rare": "rare"}, {**base, "forename": "emma"})
    # nor a boy and a girl one person
    assert twin_conflict({**base, "forename": "btian", "gender": "male", "forename_rare": "rare"},
                         {**base, "forename": "biran", "gender": "female", "forename_rare": "rare"})
    assert rare_forename(1, 40) and not rare_forename(2, 40)
    assert rare_forename(4, 40_000) and not rare_forename(5, 40_000)


def test_engine_merges_two_rare_slips_of_a_name_but_keeps_twins_of_common_names_apart() -> None:
    filler = [
        {"unique_id": f"f{i:02d}", "forename": f"name{i}", "surname": f"family{i}", "dob": f"19{50 + i}-01-01",
         "postcode": f"LS{i} 1AA", "address": f"{i} some street leeds"}
        for i in range(30)
    ]
    home = {"surname": "khan", "dob": "2001-06-12", "postcode": "BD8 7QT", "address": "12 lumb lane bradford"}
    brian = {"surname": "hughes", "dob": "1975-02-11", "postcode": "WF1 3HX", "address": "4 kirkgate wakefield"}
    rows = [
        *filler,
        # twins with names two edits apart, each name seen in several records
        *({"unique_id": f"im{i}", "forename": "imran", **home} for i in range(3)),
        *({"unique_id": f"ir{i}", "forename": "irfan", **home} for i in range(3)),
        *({"unique_id": f"ha{i}", "forename": "hassan", **home, "dob": "1998-03-30"} for i in range(2)),
        *({"unique_id": f"hu{i}", "forename": "hussain", **home, "dob": "1998-03-30"} for i in range(2)),
        # one man: brian, and two slips of it each seen once
        {"unique_id": "b1", "forename": "brian", **brian},
        {"unique_id": "b2", "forename": "brian", **brian},
        {"unique_id": "b3", "forename": "btian", **brian},
        {"unique_id": "b4", "forename": "biran", **brian},
    ]
    pairs = _engine_pairs(rows)
    for a in ("im0", "im1", "im2"):
        for b in ("ir0", "ir1", "ir2"):
            assert pairs.get((a, b), ("none", ""))[0] in {"none", "blocked"}
    for a in ("ha0", "ha1"):
        for b in ("hu0", "hu1"):
            assert pairs.get((a, b), ("none", ""))[0] in {"none", "blocked"}
    assert pairs[("b3", "b4")][0] == "merge"


def test_engine_loads_arrow_and_pandas_frames_alike() -> None:
    import pandas as pd
    import pyarrow as pa

    from clearsight.resolution.model import ResolutionEngine

    rows = [
        {"unique_id": "a", "forename": "John", "surname": "Smith", "full_name": None, "dob": "1980-01-02"},
        {"unique_id": "b", "forename": None, "surname": " ", "full_name": "HUSSAIN, Mohammed", "dob": None},
        {"unique_id": "c", "forename": "\u00a0", "surname": None, "full_name": "jan van der berg", "dob": "1990"},
        {"unique_id": "d", "forename": None, "surname": None, "full_name": None, "dob": None},
    ]
    frames = {}
    for kind, frame in (("pandas", pd.DataFrame(rows)), ("arrow", pa.Table.from_pylist(rows))):
        engine = ResolutionEngine(PERSON)
        try:
            engine.load(frame)
            frames[kind] = engine.con.execute("SELECT * FROM records ORDER BY unique_id").fetchdf()
        finally:
            engine.close()
    pd.testing.assert_frame_equal(frames["arrow"], frames["pandas"])
    assert frames["arrow"]["surname"].tolist()[:3] == ["smith", "hussain", "van der berg"]


def _filler() -> list[dict[str, str]]:
    return [
        {"unique_id": f"f{i:02d}", "forename": f"name{i}", "surname": f"family{i}", "dob": f"19{50 + i}-01-01",
         "postcode": f"LS{i} 1AA", "address": f"{i} some street leeds"}
        for i in range(30)
    ]


def test_cluster_pass_joins_bare_names_to_the_one_cluster_of_their_name() -> None:
    home = {"forename": "ajay", "surname": "kapoor", "dob": "2001-07-29", "postcode": "BD7 0JW", "address": "156 park crescent bradford"}
    rows = [
        *_filler(),
        # one prolific man with two phones: the records of his name are not one person's by
        # the record-level test, but they all sit in one cluster
        *({"unique_id": f"k{i}", **home} for i in range(4)),
        {"unique_id": "k4", **home, "phone": "+447545705617"},
        {"unique_id": "k5", **home, "phone": "+447995231274"},
        # two intelligence mentions carrying the name only, one with a slip in the surname
        {"unique_id": "kb1", "forename": "ajay", "surname": "kapoor"},
        {"unique_id": "kb2", "forename": "ajay", "surname": "kaporo"},
        # two women of one name living apart: a bare mention of the name joins neither
        {"unique_id": "n1", "forename": "nadia", "surname": "qureshi", "dob": "1980-02-03", "postcode": "HD2 0QB", "address": "44 cliff terrace huddersfield"},
        {"unique_id": "n2", "forename": "nadia", "surname": "qureshi", "dob": "1980-02-03", "postcode": "HD2 0QB", "address": "44 cliff terrace huddersfield"},
        {"unique_id": "n3", "forename": "nadia", "surname": "qureshi", "dob": "1996-11-21", "postcode": "LS8 1AB", "address": "3 roundhay road leeds"},
        {"unique_id": "nb", "forename": "nadia", "surname": "qureshi"},
    ]
    pairs = _engine_pairs(rows)
    joined = {a if b.startswith("k") and not b.startswith("kb") else b
              for (a, b), (status, reason) in pairs.items() if status == "merge" and "cluster pass" in reason}
    assert joined == {"kb1", "kb2"}
    assert all(status != "merge" for (a, b), (status, _) in pairs.items() if "nb" in (a, b))


def test_a_bare_name_several_people_carry_does_not_merge_them() -> None:
    rows = [
        *_filler(),
        {**_filler()[0], "unique_id": "f00b"},
        # two women called Siobhan Mulcahy living apart, and a stop and search giving the
        # name, a birth date and nothing to compare with either
        {"unique_id": "s1", "forename": "siobhan", "surname": "mulcahy", "gender": "female", "postcode": "BD4 5NN", "address": "111 east avenue bradford"},
        {"unique_id": "s2", "forename": "siobhan", "surname": "mulcahy", "gender": "female", "postcode": "HX2 9LZ", "address": "67 normanton grove halifax", "phone": "+447888820241"},
        {"unique_id": "s3", "forename": "siobhan", "surname": "mulcahy", "gender": "female", "dob": "1983-11-24"},
    ]
    # a low merge threshold, so that the bare pairs score above it in this small store
    pairs = _engine_pairs(rows, Thresholds(merge=0.1, review_low=0.01))
    assert all(pairs.get(p, ("none", ""))[0] != "merge" for p in (("s1", "s3"), ("s2", "s3"), ("s1", "s2")))
    assert pairs[("s1", "s3")] == ("review", "only the name agrees, and more than one person in the data carries it: a person decides")
    # a name one person carries still merges on the name alone
    alone = [*rows[:-3], rows[-1], {**rows[-1], "unique_id": "s4", "dob": None, "postcode": "BD4 5NN"}]
    assert _engine_pairs(alone, Thresholds(merge=0.1, review_low=0.01))[("s3", "s4")][0] == "merge"


def test_a_rare_spelling_is_read_as_the_recurring_forename_of_its_surname() -> None:
    import pandas as pd

    from clearsight.resolution.deterministic import kept_apart
    from clearsight.resolution.model import ResolutionEngine

    home = {"surname": "sykes", "postcode": "BD15 9SB", "address": "109 willow avenue bradford", "gender": "male"}
    twins = {"surname": "khan", "dob": "2001-06-12", "postcode": "BD8 7QT", "address": "12 lumb lane bradford"}
    rows = [
        *_filler(),
        *({"unique_id": f"b{i}", "forename": "brian", **home} for i in range(5)),
        {"unique_id": "bt", "forename": "btian", **home},
        {"unique_id": "ba", "forename": "bria", **home},
        *({"unique_id": f"im{i}", "forename": "imran", **twins} for i in range(3)),
        *({"unique_id": f"ir{i}", "forename": "irfan", **twins} for i in range(3)),
    ]
    engine = ResolutionEngine(PERSON)
    try:
        engine.load(pd.DataFrame(rows))
        fixed = dict(engine.con.execute("SELECT unique_id, forename_fixed FROM records").fetchall())
        attrs = engine.attributes(["bt", "ba", "im0", "ir0"])
    finally:
        engine.close()
    assert fixed["bt"] == "brian" and fixed["ba"] == "brian" and fixed["b0"] is None
    # btian and bria are two slips apart from each other, one from brian: one name, not two people
    assert not kept_apart(attrs["bt"], attrs["ba"])
    # names that recur are never rewritten: twins stay apart
    assert fixed["im0"] is None and fixed["ir0"] is None
    assert kept_apart(attrs["im0"], attrs["ir0"])


def test_second_pass_merges_one_name_and_birth_date_at_two_addresses_unless_the_date_is_a_system_default() -> None:
    rows = [
        *_filler(),
        # a man who moved: the same name and birth date at two addresses
        {"unique_id": "m1", "forename": "lee", "surname": "tayler", "dob": "1986-08-04", "postcode": "BD18 1LE", "address": "10 thornton street bradford"},
        {"unique_id": "m2", "forename": "lee", "surname": "tayler", "dob": "1986-08-04", "postcode": "WF8 3AB", "address": "64 hill road wakefield"},
        # a default date many records carry proves nothing
        *({"unique_id": f"z{i}", "forename": f"other{i}", "surname": f"people{i}", "dob": "1900-01-01"} for i in range(12)),
        {"unique_id": "q1", "forename": "imran", "surname": "qadir", "dob": "1900-01-01", "postcode": "BD7 1AA", "address": "1 lumb lane bradford"},
        {"unique_id": "q2", "forename": "imran", "surname": "qadir", "dob": "1900-01-01", "postcode": "LS8 2BB", "address": "9 harehills road leeds"},
        {"unique_id": "q3", "forename": "imran", "surname": "qadir", "dob": "1971-05-05", "postcode": "HD1 3CC", "address": "5 bay hall huddersfield"},
    ]
    # a merge threshold high enough that the model leaves both pairs in review
    pairs = _engine_pairs(rows, Thresholds(merge=0.9999, review_low=0.01))
    assert pairs[("m1", "m2")] == ("merge", "second pass: the same full name and the same full date of birth")
    assert pairs.get(("q1", "q2"), ("none", ""))[0] != "merge"


def test_training_keeps_the_default_prior_when_the_deterministic_rules_find_no_pair() -> None:
    # no two records share forename, surname and birth date or postcode: the estimated prior
    # would be 0, and every match weight minus infinity
    rows = [
        {"unique_id": f"r{i:02d}", "forename": f"name{i % 7}", "surname": f"family{i % 5}", "dob": f"19{50 + i}-01-01",
         "postcode": f"LS{i} 1AA"}
        for i in range(35)
    ]
    import pandas as pd

    from clearsight.resolution.model import ResolutionEngine

    engine = ResolutionEngine(PERSON)
    try:
        engine.load(pd.DataFrame(rows))
        trained = engine.train()
        assert trained.metrics["prior"] == "kept the default (the deterministic rules found no pair)"
        assert trained.model["probability_two_random_records_match"] == 0.0001
        th = Thresholds(review_low=0.01)
        engine.score(th)
        assert engine.pairs(th, model_version="t") is not None
    finally:
        engine.close()


_LETTERS = "abcdeéfgh"


@settings(max_examples=40)
@given(
    rare=st.lists(st.text(alphabet=_LETTERS, max_size=12), max_size=40, unique=True),
    common=st.lists(st.text(alphabet=_LETTERS, max_size=12), max_size=25, unique=True),
)
def test_slip_pairs_are_every_rare_and_recurring_spelling_a_slip_apart(rare: list[str], common: list[str]) -> None:
    import duckdb

    from clearsight.resolution.deterministic import slip_pairs_sql, typo_sql

    # three edits apart, first letters different, and still Jaro-Winkler 0.92: only the
    # similarity finds them; two transpositions: only the edit distance does
    pathological = [("cbadefhg", "abcdefgh"), ("ba", "ab"), ("abdcfe", "abcdef")]
    planted = {s for pair in pathological for s in pair}
    rare = [r for r in rare if r not in planted] + [r for r, _ in pathological]
    common = [c for c in common if c not in planted and c not in rare] + [c for _, c in pathological]
    with duckdb.connect() as con:
        con.execute("CREATE TABLE spellings (s VARCHAR, rare BOOLEAN)")
        rows = [(s, True) for s in dict.fromkeys(rare)] + [(s, False) for s in dict.fromkeys(common)]
        con.executemany("INSERT INTO spellings VALUES (?, ?)", rows)
        found = set(con.execute(slip_pairs_sql("spellings")).fetchall())
        every = set(con.execute(
            f"SELECT a.s, b.s FROM spellings a, spellings b WHERE a.rare AND NOT b.rare AND {typo_sql('a.s', 'b.s', 'true')}"
        ).fetchall())
    assert found == every
    assert set(pathological) <= found
