"""Roles, permissions and the one table that says which role may do what.

Every route names one permission (``require(Permission.X)`` in :mod:`service.auth.deps`);
:data:`PERMISSIONS` maps each permission to the roles that hold it. ``docs/security.md``
shows the same table; ``tests/service/auth/test_matrix.py`` checks every route against it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Role(StrEnum):
    """Who holds a key."""

    screener = "screener"
    supervisor = "supervisor"
    data_scientist = "data_scientist"
    admin = "admin"


class Permission(StrEnum):
    """What a route needs."""

    score = "score:create"
    decisions_write = "decisions:write"
    decisions_override = "decisions:override"
    decisions_read = "decisions:read"
    decisions_read_full = "decisions:read_full"
    referrals_search = "referrals:search"
    rules_read = "rules:read"
    rules_preview = "rules:preview"
    reports_read = "reports:read"
    outcomes_write = "outcomes:write"
    models_read = "models:read"
    models_reload = "models:reload"
    metrics_read = "metrics:read"
    keys_manage = "keys:manage"


_S, _SV, _DS, _A = Role.screener, Role.supervisor, Role.data_scientist, Role.admin

# Admin implies every other role: an admin can mint a key of any role anyway, so refusing
# admin the data would only be ceremony. Keep admin keys few and out of daily use.
PERMISSIONS: Final[dict[Permission, frozenset[Role]]] = {
    Permission.score: frozenset({_S, _SV, _A}),
    Permission.decisions_write: frozenset({_S, _SV, _A}),
    # Screening out what the rules require to be screened in: the supervisor's call.
    Permission.decisions_override: frozenset({_SV, _A}),
    Permission.decisions_read: frozenset({_S, _SV, _A}),
    Permission.decisions_read_full: frozenset({_SV, _A}),
    Permission.referrals_search: frozenset({_S, _SV, _A}),
    Permission.rules_read: frozenset({_S, _SV, _DS, _A}),
    Permission.rules_preview: frozenset({_SV, _A}),
    Permission.reports_read: frozenset({_SV, _DS, _A}),
    Permission.outcomes_write: frozenset({_SV, _A}),
    Permission.models_read: frozenset({_DS, _A}),
    Permission.models_reload: frozenset({_DS, _A}),
    Permission.metrics_read: frozenset({_DS, _A}),
    Permission.keys_manage: frozenset({_A}),
}
"""Permission -> roles that hold it: the permission matrix."""

PUBLIC_PATHS: Final = frozenset(
    {"/health", "/ready", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
)
"""Paths served without a credential: liveness, readiness and the API schema (no personal
data; a client generator needs it before it has a key)."""


def allows(role: Role, permission: Permission) -> bool:
    """Say whether a role holds a permission.

    Parameters
    ----------
    role : Role
    permission : Permission

    Returns
    -------
    bool
    """
    return role in PERMISSIONS[permission]


def roles_with(permission: Permission) -> list[Role]:
    """List the roles holding a permission, in the order of :class:`Role`.

    Parameters
    ----------
    permission : Permission

    Returns
    -------
    list of Role
    """
    return [role for role in Role if role in PERMISSIONS[permission]]
