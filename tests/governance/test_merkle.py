"""Tests for the RFC 6962 Merkle tree primitives in clearsight.governance.merkle."""

from __future__ import annotations

import base64
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearsight.governance.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MemoryNodeStore,
    MissingNodeError,
    NodeStore,
    ProofError,
    check_consistency,
    check_inclusion,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    nodes_completed_by_append,
    perfect_root,
    root,
    root_from_leaf_hashes,
    subtree_hash,
    verify_consistency,
    verify_inclusion,
)

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "rfc6962_vectors.json").read_text("utf-8")
)


def b64(value: str) -> bytes:
    return base64.b64decode(value)


def leaves(n: int) -> list[bytes]:
    """Distinct leaf hashes for entries 0..n-1."""
    return [leaf_hash(f"entry-{i}".encode()) for i in range(n)]


@cache
def store_of(n: int) -> MemoryNodeStore:
    return MemoryNodeStore.from_leaf_hashes(leaves(n))


# Literal transcriptions of RFC 6962 section 2.1.1 and 2.1.2, over plain lists.


def ref_path(m: int, hashes: list[bytes]) -> list[bytes]:
    n = len(hashes)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return ref_path(m, hashes[:k]) + [root_from_leaf_hashes(hashes[k:])]
    return ref_path(m - k, hashes[k:]) + [root_from_leaf_hashes(hashes[:k])]


