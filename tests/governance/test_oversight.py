"""Oversight on SQLite and PostgreSQL: misuse rules on the real audit stream, the alert
queue with proofs, the weekly review, and who may use them.

Activity is driven through the real services (profile, search, export) with a fixed
clock on the governance, so the audit entries are the ones those services write.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clearsight.bootstrap import Workspace
from clearsight.cli.main import app
from clearsight.errors import Conflict, InvalidData, PermissionDenied
from clearsight.governance import audit, integrity, verifier
from clearsight.governance.oversight import register, service
from clearsight.governance.oversight.config import OversightConfig
from clearsight.governance.users import create_case, create_user
from clearsight.graph.export import export
from clearsight.ontology.types import normalise
from clearsight.search.profile import profile
from clearsight.search.service import search
from tests.helpers import Lnk, Rec, seed

PURPOSE = "AUDIT-DISCIPLINE: review of access for professional standards"
#: thresholds small enough for a scenario to cross them with a few reads
CONFIG = OversightConfig(non_case_max=5, bulk_disclosure_ids=5)
#: Monday 2 November 2026, 09:00 UTC (09:00 in London: GMT)
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Clock:
    """A settable clock for the governance: each reading is one second later."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def set(self, moment: datetime) -> None:
        self.now = moment

    def __call__(self) -> str:
        self.now += timedelta(seconds=1)
        return self.now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def person(key: str, name: str, dob: str = "", postcode: str = "") -> Rec:
    props = {"name": normalise("name", name)}
    if dob:
        props["birthDate"] = normalise("date", dob)
    if postcode:
        props["postcode"] = normalise("postcode", postcode)
    return Rec("Person", key, props)


@dataclass
class World:
    ws: Workspace
    clock: Clock
    recs: dict[str, Rec]

    def ctx(self, user: str, purpose: str):  # type: ignore[no-untyped-def]
        return self.ws.context(purpose, user=user)

    def view(self, user: str, key: str, purpose: str, at: datetime | None = None) -> None:
        if at is not None:
            self.clock.set(at)
        profile(self.ws.governance, self.ctx(user, purpose), self.recs[key].id)

    def find(self, user: str, query: str, purpose: str, at: datetime | None = None) -> None:
        if at is not None:
            self.clock.set(at)
        search(self.ws.governance, self.ctx(user, purpose), query)

    def disclose(self, user: str, keys: list[str], purpose: str, out: Path, at: datetime | None = None) -> None:
        if at is not None:
            self.clock.set(at)
        export(self.ws.governance, self.ctx(user, purpose), "csv", out, recipient="CPS Leeds",
               ids=[self.recs[k].id for k in keys])

    def dpo(self):  # type: ignore[no-untyped-def]
        return self.ws.context(PURPOSE, user="dpo1")

    def scan(self, config: OversightConfig = CONFIG) -> service.ScanReport:
        return service.scan(self.ws.governance, self.dpo(), signing_key=self.ws.settings.signing_key_path, config=config)


