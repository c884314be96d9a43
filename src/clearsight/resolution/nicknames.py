"""Forename variants: the informal forms people give and officers write down.

``Bill`` and ``William`` are one forename to a person but two strings to a string metric, so
the model compares a *forename group* as an extra level: two forenames agree on it when
they share a group. A formal name is its own group; each informal form joins the groups of
the formal names it stands for (``Sam`` joins both ``Samuel`` and ``Samantha``). Keys are
folded match keys (lower case, no diacritics), as the store keeps them.
"""

from __future__ import annotations

from functools import cache

#: formal forename -> its informal forms (all folded)
VARIANTS: dict[str, tuple[str, ...]] = {
    "william": ("bill", "billy", "will", "willie", "liam"),
    "robert": ("bob", "bobby", "rob", "robbie", "bert"),
    "richard": ("dick", "rich", "richie", "rick", "ricky"),
    "james": ("jim", "jimmy", "jamie", "jimmie"),
    "john": ("jack", "johnny", "jon"),
    "jonathan": ("jon", "jonny", "johnny"),
    "michael": ("mike", "mick", "micky", "mikey"),
    "thomas": ("tom", "tommy"),
    "christopher": ("chris", "kit"),
    "christine": ("chris", "chrissie", "tina"),
    "christina": ("chris", "tina"),
    "daniel": ("dan", "danny"),
    "matthew": ("matt", "matty"),
    "anthony": ("tony", "ant"),
    "joseph": ("joe", "joey"),
    "samuel": ("sam", "sammy"),
    "samantha": ("sam", "sammy"),
    "benjamin": ("ben", "benny"),
    "nicholas": ("nick", "nicky"),
    "nicola": ("nicky", "nikki"),
    "andrew": ("andy", "drew"),
    "david": ("dave", "davy"),
    "stephen": ("steve", "stevie"),
    "steven": ("steve", "stevie"),
    "edward": ("ed", "eddie", "ted", "ned"),
    "alexander": ("alex", "sandy", "xander"),
    "alexandra": ("alex", "sandra", "lexi"),
    "philip": ("phil",),
    "phillip": ("phil",),
    "patrick": ("pat", "paddy"),
    "patricia": ("pat", "patty", "trish", "tricia"),
    "peter": ("pete",),
    "timothy": ("tim", "timmy"),
    "kenneth": ("ken", "kenny"),
    "ronald": ("ron", "ronnie"),
    "donald": ("don", "donny"),
    "raymond": ("ray",),
    "gerald": ("gerry",),
    "gregory": ("greg",),
    "frederick": ("fred", "freddie"),
    "charles": ("charlie", "chas", "chuck"),
    "henry": ("harry", "hal"),
    "harold": ("harry",),
    "leonard": ("len", "lenny", "leo"),
    "lawrence": ("larry", "laurie"),
    "terence": ("terry",),
    "vincent": ("vince", "vinny"),
    "zachary": ("zach", "zack"),
    "joshua": ("josh",),
    "nathan": ("nate",),
    "nathaniel": ("nate", "nat"),
    "jacob": ("jake",),
    "oliver": ("ollie",),
    "gareth": ("gaz",),
    "gary": ("gaz",),
    "barry": ("baz",),
    "darren": ("daz",),
    "sharon": ("shaz",),
    "elizabeth": ("liz", "lizzie", "beth", "betty", "eliza", "libby"),
    "katherine": ("kate", "kathy", "katie", "kat"),
    "catherine": ("cath", "cathy", "kate", "katie", "cat"),
    "kathleen": ("kath", "kathy"),
    "margaret": ("maggie", "meg", "peggy", "maggy"),
    "jennifer": ("jenny", "jen"),
    "rebecca": ("becky", "becca", "bex"),
    "victoria": ("vicky", "vicki", "tori"),
    "susan": ("sue", "susie"),
    "suzanne": ("sue", "suzy"),
    "deborah": ("debbie", "deb", "debs"),
    "jacqueline": ("jackie", "jacqui"),
    "abigail": ("abbie", "abby", "abi"),
    "amanda": ("mandy",),
    "barbara": ("barb", "babs"),
    "dorothy": ("dot", "dottie"),
    "eleanor": ("ellie", "nell"),
    "helen": ("nell",),
    "jessica": ("jess", "jessie"),
    "josephine": ("jo", "josie"),
    "joanne": ("jo",),
    "judith": ("judy",),
    "louise": ("lou",),
    "lucy": ("lu",),
    "pamela": ("pam",),
    "penelope": ("penny",),
    "rosemary": ("rose", "rosie"),
    "sandra": ("sandy",),
    "teresa": ("terri", "tess"),
    "theresa": ("terri", "tess"),
    "valerie": ("val",),
    "wendy": ("wen",),
    "gemma": ("gem",),
    "natalie": ("nat",),
    "natasha": ("tash", "tasha"),
    "charlotte": ("charlie", "lottie"),
    "frances": ("fran",),
    "francis": ("frank",),
    "gillian": ("gill", "jill"),
    # one name in many transliterations: each spelling is a variant of the others
    "mohammed": ("mo", "mohd", "muhammad", "mohammad", "mohamed", "mohamad", "muhammed"),
    "muhammad": ("mo", "mohd"),
    "mohammad": ("mo", "mohd"),
    "mohamed": ("mo", "mohd"),
    "abdulrahman": ("abdul",),
    "abdullah": ("abdul",),
    "ibrahim": ("ibby",),
    "oluwaseun": ("seun",),
    "oluwadamilare": ("dami",),
    "oluwakemi": ("kemi",),
    "oluwatobi": ("tobi",),
    "babatunde": ("tunde",),
    "chukwuemeka": ("emeka",),
    "funmilayo": ("funmi",),
    "katarzyna": ("kasia",),
    "malgorzata": ("gosia",),
    "aleksandra": ("ola",),
    "aleksander": ("olek",),
    "wojciech": ("wojtek",),
    "przemyslaw": ("przemek",),
    "grzegorz": ("grzesiek",),
    "agnieszka": ("aga",),
}


@cache
def _groups() -> dict[str, tuple[str, ...]]:
    out: dict[str, set[str]] = {}
    for formal, informal in VARIANTS.items():
        out.setdefault(formal, set()).add(formal)
        for name in informal:
            out.setdefault(name, set()).add(formal)
    return {name: tuple(sorted(groups)) for name, groups in out.items()}


def forename_groups(forename: str) -> tuple[str, ...]:
    """Return the groups a folded forename belongs to (itself when it has no known variant).

    Examples:
        >>> forename_groups("bill")
        ('william',)
        >>> forename_groups("sam")
        ('samantha', 'samuel')
        >>> forename_groups("zebedee")
        ('zebedee',)
    """
    return _groups().get(forename, (forename,))


def are_variants(a: str, b: str) -> bool:
    """Say whether two folded forenames are the same name or variants of one name."""
    return a == b or bool(set(forename_groups(a)) & set(forename_groups(b)))


def variant_rows() -> list[tuple[str, str]]:
    """(name, group) rows of every known variant, for joining in SQL."""
    return [(name, group) for name, groups in sorted(_groups().items()) for group in groups]


__all__ = ["VARIANTS", "are_variants", "forename_groups", "variant_rows"]
