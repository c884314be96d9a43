"""The library-backed property types are registered and keep the contract."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearsight.errors import InvalidValue
from clearsight.ontology.types import REGISTRY, PropertyType, get_type

LIBRARY_TYPES = ["address", "date", "datetime", "email", "name", "phone", "pnc", "postcode", "vrm"]


def test_import_alone_has_no_cycle() -> None:
    for module in [
        "clearsight.ontology.types",
        "clearsight.ontology.types.names",
        "clearsight.ontology.types.pnc",
    ]:
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)


@pytest.mark.parametrize("name", LIBRARY_TYPES)
def test_registered(name: str) -> None:
    kind = get_type(name)
    assert isinstance(kind, PropertyType)
    assert kind.name == name
    assert REGISTRY[name] is kind


def test_pivots() -> None:
    pivots = {name for name in LIBRARY_TYPES if get_type(name).pivot}
    assert {"phone", "vrm"} <= pivots
    assert not {"name", "date", "datetime", "address", "postcode"} & pivots


_ANY = st.one_of(
    st.text(),
    st.integers(),
    st.floats(),
    st.none(),
    st.booleans(),
    st.binary().map(lambda b: b.decode("latin-1")),
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(LIBRARY_TYPES), _ANY)
def test_only_invalid_value_escapes(name: str, value: object) -> None:
    kind = get_type(name)
    try:
        cleaned = kind.clean(value)
    except InvalidValue as error:
        assert error.type_name == name
        return
    assert isinstance(cleaned, str) and cleaned
    assert kind.clean(cleaned) == cleaned
    assert isinstance(kind.match_key(cleaned), str)