@pytest.fixture
def world(workspace: Workspace) -> World:
    clock = Clock(MONDAY - timedelta(days=7))
    workspace.governance.clock = clock
    recs = {
        "alice": person("p-alice", "Alice Adams", "1985-04-12"),
        "ben": person("p-ben", "Ben Brown", "1979-09-30"),
        "carl": person("p-carl", "Carl Cole", "1990-01-01"),
        "vip": person("p-vip", "Victor Vane", "1970-06-06"),
        "vera": person("p-vera", "Vera Voss", "1988-08-08"),
        "wendy": person("p-wendy", "Wendy Wade", "1992-02-02"),
        "crime_x": Rec("Crime", "c-x", {"sourceReference": "13/1001/26"}),
        "crime_y": Rec("Crime", "c-y", {"sourceReference": "13/2002/26"}),
        "case_alpha": Rec("Case", "k-alpha", {"caseReference": "OP-ALPHA", "title": "Burglary series"}),
        "case_bravo": Rec("Case", "k-bravo", {"caseReference": "OP-BRAVO", "title": "Vehicle crime"}),
    }
    surnames = ["Hill", "Ingram", "Jones", "Khan", "Lee", "Moss", "Nash", "Owen"]
    for i, surname in enumerate(surnames):
        recs[f"s{i}"] = person(f"p-s{i}", f"Sam {surname}", f"19{70 + i}-03-1{i}", "LS9 8AB")
    links = [
        Lnk("Involvement", recs["vera"], recs["crime_x"], {"category": "victim"}),
        Lnk("Involvement", recs["wendy"], recs["crime_y"], {"category": "witness"}),
        Lnk("CaseLink", recs["case_alpha"], recs["crime_x"]),
        Lnk("CaseLink", recs["case_bravo"], recs["crime_y"]),
    ]
    for i in range(len(surnames)):
        links.append(Lnk("Involvement", recs[f"s{i}"], recs["crime_x" if i < 4 else "crime_y"], {"category": "suspect"}))
    seed(workspace.store, list(recs.values()), links)
    admin = "analyst1"
    for name in ("pc_adams", "pc_clark", "pc_brown", "pc_davis"):
        create_user(workspace.store, actor=admin, name=name, roles=("analyst",), clearance="OFFICIAL-SENSITIVE", groups=("local",))
    create_user(workspace.store, actor=admin, name="dpo1", roles=("dpo", "auditor"), clearance="OFFICIAL-SENSITIVE", groups=("local",))
    create_case(workspace.store, actor=admin, reference="OP-ALPHA", members=("pc_adams", "pc_clark"))
    create_case(workspace.store, actor=admin, reference="OP-BRAVO", members=("pc_brown", "pc_davis"))
    w = World(workspace, clock, recs)
    gov, dpo = workspace.governance, w.dpo()
    register.add_interest(gov, dpo, user="pc_adams", kind="self", name="ADAMS, Alice", birth_date="12/04/1985",
                          postcode="LS6 1AA", vrm="YA19 ABC")
    register.add_interest(gov, dpo, user="pc_brown", kind="self", name="Ben Brown", birth_date="1979-09-30")
    register.add_interest(gov, dpo, user="pc_adams", kind="associate", entity_id=recs["carl"].id, relation="brother-in-law")
    register.watch(gov, dpo, recs["vip"].id, "local councillor, access reviewed")
    for name in ("pc_adams", "pc_clark", "pc_brown", "pc_davis"):
        register.set_shift(gov, dpo, user=name, days="mon-fri", start="08:00", end="18:00")
    return w


def fired(report: service.ScanReport) -> set[tuple[str, str]]:
    return {(a.rule, a.user) for a in report.alerts}


def case_purpose(ref: str) -> str:
    return f"case:{ref} enquiries in the series"


INTEL = "INTELLIGENCE: background on a nominal for the briefing"


def baseline_month(w: World, tmp_path: Path) -> None:
    """Four weeks of ordinary work: case-bound profiles and searches in shift hours,
    an occasional non-case search, and small case exports."""
    team = {"pc_adams": "OP-ALPHA", "pc_clark": "OP-ALPHA", "pc_brown": "OP-BRAVO", "pc_davis": "OP-BRAVO"}
    own = {"OP-ALPHA": ["s0", "s1", "s2", "s3", "vera"], "OP-BRAVO": ["s4", "s5", "s6", "s7", "wendy"]}
    queries = ["Sam Hill", "Jones", "Sam Khan", "Lee", "Moss", "Nash", "Owen", "Ingram"]
    for day in range(28):
        start = MONDAY + timedelta(days=day)
        if start.isoweekday() > 5:
            continue
        for n, (user, case) in enumerate(team.items()):
            at = start + timedelta(hours=1 + n)
            keys = own[case]
            w.view(user, keys[day % 5], case_purpose(case), at)
            w.view(user, keys[(day + 2) % 5], case_purpose(case), at + timedelta(hours=2))
            w.find(user, queries[(day + n) % 8], case_purpose(case), at + timedelta(hours=3))
            if (day + n) % 2 == 0:
                w.find(user, queries[(day + n + 3) % 8], INTEL, at + timedelta(hours=4))
            if start.isoweekday() == 5:
                w.disclose(user, keys[:2], case_purpose(case), tmp_path / f"{user}-{day}.csv", at + timedelta(hours=5))


def test_benign_month_raises_no_alert(world: World, tmp_path: Path) -> None:
    baseline_month(world, tmp_path)
    report = world.scan()
    assert report.processed > 300
    assert report.alerts == ()


