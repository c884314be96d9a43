"""Person names: one display form however a source wrote the name, and a folded key to match on.

Sources write the same person as ``SMITH, John``, ``Mr john smith`` or ``John  Smith``.
Cleaning gives one display form (``John Smith``) that keeps diacritics and deliberate
capitalisation such as ``McDonald`` or ``DeVito``; the match key folds case, diacritics and
punctuation so that ``José O'Brien`` and ``JOSE OBRIEN`` compare equal.

Rules, in order:

* ``SURNAME, Forenames`` becomes ``Forenames Surname`` (a third comma part is kept only when
  it is a suffix such as ``Jr``; otherwise commas are read as spaces).
* Full stops are dropped (``J.R. Smith`` becomes ``J R Smith``); apostrophes and dashes are
  normalised to ``'`` and ``-``; white space is collapsed.
* Leading titles (Mr, Mrs, Ms, Dr, Prof, Sir, Rev, ...) are removed, as are trailing honours
  and post-nominals (Esq, OBE, QC, PhD, ...). Generational suffixes (Jr, Sr, II, III) tell
  people apart, so they are kept, written as ``Jr``, ``Sr`` or in capitals.
* Words are re-cased: ``o'brien`` becomes ``O'Brien``, ``mcdonald`` becomes ``McDonald``,
  ``SMITH-JONES`` becomes ``Smith-Jones``. Particles inside a name (``van``, ``der``, ``de``,
  ``bin`` ...) written all in capitals or all in lower case become lower case; written
  ``Van`` they are kept. Words with a capital after their first letter (``MacLeod``) are
  kept as written.
* A value with no letters, with digits, or with characters that do not belong in a name
  (``@``, ``/``, brackets ...) is refused.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import jellyfish

from clearsight.errors import InvalidValue
from clearsight.ontology.types.base import PropertyType, collapse_space

TYPE_NAME = "name"

TITLES = frozenset(
    {
        "mr", "mrs", "ms", "miss", "mx", "master", "madam", "dr", "doctor", "prof", "professor",
        "sir", "dame", "lord", "lady", "rev", "revd", "reverend", "fr", "father", "canon",
        "rabbi", "imam", "cllr", "councillor", "hon", "capt", "captain", "col", "colonel",
        "maj", "major", "lt", "lieut", "sgt", "sergeant", "insp", "inspector", "det", "supt",
    }
)  # fmt: skip
"""Words removed from the start of a name (compared without case or full stops)."""

POST_NOMINALS = frozenset(
    {
        "esq", "esquire", "obe", "mbe", "cbe", "kbe", "dbe", "qc", "kc", "mp", "msp", "jp",
        "phd", "dphil", "bsc", "msc", "frcs",
    }
)  # fmt: skip
"""Honours and qualifications removed from the end of a name."""

GENERATIONAL = {"jr": "Jr", "jnr": "Jr", "junior": "Jr", "sr": "Sr", "snr": "Sr", "senior": "Sr",
                "ii": "II", "iii": "III", "iv": "IV"}  # fmt: skip
"""Suffixes that distinguish relatives; kept, in these spellings."""

PARTICLES = frozenset(
    {
        "van", "von", "der", "den", "de", "del", "della", "di", "da", "das", "dos", "du",
        "la", "le", "ter", "ten", "bin", "binti", "bint", "ibn", "al", "el", "zu",
    }
)  # fmt: skip
"""Words written in lower case when they fall inside a name (``Jan van der Berg``)."""

MAC_SURNAMES = frozenset(
    {
        "macarthur", "macaulay", "macdonald", "macdougall", "macfarlane", "macgregor",
        "macinnes", "macintyre", "maciver", "mackay", "mackenzie", "mackinnon", "maclean",
        "maclennan", "macleod", "macmillan", "macneil", "macpherson", "macrae",
    }
)  # fmt: skip
"""Common ``Mac`` surnames given a capital after ``Mac``; other ``Mac...`` words
(``Mack``, ``Machin``) are left as ordinary words."""

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_DASHES = re.compile(r"\s*[\u2010\u2011\u2012\u2013\u2014\u2212-]+\s*")
_ALLOWED_PUNCTUATION = frozenset(" -',.")
_PLAIN_NAME = re.compile(r"[A-Za-z\- ',.]+")
_PUNCTUATION_TO_SPACE = str.maketrans(
    dict.fromkeys("-',.\u2010\u2011\u2012\u2013\u2014\u2212", " ")
)
_REPEATED_APOSTROPHE = re.compile(r"'{2,}")
_REPEATED_DASH = re.compile(r"-(?:'*-)+")
_ASCII_FOLD = str.maketrans(
    {"ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe",
     "ß": "ss", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "ı": "i"}
)  # fmt: skip
_KEY_JOINERS = frozenset("'")


def _upper(char: str) -> str:
    up = char.upper()
    return up if len(up) == 1 else char


def _lower(char: str) -> str:
    low = char.lower()
    return low if len(low) == 1 else char


def lower_word(word: str) -> str:
    """Lower-case ``word`` one character at a time, so its length never changes."""
    low = word.lower()
    if len(low) == len(word):
        return low
    return "".join(_lower(c) for c in word)


def capitalise(word: str) -> str:
    """Upper-case the first character of ``word`` and lower-case the rest, length kept."""
    if not word:
        return word
    return _upper(word[0]) + lower_word(word[1:])


def is_deliberately_cased(word: str) -> bool:
    """Say whether ``word`` has a capital after its first letter but is not all capitals.

    Such words (``McDonald``, ``DeVito``) were written with care and are kept as they are.
    """
    if word.islower() or word.isupper():
        return False
    start = 0
    while start < len(word) and not word[start].isalpha():
        start += 1
    rest = word[start + 1 :]
    return rest.lower() != rest


def _case_piece(piece: str) -> str:
    """Case one hyphen-free piece of a word, such as ``o'brien`` or ``mcdonald``."""
    if "'" in piece:
        head, _, tail = piece.partition("'")
        if len(head) == 1 and tail:
            # O'Brien, D'Arcy; a longer head (Bishop's) keeps the tail in lower case
            return capitalise(head) + "'" + _case_piece(tail)
        return capitalise(head) + "'" + lower_word(tail)
    low = lower_word(piece)
    if low.startswith("mc") and len(low) > 3 and low.isascii():
        return "Mc" + capitalise(piece[2:])
    if low in MAC_SURNAMES:
        return "Mac" + capitalise(piece[3:])
    return capitalise(piece)


