"""Errors of access control.

Hierarchy::

    AuthError
    ├── Unauthenticated     no key, or an unknown or revoked one (401)
    ├── Forbidden           a valid key whose role lacks the permission (403)
    ├── AuthUnavailable     the key store cannot be read (503)
    └── KeyStoreError       CLI/admin misuse: duplicate name, unknown key (409/404)
        ├── DuplicateKeyName
        └── KeyNotFound

Translated to HTTP in :mod:`service.errors`.
"""

from __future__ import annotations


class AuthError(Exception):
    """Base class of access-control errors."""


class Unauthenticated(AuthError):
    """The request carries no usable credential."""


class Forbidden(AuthError):
    """The credential is valid but its role lacks the permission."""


class AuthUnavailable(AuthError):
    """The key store cannot be read, so no key can be checked."""


class KeyStoreError(AuthError):
    """A key-management request cannot be carried out."""


class DuplicateKeyName(KeyStoreError):
    """An active key already has this name."""


class KeyNotFound(KeyStoreError):
    """No active key has this name or id."""