Scenario = Callable[[World, Path, datetime], None]

#: one misuse scenario per rule: (the user it is about, what they do from a Monday 09:00)
SCENARIOS: dict[str, tuple[str, Scenario]] = {
    "self_lookup": ("pc_adams", lambda w, p, t0: w.view("pc_adams", "alice", case_purpose("OP-ALPHA"), t0)),
    "colleague_lookup": ("pc_adams", lambda w, p, t0: w.view("pc_adams", "ben", case_purpose("OP-ALPHA"), t0)),
    "associate_lookup": ("pc_adams", lambda w, p, t0: w.view("pc_adams", "carl", case_purpose("OP-ALPHA"), t0)),
    "non_case_access": ("pc_adams", lambda w, p, t0: [
        w.view("pc_adams", f"s{i}", INTEL, t0 + timedelta(minutes=20 * i)) for i in range(6)]),
    "off_shift": ("pc_adams", lambda w, p, t0: w.view("pc_adams", "s1", case_purpose("OP-ALPHA"), t0.replace(hour=23))),
    "repeat_views": ("pc_adams", lambda w, p, t0: [
        w.view("pc_adams", "s6", INTEL, t0 + timedelta(days=i)) for i in range(4)]),
    "high_profile": ("pc_adams", lambda w, p, t0: w.view("pc_adams", "vip", case_purpose("OP-ALPHA"), t0)),
    "victim_witness": ("pc_brown", lambda w, p, t0: w.view("pc_brown", "vera", case_purpose("OP-BRAVO"), t0)),
    "bulk_disclosure": ("pc_adams", lambda w, p, t0: w.disclose(
        "pc_adams", ["s0", "s1", "s2", "s3", "s4", "s5"], case_purpose("OP-ALPHA"), p / "all.csv", t0)),
}


def act(w: World, tmp_path: Path, rule: str, t0: datetime = MONDAY) -> None:
    SCENARIOS[rule][1](w, tmp_path, t0)


@pytest.mark.parametrize("rule", sorted(SCENARIOS))
def test_each_scenario_fires_exactly_its_alert(world: World, tmp_path: Path, rule: str) -> None:
    user = SCENARIOS[rule][0]
    act(world, tmp_path, rule)
    report = world.scan()
    assert fired(report) == {(rule, user)}
    alert = report.alerts[0]
    assert alert.status == "open" and alert.seqs
    # a second scan has nothing new to look at
    assert world.scan().alerts == ()


def test_precision_and_recall_over_a_month_with_every_scenario(world: World, tmp_path: Path) -> None:
    baseline_month(world, tmp_path)
    first = world.scan()
    # the misuse happens in the fifth week, scenario by scenario, a day apart
    for n, rule in enumerate(SCENARIOS):
        act(world, tmp_path, rule, MONDAY + timedelta(days=28 + n))
    report = world.scan()
    expected = {(rule, user) for rule, (user, _a) in SCENARIOS.items()}
    got = fired(report)
    precision = len(got & expected) / max(len(got), 1)
    recall = len(got & expected) / len(expected)
    assert first.alerts == () and (precision, recall) == (1.0, 1.0), (sorted(got - expected), sorted(expected - got))


def test_alert_proofs_verify_with_the_standalone_verifier(world: World, tmp_path: Path) -> None:
    act(world, tmp_path, "non_case_access")
    (alert,) = world.scan().alerts
    shown = service.show_alert(world.ws.governance, world.dpo(), alert.id)
    assert sorted(int(s) for s in shown["proofs"]) == list(alert.seqs)
    for seq, doc in shown["proofs"].items():
        path = tmp_path / f"proof-{seq}.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        assert verifier.main([ "inclusion", str(path)]) == 0
        result = verifier.verify_inclusion_document(doc)
        assert result.ok, result.message
        # the proof is of the very entry that was cited
        with world.ws.store.connect() as conn:
            entry = audit.get_entry(conn, int(seq))
        assert entry is not None and doc["entry"] == entry.canonical().decode()
        assert entry.user == "pc_adams"
    tampered = dict(shown["proofs"][str(alert.seqs[0])])
    tampered["entry"] = tampered["entry"].replace("pc_adams", "pc_clark")
    assert not verifier.verify_inclusion_document(tampered).ok