@lru_cache(maxsize=1 << 16)
def title_case_word(word: str) -> str:
    """Re-case one word of a name: hyphenated parts and ``O'``/``Mc`` prefixes included.

    Words written with a deliberate inner capital are returned unchanged.

    Args:
        word: one space-free word.

    Returns:
        The word in conventional name case.

    Examples:
        >>> title_case_word("SMITH-JONES")
        'Smith-Jones'
        >>> title_case_word("o'brien")
        "O'Brien"
    """
    if is_deliberately_cased(word):
        return word
    return "-".join(_case_piece(piece) for piece in word.split("-"))


def _bare(word: str) -> str:
    return lower_word(word.replace(".", ""))


def _swap_comma_form(text: str) -> str:
    parts = [p.strip() for p in text.split(",")]
    parts = [p for p in parts if p]
    if len(parts) == 2:
        return f"{parts[1]} {parts[0]}"
    if len(parts) > 2 and all(
        _bare(w) in GENERATIONAL or _bare(w) in POST_NOMINALS for p in parts[2:] for w in p.split()
    ):
        return " ".join([parts[1], parts[0], *parts[2:]])
    return " ".join(parts)


def _words(value: object, text: str) -> list[str]:
    """Split raw name text into words with titles and honours removed, not yet re-cased."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = text.translate(_APOSTROPHES)
    letters_only = "".join(text.translate(_PUNCTUATION_TO_SPACE).split())
    if _PLAIN_NAME.fullmatch(text) or letters_only.isalpha():
        if not letters_only:
            raise InvalidValue(TYPE_NAME, value, "a name needs letters")
    else:
        for char in text:
            if char.isdigit():
                raise InvalidValue(TYPE_NAME, value, "a name has no digits")
            if not (char.isalpha() or unicodedata.category(char).startswith("M")) and (
                char not in _ALLOWED_PUNCTUATION
                and not char.isspace()
                and not _DASHES.fullmatch(char)
            ):
                raise InvalidValue(TYPE_NAME, value, f"unexpected character {char!r} in a name")
        if not any(c.isalpha() for c in text):
            raise InvalidValue(TYPE_NAME, value, "a name needs letters")
    if "," in text:
        text = _swap_comma_form(text)
    if "-" in text or not text.isascii():
        text = _DASHES.sub("-", text)
    text = text.replace(".", " ")
    words = []
    for raw in collapse_space(text).split(" "):
        word = raw.strip("-'")
        if "'" in word or "-" in word:
            word = _REPEATED_DASH.sub("-", _REPEATED_APOSTROPHE.sub("'", word))
        if word and (word.isalpha() or any(c.isalpha() for c in word)):
            words.append(word)
    while len(words) > 1 and _bare(words[0]) in TITLES:
        words.pop(0)
    while len(words) > 1 and _bare(words[-1]) in POST_NOMINALS:
        words.pop()
    if not words:
        raise InvalidValue(TYPE_NAME, value, "a name needs letters")
    return words


def _case_words(words: list[str]) -> list[str]:
    out = []
    last = len(words) - 1
    for i, word in enumerate(words):
        bare = _bare(word)
        if i > 0 and bare in GENERATIONAL and (i == last or _bare(words[i + 1]) in GENERATIONAL):
            out.append(GENERATIONAL[bare])
        elif 0 < i < last and bare in PARTICLES and (word.islower() or word.isupper()):
            out.append(lower_word(word))
        else:
            out.append(title_case_word(word))
    return out


def clean_name(value: object, text: str) -> str:
    """Return the display form of the person name ``text``.

    Args:
        value: the raw value, quoted in any error.
        text: the value as trimmed text.

    Returns:
        The cleaned name, for example ``"John Smith"`` for ``"SMITH, Mr John"``.

    Raises:
        InvalidValue: the text has no letters, has digits or has characters foreign to names.
    """
    return " ".join(_case_words(_words(value, text)))


def fold(text: str) -> str:
    """Fold ``text`` to a match key: no diacritics, no case, punctuation as spaces.

    Latin letters fold to lower-case ASCII (``ø`` to ``o``, ``ß`` to ``ss``). Letters of
    other scripts have no ASCII spelling and are kept case-folded, so that names written
    in them do not all collapse to the same empty key. Apostrophes join (``O'Brien`` gives
    ``obrien``); other punctuation separates words.
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_FOLD))
    chars = []
    for char in decomposed:
        if unicodedata.category(char).startswith("M") or char in _KEY_JOINERS:
            continue
        if char in "\u2019\u02bc":
            continue
        chars.append(char if char.isalnum() else " ")
    folded = "".join(chars).translate(_ASCII_FOLD).casefold()
    return collapse_space(folded)


