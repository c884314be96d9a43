"""RFC 6962 Merkle tree hashing, proofs and proof verification for the audit log.

The audit log commits every entry to a Merkle tree as defined in RFC 6962 section 2.1
(carried forward unchanged by RFC 9162 section 2.1)::

    leaf hash   = SHA-256(0x00 || entry bytes)
    node hash   = SHA-256(0x01 || left || right)
    empty tree  = SHA-256("")

The tree of ``n`` leaves splits at ``k``, the largest power of two smaller than ``n``, so
its left half is always a *perfect* subtree of ``k`` leaves.  Every hash a proof needs can
therefore be assembled from perfect subtrees identified by ``(level, index)``: the subtree
of ``2**level`` leaves starting at leaf ``index * 2**level``.  Level 0 holds the leaf hashes
themselves.

Storage is abstracted by the :class:`NodeStore` protocol.  A perfect subtree is complete,
and never changes again, once its last leaf is appended; :func:`nodes_completed_by_append`
lists the nodes that an append completes, so a store keeps about ``2 * n`` hashes and any
root or proof needs ``O(log n)`` lookups (``O(log**2 n)`` in the worst case for the
right-hand border of a tree whose size is not a power of two).  :class:`MemoryNodeStore` is
the in-memory implementation; a SQL table keyed by ``(level, index)`` works the same way.

Verification (:func:`verify_inclusion`, :func:`verify_consistency`) follows the iterative
algorithms of RFC 9162 sections 2.1.3.2 and 2.1.4.2 and needs nothing but the proof, the
sizes and the hashes.  The ``check_*`` variants raise :class:`ProofError` with a reason
instead of returning ``False``.

Example:
    >>> store = MemoryNodeStore()
    >>> for entry in (b"a", b"b", b"c"):
    ...     _ = store.append_entry(entry)
    >>> proof = inclusion_proof(store, 1, 3)
    >>> verify_inclusion(leaf_hash(b"b"), 1, 3, proof, root(store, 3))
    True
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, runtime_checkable

from clearsight.errors import IntegrityError

HASH_SIZE = 32
"""Length in bytes of every hash in the tree (SHA-256)."""

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""Root hash of the tree with no leaves: SHA-256 of the empty string."""

_HASH_DIGEST = type(hashlib.sha256()).digest
_NODE_INPUT = NODE_PREFIX + b"%b%b"

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "MemoryNodeStore",
    "MissingNodeError",
    "Node",
    "NodeGetter",
    "NodeStore",
    "ProofError",
    "check_consistency",
    "check_inclusion",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "leaf_hashes",
    "node_hash",
    "nodes_completed_by_append",
    "perfect_root",
    "root",
    "root_from_leaf_hashes",
    "subtree_hash",
    "verify_consistency",
    "verify_inclusion",
]


class ProofError(IntegrityError):
    """A Merkle proof did not verify; the message says why."""


class MissingNodeError(LookupError):
    """A node store has no hash for the requested perfect subtree."""

    def __init__(self, level: int, index: int) -> None:
        super().__init__(f"no node at level {level}, index {index}")
        self.level = level
        self.index = index


Node = tuple[int, int, bytes]
"""``(level, index, hash)`` of a perfect subtree: ``2**level`` leaves from ``index * 2**level``."""


NodeGetter = Callable[[int, int], bytes]
"""``get(level, index) -> hash`` of a stored perfect subtree."""


@runtime_checkable
class NodeStore(Protocol):
    """Read access to the hashes of completed perfect subtrees.

    Implementations must hold every node listed by :func:`nodes_completed_by_append` for
    each appended leaf.  Only nodes whose leaves all lie below :meth:`size` are ever asked
    for.
    """

    def size(self) -> int:
        """Return the number of leaves appended so far."""
        ...

    def get_node(self, level: int, index: int) -> bytes:
        """Return the hash of the perfect subtree at ``(level, index)``.

        Args:
            level: Height of the subtree; it covers ``2**level`` leaves.
            index: Position of the subtree among those of the same level.

        Returns:
            The 32-byte subtree hash (the leaf hash when ``level`` is 0).

        Raises:
            MissingNodeError: The node has not been completed or stored.
        """
        ...


def leaf_hashes(entries: Iterable[bytes]) -> list[bytes]:
    """Hash many log entries as leaves (see :func:`leaf_hash`), without a Python loop.

    Args:
        entries: The canonical bytes of each entry.

    Returns:
        Their 32-byte leaf hashes, in order.
    """
    return list(map(_HASH_DIGEST, map(hashlib.sha256, map(LEAF_PREFIX.__add__, entries))))


