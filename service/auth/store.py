"""Create, list, revoke and find API keys in the decision-log database.

Each function runs one short transaction on the log's engine. Only the SHA-256 of a key is
written; the key itself is returned once by :func:`create_key` and never again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from service.auth.errors import AuthUnavailable, DuplicateKeyName, KeyNotFound
from service.auth.keys import generate_key, hash_key, key_id_of
from service.auth.permissions import Role
from service.auth.table import ApiKey
from service.decision_log import DecisionLog
from service.decision_log.db import KEYS_LOCK_KEY, READ_ONLY, advisory_lock

_UNAVAILABLE = "The key store cannot be read ({error}); check HOTLINE_DATABASE_URL"
_DUPLICATE = "An active key is already named {name!r}; revoke it first or choose another name"
_READ_ONLY = {READ_ONLY: True}  # see service.decision_log.db.READ_ONLY
_NOT_FOUND = "No active key has the name or id {which!r}; `hotline keys list` shows them"


@dataclass(frozen=True)
class KeyRecord:
    """A stored key, without anything secret but its hash.

    Attributes
    ----------
    key_id, name : str
    role : Role
    key_hash : str
    created_at : str
    revoked_at : str or None
    """

    key_id: str
    name: str
    role: Role
    key_hash: str
    created_at: str
    revoked_at: str | None

    @property
    def active(self) -> bool:
        """Whether the key has not been revoked."""
        return self.revoked_at is None


def _record(row: ApiKey) -> KeyRecord:
    return KeyRecord(
        row.key_id, row.name, Role(row.role), row.key_hash, row.created_at, row.revoked_at
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def create_key(
    log: DecisionLog, *, name: str, role: Role, token: str | None = None
) -> tuple[KeyRecord, str]:
    """Store a new key and return it (the only time it is available).

    Parameters
    ----------
    log : DecisionLog
    name : str
        Unique among active keys.
    role : Role
    token : str, optional
        Use this exact key (the demo key from ``HOTLINE_DEMO_KEY``) instead of a random one.

    Returns
    -------
    record : KeyRecord
    token : str

    Raises
    ------
    DuplicateKeyName, AuthUnavailable
    """
    if token is None:
        key_id, token = generate_key()
    else:
        key_id = key_id_of(token)
    row = ApiKey(
        key_id=key_id, name=name, role=role.value, key_hash=hash_key(token), created_at=_now()
    )
    try:
        with log.sessions.begin() as session:
            # "Is the name free?" then INSERT: on PostgreSQL (READ COMMITTED) two creations
            # at once both saw the name free and both inserted, leaving two active keys of
            # one name, and a revoke by that name revoked only one of them.
            advisory_lock(session, key=KEYS_LOCK_KEY)
            taken = session.scalar(
                select(ApiKey.key_id).where(ApiKey.name == name, ApiKey.revoked_at.is_(None))
            )
            if taken is not None or session.get(ApiKey, key_id) is not None:
                raise DuplicateKeyName(_DUPLICATE.format(name=name))
            session.add(row)
            record = _record(row)
    except SQLAlchemyError as exc:
        raise AuthUnavailable(_UNAVAILABLE.format(error=type(exc).__name__)) from exc
    return record, token


def list_keys(log: DecisionLog, *, include_revoked: bool = False) -> list[KeyRecord]:
    """List keys, oldest first.

    Parameters
    ----------
    log : DecisionLog
    include_revoked : bool, default False

    Returns
    -------
    list of KeyRecord
    """
    query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.key_id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    try:
        with log.sessions(execution_options=_READ_ONLY) as session, session.begin():
            return [_record(row) for row in session.scalars(query)]
    except SQLAlchemyError as exc:
        raise AuthUnavailable(_UNAVAILABLE.format(error=type(exc).__name__)) from exc


def revoke_key(log: DecisionLog, which: str) -> KeyRecord:
    """Revoke the active key with this id or name.

    Parameters
    ----------
    log : DecisionLog
    which : str
        A key id or a name; a string that is some key's id (revoked or not) is an id.

    Returns
    -------
    KeyRecord
        As revoked.

    Raises
    ------
    KeyNotFound, AuthUnavailable
    """
    try:
        with log.sessions.begin() as session:
            # An id first, and an id is never read as a name: a key could be named like another
            # key's id (names are free text), and one query matching either column revoked
            # whichever row came first, e.g. the other key on a retried revoke by id.
            row = session.get(ApiKey, which)
            if row is None:
                row = session.scalar(
                    select(ApiKey).where(ApiKey.name == which, ApiKey.revoked_at.is_(None))
                )
            elif row.revoked_at is not None:
                row = None
            if row is None:
                raise KeyNotFound(_NOT_FOUND.format(which=which))
            row.revoked_at = _now()
            record = _record(row)
    except SQLAlchemyError as exc:
        raise AuthUnavailable(_UNAVAILABLE.format(error=type(exc).__name__)) from exc
    return record


def find_key(log: DecisionLog, key_id: str) -> KeyRecord | None:
    """Return the key stored under an id (revoked or not), or None.

    Parameters
    ----------
    log : DecisionLog
    key_id : str

    Returns
    -------
    KeyRecord or None

    Raises
    ------
    AuthUnavailable
    """
    try:
        # Read-only: a key lookup on SQLite must not wait for the score writer's lock.
        with log.sessions(execution_options=_READ_ONLY) as session, session.begin():
            row = session.get(ApiKey, key_id)
            return None if row is None else _record(row)
    except SQLAlchemyError as exc:
        raise AuthUnavailable(_UNAVAILABLE.format(error=type(exc).__name__)) from exc
