"""Who is asking, with what authority, and why (PUR-1, PUR-2, PUR-3).

A :class:`Context` is built per request or command from the users table (so revoking a
role, clearance or case membership takes effect on the next request, ACC-8) and the
declared purpose. No personal data is read without one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from clearsight.errors import PermissionDenied, PurposeRequired

ROLES = ("analyst", "investigator", "supervisor", "dpo", "auditor", "rights", "admin")

#: purpose codes for work that is not tied to one case; each needs free text (PUR-2)
LAW_ENFORCEMENT_CODES = (
    "INTELLIGENCE",
    "INVESTIGATION",
    "SAFEGUARDING",
    "TASKING",
    "DATA-QUALITY",
    "RIGHTS-REQUEST",
    "ADMINISTRATION",
    "DEMONSTRATION",
)
#: s.62(4): the only purposes for which audit logs may be used (LOG-13)
AUDIT_CODES = ("AUDIT-LAWFULNESS", "AUDIT-DISCIPLINE", "AUDIT-INTEGRITY", "CRIMINAL-PROCEEDINGS")
#: codes that are not law-enforcement purposes: refused for law-enforcement data (PUR-3)
NON_LAW_ENFORCEMENT_CODES = ("HR", "VETTING", "RESEARCH", "COMMERCIAL")
MIN_FREE_TEXT = 10

_CASE = re.compile(r"^case:\s*(?P<ref>[A-Za-z0-9][A-Za-z0-9/_.-]{0,63})(?:\s+(?P<text>.*))?$", re.S)
_CODE = re.compile(r"^(?P<code>[A-Za-z][A-Za-z-]{1,40})\s*:\s*(?P<text>.*)$", re.S)


@dataclass(frozen=True)
class Purpose:
    """A structured purpose: a case reference, or a purpose code with free text."""

    case: str | None
    code: str | None
    text: str

    @classmethod
    def parse(cls, raw: str | None) -> Purpose:
        """Parse ``case:REF [text]`` or ``CODE: free text``; refuse anything else."""
        if raw is None or not raw.strip():
            raise PurposeRequired(
                "a purpose is required to read personal data: give --purpose 'case:REF' "
                "or --purpose 'CODE: why' (or set CLEARSIGHT_PURPOSE)"
            )
        text = raw.strip()
        m = _CASE.match(text)
        if m:
            return cls(case=m.group("ref"), code=None, text=(m.group("text") or "").strip())
        m = _CODE.match(text)
        if m:
            code = m.group("code").upper()
            free = m.group("text").strip()
            known = LAW_ENFORCEMENT_CODES + AUDIT_CODES + NON_LAW_ENFORCEMENT_CODES
            if code not in known:
                raise PurposeRequired(f"unknown purpose code {code!r}; use one of {', '.join(known)} or case:REF")
            if len(free) < MIN_FREE_TEXT:
                raise PurposeRequired(
                    f"a purpose without a case needs at least {MIN_FREE_TEXT} characters of explanation after '{code}:'"
                )
            return cls(case=None, code=code, text=free)
        raise PurposeRequired("a purpose must be 'case:REF [text]' or 'CODE: explanation'")

    @property
    def is_audit(self) -> bool:
        return self.code in AUDIT_CODES

    @property
    def is_law_enforcement(self) -> bool:
        return self.code not in NON_LAW_ENFORCEMENT_CODES

    @property
    def sampled(self) -> bool:
        """Purposes without a case go to supervisor sampling (PUR-2)."""
        return self.case is None

    def __str__(self) -> str:
        if self.case:
            return f"case:{self.case}" + (f" {self.text}" if self.text else "")
        return f"{self.code}: {self.text}"


@dataclass(frozen=True)
class Context:
    """The viewer of an operation: user, roles, clearance, need-to-know and purpose."""

    user: str
    roles: frozenset[str] = field(default_factory=frozenset)
    clearance: str = "OFFICIAL"
    groups: frozenset[str] = field(default_factory=frozenset)
    caveats: frozenset[str] = field(default_factory=frozenset)
    purpose: Purpose | None = None
    client: str = "cli"

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def require_role(self, *roles: str) -> None:
        if not self.has_role(*roles):
            raise PermissionDenied(f"user {self.user!r} needs one of the roles {', '.join(roles)} for this")

    def require_purpose(self) -> Purpose:
        if self.purpose is None:
            raise PurposeRequired(
                "a purpose is required to read personal data: give --purpose 'case:REF' "
                "or --purpose 'CODE: why' (or set CLEARSIGHT_PURPOSE)"
            )
        if not self.purpose.is_law_enforcement:
            raise PermissionDenied(
                f"purpose code {self.purpose.code} is not a law-enforcement purpose; "
                "law-enforcement data cannot be processed for it (PUR-3)"
            )
        return self.purpose


__all__ = [
    "AUDIT_CODES",
    "LAW_ENFORCEMENT_CODES",
    "NON_LAW_ENFORCEMENT_CODES",
    "ROLES",
    "Context",
    "Purpose",
]