def leaf_hash(data: bytes) -> bytes:
    """Hash one log entry as a leaf: ``SHA-256(0x00 || data)``.

    Args:
        data: The canonical bytes of the entry.

    Returns:
        The 32-byte leaf hash.
    """
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash two child hashes into their parent: ``SHA-256(0x01 || left || right)``.

    Args:
        left: Hash of the left child.
        right: Hash of the right child.

    Returns:
        The 32-byte interior node hash.
    """
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """Return the largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise ValueError(f"{what} must be {HASH_SIZE} bytes")


def root_from_leaf_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """Compute the Merkle Tree Hash ``MTH(D[n])`` straight from the RFC 6962 definition.

    This is the reference implementation (``O(n)`` hashing, no stored nodes) that the
    node-store based functions are tested against.

    Args:
        leaf_hashes: The leaf hashes ``leaf_hash(d(i))`` in log order.

    Returns:
        The root hash; :data:`EMPTY_ROOT` for an empty sequence.
    """

    def mth(start: int, end: int) -> bytes:
        n = end - start
        if n == 1:
            return leaf_hashes[start]
        k = _largest_power_of_two_below(n)
        return node_hash(mth(start, start + k), mth(start + k, end))

    if len(leaf_hashes) == 0:
        return EMPTY_ROOT
    return mth(0, len(leaf_hashes))


