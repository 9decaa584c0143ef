"""API key tokens: how they are made, hashed and found.

A generated key reads ``hlk_<key id>_<secret>``: the key id (16 hex characters) is not
secret and is how the store finds the row, so the time a lookup takes depends on nothing
secret; the secret part (256 random bits) is then checked by comparing SHA-256 digests with
:func:`hmac.compare_digest`. A key supplied from outside (``HOTLINE_DEMO_KEY``) has no key id
of its own; it gets one derived from a hash of the whole token.

Why plain SHA-256 and not bcrypt/argon2: those slow hashes protect *low-entropy* passwords
from offline guessing. A 256-bit random token cannot be guessed whatever the hash speed, and a
slow hash would cost tens of milliseconds of CPU on every request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Final

PREFIX: Final = "hlk_"
MAX_KEY_CHARS: Final = 512
"""Longest key a request may present (longer ones are refused without hashing)."""
_GENERATED = re.compile(r"^hlk_([0-9a-f]{16})_[A-Za-z0-9_-]{20,}$")
# What survives an HTTP header unchanged: servers decode header bytes as latin-1 while
# clients send UTF-8, so a key with any other character could be stored but never presented.
_PRESENTABLE = re.compile(rf"[\x20-\x7e]{{1,{MAX_KEY_CHARS}}}")


def generate_key() -> tuple[str, str]:
    """Make a new random key.

    Returns
    -------
    key_id : str
        16 hex characters, not secret.
    token : str
        The whole key, shown once to whoever creates it.
    """
    key_id = secrets.token_hex(8)
    return key_id, f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"


def presentable(token: str) -> bool:
    """Say whether a request could present this key (a supplied one, e.g. ``HOTLINE_DEMO_KEY``).

    Parameters
    ----------
    token : str

    Returns
    -------
    bool
        True for 1 to :data:`MAX_KEY_CHARS` printable ASCII characters (spaces allowed), not
        beginning or ending with a space (a request's key is read stripped).
    """
    return _PRESENTABLE.fullmatch(token) is not None and token == token.strip()


def key_id_of(token: str) -> str:
    """Return the key id a token is stored under.

    Parameters
    ----------
    token : str
        A generated key, or any other string (a supplied demo key).

    Returns
    -------
    str
        The embedded id of a generated key; for any other token ``x`` followed by 15 hex
        characters of a domain-separated SHA-256 of it.
    """
    match = _GENERATED.match(token)
    if match:
        return match.group(1)
    return "x" + hashlib.sha256(b"hotline-key-id:" + token.encode()).hexdigest()[:15]


def hash_key(token: str) -> str:
    """Return the SHA-256 hex digest the store keeps instead of the key.

    Parameters
    ----------
    token : str

    Returns
    -------
    str
    """
    return hashlib.sha256(token.encode()).hexdigest()
