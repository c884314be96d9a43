"""One family of domain errors.

    ClearsightError
    ├── InvalidValue          a single value could not be normalised (type, value, reason)
    ├── InvalidData           a structure failed validation; carries a list of field problems
    │   ├── OntologyError     the ontology file itself is wrong
    │   └── MappingError      an ingest mapping is wrong (file, line, field)
    ├── NotFound              nothing visible answers to that name or id
    ├── Conflict              the operation contradicts stored state
    ├── PermissionDenied      the context may not do this
    │   └── PurposeRequired   no lawful purpose was declared for a personal-data read
    ├── AuditFailure          the audit log could not be written; the operation was not done
    ├── IntegrityError        stored data or the audit log failed verification
    ├── StoreError            the database could not be opened or migrated
    └── ResolutionError       entity resolution could not run

Errors carry context for the user and never an HTTP status: faces translate them
(CLI: one red line and exit code 1; API: a problem+json body).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ClearsightError(Exception):
    """Root of every error Clearsight raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidValue(ClearsightError, ValueError):
    """A value that cannot be normalised to its property type."""

    def __init__(self, type_name: str, value: object, reason: str) -> None:
        self.type_name = type_name
        self.value = value
        self.reason = reason
        super().__init__(f"invalid {type_name} {value!r}: {reason}")


@dataclass(frozen=True)
class Problem:
    """One problem found while validating input, located as precisely as we can."""

    message: str
    file: str | None = None
    line: int | None = None
    row: int | None = None
    field: str | None = None
    value: str | None = None

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:
            parts.append(f"field {self.field!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class InvalidData(ClearsightError):
    """Input that failed validation; ``problems`` lists every problem found, not just the first."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        self.problems = list(problems or [])
        if self.problems:
            detail = "\n".join(f"  - {p}" for p in self.problems[:50])
            more = len(self.problems) - 50
            if more > 0:
                detail += f"\n  ... and {more} more"
            message = f"{message}\n{detail}"
        super().__init__(message)


class OntologyError(InvalidData):
    """The ontology definition is inconsistent."""


class MappingError(InvalidData):
    """An ingest mapping does not fit the ontology or its source."""


class NotFound(ClearsightError):
    """Nothing the caller may see answers to that reference.

    Used alike for items that do not exist and items the caller may not see,
    so that an error never reveals that a hidden item exists (ACC-3).
    """

    exit_code = 3


class Conflict(ClearsightError):
    """The operation contradicts what is stored."""


class PermissionDenied(ClearsightError):
    """The context does not allow this operation."""

    exit_code = 4


class PurposeRequired(PermissionDenied):
    """A personal-data read was attempted without a declared purpose (PUR-1)."""


class AuditFailure(ClearsightError):
    """The audit entry could not be written, so the operation was refused (LOG-12)."""

    exit_code = 5


class IntegrityError(ClearsightError):
    """Stored data or the audit log failed verification."""

    exit_code = 6


class StoreError(ClearsightError):
    """The store could not be opened, created or migrated."""


class ResolutionError(ClearsightError):
    """Entity resolution could not run."""


__all__ = [
    "AuditFailure",
    "ClearsightError",
    "Conflict",
    "IntegrityError",
    "InvalidData",
    "InvalidValue",
    "MappingError",
    "NotFound",
    "OntologyError",
    "PermissionDenied",
    "Problem",
    "PurposeRequired",
    "ResolutionError",
    "StoreError",
]
