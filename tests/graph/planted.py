"""A planted network for graph tests: an organised crime group, a second group, a broker,
and items only a SECRET viewer may see (a SECRET shortcut link and a SECRET person)."""

from __future__ import annotations

from clearsight.governance.markings import Marking
from tests.helpers import Lnk, Rec

SECRET = Marking.make("SECRET")
SENSITIVE = Marking.make("OFFICIAL-SENSITIVE")


def person(key: str, name: str, marking: Marking | None = None) -> Rec:
    return Rec("Person", key, {"name": name}, marking=marking or Marking())


LEADER = person("ocg0", "Victor Crane")
OCG = [LEADER] + [person(f"ocg{i}", n) for i, n in enumerate(
    ["Adam Hale", "Brian Hale", "Carl Dunn", "Dean Moss", "Eric Pike", "Fred Lowe"], start=1)]
GANG = [person(f"g{i}", n) for i, n in enumerate(["Gary Webb", "Harry Webb", "Ian Holt", "Jack Holt", "Kyle Rudd"])]
BROKER = person("b1", "Leon Marsh")
HIDDEN_PERSON = person("h1", "Hector Shade", SECRET)
LONER = person("z1", "Zara Lone")

CRIMES = [Rec("Crime", f"c{i}", {"crimeType": "Burglary", "month": f"2024-{i + 1:02d}"}) for i in range(8)]
REPORT = Rec("IntelligenceReport", "int1", {"reference": "INT-9", "sourceEvaluation": "2", "intelligenceAssessment": "C",
                                           "handlingCode": "P", "body": "Crane directs the Hale brothers"})
CAR = Rec("Vehicle", "v1", {"registration": "AB12CDE"})
ORG = Rec("Organisation", "o1", {"name": "=HYPERLINK(\"http://evil\")"}, marking=SENSITIVE)


def _inv(p: Rec, c: Rec, cat: str = "suspect") -> Lnk:
    return Lnk("Involvement", p, c, {"category": cat})


def links() -> list[Lnk]:
    out: list[Lnk] = []
    # the OCG: the leader directs everyone; members pair up on crimes the leader plans
    for m in OCG[1:]:
        out.append(Lnk("Association", LEADER, m, {"nature": "directs"}))
    out += [_inv(OCG[1], CRIMES[0]), _inv(OCG[2], CRIMES[0]), _inv(LEADER, CRIMES[1]), _inv(OCG[3], CRIMES[1]),
            _inv(OCG[4], CRIMES[2], "offender"), _inv(OCG[5], CRIMES[2]), _inv(OCG[6], CRIMES[3]),
            _inv(LEADER, CRIMES[3]), _inv(OCG[1], CRIMES[3], "victim")]
    out.append(Lnk("Family", OCG[1], OCG[2], {"relationship": "brother"}))
    for a, b in zip(OCG[2:], OCG[3:], strict=False):
        out.append(Lnk("Association", a, b, {"nature": "runs with"}))
    out.append(Lnk("Association", OCG[6], OCG[1], {"nature": "runs with"}))
    out.append(Lnk("Association", OCG[6], OCG[3], {"nature": "runs with"}))
    # the second group: a chain of associations and shared crimes
    for a, b in zip(GANG, GANG[1:], strict=False):
        out.append(Lnk("Association", a, b))
    out.append(Lnk("Association", GANG[0], GANG[2]))
    out.append(Lnk("Association", GANG[1], GANG[3]))
    out += [_inv(GANG[0], CRIMES[4]), _inv(GANG[1], CRIMES[4]), _inv(GANG[2], CRIMES[5]), _inv(GANG[3], CRIMES[5]),
            _inv(GANG[4], CRIMES[6]), _inv(GANG[3], CRIMES[6], "offender")]
    # the broker knows one of each group
    out.append(Lnk("Association", BROKER, OCG[6]))
    out.append(Lnk("Association", BROKER, GANG[4]))
    out.append(Lnk("Keepership", BROKER, CAR))
    out.append(Lnk("Mention", REPORT, LEADER))
    out.append(Lnk("Mention", REPORT, OCG[1]))
    out.append(Lnk("Membership", GANG[0], ORG))
    return out


def hidden_links() -> list[Lnk]:
    """Links only a SECRET viewer may see: a shortcut across groups and the SECRET person's."""
    return [
        Lnk("Association", OCG[3], GANG[2], {"nature": "covert"}, marking=SECRET),
        Lnk("Association", HIDDEN_PERSON, LEADER),
        Lnk("Association", HIDDEN_PERSON, GANG[0]),
        _inv(HIDDEN_PERSON, CRIMES[7]),
        _inv(GANG[2], CRIMES[7]),
    ]


def records() -> list[Rec]:
    return [*OCG, *GANG, BROKER, LONER, *CRIMES, REPORT, CAR, ORG]


def hidden_records() -> list[Rec]:
    return [HIDDEN_PERSON]
