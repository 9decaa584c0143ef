"""Access control: API keys with roles, and the permission each route needs.

A key is a random token shown once and stored only as its SHA-256 (:mod:`service.auth.keys`,
:mod:`service.auth.store`); a request presents it as ``Authorization: Bearer <key>`` or
``X-API-Key``, :class:`KeyVerifier` finds it by its non-secret id and compares hashes in
constant time, and :func:`require` admits the roles :data:`PERMISSIONS` lists. Each route
is a :class:`GuardedRoute`, which runs those checks before the request body is read.
"""

from service.auth.deps import PrincipalDep, authenticate, authorize, require
from service.auth.enforce import AUTH_RESPONSES, check_routes, route_permissions
from service.auth.errors import (
    AuthError,
    AuthUnavailable,
    DuplicateKeyName,
    Forbidden,
    KeyNotFound,
    KeyStoreError,
    Unauthenticated,
)
from service.auth.permissions import PERMISSIONS, PUBLIC_PATHS, Permission, Role, allows
from service.auth.route import GuardedRoute
from service.auth.store import KeyRecord, create_key, find_key, list_keys, revoke_key
from service.auth.verifier import KeyVerifier, Principal

__all__ = [
    "AUTH_RESPONSES",
    "PERMISSIONS",
    "PUBLIC_PATHS",
    "AuthError",
    "AuthUnavailable",
    "DuplicateKeyName",
    "Forbidden",
    "GuardedRoute",
    "KeyNotFound",
    "KeyRecord",
    "KeyStoreError",
    "KeyVerifier",
    "Permission",
    "Principal",
    "PrincipalDep",
    "Role",
    "Unauthenticated",
    "allows",
    "authenticate",
    "authorize",
    "check_routes",
    "create_key",
    "find_key",
    "list_keys",
    "require",
    "revoke_key",
    "route_permissions",
]
