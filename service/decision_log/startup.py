"""Bring the decision log's schema up to date when the service starts."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import SQLAlchemyError

from service.config import get_settings
from service.decision_log.db import DecisionLog, open_log
from service.decision_log.migrate import migrate

log = logging.getLogger("hotline.decision_log")


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
    except (SQLAlchemyError, OSError) as exc:
        log.error("decision log not migrated; scores will be refused (503): %s", exc)
        return False
    return True


@contextmanager
def opened_log(database_url: str | None) -> Iterator[DecisionLog]:
    """Open the decision log for a command, brought up to date, and close it afterwards.

    Parameters
    ----------
    database_url : str or None
        Default: ``HOTLINE_DATABASE_URL``.

    Yields
    ------
    DecisionLog
        Migrated (idempotent and cheap when current), so a fresh database works from the
        first command, ``api_keys`` included.
    """
    settings = get_settings()
    key = settings.pseudonym_key.get_secret_value().encode()
    decision_log = open_log(database_url or settings.database_url, key=key)
    try:
        start_log(decision_log)
        yield decision_log
    finally:
        decision_log.dispose()
