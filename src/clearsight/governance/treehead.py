"""Signed tree heads: an Ed25519 signature over the size and root of the audit tree.

A tree head commits to the whole audit log at one size.  Signed heads are handed to
parties outside the platform administrators' control (oversight board, DPO, a witness), so
a later rollback or a split view of the log shows up as a head that no consistency proof can
reach (GOVERNANCE LOG-7, LOG-9).

What is signed is :meth:`TreeHead.canonical_bytes`, a fixed line-oriented text::

    clearsight-tree-head/1
    <log_id>
    <size in decimal>
    <root hash, 64 lowercase hex digits>
    <timestamp, YYYY-MM-DDTHH:MM:SS.ffffffZ>

each line ending in a single ``\\n``.  The first line separates these signatures from any
other use of the key.

Keys are raw Ed25519 keys stored as PEM (PKCS#8 private key with mode 0600, and
SubjectPublicKeyInfo public key beside it with suffix ``.pub``).  A key is named by its
``key_id``: the first 16 hex digits of SHA-256 over the 32 raw public-key bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

TREE_HEAD_CONTEXT = "clearsight-tree-head/1"
"""First line of the signed text; changes if the signed layout ever changes."""

SIGNED_TREE_HEAD_FORMAT = "clearsight-signed-tree-head/1"
"""Value of the ``format`` field of a signed head in JSON."""

PUBLIC_KEY_SUFFIX = ".pub"

_HEX_HASH = re.compile(r"[0-9a-f]{64}")
_KEY_ID = re.compile(r"[0-9a-f]{16}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
_LOG_ID = re.compile(r"[\x21-\x7e]{1,200}")

__all__ = [
    "PUBLIC_KEY_SUFFIX",
    "SIGNED_TREE_HEAD_FORMAT",
    "TREE_HEAD_CONTEXT",
    "SignedTreeHead",
    "TreeHead",
    "format_timestamp",
    "generate_signing_key",
    "key_id",
    "load_public_key",
    "load_signing_key",
    "public_key_from_pem",
    "public_key_path",
    "public_key_pem",
    "sign_head",
    "verify_head",
]


def format_timestamp(moment: datetime | None = None) -> str:
    """Format a moment as the UTC timestamp used in tree heads.

    Args:
        moment: A timezone-aware datetime; defaults to now.

    Returns:
        ISO 8601 text in UTC with microseconds and a ``Z`` suffix,
        e.g. ``2025-01-31T09:30:00.000000Z``.

    Raises:
        ValueError: ``moment`` is naive (has no timezone).
    """
    if moment is None:
        moment = datetime.now(UTC)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamp must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class TreeHead:
    """The size and root hash of the audit tree at one moment.

    Attributes:
        size: Number of leaves in the tree.
        root_hash: Root hash as 64 lowercase hex digits.
        timestamp: UTC time of the head, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.
        log_id: Name of the log (printable ASCII without spaces, at most 200 characters).

    Raises:
        ValueError: On construction, if any field is malformed.
    """

    size: int
    root_hash: str
    timestamp: str
    log_id: str

    def __post_init__(self) -> None:
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise ValueError("size must be a non-negative integer")
        if not isinstance(self.root_hash, str) or not _HEX_HASH.fullmatch(self.root_hash):
            raise ValueError("root_hash must be 64 lowercase hex digits")
        if not isinstance(self.timestamp, str) or not _TIMESTAMP.fullmatch(self.timestamp):
            raise ValueError("timestamp must look like 2025-01-31T09:30:00.000000Z")
        try:
            datetime.strptime(self.timestamp, "%Y-%m-%dT%H:%M:%S.%fZ")
        except ValueError as exc:
            raise ValueError(f"timestamp is not a valid date and time: {exc}") from None
        if not isinstance(self.log_id, str) or not _LOG_ID.fullmatch(self.log_id):
            raise ValueError("log_id must be 1-200 printable ASCII characters without spaces")

    @classmethod
    def create(
        cls, size: int, root_hash: bytes, log_id: str, moment: datetime | None = None
    ) -> TreeHead:
        """Build a head from a raw root hash, stamped with the current (or given) time.

        Args:
            size: Number of leaves in the tree.
            root_hash: The 32-byte root hash.
            log_id: Name of the log.
            moment: Timezone-aware time of the head; defaults to now.

        Returns:
            The tree head.
        """
        return cls(
            size=size,
            root_hash=bytes(root_hash).hex(),
            timestamp=format_timestamp(moment),
            log_id=log_id,
        )

    @property
    def root_bytes(self) -> bytes:
        """The root hash as 32 raw bytes."""
        return bytes.fromhex(self.root_hash)

    def canonical_bytes(self) -> bytes:
        """Return the exact bytes that are signed (see the module docstring)."""
        text = (
            f"{TREE_HEAD_CONTEXT}\n{self.log_id}\n{self.size}\n{self.root_hash}\n{self.timestamp}\n"
        )
        return text.encode("ascii")

    def to_dict(self) -> dict[str, Any]:
        """Return the head as a JSON-ready mapping."""
        return {
            "log_id": self.log_id,
            "size": self.size,
            "root_hash": self.root_hash,
            "timestamp": self.timestamp,
        }

    @classmethod
    def from_dict(cls, data: Any) -> TreeHead:
        """Build a head from the mapping written by :meth:`to_dict`.

        Args:
            data: The decoded JSON object.

        Returns:
            The tree head.

        Raises:
            ValueError: A field is missing, extra or malformed.
        """
        if not isinstance(data, dict):
            raise ValueError("tree head must be a JSON object")
        expected = {"log_id", "size", "root_hash", "timestamp"}
        if set(data) != expected:
            raise ValueError(f"tree head must have exactly the fields {sorted(expected)}")
        return cls(
            size=data["size"],
            root_hash=data["root_hash"],
            timestamp=data["timestamp"],
            log_id=data["log_id"],
        )


@dataclass(frozen=True)
class SignedTreeHead:
    """A tree head with an Ed25519 signature over its canonical bytes.

    Attributes:
        head: The signed tree head.
        key_id: Identifier of the signing key (see :func:`key_id`).
        signature: Standard base64 of the 64-byte Ed25519 signature.
    """

    head: TreeHead
    key_id: str
    signature: str

    def to_dict(self) -> dict[str, Any]:
        """Return the signed head as a JSON-ready mapping with a ``format`` field."""
        return {
            "format": SIGNED_TREE_HEAD_FORMAT,
            "head": self.head.to_dict(),
            "key_id": self.key_id,
            "signature": self.signature,
        }

    @classmethod
    def from_dict(cls, data: Any) -> SignedTreeHead:
        """Build a signed head from the mapping written by :meth:`to_dict`.

        This checks structure only; use :func:`verify_head` to check the signature.

        Args:
            data: The decoded JSON object.

        Returns:
            The signed tree head.

        Raises:
            ValueError: The format is unknown or a field is missing or malformed.
        """
        if not isinstance(data, dict):
            raise ValueError("signed tree head must be a JSON object")
        if data.get("format") != SIGNED_TREE_HEAD_FORMAT:
            raise ValueError(
                f"signed tree head format must be {SIGNED_TREE_HEAD_FORMAT!r}, "
                f"got {data.get('format')!r}"
            )
        expected = {"format", "head", "key_id", "signature"}
        if set(data) != expected:
            raise ValueError(f"signed tree head must have exactly the fields {sorted(expected)}")
        kid, signature = data["key_id"], data["signature"]
        if not isinstance(kid, str) or not _KEY_ID.fullmatch(kid):
            raise ValueError("key_id must be 16 lowercase hex digits")
        if not isinstance(signature, str):
            raise ValueError("signature must be a base64 string")
        try:
            raw = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("signature is not valid base64") from None
        if len(raw) != 64:
            raise ValueError("signature must decode to 64 bytes")
        return cls(head=TreeHead.from_dict(data["head"]), key_id=kid, signature=signature)

    def to_json(self) -> str:
        """Serialise to JSON (sorted keys, two-space indent, trailing newline)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> SignedTreeHead:
        """Parse the JSON written by :meth:`to_json`.

        Args:
            text: The JSON document.

        Returns:
            The signed tree head (signature not yet checked).

        Raises:
            ValueError: The text is not valid JSON or not a valid signed head.
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"signed tree head is not valid JSON: {exc}") from None
        return cls.from_dict(data)


def _raw_public_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    """Return the identifier of a public key.

    Args:
        public_key: The Ed25519 public key.

    Returns:
        The first 16 hex digits of SHA-256 over the 32 raw public-key bytes.
    """
    return hashlib.sha256(_raw_public_bytes(public_key)).hexdigest()[:16]


def public_key_path(private_key_path: str | os.PathLike[str]) -> Path:
    """Return where the public key of a private key file lives (``<path>.pub``).

    Args:
        private_key_path: Path of the private key PEM file.

    Returns:
        The path with ``.pub`` appended to the file name.
    """
    path = Path(private_key_path)
    return path.with_name(path.name + PUBLIC_KEY_SUFFIX)


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    """Return a public key as SubjectPublicKeyInfo PEM text.

    Args:
        public_key: The Ed25519 public key.

    Returns:
        The PEM text, ending in a newline.
    """
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def public_key_from_pem(pem: str | bytes) -> Ed25519PublicKey:
    """Parse an Ed25519 public key from PEM.

    Args:
        pem: SubjectPublicKeyInfo PEM text.

    Returns:
        The public key.

    Raises:
        ValueError: The text is not a PEM Ed25519 public key.
    """
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise ValueError(f"not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("public key is not an Ed25519 key")
    return key


def generate_signing_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Create a new Ed25519 signing key and write it to disk.

    The private key is written as unencrypted PKCS#8 PEM with mode 0600 (created with that
    mode, so it is never readable by others); the public key goes to ``<path>.pub`` with mode
    0644.  Existing files are never overwritten.

    Args:
        path: Where to write the private key.

    Returns:
        The new private key.

    Raises:
        FileExistsError: The private or public key file already exists.
    """
    private_path = Path(path)
    pub_path = public_key_path(private_path)
    if pub_path.exists():
        raise FileExistsError(f"public key file already exists: {pub_path}")
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o600)  # the umask only removes bits; be explicit
            fh.write(private_pem)
        pub_fd = os.open(pub_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(pub_fd, "w", encoding="ascii") as pub:
            pub.write(public_key_pem(key.public_key()))
    except BaseException:
        private_path.unlink(missing_ok=True)
        raise
    return key


def load_signing_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Load an unencrypted PEM Ed25519 private key.

    Args:
        path: Path of the private key file.

    Returns:
        The private key.

    Raises:
        OSError: The file cannot be read.
        ValueError: The file is not an unencrypted PEM Ed25519 private key.
    """
    data = Path(path).read_bytes()
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: private key is not an Ed25519 key")
    return key


def load_public_key(path: str | os.PathLike[str]) -> Ed25519PublicKey:
    """Load a PEM Ed25519 public key.

    Args:
        path: Path of the public key file (SubjectPublicKeyInfo PEM).

    Returns:
        The public key.

    Raises:
        OSError: The file cannot be read.
        ValueError: The file is not a PEM Ed25519 public key.
    """
    try:
        return public_key_from_pem(Path(path).read_bytes())
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def sign_head(head: TreeHead, private_key: Ed25519PrivateKey) -> SignedTreeHead:
    """Sign a tree head.

    Args:
        head: The head to sign.
        private_key: The log's Ed25519 signing key.

    Returns:
        The signed head, carrying the key id of ``private_key``.
    """
    signature = private_key.sign(head.canonical_bytes())
    return SignedTreeHead(
        head=head,
        key_id=key_id(private_key.public_key()),
        signature=base64.b64encode(signature).decode("ascii"),
    )


def verify_head(sth: SignedTreeHead, public_key: Ed25519PublicKey) -> bool:
    """Check the signature on a signed tree head.

    Args:
        sth: The signed head.
        public_key: The log's trusted public key.

    Returns:
        ``True`` only if ``sth.key_id`` names ``public_key`` and the signature over the
        head's canonical bytes is valid.
    """
    if sth.key_id != key_id(public_key):
        return False
    try:
        signature = base64.b64decode(sth.signature, validate=True)
        public_key.verify(signature, sth.head.canonical_bytes())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
