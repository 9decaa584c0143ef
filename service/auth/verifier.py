"""Check a presented key: find its row by key id, compare hashes in constant time, cache briefly.

The cache maps key id -> stored record (or "no such key") for ``ttl`` seconds, so a busy
replica reads the key store about once per key per TTL rather than once per request, and a
revoke made on any replica takes effect everywhere within ``ttl`` seconds. Unknown ids are
cached too, so a made-up key sent over and over cannot turn into a flood of database reads;
the cache is bounded and simply cleared when full.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from service.auth.errors import Unauthenticated
from service.auth.keys import hash_key, key_id_of
from service.auth.permissions import Role
from service.auth.store import KeyRecord

MAX_CACHED: Final = 10_000
UNKNOWN_KEY: Final = (
    "The API key is unknown or revoked; send a valid key as 'Authorization: Bearer <key>' "
    "or 'X-API-Key: <key>' (an admin creates one with `hotline keys create`)"
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, name and role (never the key itself).

    Attributes
    ----------
    key_id, name : str
    role : Role
    """

    key_id: str
    name: str
    role: Role

    def recorded_as(self) -> dict[str, str]:
        """Say who wrote a decision-log record: the key's id and role.

        The name stays in the key store (``hotline keys list`` maps the id to it), so the
        append-only log holds no staff name that could later need correcting.

        Returns
        -------
        dict
            ``{"key_id": ..., "role": ...}``.
        """
        return {"key_id": self.key_id, "role": self.role.value}


class KeyVerifier:
    """Verify keys against a store, with a short in-process cache.

    Parameters
    ----------
    find : callable
        ``find(key_id) -> KeyRecord | None``, e.g. :func:`service.auth.store.find_key` bound
        to a log; blocking.
    ttl : float
        Seconds a looked-up record is trusted (revocation delay).
    clock : callable, default time.monotonic
    """

    def __init__(
        self,
        find: Callable[[str], KeyRecord | None],
        *,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._find = find
        self.ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, KeyRecord | None]] = {}
        self._lock = threading.Lock()
        # Bumped by forget(): a store read that began before a forget (a revoke made through
        # this process) may have read the key as active, so its result must not be cached.
        self._generation = 0

    def cached(self, key_id: str) -> tuple[bool, KeyRecord | None]:
        """Return ``(hit, record)`` from the cache without touching the store.

        Parameters
        ----------
        key_id : str

        Returns
        -------
        tuple of (bool, KeyRecord or None)
        """
        entry = self._cache.get(key_id)
        if entry is None or entry[0] <= self._clock():
            return False, None
        return True, entry[1]

    def lookup(self, key_id: str) -> KeyRecord | None:
        """Read a record from the store (blocking) and cache it.

        Parameters
        ----------
        key_id : str

        Returns
        -------
        KeyRecord or None
        """
        generation = self._generation
        record = self._find(key_id)
        with self._lock:
            if generation != self._generation:
                # A revoke went through meanwhile: caching this read could keep the revoked
                # key working for a whole TTL on the very replica that revoked it.
                return record
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            self._cache[key_id] = (self._clock() + self.ttl, record)
        return record

    @staticmethod
    def check(token: str, record: KeyRecord | None) -> Principal:
        """Compare a presented key with its stored record.

        Parameters
        ----------
        token : str
        record : KeyRecord or None

        Returns
        -------
        Principal

        Raises
        ------
        Unauthenticated
            Unknown id, wrong secret or revoked key (one message for all three, so a caller
            learns nothing about which ids exist).
        """
        presented = hash_key(token)
        # Compare even when there is no record, so both paths cost the same.
        expected = record.key_hash if record is not None else "0" * len(presented)
        matches = hmac.compare_digest(presented, expected)
        if record is None or not matches or not record.active:
            raise Unauthenticated(UNKNOWN_KEY)
        return Principal(record.key_id, record.name, record.role)

    def verify(self, token: str) -> Principal:
        """Verify a key, reading the store on a cache miss (blocking).

        Parameters
        ----------
        token : str

        Returns
        -------
        Principal

        Raises
        ------
        Unauthenticated, AuthUnavailable
        """
        key_id = key_id_of(token)
        hit, record = self.cached(key_id)
        if not hit:
            record = self.lookup(key_id)
        return self.check(token, record)

    def forget(self) -> None:
        """Drop the cache (after a change made through this process)."""
        with self._lock:
            self._generation += 1
            self._cache.clear()
