"""Person names: display form, match key, helpers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearsight.errors import InvalidValue
from clearsight.ontology.types import get_type, normalise
from clearsight.ontology.types.names import name_key, split_name, title_case_word

NAME = get_type("name")


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("John Smith", "John Smith"),
        ("  john   smith ", "John Smith"),
        ("SMITH, John", "John Smith"),
        ("SMITH, Mr John", "John Smith"),
        ("Mrs. Jane SMITH", "Jane Smith"),
        ("Dr José GARCÍA", "José García"),
        ("john o'brien", "John O'Brien"),
        ("D\u2019ARCY, fitzwilliam", "Fitzwilliam D'Arcy"),
        ("MCDONALD, ronald", "Ronald McDonald"),
        ("ANGUS MACLEOD", "Angus MacLeod"),
        ("Gordon Mack", "Gordon Mack"),
        ("mary smith-jones", "Mary Smith-Jones"),
        ("mary smith - jones", "Mary Smith-Jones"),
        ("VAN DER BERG, Jan", "Jan van der Berg"),
        ("Ludwig Van Beethoven", "Ludwig Van Beethoven"),
        ("Danny DeVito", "Danny DeVito"),
        ("J.R.R. TOLKIEN", "J R R Tolkien"),
        ("Sir Ian McKellen KBE", "Ian McKellen"),
        ("john smith jnr", "John Smith Jr"),
        ("Smith, John, Jr", "John Smith Jr"),
        ("Rev Richard Coles", "Richard Coles"),
        ("John Major", "John Major"),
        ("Jack Ma", "Jack Ma"),
        ("Dr", "Dr"),
        ("ZOË BJØRNSTAD", "Zoë Bjørnstad"),
    ],
)
def test_clean(raw: str, cleaned: str) -> None:
    assert NAME.clean(raw) == cleaned
    assert normalise("name", raw) == cleaned


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("John 2", "digits"),
        ("R2D2", "digits"),
        ("@@", "unexpected character"),
        ("john@example.org", "unexpected character"),
        ("Smith (aka Jones)", "unexpected character"),
        ("- ' ,", "letters"),
        ("", "empty"),
        (None, "no value"),
    ],
)
def test_rejects(raw: object, reason: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        NAME.clean(raw)
    assert reason in caught.value.reason
    assert caught.value.type_name in ("name",)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("José O'Brien", "JOSE OBRIEN"),
        ("Zoë Bjørnstad", "zoe bjornstad"),
        ("Mary Smith-Jones", "mary smith jones"),
        ("SMITH, Mr John", "john smith"),
        ("Straße", "strasse"),
    ],
)
def test_match_key_folds(a: str, b: str) -> None:
    assert NAME.match_key(NAME.clean(a)) == NAME.match_key(NAME.clean(b))
    assert name_key(a) == name_key(b)


def test_match_key_is_lower_ascii_for_latin_names() -> None:
    key = NAME.match_key(NAME.clean("Ægir Łukasz Ðorđević-Œuvre"))
    assert key == "aegir lukasz dordevic oeuvre"
    assert key.isascii()


def test_match_key_keeps_other_scripts() -> None:
    assert NAME.match_key(NAME.clean("ИВАН ПЕТРОВ")) == "иван петров"
    assert NAME.match_key(NAME.clean("Иван Петров")) != NAME.match_key(NAME.clean("Ольга Петрова"))


def test_name_key_accepts_any_text() -> None:
    assert name_key("SMITH, Mr José") == "jose smith"
    assert name_key("smith 123!") == "smith 123"


@pytest.mark.parametrize(
    ("cleaned", "parts"),
    [
        ("John Smith", ("John", "Smith")),
        ("John Paul Smith", ("John Paul", "Smith")),
        ("Jan van der Berg", ("Jan", "van der Berg")),
        ("Ludwig Van Beethoven", ("Ludwig", "Van Beethoven")),
        ("John Smith Jr", ("John", "Smith")),
        ("Madonna", ("", "Madonna")),
    ],
)
def test_split_name(cleaned: str, parts: tuple[str, str]) -> None:
    assert split_name(cleaned) == parts


def test_title_case_word() -> None:
    assert title_case_word("SMITH-JONES") == "Smith-Jones"
    assert title_case_word("o'brien") == "O'Brien"
    assert title_case_word("McKenzie") == "McKenzie"


_LETTERS = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéèüöçñøåßÉÖ"))
_WORD = st.lists(_LETTERS, min_size=1, max_size=10).map("".join)
_PREFIXED = st.tuples(st.sampled_from(["", "o'", "mc", "d'", "mac"]), _WORD).map("".join)
_NAME = st.lists(
    st.one_of(_PREFIXED, st.tuples(_WORD, _WORD).map("-".join)), min_size=1, max_size=4
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(_NAME, st.sampled_from([str.upper, str.lower, str.title, lambda s: s]))
def test_idempotent_on_names(name: str, variant: object) -> None:
    raw = variant(name)  # type: ignore[operator]
    cleaned = NAME.clean(raw)
    assert NAME.clean(cleaned) == cleaned
    assert NAME.match_key(cleaned) == NAME.match_key(NAME.clean(name.lower()))


@settings(max_examples=200, deadline=None)
@given(_NAME, _NAME)
def test_comma_form_equals_written_form(forenames: str, surname: str) -> None:
    written = NAME.clean(f"{forenames} {surname}")
    reversed_form = NAME.clean(f"{surname.upper()}, {forenames}")
    assert NAME.match_key(written) == NAME.match_key(reversed_form)


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_any_text_is_cleaned_or_refused(text: str) -> None:
    try:
        cleaned = NAME.clean(text)
    except InvalidValue:
        return
    assert NAME.clean(cleaned) == cleaned
    NAME.match_key(cleaned)
