"""Errors of the decision log; their HTTP translation lives in :mod:`service.errors`.

Hierarchy::

    DecisionLogError
    ├── DecisionLogUnavailable     the log cannot be read or written (503)
    │   └── SchemaTooNew           the database is at a schema revision this code does not know
    ├── InvalidDatabaseUrl         the URL names no database this service can use
    ├── DecisionNotFound           no score was recorded under that decision id (404)
    ├── ScreeningAlreadyRecorded   a screening decision exists for that id (409)
    ├── OverrideNotPermitted       screening out a required screen-in without the right (403)
    └── InvalidScreening           the decision breaks a documented rule, e.g. no reason (422)
        └── UnknownService         a referral status names a service nobody can look up (422)
"""

from __future__ import annotations

from typing import Final

NOT_WRITTEN: Final = (
    "The decision log could not be written, so nothing was recorded; retry later or ask an "
    "administrator to check HOTLINE_DATABASE_URL"
)
"""503 message of a screening decision, status update or outcome import that wrote nothing.

A score's own message (:data:`~service.decision_log.batcher.UNAVAILABLE`) says that no score
is returned unrecorded; these requests return no score, so they say what matters to them.
"""

NOT_READ: Final = (
    "The decision log could not be read; retry later or ask an administrator to check "
    "HOTLINE_DATABASE_URL"
)
"""503 message of a request that only reads the log (a decision record, a report)."""


class DecisionLogError(Exception):
    """Base class of every error raised by :mod:`service.decision_log`."""


class DecisionLogUnavailable(DecisionLogError):
    """The log cannot be written or read; nothing is returned unrecorded."""


class SchemaTooNew(DecisionLogUnavailable):
    """The database is at a schema revision this code does not know (a newer version's).

    Migrating it is not attempted: the service starts and refuses writes (503), a command
    says so in one line.
    """


class InvalidDatabaseUrl(DecisionLogError, ValueError):
    """The decision log's URL is not one this service can use (a setting, not a request)."""


class DecisionNotFound(DecisionLogError):
    """No score was recorded under this decision id."""


class ScreeningAlreadyRecorded(DecisionLogError):
    """A screening decision was already recorded for this decision id."""


class OverrideNotPermitted(DecisionLogError):
    """Screening out a screen-in the rules require, by a caller not allowed to override."""


class InvalidScreening(DecisionLogError):
    """A screening decision that breaks a documented rule; ``field`` names the field at fault."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class UnknownService(InvalidScreening):
    """A referral status names a service neither suggested for the decision nor listed."""