def ref_subproof(m: int, hashes: list[bytes], complete: bool) -> list[bytes]:
    n = len(hashes)
    if m == n:
        return [] if complete else [root_from_leaf_hashes(hashes)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return ref_subproof(m, hashes[:k], complete) + [root_from_leaf_hashes(hashes[k:])]
    return ref_subproof(m - k, hashes[k:], False) + [root_from_leaf_hashes(hashes[:k])]


def flip(proof: list[bytes], element: int, bit: int) -> list[bytes]:
    out = list(proof)
    e = bytearray(out[element])
    e[bit // 8] ^= 1 << (bit % 8)
    out[element] = bytes(e)
    return out


# --- hashing -------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS["hasher"], ids=lambda v: v["desc"])
def test_hasher_vectors(vector: dict[str, Any]) -> None:
    if vector["function"] == "empty_root":
        got = EMPTY_ROOT
    elif vector["function"] == "leaf_hash":
        got = leaf_hash(bytes.fromhex(vector["input_hex"]))
    else:
        got = node_hash(bytes.fromhex(vector["left_hex"]), bytes.fromhex(vector["right_hex"]))
    assert got.hex() == vector["want"]


def test_domain_separation() -> None:
    a, b = leaf_hash(b"Hello"), leaf_hash(b"World")
    assert a != b
    assert node_hash(a, b) != leaf_hash(a + b)
    assert node_hash(a, b) != node_hash(b, a)
    assert root_from_leaf_hashes([]) == EMPTY_ROOT != leaf_hash(b"")


# --- node store ------------------------------------------------------------------------------


def test_memory_store_satisfies_protocol() -> None:
    assert isinstance(MemoryNodeStore(), NodeStore)


def test_store_holds_about_two_hashes_per_leaf() -> None:
    for n in (1, 2, 3, 7, 8, 100, 1023, 1024):
        store = store_of(n)
        total = sum(len(level) for level in store.levels)
        assert total == 2 * n - bin(n).count("1")


def test_nodes_completed_by_append_with_external_store() -> None:
    """The append helper drives any keyed store, e.g. a SQL table of (level, index, hash)."""
    table: dict[tuple[int, int], bytes] = {}

    def get(level: int, index: int) -> bytes:
        try:
            return table[(level, index)]
        except KeyError:
            raise MissingNodeError(level, index) from None

    hashes = leaves(37)
    for i, h in enumerate(hashes):
        completed = nodes_completed_by_append(get, i, h)
        assert completed[0] == (0, i, h)
        assert len(completed) == 1 + ((i + 1) & -(i + 1)).bit_length() - 1
        for level, index, value in completed:
            assert (level, index) not in table
            table[(level, index)] = value
    reference = store_of(37)
    for (level, index), value in table.items():
        assert reference.get_node(level, index) == value
        width = 1 << level
        assert value == root_from_leaf_hashes(hashes[index * width : (index + 1) * width])


def test_nodes_completed_by_append_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        nodes_completed_by_append(MemoryNodeStore().get_node, -1, leaf_hash(b"x"))
    with pytest.raises(ValueError):
        nodes_completed_by_append(MemoryNodeStore().get_node, 0, b"short")
    with pytest.raises(MissingNodeError):
        nodes_completed_by_append(MemoryNodeStore().get_node, 1, leaf_hash(b"x"))


def test_store_lookups_and_errors() -> None:
    store = store_of(5)
    assert store.size() == 5
    with pytest.raises(MissingNodeError):
        store.get_node(0, 5)
    with pytest.raises(MissingNodeError):
        store.get_node(3, 0)
    with pytest.raises(ValueError):
        root(store, 6)
    with pytest.raises(ValueError):
        root(store, -1)
    with pytest.raises(ValueError):
        inclusion_proof(store, 5, 5)
    with pytest.raises(ValueError):
        inclusion_proof(store, 0, 0)
    with pytest.raises(ValueError):
        consistency_proof(store, 3, 2)
    with pytest.raises(ValueError):
        consistency_proof(store, 1, 6)
    with pytest.raises(ValueError):
        subtree_hash(store, 1, 3)  # not an RFC 6962 subtree
    with pytest.raises(ValueError):
        subtree_hash(store, 2, 2)


def test_append_entry_and_default_root() -> None:
    store = MemoryNodeStore()
    assert root(store) == EMPTY_ROOT
    assert store.append_entry(b"a") == 0
    assert store.append_entry(b"b") == 1
    assert root(store) == node_hash(leaf_hash(b"a"), leaf_hash(b"b"))


# --- roots and proofs against the reference ---------------------------------------------------


def test_root_matches_reference_for_every_size_up_to_70() -> None:
    hashes = leaves(70)
    store = store_of(70)
    incremental = MemoryNodeStore()
    for size in range(71):
        expected = root_from_leaf_hashes(hashes[:size])
        assert root(store, size) == expected
        assert root(incremental) == expected
        if size < 70:
            incremental.append(hashes[size])


def test_proofs_match_rfc_definitions_and_verify_up_to_40() -> None:
    for size in range(1, 41):
        hashes = leaves(size)
        store = store_of(size)
        tree_root = root(store, size)
        for index in range(size):
            proof = inclusion_proof(store, index, size)
            assert proof == ref_path(index, hashes)
            assert verify_inclusion(hashes[index], index, size, proof, tree_root)
        for old in range(size + 1):
            proof = consistency_proof(store, old, size)
            expected = [] if old in (0, size) else ref_subproof(old, hashes, True)
            assert proof == expected
            assert verify_consistency(old, size, root(store, old), tree_root, proof)


def test_proofs_against_an_earlier_size_use_only_that_prefix() -> None:
    big = store_of(70)
    for size in (1, 5, 16, 33):
        small = store_of(size)
        for index in range(size):
            assert inclusion_proof(big, index, size) == inclusion_proof(small, index, size)
        for old in range(size + 1):
            assert consistency_proof(big, old, size) == consistency_proof(small, old, size)


# --- transparency-dev/merkle vectors -------------------------------------------------------


def reference_store() -> MemoryNodeStore:
    store = MemoryNodeStore()
    for data in VECTORS["reference_tree"]["leaves_hex"]:
        store.append_entry(bytes.fromhex(data))
    return store


def test_reference_tree_roots() -> None:
    store = reference_store()
    for i, expected in enumerate(VECTORS["reference_tree"]["roots_hex"]):
        assert root(store, i + 1).hex() == expected


@pytest.mark.parametrize(
    "vector",
    VECTORS["inclusion_proofs"],
    ids=lambda v: f"{v['leaf_index']}-of-{v['tree_size']}",
)
def test_reference_inclusion_proofs(vector: dict[str, Any]) -> None:
    store = reference_store()
    index, size = vector["leaf_index"], vector["tree_size"]
    proof = inclusion_proof(store, index, size)
    assert [p.hex() for p in proof] == vector["proof_hex"]
    leaf = store.get_node(0, index)
    assert verify_inclusion(leaf, index, size, proof, root(store, size))


@pytest.mark.parametrize(
    "vector",
    VECTORS["consistency_proofs"],
    ids=lambda v: f"{v['size1']}-to-{v['size2']}",
)
def test_reference_consistency_proofs(vector: dict[str, Any]) -> None:
    store = reference_store()
    old, new = vector["size1"], vector["size2"]
    proof = consistency_proof(store, old, new)
    assert [p.hex() for p in proof] == vector["proof_hex"]
    assert verify_consistency(old, new, root(store, old), root(store, new), proof)


@pytest.mark.parametrize(
    "vector", VECTORS["testdata"]["inclusion"], ids=lambda v: v["file"].removeprefix("testdata/")
)
def test_testdata_inclusion(vector: dict[str, Any]) -> None:
    proof = [b64(p) for p in vector["proof"] or []]
    ok = verify_inclusion(
        b64(vector["leafHash"]), vector["leafIdx"], vector["treeSize"], proof, b64(vector["root"])
    )
    assert ok is not vector["wantErr"]


@pytest.mark.parametrize(
    "vector",
    VECTORS["testdata"]["consistency"],
    ids=lambda v: v["file"].removeprefix("testdata/"),
)
def test_testdata_consistency(vector: dict[str, Any]) -> None:
    proof = [b64(p) for p in vector["proof"] or []]
    ok = verify_consistency(
        vector["size1"], vector["size2"], b64(vector["root1"]), b64(vector["root2"]), proof
    )
    assert ok is not vector["wantErr"]


# --- trivial and degenerate cases ------------------------------------------------------------


def test_inclusion_degenerate_cases() -> None:
    h = leaf_hash(b"data")
    assert verify_inclusion(h, 0, 1, [], h)
    assert not verify_inclusion(h, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], h)
    assert not verify_inclusion(b"", 0, 1, [], b"")
    for index, size in ((0, 0), (1, 0), (2, 1), (-1, 1)):
        assert not verify_inclusion(h, index, size, [], EMPTY_ROOT)
        assert not verify_inclusion(h, index, size, [], h)


def test_consistency_degenerate_cases() -> None:
    r1, r2 = leaf_hash(b"1"), leaf_hash(b"2")
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(0, 5, EMPTY_ROOT, r2, [])
    assert verify_consistency(1, 1, r2, r2, [])
    assert not verify_consistency(0, 5, r1, r2, [])  # the empty tree has a known root
    assert not verify_consistency(0, 0, EMPTY_ROOT, r2, [])
    assert not verify_consistency(1, 1, r1, r2, [])
    assert not verify_consistency(1, 0, r1, r2, [])
    assert not verify_consistency(2, 1, r1, r2, [])
    assert not verify_consistency(1, 2, r1, r2, [])
    assert not verify_consistency(0, 1, EMPTY_ROOT, r2, [EMPTY_ROOT])
    assert not verify_consistency(1, 1, r1, r1, [EMPTY_ROOT])
    assert not verify_consistency(1, 1, b"", b"", [])


def test_check_functions_give_reasons() -> None:
    store = store_of(9)
    proof = inclusion_proof(store, 3, 9)
    with pytest.raises(ProofError, match="longer"):
        check_inclusion(store.get_node(0, 3), 3, 9, [*proof, EMPTY_ROOT], root(store, 9))
    with pytest.raises(ProofError, match="shorter"):
        check_inclusion(store.get_node(0, 3), 3, 9, proof[:-1], root(store, 9))
    with pytest.raises(ProofError, match="root"):
        check_inclusion(store.get_node(0, 4), 3, 9, proof, root(store, 9))
    cproof = consistency_proof(store, 3, 9)
    with pytest.raises(ProofError, match="old root"):
        check_consistency(3, 9, root(store, 4), root(store, 9), cproof)
    with pytest.raises(ProofError, match="new root"):
        check_consistency(3, 9, root(store, 3), root(store, 8), cproof)


# --- modified proofs are rejected -------------------------------------------------------------

sizes = st.integers(min_value=1, max_value=70)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), size=sizes)
def test_modified_inclusion_proofs_are_rejected(data: st.DataObject, size: int) -> None:
    store = store_of(70)
    hashes = leaves(70)
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = inclusion_proof(store, index, size)
    tree_root = root(store, size)
    assert verify_inclusion(hashes[index], index, size, proof, tree_root)

    if proof:
        element = data.draw(st.integers(0, len(proof) - 1), label="element")
        bit = data.draw(st.integers(0, 255), label="bit")
        assert not verify_inclusion(
            hashes[index], index, size, flip(proof, element, bit), tree_root
        )
        assert not verify_inclusion(hashes[index], index, size, proof[:-1], tree_root)
        assert not verify_inclusion(hashes[index], index, size, proof[1:], tree_root)
        assert not verify_inclusion(hashes[index], index, size, proof[::-1], tree_root) or (
            proof == proof[::-1]
        )
    extra = data.draw(st.binary(min_size=32, max_size=32), label="extra")
    assert not verify_inclusion(hashes[index], index, size, [*proof, extra], tree_root)
    assert not verify_inclusion(hashes[index], index, size, [extra, *proof], tree_root)

    # Another leaf, or the same leaf claimed at another index, never verifies.
    other = data.draw(st.integers(0, 69), label="other")
    if other != index:
        assert not verify_inclusion(hashes[other], index, size, proof, tree_root)
        if other < size:
            assert not verify_inclusion(hashes[index], other, size, proof, tree_root)
            assert not verify_inclusion(hashes[other], other, size, proof, tree_root)

    # Against another size's root, a proof verifies only if it is that size's proof.
    other_size = data.draw(st.integers(1, 70), label="other_size")
    if other_size != size and index < other_size:
        expected = proof == inclusion_proof(store, index, other_size)
        got = verify_inclusion(hashes[index], index, other_size, proof, root(store, other_size))
        assert got is expected
    assert not verify_inclusion(hashes[index], index, size, proof, leaf_hash(b"wrong"))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), size=sizes)
