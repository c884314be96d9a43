"""UK vehicle registration marks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearsight.errors import InvalidValue
from clearsight.ontology.types import get_type
from clearsight.ontology.types.vehicles import (
    CURRENT,
    DATELESS_DIGITS_FIRST,
    DATELESS_LETTERS_FIRST,
    PREFIX,
    SUFFIX,
    format_vrm,
    series,
)

VRM = get_type("vrm")


def test_is_a_pivot() -> None:
    assert VRM.pivot is True


@pytest.mark.parametrize(
    ("raw", "cleaned", "kind"),
    [
        ("AB12 CDE", "AB12CDE", "current"),
        ("ab12cde", "AB12CDE", "current"),
        (" AB-12-CDE ", "AB12CDE", "current"),
        ("AB 12 CDE", "AB12CDE", "current"),
        ("LV71 ZZA", "LV71ZZA", "current"),
        ("AB02 CDE", "AB02CDE", "current"),
        ("A123 BCD", "A123BCD", "prefix"),
        ("a1 bcd", "A1BCD", "prefix"),
        ("Q123 ABC", "Q123ABC", "prefix"),
        ("ABC 123D", "ABC123D", "suffix"),
        ("abc 1y", "ABC1Y", "suffix"),
        ("1 A", "1A", "dateless-reversed"),
        ("ABC 1", "ABC1", "dateless"),
        ("1234 AB", "1234AB", "dateless-reversed"),
        ("AIZ 1234", "AIZ1234", "dateless"),
    ],
)
def test_clean(raw: str, cleaned: str, kind: str) -> None:
    assert VRM.clean(raw) == cleaned
    assert series(cleaned) == kind


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("IB12 CDE", "current series"),  # I never begins a memory tag
        ("QA12 CDE", "current series"),
        ("AZ12 CDE", "current series"),
        ("AB12 CDI", "current series"),  # I never in the random letters
        ("AB12 CQE", "current series"),
        ("AB50 CDE", "current series"),  # no age identifier 50
        ("AB01 CDE", "current series"),
        ("Z123 ABC", "prefix series"),  # Z never a prefix year letter
        ("I123 ABC", "prefix series"),
        ("A123 BCZ", "prefix series"),
        ("ABC 123I", "suffix series"),
        ("ABC 123U", "suffix series"),
        ("A012 BCD", "leading 0"),
        ("AB12 CD", "not a UK"),
        ("ABCD 123", "not a UK"),
        ("123 D 456", "not a UK"),
        ("ABCDEFGH", "2 to 7"),
        ("ÄB12 CDE", "letters and digits"),
        ("AB12*CDE", "letters and digits"),
    ],
)
def test_rejects(raw: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        VRM.clean(raw)
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("cleaned", "display"),
    [
        ("AB12CDE", "AB12 CDE"),
        ("A123BCD", "A123 BCD"),
        ("A1BCD", "A1 BCD"),
        ("ABC123D", "ABC 123D"),
        ("1A", "1 A"),
        ("ABC1", "ABC 1"),
        ("1234AB", "1234 AB"),
    ],
)
def test_format_vrm(cleaned: str, display: str) -> None:
    assert format_vrm(cleaned) == display
    assert VRM.clean(display) == cleaned


_VALID = st.one_of(
    *(
        st.from_regex(p, fullmatch=True)
        for p in (CURRENT, PREFIX, SUFFIX, DATELESS_LETTERS_FIRST, DATELESS_DIGITS_FIRST)
    )
)


@st.composite
def _messy(draw: st.DrawFn, mark: str) -> str:
    out = []
    for char in mark:
        out.append(char.lower() if draw(st.booleans()) else char)
        out.append(draw(st.sampled_from(["", "", " ", "-", "  "])))
    return "".join(out)


@settings(max_examples=500, deadline=None)
@given(st.data(), _VALID)
def test_valid_marks_accepted_and_variants_agree(data: st.DataObject, mark: str) -> None:
    assert VRM.clean(mark) == mark
    assert VRM.clean(format_vrm(mark)) == mark
    assert VRM.clean(mark.lower()) == mark
    assert VRM.clean(data.draw(_messy(mark))) == mark
    assert VRM.clean(VRM.clean(mark)) == mark


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_any_text_is_cleaned_or_refused(text: str) -> None:
    try:
        cleaned = VRM.clean(text)
    except InvalidValue:
        return
    assert VRM.clean(cleaned) == cleaned
    assert series(cleaned) is not None
