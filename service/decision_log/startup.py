"""Bring the decision log's schema up to date when the service starts."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from service.decision_log.db import DecisionLog
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