def test_modified_consistency_proofs_are_rejected(data: st.DataObject, size: int) -> None:
    store = store_of(70)
    old = data.draw(st.integers(1, size), label="old")
    proof = consistency_proof(store, old, size)
    old_root, new_root = root(store, old), root(store, size)
    assert verify_consistency(old, size, old_root, new_root, proof)
    if old == size:
        assert not verify_consistency(old, size, old_root, leaf_hash(b"x"), proof)
        return

    element = data.draw(st.integers(0, len(proof) - 1), label="element")
    bit = data.draw(st.integers(0, 255), label="bit")
    assert not verify_consistency(old, size, old_root, new_root, flip(proof, element, bit))
    assert not verify_consistency(old, size, old_root, new_root, proof[:-1])
    assert not verify_consistency(old, size, old_root, new_root, proof[1:])
    assert not verify_consistency(old, size, old_root, new_root, [])
    extra = data.draw(st.binary(min_size=32, max_size=32), label="extra")
    for longer in ([*proof, extra], [extra, *proof], [*proof, old_root], [new_root, *proof]):
        assert not verify_consistency(old, size, old_root, new_root, longer)
    assert not verify_consistency(old, size, new_root, old_root, proof)
    assert not verify_consistency(old, size, leaf_hash(b"x"), new_root, proof)
    assert not verify_consistency(old, size, old_root, leaf_hash(b"x"), proof)

    # With other sizes (and their true roots) the proof verifies only if it is their proof.
    other_old = data.draw(st.integers(0, 70), label="other_old")
    other_new = data.draw(st.integers(0, 70), label="other_new")
    if (other_old, other_new) != (old, size):
        if other_old <= other_new:
            expected = proof == consistency_proof(store, other_old, other_new)
        else:
            expected = False
        got = verify_consistency(
            other_old, other_new, root(store, other_old), root(store, other_new), proof
        )
        assert got is expected


