"""Who may see what (DESIGN.md §7): roles, township scope and full-data permission, as data.

The county keeps the mapping (``config/access.toml``): a signed-in user's e-mail or OIDC subject
→ role, township and whether unmasked personal data may be shown — or the token's named claims.

* ``county``: every township; person-level lists masked, unmasked with ``full_data``; edits
  targets.
* ``township``: its own township and villages in full (masked lists); the other townships only
  as aggregates and rank — no person-level list of theirs.
* ``viewer``: aggregates and ranks only; no person-level list anywhere.

The rules are applied below the pages, where records are fetched and files built: a crafted URL
or widget value for records outside the scope is refused (:class:`AccessDenied`), not hidden.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dashboard.domain.errors import KeyedError

ROLES = ("county", "township", "viewer")


class AccessDenied(KeyedError, PermissionError):
    """A request for data outside the user's scope (one line: ``err_access_*``)."""


class AccessConfigError(KeyedError, ValueError):
    """An access mapping that cannot be used as written."""


@dataclass(frozen=True)
class Access:
    """One user's access: ``identity`` is who the audit log names."""

    identity: str
    role: str
    township: str | None = None  # a township user's township code
    full_data: bool = False  # a county user allowed to see unmasked records
    demo: bool = False  # the demo database without login (a banner says so)

    @property
    def sees_records(self) -> bool:
        return self.role in ("county", "township")

    @property
    def masked(self) -> bool:
        """Whether names and 身份证号 are masked for this user."""
        return not (self.role == "county" and self.full_data)

    @property
    def may_edit_targets(self) -> bool:
        return self.role == "county"

    def may_see_records_of(self, township_code: str | None) -> bool:
        """Whether person-level records of ``township_code`` (None: county-wide) may be shown."""
        if self.role == "county":
            return True
        if self.role == "township":
            return township_code is not None and township_code == self.township
        return False

    def require_records(self, township_codes: Iterable[str | None]) -> None:
        """Refuse (:class:`AccessDenied`) unless every township's records may be shown."""
        if not self.sees_records:
            raise AccessDenied("err_access_viewer", role=self.role)
        outside = sorted({str(c) for c in township_codes if not self.may_see_records_of(c)})
        if outside:
            raise AccessDenied("err_access_scope", townships=", ".join(outside) or "—", own=self.township or "—")


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y")
    return bool(value)


def _entry(identity: str, raw: Mapping[str, Any], township_codes: Iterable[str]) -> Access:
    role = str(raw.get("role", "")).strip().lower()
    if role not in ROLES:
        raise AccessConfigError("err_access_role", user=identity, role=role or "—")
    township = raw.get("township")
    township = str(township).strip() if township not in (None, "") else None
    if role == "township" and township not in set(township_codes):
        raise AccessConfigError("err_access_township", user=identity, township=township or "—")
    full = _flag(raw.get("full_data", False)) and role == "county"
    return Access(identity, role, township if role == "township" else None, full)


def resolve(
    mapping: Mapping[str, Any],
    *,
    email: str | None,
    subject: str | None,
    claims: Mapping[str, Any],
    township_codes: Iterable[str],
) -> Access | None:
    """The access of a signed-in user: their row in ``mapping["users"]`` (by e-mail, else by
    subject), else the token's claims named in ``mapping["claims"]``; None for a user the
    mapping does not know (who then sees nothing)."""
    codes = list(township_codes)
    users = {str(k).strip().lower(): v for k, v in (mapping.get("users") or {}).items()}
    for key in (email, subject):
        if key and str(key).strip().lower() in users:
            return _entry(str(email or subject), users[str(key).strip().lower()], codes)
    names = mapping.get("claims") or {}
    if names.get("role") and claims.get(names["role"]) not in (None, ""):
        raw = {
            "role": claims.get(names["role"]),
            "township": claims.get(names.get("township", ""), None),
            "full_data": claims.get(names.get("full_data", ""), False),
        }
        return _entry(str(email or subject or "?"), raw, codes)
    return None