def test_reviewer_sees_subjects_redacted_until_opened_with_a_purpose(world: World, tmp_path: Path) -> None:
    act(world, tmp_path, "self_lookup")
    (alert,) = world.scan().alerts
    gov = world.ws.governance
    shown = service.show_alert(gov, world.dpo(), alert.id)
    text = json.dumps(shown)
    assert {"id": world.recs["alice"].id, "schema": "Person"} in shown["subjects"]
    assert "records" not in shown
    assert normalise("name", "Alice Adams") not in text and "1985-04-12" not in text
    opened = service.show_alert(gov, world.dpo(), alert.id, open_records=True)
    assert "1985-04-12" in opened["records"][world.recs["alice"].id]["birthDate"]
    with world.ws.store.connect() as conn:
        (entry,) = audit.search(conn, operation="consultation", user="dpo1", limit=1)
    assert entry.action == "oversight.alert.open" and world.recs["alice"].id in entry.subject_ids()
    assert entry.purpose == PURPOSE


def test_closing_an_alert_records_reviewer_outcome_and_reason(world: World, tmp_path: Path) -> None:
    act(world, tmp_path, "high_profile")
    (alert,) = world.scan().alerts
    gov = world.ws.governance
    with pytest.raises(InvalidData, match="outcome"):
        service.close_alert(gov, world.dpo(), alert.id, outcome="fine", reason="checked with the supervisor")
    closed = service.close_alert(gov, world.dpo(), alert.id, outcome="no-case-to-answer",
                                 reason="councillor is a witness in OP-ALPHA; access justified")
    assert (closed.status, closed.reviewer, closed.outcome) == ("closed", "dpo1", "no-case-to-answer")
    assert closed.closed_at and "witness" in (closed.reason or "")
    with pytest.raises(Conflict, match="closed already"):
        service.close_alert(gov, world.dpo(), alert.id, outcome="advice-given", reason="second thoughts here")
    assert [a.id for a in service.list_alerts(gov, world.dpo(), status="closed")] == [alert.id]
    assert service.list_alerts(gov, world.dpo(), status="open") == []


def test_scans_and_reports_leave_the_log_unchanged_but_for_their_own_entries(world: World, tmp_path: Path) -> None:
    act(world, tmp_path, "repeat_views")
    with world.ws.store.connect() as conn:
        n = audit.size(conn)
        before = integrity.current_head(conn)
        stored = [e.as_dict() for e in audit.iter_entries(conn)]
    gov = world.ws.governance
    (alert,) = world.scan().alerts
    service.list_alerts(gov, world.dpo())
    service.show_alert(gov, world.dpo(), alert.id)
    service.weekly_report(gov, world.dpo(), "2026-W45", config=CONFIG, now=MONDAY + timedelta(days=14))
    with world.ws.store.connect() as conn:
        after = integrity.current_head(conn, n)
        assert (after.size, after.root_hash) == (before.size, before.root_hash)
        entries = list(audit.iter_entries(conn))
        assert [e.as_dict() for e in entries[:n]] == stored
        added = entries[n:]
        assert integrity.verify(conn).ok
    assert added and all(e.user == "dpo1" and e.action.startswith("oversight.") for e in added)
    assert {e.action for e in added} >= {"oversight.scan", "oversight.alerts", "oversight.alert.show", "oversight.report"}


def test_an_analyst_is_refused_and_the_refusal_is_logged(world: World) -> None:
    gov = world.ws.governance
    analyst = world.ws.context(PURPOSE, user="pc_adams")
    for call in (
        lambda: service.scan(gov, analyst, signing_key=world.ws.settings.signing_key_path),
        lambda: service.list_alerts(gov, analyst),
        lambda: service.weekly_report(gov, analyst, "2026-W45"),
        lambda: register.add_interest(gov, analyst, user="pc_clark", kind="self", vrm="AB12CDE"),
    ):
        with pytest.raises(PermissionDenied, match="role"):
            call()
    # a DPO without a s.62(4) purpose is refused too
    with pytest.raises(PermissionDenied, match="s.62"):
        service.list_alerts(gov, world.ws.context(INTEL, user="dpo1"))
    with world.ws.store.connect() as conn:
        refusals = [e for e in audit.iter_entries(conn) if e.outcome == "denied"]
    assert [e.user for e in refusals] == ["pc_adams"] * 4 + ["dpo1"]
    assert {e.action for e in refusals} == {"oversight.scan", "oversight.alerts", "oversight.report",
                                           "oversight.interests.add"}


