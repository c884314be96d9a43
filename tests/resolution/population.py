"""A small seeded population of Person records with known truth, for resolution tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.helpers import Lnk, Rec

PEOPLE = [
    # forename, surname, dob, address, postcode, gender
    ("John", "Smith", "1980-04-12", "12 High Street, Leeds", "LS1 4AP", "male"),
    ("Sarah", "Okafor", "1992-11-03", "4 Mill Lane, Bradford", "BD1 2AB", "female"),
    ("William", "Turner", "1975-06-30", "88 Park Road, Wakefield", "WF1 3QT", "male"),
    ("Aisha", "Begum", "2001-01-17", "7 Church View, Dewsbury", "WF12 8DD", "female"),
    ("Piotr", "Nowak", "1988-09-09", "23 Station Road, Huddersfield", "HD1 1JB", "male"),
    ("Emma", "Clarke", "1969-02-25", "5 Oak Avenue, Halifax", "HX1 2PQ", "female"),
    ("Robert", "Walsh", "1990-07-14", "61 Kirkgate, Leeds", "LS2 7DJ", "male"),
    ("Grace", "Adeyemi", "1985-12-01", "14 Westgate, Wakefield", "WF1 1JY", "female"),
    ("Daniel", "Hughes", "1979-03-08", "3 Bank Street, Bradford", "BD1 1HX", "male"),
    ("Chloe", "Patel", "1996-05-21", "19 Queens Road, Keighley", "BD21 1AA", "female"),
    ("Liam", "Murphy", "1983-10-10", "40 Albion Street, Leeds", "LS1 6AG", "male"),
    ("Fatima", "Hussain", "1994-08-19", "2 Green Lane, Batley", "WF17 5DX", "female"),
]

#: how the second record of each person differs from the first
VARIANTS = ["nickname", "typo", "swapped", "nodob", "nickname", "typo", "nickname", "nopostcode", "typo", "swapped", "typo", "nopostcode"]

NICK = {"William": "Bill", "Robert": "Bob", "John": "Jack", "Daniel": "Danny", "Piotr": "Piotr"}


def _typo(name: str) -> str:
    return name[:-2] + name[-1] + name[-2]


@dataclass
class Population:
    records: list[Rec] = field(default_factory=list)
    links: list[Lnk] = field(default_factory=list)
    truth: dict[str, str] = field(default_factory=dict)  # entity id -> person
    twins: tuple[str, str] = ("", "")
    conflicting: tuple[str, str] = ("", "")
    same_pnc: tuple[str, str] = ("", "")
    e_graded: str = ""
    e_graded_twin: str = ""

    def person_of(self, key: str, source: str = "custody") -> str:
        return next(r.id for r in self.records if r.key == key and r.source == source)


def person(forename: str, surname: str, dob: str, address: str, postcode: str, gender: str, **extra: str) -> dict[str, str]:
    props = {"forename": forename, "surname": surname, "birthDate": dob, "address": address, "postcode": postcode, "gender": gender}
    props.update(extra)
    return {k: v for k, v in props.items() if v}


def build() -> Population:
    pop = Population()

    def add(rec: Rec, who: str) -> Rec:
        pop.records.append(rec)
        pop.truth[rec.id] = who
        return rec

    for i, (fn, sn, dob, addr, pc, g) in enumerate(PEOPLE):
        who = f"P{i}"
        add(Rec("Person", f"C{i:03d}", person(fn, sn, dob, addr, pc, g), source="custody"), who)
        variant = VARIANTS[i]
        f2, s2, d2, p2 = fn, sn, dob, pc
        if variant == "nickname":
            f2 = NICK.get(fn, fn)
        elif variant == "typo":
            s2 = _typo(sn)
        elif variant == "swapped":
            f2, s2 = sn, fn
        elif variant == "nodob":
            d2 = ""
        elif variant == "nopostcode":
            p2 = ""
        add(Rec("Person", f"X{i:03d}", person(f2, s2, d2, addr, p2, g), source="crime"), who)
    # a household: same surname and address, different forename, one birth date unknown
    add(Rec("Person", "C400", person("Kevin", "Taylor", "", "33 Crag Gardens, Huddersfield", "HD9 5BH", "male"), source="custody"), "H1")
    add(Rec("Person", "X400", person("Callum", "Taylor", "2003-08-20", "33 Crag Gardens, Huddersfield", "HD9 5BH", "male"), source="crime"), "H2")
    # twins: same surname, date of birth and address, different forenames
    t1 = add(Rec("Person", "C100", person("Jack", "Hill", "2001-02-03", "9 Ridge Road, Leeds", "LS6 2DE", "male"), source="custody"), "T1")
    t2 = add(Rec("Person", "C101", person("Oliver", "Hill", "2001-02-03", "9 Ridge Road, Leeds", "LS6 2DE", "male"), source="custody"), "T2")
    add(Rec("Person", "X100", person("Jack", "Hill", "2001-02-03", "9 Ridge Road, Leeds", "LS6 2DE", "male"), source="crime"), "T1")
    pop.twins = (t1.id, t2.id)
    # one name, one birth date, two PNC IDs: two people, never merged
    a = add(Rec("Person", "C200", person("Peter", "Grant", "1970-01-01", "1 Low Road, Leeds", "LS9 8AA", "male", pncId="2001/0171310W"), source="custody"), "G1")
    b = add(Rec("Person", "X200", person("Peter", "Grant", "1970-01-01", "1 Low Road, Leeds", "LS9 8AA", "male", pncId="1981/0154257C"), source="crime"), "G2")
    pop.conflicting = (a.id, b.id)
    # same PNC ID, different details: linked by the identifier
    c = add(Rec("Person", "C300", person("Mohammed", "Khan", "1977-05-05", "10 Mill Street, Bradford", "BD3 9LZ", "male", pncId="1999/0012345Z"), source="custody"), "K1")
    d = add(Rec("Person", "X300", person("Mo", "Kahn", "", "77 Other Road, Leeds", "LS11 5AB", "male", pncId="1999/0012345Z"), source="crime"), "K1")
    pop.same_pnc = (c.id, d.id)
    # an E-graded intelligence report naming someone identical to a custody record
    e = Rec("Person", "IR/1#1", person("Liam", "Murphy", "1983-10-10", "40 Albion Street, Leeds", "LS1 6AG", "male"), source="intel")
    report = Rec("IntelligenceReport", "IR/1", {"reference": "IR/1", "intelligenceAssessment": "E"}, source="intel")
    pop.records.extend([e, report])
    pop.links.append(Lnk("Mention", report, e, source="intel"))
    pop.e_graded = e.id
    pop.e_graded_twin = pop.person_of("C010")
    return pop
