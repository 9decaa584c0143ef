"""Open the decision log: brought up to date (service start, commands that write) or as found."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic.util import CommandError
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from service.config import get_settings
from service.decision_log.db import READ_ONLY, DecisionLog, first_line, open_log, sqlite_file
from service.decision_log.errors import DecisionLogUnavailable, SchemaTooNew
from service.decision_log.migrate import migrate
from service.decision_log.tables import LogEntry

log = logging.getLogger("hotline.decision_log")

_NOT_MIGRATED = (SchemaTooNew, CommandError, SQLAlchemyError, OSError)
"""What a migration raises when the log cannot be brought up to date (not a bug of ours).

SchemaTooNew: a newer version migrated the database; CommandError: Alembic cannot place the
database's revision; SQLAlchemyError: the database cannot be reached or refused a step;
OSError: a SQLite file that cannot be created or opened.
"""


def start_log(decision_log: DecisionLog) -> bool:
    """Run the migrations; log (not raise) a failure so the service can answer 503 on writes.

    Parameters
    ----------
    decision_log : DecisionLog

    Returns
    -------
    bool
        Whether the schema is current.
    """
    try:
        migrate(decision_log.engine)
    except _NOT_MIGRATED as exc:
        log.error("decision log not migrated; scores will be refused (503): %s", first_line(exc))
        return False
    return True


@contextmanager
def opened_log(database_url: str | None, *, create: bool = False) -> Iterator[DecisionLog]:
    """Open the decision log for a command, brought up to date, and close it afterwards.

    Parameters
    ----------
    database_url : str or None
        Default: ``HOTLINE_DATABASE_URL``.
    create : bool, default False
        Create a missing SQLite file (``hotline log migrate``, ``make run``'s demo key).
        Otherwise a missing file is refused: the default URL is relative to the working
        directory, and a key or outcomes written from another directory went into a new,
        empty log that nothing read.

    Yields
    ------
    DecisionLog
        Migrated (idempotent and cheap when current), so a fresh database works from the
        first command, ``api_keys`` included.

    Raises
    ------
    DecisionLogUnavailable
        The database cannot be reached or brought up to date, or its SQLite file is missing
        and ``create`` is False; one line naming it (a command stops there, where the service
        would start and answer 503).
    """
    decision_log = _open(database_url, create=create)
    try:
        if not create:
            _require_file(decision_log)
        try:
            migrate(decision_log.engine)
        except _NOT_MIGRATED as exc:
            raise DecisionLogUnavailable(_cannot_open(decision_log, exc)) from exc
        yield decision_log
    finally:
        decision_log.dispose()


@contextmanager
def existing_log(database_url: str | None) -> Iterator[DecisionLog]:
    """Open a decision log that must exist already, for a command that only reads it.

    Nothing is created or migrated: a mistyped URL must not be answered with a new, empty log
    that "verifies" (``ok: 0 records``).

    Parameters
    ----------
    database_url : str or None
        Default: ``HOTLINE_DATABASE_URL``.

    Yields
    ------
    DecisionLog

    Raises
    ------
    DecisionLogUnavailable
        The SQLite file does not exist, the database has no ``log_entries`` table, or it
        cannot be reached; the message is one line naming the database.
    """
    decision_log = _open(database_url, create=False)
    try:
        _require_log(decision_log)
        yield decision_log
    finally:
        decision_log.dispose()


def _cannot_open(decision_log: DecisionLog, exc: BaseException, *, verb: str = "opened") -> str:
    where = decision_log.engine.url.render_as_string(hide_password=True)
    return f"the decision log at {where} cannot be {verb}: {first_line(exc)}"


def _open(database_url: str | None, *, create: bool) -> DecisionLog:
    settings = get_settings()
    key = settings.pseudonym_key.get_secret_value().encode()
    return open_log(database_url or settings.database_url, key=key, create=create)


def _require_file(decision_log: DecisionLog) -> None:
    database = sqlite_file(decision_log.engine)
    # Checked before connecting: SQLite creates a missing file on connect.
    if database is not None and not Path(database).is_file():
        # Absolute: the default URL is relative, and where it led is what the reader needs.
        raise DecisionLogUnavailable(
            f"no decision log at {Path(database).absolute()}: the file does not exist; check "
            "--database-url or HOTLINE_DATABASE_URL (`hotline log migrate` creates one)"
        )


def _require_log(decision_log: DecisionLog) -> None:
    engine = decision_log.engine
    where = engine.url.render_as_string(hide_password=True)
    _require_file(decision_log)
    table = LogEntry.__tablename__
    try:
        with engine.connect().execution_options(**{READ_ONLY: True}) as connection:
            found = inspect(connection).has_table(table)
    except SQLAlchemyError as exc:
        raise DecisionLogUnavailable(_cannot_open(decision_log, exc, verb="read")) from exc
    if not found:
        raise DecisionLogUnavailable(
            f"no decision log in {where}: it has no {table} table; check --database-url or "
            "HOTLINE_DATABASE_URL (`hotline log migrate` creates one)"
        )
