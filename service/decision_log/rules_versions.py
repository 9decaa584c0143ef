"""The content each rules version was first served with, shared by every worker and replica.

Decisions are logged by rules version, so a version must keep one content. Each worker
refuses, by itself, a file whose content changed under a version it served; but a worker
started after the edit (a restart, a respawn, another replica) had never served the old
content and took the new. A version is now claimed here, once, by the first worker to serve
it, and every worker compares its file with the claim. ``hotline rules check`` reads the
claims too (:func:`look_up_claim`), so an author learns before deploying what a reload would
refuse.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from service.decision_log.db import READ_ONLY, DecisionLog, first_line, open_log, sqlite_file
from service.decision_log.errors import NOT_READ, NOT_WRITTEN, DecisionLogUnavailable
from service.decision_log.tables import LogEntry, RulesVersion


@dataclass(frozen=True)
class Claim:
    """What a rules version was first served with."""

    version: str
    sha256: str
    first_served_at: str


@dataclass(frozen=True)
class ClaimLookup:
    """A version's claim, read from a decision log as it was found.

    Attributes
    ----------
    log : str
        The log read: a SQLite file's absolute path, else its URL without the password.
    claim : Claim or None
        None when the version is unclaimed: no worker has served it yet.
    """

    log: str
    claim: Claim | None


def claim_rules_version(log: DecisionLog, version: str, sha256: str) -> Claim:
    """Claim ``version`` for the content ``sha256`` unless it is claimed already.

    Parameters
    ----------
    log : DecisionLog
        Migrated (its ``rules_versions`` table exists).
    version : str
    sha256 : str
        SHA-256 of the rules file.

    Returns
    -------
    Claim
        The claim in force: this one, or the earlier one (whose ``sha256`` may differ: the
        caller refuses the file then).

    Raises
    ------
    DecisionLogUnavailable
        The database cannot be written.
    """
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    values = {"version": version, "sha256": sha256, "first_served_at": now}
    # Two workers starting together may claim at once: the first insert wins, the other
    # finds its claim.
    insert = (
        postgresql.insert(RulesVersion).values(values).on_conflict_do_nothing()
        if log.engine.dialect.name == "postgresql"
        else sqlite.insert(RulesVersion).values(values).on_conflict_do_nothing()
    )
    try:
        with log.sessions.begin() as session:
            session.execute(insert)
            row = session.get_one(RulesVersion, version)
            return Claim(row.version, row.sha256, row.first_served_at)
    except SQLAlchemyError as exc:
        raise DecisionLogUnavailable(NOT_WRITTEN) from exc


def find_claim(log: DecisionLog, version: str) -> Claim | None:
    """Return the claim on ``version``, without claiming it.

    Parameters
    ----------
    log : DecisionLog
    version : str

    Returns
    -------
    Claim or None
        None when the version is unclaimed, or the database is not migrated this far.

    Raises
    ------
    DecisionLogUnavailable
        The database cannot be read.
    """
    try:
        with log.engine.connect().execution_options(**{READ_ONLY: True}) as connection:
            if not inspect(connection).has_table(RulesVersion.__tablename__):
                return None
            return _claim_in(connection, version)
    except SQLAlchemyError as exc:
        raise DecisionLogUnavailable(NOT_READ) from exc


def look_up_claim(database_url: str, version: str, *, key: bytes) -> ClaimLookup:
    """Read the claim on ``version`` from the decision log as found: nothing is created or migrated.

    For ``hotline rules check``, which may run where there is no log at all (an author's
    laptop): a mistyped URL must not leave an empty database behind.

    Parameters
    ----------
    database_url : str
    version : str
    key : bytes
        Pseudonym key (nothing is pseudonymized; opening a log takes one).

    Returns
    -------
    ClaimLookup

    Raises
    ------
    InvalidDatabaseUrl
        The URL names no database this service can use.
    DecisionLogUnavailable
        There are no claims to read there, in one short line saying why: no SQLite file, no
        decision log in the database, a log from before claims (no ``rules_versions`` table),
        or a database that cannot be read.
    """
    decision_log = open_log(database_url, key=key, create=False)
    try:
        where = _shown(decision_log.engine)
        database = sqlite_file(decision_log.engine)
        # Checked before connecting: SQLite creates a missing file on connect.
        if database is not None and not Path(database).is_file():
            raise DecisionLogUnavailable(f"no file {where}")
        return ClaimLookup(where, _read_claim(decision_log.engine, where, version))
    finally:
        decision_log.dispose()


def _read_claim(engine: Engine, where: str, version: str) -> Claim | None:
    try:
        with engine.connect().execution_options(**{READ_ONLY: True}) as connection:
            tables = inspect(connection)
            if not tables.has_table(LogEntry.__tablename__):
                raise DecisionLogUnavailable(
                    f"{where} holds no decision log (no {LogEntry.__tablename__} table)"
                )
            if not tables.has_table(RulesVersion.__tablename__):
                # Migrated by the service's next start, which then claims what it serves.
                raise DecisionLogUnavailable(
                    f"the decision log {where} has no {RulesVersion.__tablename__} table yet"
                )
            return _claim_in(connection, version)
    except SQLAlchemyError as exc:
        raise DecisionLogUnavailable(f"{where} cannot be read: {first_line(exc)}") from exc


def _claim_in(connection: Connection, version: str) -> Claim | None:
    row = connection.execute(
        select(RulesVersion.version, RulesVersion.sha256, RulesVersion.first_served_at).where(
            RulesVersion.version == version
        )
    ).one_or_none()
    return None if row is None else Claim(row.version, row.sha256, row.first_served_at)


def _shown(engine: Engine) -> str:
    # Absolute: the default URL is relative to the working directory, and where it led is
    # what the reader needs. A server's URL is shown without its password.
    database = sqlite_file(engine)
    if database is not None:
        return str(Path(database).absolute())
    return engine.url.render_as_string(hide_password=True)
