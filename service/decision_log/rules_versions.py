"""The content each rules version was first served with, shared by every worker and replica.

Decisions are logged by rules version, so a version must keep one content. Each worker
refuses, by itself, a file whose content changed under a version it served; but a worker
started after the edit (a restart, a respawn, another replica) had never served the old
content and took the new. A version is now claimed here, once, by the first worker to serve
it, and every worker compares its file with the claim.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from service.decision_log.db import READ_ONLY, DecisionLog
from service.decision_log.errors import NOT_READ, NOT_WRITTEN, DecisionLogUnavailable
from service.decision_log.tables import RulesVersion


@dataclass(frozen=True)
class Claim:
    """What a rules version was first served with."""

    version: str
    sha256: str
    first_served_at: str


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
            row = connection.execute(
                select(
                    RulesVersion.version, RulesVersion.sha256, RulesVersion.first_served_at
                ).where(RulesVersion.version == version)
            ).one_or_none()
    except SQLAlchemyError as exc:
        raise DecisionLogUnavailable(NOT_READ) from exc
    return None if row is None else Claim(*row)
