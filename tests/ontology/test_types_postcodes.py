"""UK postcodes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearsight.errors import InvalidValue
from clearsight.ontology.types import get_type
from clearsight.ontology.types.postcodes import POSTCODE_PATTERN, area, inward, outward

POSTCODE = get_type("postcode")


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("ls14ap", "LS1 4AP"),
        ("LS1 4AP", "LS1 4AP"),
        ("  ls1   4ap ", "LS1 4AP"),
        ("m11ae", "M1 1AE"),
        ("m601nw", "M60 1NW"),
        ("cr26xh", "CR2 6XH"),
        ("dn551pt", "DN55 1PT"),
        ("w1a1aa", "W1A 1AA"),
        ("ec1a 1bb", "EC1A 1BB"),
        ("SW1A1AA", "SW1A 1AA"),
        ("gir0aa", "GIR 0AA"),
        ("BT1 1AA", "BT1 1AA"),
    ],
)
def test_clean(raw: str, cleaned: str) -> None:
    assert POSTCODE.clean(raw) == cleaned
    assert POSTCODE.match_key(cleaned) == cleaned


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("LS1", "5 to 7"),
        ("LS1 4AP X", "not a UK postcode"),
        ("LS1 4AP XY", "5 to 7"),
        ("12345", "not a UK postcode"),
        ("LSI 4AP", "not a UK postcode"),
        ("QS1 4AP", "letters never issued"),  # Q never first
        ("AJ1 4AP", "letters never issued"),  # J never second
        ("W1Z 1AA", "letters never issued"),  # Z not a district letter in A9A
        ("LS1 4CP", "letters never issued"),  # C never in the inward code
        ("LS1-4AP", "not a UK postcode"),
        ("ŁS1 4AP", "only letters and digits"),
        ("", "empty"),
    ],
)
def test_rejects(raw: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        POSTCODE.clean(raw)
    assert reason in caught.value.reason


def test_parts() -> None:
    assert outward("LS1 4AP") == "LS1"
    assert inward("LS1 4AP") == "4AP"
    assert area("LS1 4AP") == "LS"
    assert area("M60 1NW") == "M"


_VALID = st.from_regex(POSTCODE_PATTERN, fullmatch=True)


@settings(max_examples=500, deadline=None)
@given(_VALID, st.sampled_from(["", " ", "  "]))
def test_valid_postcodes_accepted_and_variants_agree(postcode: str, gap: str) -> None:
    cleaned = POSTCODE.clean(postcode)
    compact = postcode.replace(" ", "")
    assert cleaned.replace(" ", "") == compact
    assert POSTCODE.clean(compact.lower()) == cleaned
    assert POSTCODE.clean(compact[:-3] + gap + compact[-3:]) == cleaned
    assert POSTCODE.clean(f"  {cleaned.lower()} ") == cleaned
    assert POSTCODE.clean(cleaned) == cleaned
    assert outward(cleaned) + " " + inward(cleaned) == cleaned


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_any_text_is_cleaned_or_refused(text: str) -> None:
    try:
        cleaned = POSTCODE.clean(text)
    except InvalidValue:
        return
    assert POSTCODE.clean(cleaned) == cleaned