def test_weekly_report_and_review_with_a_fake_clock(world: World, tmp_path: Path) -> None:
    baseline_month(world, tmp_path)
    act(world, tmp_path, "off_shift", MONDAY + timedelta(days=28))  # Monday of 2026-W49
    world.scan()
    gov, dpo = world.ws.governance, world.dpo()
    now = MONDAY + timedelta(days=36)  # Tuesday of 2026-W50
    report = service.weekly_report(gov, dpo, "2026-W45", config=CONFIG, now=now)
    assert report["complete"] and report["review"] is None
    counts = {(c["user"], c["operation"], c["purpose"]): c["count"] for c in report["counts"]}
    assert counts[("pc_adams", "consultation", "case")] == 15  # 5 days of 2 profiles and a search
    assert counts[("pc_adams", "disclosure", "case")] == 1
    assert counts[("pc_adams", "consultation", "INTELLIGENCE")] == 3
    assert 0 < len(report["sampled"]) <= CONFIG.review_sample
    assert all(s["purpose"].startswith("INTELLIGENCE:") for s in report["sampled"])
    # every complete week from the setup week (W44) on is flagged until reviewed
    weeks = [f"2026-W{n}" for n in range(44, 50)]
    assert report["unreviewed_weeks"] == weeks
    # the same week gives the same report
    again = service.weekly_report(gov, dpo, "2026-W45", config=CONFIG, now=now)
    assert again["sha256"] == report["sha256"] and again["sampled"] == report["sampled"]
    with pytest.raises(InvalidData, match="ended"):
        service.record_review(gov, dpo, "2026-W50", outcome="satisfactory", now=now)
    row = service.record_review(gov, dpo, "2026-W45", outcome="satisfactory", note="sample checked", now=now)
    assert row["report_sha256"] == report["sha256"] and row["reviewed_by"] == "dpo1"
    with pytest.raises(Conflict):
        service.record_review(gov, dpo, "2026-W45", outcome="satisfactory", now=now)
    later = service.weekly_report(gov, dpo, "2026-W45", config=CONFIG, now=now + timedelta(days=7))
    assert later["review"]["reviewed_by"] == "dpo1" and later["review"]["outcome"] == "satisfactory"
    assert later["unreviewed_weeks"] == [w for w in weeks if w != "2026-W45"] + ["2026-W50"]
    w49 = service.weekly_report(gov, dpo, "2026-W49", config=CONFIG, now=now)
    assert [a["rule"] for a in w49["alerts_raised"]] == ["off_shift"]
    with pytest.raises(InvalidData, match="not started"):
        service.weekly_report(gov, dpo, "2026-W51", now=now)


def test_registers_refuse_bad_values_naming_the_field(world: World) -> None:
    gov, dpo = world.ws.governance, world.dpo()
    with pytest.raises(InvalidData, match="birth_date"):
        register.add_interest(gov, dpo, user="pc_clark", kind="self", name="Cat Clark", birth_date="31/02/1990")
    with pytest.raises(InvalidData, match="date of birth"):
        register.add_interest(gov, dpo, user="pc_clark", kind="self", name="Cat Clark")
    with pytest.raises(InvalidData, match="start"):
        register.set_shift(gov, dpo, user="pc_clark", days="mon-fri", start="25:00", end="07:00")
    with pytest.raises(InvalidData, match="days"):
        register.set_shift(gov, dpo, user="pc_clark", days="weekdays", start="07:00", end="15:00")
    night = register.set_shift(gov, dpo, user="pc_clark", days="sun-thu", start="22:00", end="07:00")
    assert night.days == (1, 2, 3, 4, 7)


def test_settings_file_errors_name_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "oversight.toml"
    path.write_text("[oversight]\nrepeat_views = 3\nbulk_disclosre_ids = 9\nnon_case_max = -1\n", encoding="utf-8")
    with pytest.raises(InvalidData) as exc:
        OversightConfig.load(path)
    text = str(exc.value)
    assert "bulk_disclosre_ids" in text and "non_case_max" in text and str(path) in text
    path.write_text("[oversight]\nrepeat_views = 3\n", encoding="utf-8")
    assert OversightConfig.load(path).repeat_views == 3
    assert OversightConfig.load(tmp_path / "none.toml") == OversightConfig()