def phonetic(token: str) -> str:
    """The Metaphone code of a folded name token ('' when it has none).

    Search indexes every name token under its code, so a spelling that sounds the same
    (``smyth``, ``smith``) meets it; the index's migrations use the same function.
    """
    try:
        return jellyfish.metaphone(token)
    except (ValueError, IndexError):
        return ""


def name_key(text: str) -> str:
    """Give the match key for a name written any way, for resolution and search.

    Text that cleans as a name is cleaned first (so ``SMITH, Mr John`` and ``john smith``
    share a key); anything else is simply folded.

    Args:
        text: a name, or any text to compare with names.

    Returns:
        A lower-case key with diacritics, case and punctuation folded away.

    Examples:
        >>> name_key("SMITH, Mr José")
        'jose smith'
    """
    try:
        return fold(clean_name(text, collapse_space(str(text))))
    except InvalidValue:
        return fold(str(text))


def split_name(cleaned: str) -> tuple[str, str]:
    """Split a cleaned name into forenames and surname.

    The surname is the last word, together with any lower-case particles before it
    (``van der Berg``); a trailing generational suffix stays with the forenames' person
    but not in the surname, so ``John Smith Jr`` gives ``("John", "Smith")``.

    Args:
        cleaned: a value returned by ``clean`` for the name type.

    Returns:
        ``(forenames, surname)``; forenames is empty for a one-word name.

    Examples:
        >>> split_name("Jan van der Berg")
        ('Jan', 'van der Berg')
    """
    words = cleaned.split()
    while len(words) > 1 and words[-1] in GENERATIONAL.values():
        words.pop()
    if not words:
        return "", ""
    start = len(words) - 1
    while start > 1 and lower_word(words[start - 1]) in PARTICLES:
        start -= 1
    return " ".join(words[:start]), " ".join(words[start:])


class NameType(PropertyType):
    """A person's name; see the module docstring for the rules."""

    name = TYPE_NAME

    def clean(self, value: object, *, fmt: str | None = None, values: Sequence[str] = ()) -> str:
        """Return the display form of a person name.

        Raises:
            InvalidValue: the value is not a plausible name.
        """
        return clean_name(value, self._text(value))

    def match_key(self, cleaned: str) -> str:
        """Return the folded, lower-case key of a cleaned name."""
        return fold(cleaned)


NAME = NameType()

__all__ = [
    "NAME",
    "NameType",
    "capitalise",
    "clean_name",
    "fold",
    "is_deliberately_cased",
    "lower_word",
    "name_key",
    "phonetic",
    "split_name",
    "title_case_word",
]

from clearsight.ontology.types import register  # noqa: E402

register(NAME)