# --- building the root in runs (used by verification) -------------------------------------


@given(st.lists(st.integers(min_value=0, max_value=70), max_size=6))
@settings(max_examples=200)
def test_compact_range_matches_the_reference_root_for_any_runs(runs: list[int]) -> None:
    all_leaves = leaves(sum(runs))
    tree = CompactRange()
    done = 0
    for run in runs:
        tree.extend(all_leaves[done : done + run])
        done += run
        assert tree.size == done
        assert tree.root() == root_from_leaf_hashes(all_leaves[:done])


@pytest.mark.parametrize(("piece", "total"), [(1, 5), (4, 13), (8, 64), (16, 17)])
def test_compact_ranges_of_aligned_pieces_concatenate(piece: int, total: int) -> None:
    all_leaves = leaves(total)
    whole = CompactRange()
    for start in range(0, total, piece):
        part = CompactRange()
        part.extend(all_leaves[start : start + piece])
        whole.concat(part)
        assert whole.root() == root_from_leaf_hashes(all_leaves[: start + part.size])
    assert whole.size == total


def test_compact_range_refuses_a_misaligned_piece() -> None:
    head, tail = CompactRange(), CompactRange()
    head.extend(leaves(3))
    tail.extend(leaves(2))
    with pytest.raises(ValueError, match="cannot start at leaf 3"):
        head.concat(tail)


def test_perfect_root_needs_a_power_of_two() -> None:
    assert perfect_root(leaves(8)) == root_from_leaf_hashes(leaves(8))
    with pytest.raises(ValueError, match="power-of-two"):
        perfect_root(leaves(6))