def test_cli_scan_alerts_show_close_and_report(world: World, tmp_path: Path) -> None:
    act(world, tmp_path, "associate_lookup")
    ws = world.ws
    env = {"CLEARSIGHT_PURPOSE": PURPOSE}
    base = ["--workspace", str(ws.settings.workspace), "--db-url", ws.settings.database_url, "--user", "dpo1", "oversight"]
    runner = CliRunner()

    def run(*args: str, user: str = "dpo1") -> tuple[int, str]:
        argv = [*base[:5], user, *base[6:], *args]
        result = runner.invoke(app, argv, env=env)
        return result.exit_code, result.stdout

    code, out = run("scan", "--json")
    assert code == 0, out
    (alert,) = json.loads(out)["alerts"]
    assert alert["rule"] == "associate_lookup"
    code, out = run("alerts", "--json")
    assert code == 0 and [a["id"] for a in json.loads(out)] == [alert["id"]]
    code, out = run("alert", "show", str(alert["id"]), "--json")
    assert code == 0 and json.loads(out)["subjects"][0]["schema"] == "Person"
    code, out = run("alert", "close", str(alert["id"]), "--outcome", "advice-given", "--reason", "officer reminded of the policy")
    assert code == 0
    code, out = run("interests", "list", "--json")
    assert code == 0 and {i["user"] for i in json.loads(out)} == {"pc_adams", "pc_brown"}
    code, out = run("report", "2026-W45", "--json")
    assert code == 0 and json.loads(out)["week"] == "2026-W45"
    code, _ = run("alerts", user="pc_adams")
    assert code != 0
    code, _ = run("report", "2026-W99")
    assert code != 0


def test_windowed_rules_see_entries_from_earlier_scans(world: World) -> None:
    for day in range(2):
        world.view("pc_adams", "s6", INTEL, MONDAY + timedelta(days=day))
    assert world.scan().alerts == ()
    for day in range(2, 4):
        world.view("pc_adams", "s6", INTEL, MONDAY + timedelta(days=day))
    (alert,) = world.scan().alerts
    assert alert.rule == "repeat_views" and len(alert.seqs) == 4
    assert alert.subjects == ({"id": world.recs["s6"].id, "schema": "Person"},)
    # a fifth view inside the same window does not raise the alert again
    world.view("pc_adams", "s6", INTEL, MONDAY + timedelta(days=4))
    assert world.scan().alerts == ()
    # a fresh run of views well after the window does
    for day in range(14, 18):
        world.view("pc_adams", "s6", INTEL, MONDAY + timedelta(days=day))
    assert [a.rule for a in world.scan().alerts] == ["repeat_views"]


def test_shifts_follow_local_time_and_run_overnight() -> None:
    from datetime import time

    from clearsight.governance.oversight.rules import on_shift

    day = register.Shift("u", (1, 2, 3, 4, 5), time(8), time(18), "Europe/London")
    grace = timedelta(minutes=30)
    # 07:45 UTC in July is 08:45 BST: on shift; in January 07:45 GMT is 15 minutes early, within grace
    assert on_shift(day, datetime(2026, 7, 6, 7, 45, tzinfo=UTC), grace)
    assert on_shift(day, datetime(2026, 1, 5, 7, 45, tzinfo=UTC), grace)
    assert not on_shift(day, datetime(2026, 1, 5, 7, 15, tzinfo=UTC), grace)
    assert not on_shift(day, datetime(2026, 1, 10, 12, 0, tzinfo=UTC), grace)  # a Saturday
    night = register.Shift("u", (7, 1, 2, 3, 4), time(22), time(7), "Europe/London")
    assert on_shift(night, datetime(2026, 1, 6, 3, 0, tzinfo=UTC), grace)  # Tuesday 03:00, Monday's shift
    assert not on_shift(night, datetime(2026, 1, 10, 3, 0, tzinfo=UTC), grace)  # Saturday 03:00: Friday has none
    assert on_shift(night, datetime(2026, 1, 4, 23, 0, tzinfo=UTC), grace)  # Sunday night