def perfect_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return the root of a perfect subtree, level by level.

    Args:
        leaf_hashes: The leaf hashes of the subtree; their number is a power of two.

    Returns:
        The subtree hash (the leaf hash itself for a single leaf).

    Raises:
        ValueError: The number of hashes is not a power of two.
    """
    n = len(leaf_hashes)
    if n == 0 or n & (n - 1):
        raise ValueError(f"a perfect subtree has a power-of-two number of leaves, not {n}")
    # map() over C methods: no Python bytecode per node, which is most of the cost here;
    # one format builds each node's input (prefix, left, right) in a single allocation
    sha, digest, node_input = hashlib.sha256, _HASH_DIGEST, _NODE_INPUT.__mod__
    level = list(leaf_hashes)
    while len(level) > 1:
        level = list(map(digest, map(sha, map(node_input, zip(level[0::2], level[1::2], strict=True)))))
    return level[0]


class CompactRange:
    """The tree of a growing log held as its completed perfect subtrees, left to right.

    This is the compact range ``[0, size)`` of RFC 9162 terms: at most ``log2(size) + 1``
    hashes, from which the root of the tree so far is folded.  Leaves are added in runs;
    each run is split into the largest aligned perfect subtrees, hashed level by level
    (see :func:`perfect_root`), so the cost is the ``n - 1`` interior hashes of the tree
    with little per-leaf bookkeeping.

    Example:
        >>> leaves = [leaf_hash(bytes([i])) for i in range(7)]
        >>> tree = CompactRange()
        >>> tree.extend(leaves[:3])
        >>> tree.extend(leaves[3:])
        >>> tree.root() == root_from_leaf_hashes(leaves)
        True
    """

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []

    def extend(self, leaf_hashes: Sequence[bytes]) -> None:
        """Append leaf hashes in log order.

        Args:
            leaf_hashes: The next leaf hashes of the log.
        """
        stack = self._stack
        done, total = 0, len(leaf_hashes)
        while done < total:
            position = self.size
            width = 1 << ((total - done).bit_length() - 1)
            if position:
                width = min(width, position & -position)
            node = perfect_root(leaf_hashes[done : done + width])
            level = width.bit_length() - 1
            while stack and stack[-1][0] == level:
                node = node_hash(stack.pop()[1], node)
                level += 1
            stack.append((level, node))
            self.size += width
            done += width

    def concat(self, other: CompactRange) -> None:
        """Append the leaves of a range built on its own, starting at this range's end.

        ``other`` must start at an aligned position: this range's size must be a multiple
        of ``2**level`` for every perfect subtree ``other`` holds (true when the size is a
        multiple of a power of two at least ``other.size``).

        Args:
            other: A range built from the leaves that follow this one's.

        Raises:
            ValueError: ``other`` does not start at an aligned position.
        """
        for level, node in other._stack:
            width = 1 << level
            if self.size % width:
                raise ValueError(f"a subtree of {width} leaves cannot start at leaf {self.size}")
            while self._stack and self._stack[-1][0] == level:
                node = node_hash(self._stack.pop()[1], node)
                level += 1
            self._stack.append((level, node))
            self.size += width

    def root(self) -> bytes:
        """Return the root of the tree of every leaf appended so far.

        Returns:
            ``MTH(D[0:size])``; :data:`EMPTY_ROOT` when nothing was appended.
        """
        if not self._stack:
            return EMPTY_ROOT
        current = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            current = node_hash(left, current)
        return current


def nodes_completed_by_append(
    get_node: NodeGetter, leaf_index: int, new_leaf_hash: bytes
) -> list[Node]:
    """List the perfect-subtree nodes that appending one leaf completes.

    Appending leaf ``i`` completes the leaf node ``(0, i)`` and, for every trailing one-bit
    of ``i``, the parent one level up: ``(level, i >> level)`` is complete exactly when the
    low ``level`` bits of ``i`` are all ones.  Each parent combines the left sibling (already
    stored) with the node completed just below it.  A store persists every returned node,
    which keeps the total at fewer than ``2 * n`` hashes for ``n`` leaves.

    Args:
        get_node: Reads stored nodes; only the left siblings ``(level, index)`` of the new
            leaf's ancestors are requested, and all of them precede ``leaf_index``.
        leaf_index: Zero-based position of the new leaf (the store size before appending).
        new_leaf_hash: The leaf hash of the new entry (see :func:`leaf_hash`).

    Returns:
        The completed nodes, from the leaf upwards, starting with ``(0, leaf_index, hash)``.

    Raises:
        ValueError: ``leaf_index`` is negative or the hash has the wrong length.
        MissingNodeError: ``get_node`` does not hold a required left sibling.
    """
    if leaf_index < 0:
        raise ValueError("leaf_index must be >= 0")
    _check_hash(new_leaf_hash, "leaf hash")
    current = bytes(new_leaf_hash)
    nodes: list[Node] = [(0, leaf_index, current)]
    level, index = 0, leaf_index
    while index & 1:
        current = node_hash(get_node(level, index - 1), current)
        level, index = level + 1, index >> 1
        nodes.append((level, index, current))
    return nodes


class MemoryNodeStore:
    """An in-memory :class:`NodeStore` holding every completed perfect subtree.

    ``levels[l][i]`` is the hash of node ``(l, i)``.  Suitable for tests, benchmarks and
    verifying an exported log; the audit table keeps the same nodes in SQL.
    """

    def __init__(self) -> None:
        self.levels: list[list[bytes]] = [[]]

    def size(self) -> int:
        """Return the number of leaves appended so far."""
        return len(self.levels[0])

    def get_node(self, level: int, index: int) -> bytes:
        """Return the hash of the perfect subtree at ``(level, index)``.

        Args:
            level: Height of the subtree.
            index: Position of the subtree among those of the same level.

        Returns:
            The 32-byte subtree hash.

        Raises:
            MissingNodeError: The subtree is not complete yet.
        """
        if level < 0 or index < 0 or level >= len(self.levels) or index >= len(self.levels[level]):
            raise MissingNodeError(level, index)
        return self.levels[level][index]

    def append(self, new_leaf_hash: bytes) -> int:
        """Append one leaf hash and store every node it completes.

        Args:
            new_leaf_hash: The leaf hash (see :func:`leaf_hash`).

        Returns:
            The index of the new leaf.
        """
        index = self.size()
        for level, _, node in nodes_completed_by_append(self.get_node, index, new_leaf_hash):
            if level == len(self.levels):
                self.levels.append([])
            self.levels[level].append(node)
        return index

    def append_entry(self, data: bytes) -> int:
        """Hash ``data`` as a leaf and append it.

        Args:
            data: Canonical bytes of the entry.

        Returns:
            The index of the new leaf.
        """
        return self.append(leaf_hash(data))

    def extend(self, leaf_hashes: Sequence[bytes]) -> None:
        """Append several leaf hashes in order.

        Args:
            leaf_hashes: The leaf hashes to append.
        """
        for h in leaf_hashes:
            self.append(h)

    @classmethod
    def from_leaf_hashes(cls, leaf_hashes: Sequence[bytes]) -> MemoryNodeStore:
        """Build a store from leaf hashes.

        Args:
            leaf_hashes: The leaf hashes in log order.

        Returns:
            A store holding all of them.
        """
        store = cls()
        store.extend(leaf_hashes)
        return store


def _check_size(store: NodeStore, size: int) -> None:
    available = store.size()
    if size < 0 or size > available:
        raise ValueError(f"tree size {size} is outside 0..{available}")


def subtree_hash(store: NodeStore, start: int, end: int) -> bytes:
    """Return ``MTH(D[start:end])`` for a subtree that occurs in RFC 6962 proofs.

    ``start`` must be a multiple of the largest power of two not exceeding ``end - start``
    (true for every subtree the RFC 6962 recursion visits).  Perfect aligned ranges are a
    single lookup; others are split at the largest power of two below their size, whose
    left part is always perfect.

    Args:
        store: The node store.
        start: First leaf index (inclusive).
        end: Last leaf index (exclusive); ``end > start``.

    Returns:
        The hash of the subtree.

    Raises:
        ValueError: The range is empty or not aligned.
        MissingNodeError: The store lacks a node it should hold.
    """
    n = end - start
    if n <= 0:
        raise ValueError("subtree must not be empty")
    # Collect perfect left parts top-down, then fold them from the right.
    lefts: list[bytes] = []
    while n & (n - 1):
        k = _largest_power_of_two_below(n)
        if start % k:
            raise ValueError(f"subtree [{start}, {end}) is not aligned")
        lefts.append(store.get_node(k.bit_length() - 1, start // k))
        start += k
        n -= k
    if start % n:
        raise ValueError(f"subtree [{start}, {end}) is not aligned")
    acc = store.get_node(n.bit_length() - 1, start // n)
    for left in reversed(lefts):
        acc = node_hash(left, acc)
    return acc


def root(store: NodeStore, size: int | None = None) -> bytes:
    """Return the root hash of the tree of the first ``size`` leaves.

    Args:
        store: The node store.
        size: Tree size, at most ``store.size()``; defaults to the whole store.

    Returns:
        ``MTH(D[0:size])``; :data:`EMPTY_ROOT` when ``size`` is 0.

    Raises:
        ValueError: ``size`` is negative or beyond the store.
    """
    if size is None:
        size = store.size()
    _check_size(store, size)
    if size == 0:
        return EMPTY_ROOT
    return subtree_hash(store, 0, size)


def inclusion_proof(store: NodeStore, index: int, size: int) -> list[bytes]:
    """Build the audit path ``PATH(index, D[0:size])`` of RFC 6962 section 2.1.1.

    Args:
        store: The node store.
        index: Zero-based index of the leaf to prove.
        size: Size of the tree the proof is against (``index < size <= store.size()``).

    Returns:
        The sibling hashes from the leaf upwards; empty for a one-leaf tree.

    Raises:
        ValueError: ``index`` or ``size`` is out of range.
    """
    _check_size(store, size)
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside 0..{size - 1}")
    # PATH(m, D[start:end]): for k = largest power of two < n,
    #   m < k:  PATH(m, D[start:start+k]) : MTH(D[start+k:end])
    #   m >= k: PATH(m-k, D[start+k:end]) : MTH(D[start:start+k])
    # Siblings are found top-down and the path lists them bottom-up.
    siblings: list[bytes] = []
    start, end, m = 0, size, index
    while end - start > 1:
        k = _largest_power_of_two_below(end - start)
        if m < k:
            siblings.append(subtree_hash(store, start + k, end))
            end = start + k
        else:
            siblings.append(subtree_hash(store, start, start + k))
            start += k
            m -= k
    siblings.reverse()
    return siblings


def consistency_proof(store: NodeStore, old_size: int, new_size: int) -> list[bytes]:
    """Build ``PROOF(old_size, D[0:new_size])`` of RFC 6962 section 2.1.2.

    Args:
        store: The node store.
        old_size: Size of the earlier tree.
        new_size: Size of the later tree (``old_size <= new_size <= store.size()``).

    Returns:
        The proof hashes; empty when ``old_size`` is 0 or equals ``new_size``.

    Raises:
        ValueError: The sizes are out of range or out of order.
    """
    _check_size(store, new_size)
    if not 0 <= old_size <= new_size:
        raise ValueError(f"old size {old_size} is outside 0..{new_size}")
    if old_size == 0 or old_size == new_size:
        return []
    # SUBPROOF(m, D[start:end], b):
    #   m == n: [] if b else [MTH(D[start:end])]
    #   m <= k: SUBPROOF(m, D[start:start+k], b) : MTH(D[start+k:end])
    #   m > k:  SUBPROOF(m-k, D[start+k:end], False) : MTH(D[start:start+k])
    out: list[bytes] = []
    start, end, m, complete = 0, new_size, old_size, True
    while m != end - start:
        k = _largest_power_of_two_below(end - start)
        if m <= k:
            out.append(subtree_hash(store, start + k, end))
            end = start + k
        else:
            out.append(subtree_hash(store, start, start + k))
            start += k
            m -= k
            complete = False
    if not complete:
        out.append(subtree_hash(store, start, end))
    out.reverse()
    return out


def check_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root_hash: bytes
) -> None:
    """Verify an inclusion proof with RFC 9162 section 2.1.3.2, raising on failure.

    Args:
        leaf: The leaf hash of the entry (not the entry itself).
        index: Zero-based index of the leaf.
        size: Size of the tree the proof is against.
        proof: The audit path, bottom-up.
        root_hash: The expected root of the tree of ``size`` leaves.

    Raises:
        ProofError: The proof is malformed or does not lead to ``root_hash``.
    """
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    if len(leaf) != HASH_SIZE:
        raise ProofError(f"leaf hash is {len(leaf)} bytes, expected {HASH_SIZE}")
    if len(root_hash) != HASH_SIZE:
        raise ProofError(f"root hash is {len(root_hash)} bytes, expected {HASH_SIZE}")
    for i, p in enumerate(proof):
        if len(p) != HASH_SIZE:
            raise ProofError(f"proof element {i} is {len(p)} bytes, expected {HASH_SIZE}")
    fn, sn = index, size - 1
    r = bytes(leaf)
    for p in proof:
        if sn == 0:
            raise ProofError("proof is longer than the path for this index and size")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # When fn was the right border (fn == sn), skip the levels where this
            # node has no right sibling.
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("proof is shorter than the path for this index and size")
    if r != root_hash:
        raise ProofError("proof does not lead to the root hash")


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root_hash: bytes
) -> bool:
    """Return whether an inclusion proof is valid (RFC 9162 section 2.1.3.2).

    Args:
        leaf: The leaf hash of the entry (not the entry itself).
        index: Zero-based index of the leaf.
        size: Size of the tree the proof is against.
        proof: The audit path, bottom-up.
        root_hash: The expected root of the tree of ``size`` leaves.

    Returns:
        ``True`` only if the proof shows the leaf at ``index`` in the tree with that root.
    """
    try:
        check_inclusion(leaf, index, size, proof, root_hash)
    except ProofError:
        return False
    return True


def check_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> None:
    """Verify a consistency proof with RFC 9162 section 2.1.4.2, raising on failure.

    Trivial cases: equal sizes need an empty proof and equal roots; an old size of 0 needs
    an empty proof and ``old_root`` equal to :data:`EMPTY_ROOT`.

    Args:
        old_size: Size of the earlier tree.
        new_size: Size of the later tree.
        old_root: Root hash of the earlier tree.
        new_root: Root hash of the later tree.
        proof: The consistency proof.

    Raises:
        ProofError: The proof is malformed or does not show the earlier tree to be a
            prefix of the later one.
    """
    if old_size < 0 or new_size < old_size:
        raise ProofError(f"sizes out of order: old {old_size}, new {new_size}")
    for what, value in (("old root", old_root), ("new root", new_root)):
        if len(value) != HASH_SIZE:
            raise ProofError(f"{what} is {len(value)} bytes, expected {HASH_SIZE}")
    for i, p in enumerate(proof):
        if len(p) != HASH_SIZE:
            raise ProofError(f"proof element {i} is {len(p)} bytes, expected {HASH_SIZE}")
    if old_size == new_size:
        if proof:
            raise ProofError("proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError("roots differ for the same tree size")
        return
    if old_size == 0:
        if proof:
            raise ProofError("proof from the empty tree must be empty")
        if old_root != EMPTY_ROOT:
            raise ProofError("old root is not the empty-tree hash")
        return
    if not proof:
        raise ProofError("proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("proof is longer than needed for these sizes")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("proof is shorter than needed for these sizes")
    if fr != old_root:
        raise ProofError("proof does not lead to the old root hash")
    if sr != new_root:
        raise ProofError("proof does not lead to the new root hash")


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> bool:
    """Return whether a consistency proof is valid (RFC 9162 section 2.1.4.2).

    Args:
        old_size: Size of the earlier tree.
        new_size: Size of the later tree.
        old_root: Root hash of the earlier tree.
        new_root: Root hash of the later tree.
        proof: The consistency proof.

    Returns:
        ``True`` only if the tree with ``old_root`` is a prefix of the tree with
        ``new_root``.
    """
    try:
        check_consistency(old_size, new_size, old_root, new_root, proof)
    except ProofError:
        return False
    return True
