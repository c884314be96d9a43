"""Free-text UK addresses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearsight.errors import InvalidValue
from clearsight.ontology.types import get_type
from clearsight.ontology.types.addresses import address_key, extract_postcode

ADDRESS = get_type("address")


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("12 HIGH STREET, LEEDS, LS1 4AP", "12 High Street, Leeds, LS1 4AP"),
        ("12a high st,, leeds ls14ap", "12A High St, Leeds LS1 4AP"),
        ("  12  High   Street ,Leeds  ", "12 High Street, Leeds"),
        (
            "Flat 3, 1st floor\n22 STRATFORD-UPON-AVON ROAD\nNewcastle upon Tyne\nne1 1aa",
            "Flat 3, 1st Floor, 22 Stratford-upon-Avon Road, Newcastle upon Tyne, NE1 1AA",
        ),
        ("1 the green, st albans", "1 The Green, St Albans"),
        ("the old rectory, church lane", "The Old Rectory, Church Lane"),
        ("po box 12, london sw1a1aa, uk", "PO Box 12, London SW1A 1AA, UK"),
        ("MCDONALD HOUSE, BISHOP'S STORTFORD", "McDonald House, Bishop's Stortford"),
        ("(rear) 12 o'connell st", "(Rear) 12 O'Connell St"),
        ("unit 4, a1 trading estate", "Unit 4, A1 Trading Estate"),
        ("12 High St, Leeds LS1 4CP", "12 High St, Leeds LS1 4CP"),
        ("1 park row, leeds ls14ap, england", "1 Park Row, Leeds LS1 4AP, England"),
    ],
)
def test_clean(raw: str, cleaned: str) -> None:
    assert ADDRESS.clean(raw) == cleaned
    assert ADDRESS.clean(cleaned) == cleaned


@pytest.mark.parametrize("raw", ["", "   ", " , ,, ", "!!!", None])
def test_rejects(raw: object) -> None:
    with pytest.raises(InvalidValue):
        ADDRESS.clean(raw)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("12 High St, Leeds", "12 HIGH STREET LEEDS"),
        ("4 Acacia Ave", "4 acacia avenue"),
        ("Flat 2, 7 Mill Ln", "flat 2 7 mill lane"),
        ("9 Oak Dr.", "9 Oak Drive"),
        ("St Albans Rd", "Saint Albans Road"),
        ("12 St John's Rd", "12 Saint Johns Road"),
        ("Smith & Sons, 3 Park Pl", "smith and sons 3 park place"),
        ("1 Rue de l'Église", "1 RUE DE L'EGLISE"),
    ],
)
def test_match_key(a: str, b: str) -> None:
    assert ADDRESS.match_key(ADDRESS.clean(a)) == address_key(b)


def test_match_key_example() -> None:
    assert ADDRESS.match_key(ADDRESS.clean("12a HIGH ST,, LEEDS ls14ap")) == (
        "12a high street leeds ls1 4ap"
    )


@pytest.mark.parametrize(
    ("text", "postcode"),
    [
        ("1 Park Row, Leeds ls14ap", "LS1 4AP"),
        ("1 Park Row, Leeds LS1 4AP, UK", "LS1 4AP"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("1 Park Row, Leeds", None),
        ("1 Park Row, Leeds LS1 4CP", None),
        ("Flat A1 2BD House", "A1 2BD"),
    ],
)
def test_extract_postcode(text: str, postcode: str | None) -> None:
    assert extract_postcode(text) == postcode


_STREETS = st.sampled_from(
    ["high street", "HIGH ST", "Church Lane", "mill rd", "the green", "acacia avenue"]
)
_TOWNS = st.sampled_from(
    ["leeds", "LONDON", "Newcastle upon Tyne", "st albans", "bishop's stortford"]
)
_POSTCODES = st.sampled_from(["ls14ap", "LS1 4AP", "sw1a 1aa", "M60 1NW", ""])


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 500),
    st.sampled_from(["", "a", "B"]),
    _STREETS,
    _TOWNS,
    _POSTCODES,
    st.sampled_from([", ", ",", " , ", "\n", ",, "]),
)
def test_generated_addresses_idempotent(
    number: int, letter: str, street: str, town: str, postcode: str, sep: str
) -> None:
    raw = f"{number}{letter} {street}{sep}{town} {postcode}"
    cleaned = ADDRESS.clean(raw)
    assert ADDRESS.clean(cleaned) == cleaned
    assert ADDRESS.match_key(cleaned) == ADDRESS.match_key(ADDRESS.clean(raw.upper()))
    if postcode:
        assert cleaned.endswith(extract_postcode(raw) or "?")


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_any_text_is_cleaned_or_refused(text: str) -> None:
    try:
        cleaned = ADDRESS.clean(text)
    except InvalidValue:
        return
    assert ADDRESS.clean(cleaned) == cleaned
    ADDRESS.match_key(cleaned)
