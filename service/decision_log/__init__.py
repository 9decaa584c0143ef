"""The decision log: every score, screening decision, referral status and outcome, on record.

Each record is appended to one hash chain (``log_entries``): it carries the hash of its
predecessor and its own hash over a canonical JSON of its content, so an edited or deleted
record breaks the chain and :func:`verify_chain` names it. Family identifiers are replaced by
keyed hashes (:class:`Pseudonymizer`) before anything is written. SQLite (WAL) is the embedded
default, PostgreSQL is chosen by URL; the schema is managed by Alembic migrations shipped here.
"""

from service.decision_log.batcher import Committed, GroupCommitter
from service.decision_log.bulk import PendingRecord
from service.decision_log.db import DecisionLog, open_log
from service.decision_log.errors import (
    DecisionLogError,
    DecisionLogUnavailable,
    DecisionNotFound,
    InvalidDatabaseUrl,
    InvalidScreening,
    OverrideNotPermitted,
    SchemaTooNew,
    ScreeningAlreadyRecorded,
    UnknownService,
)
from service.decision_log.migrate import migrate
from service.decision_log.outcomes import OutcomeImport, RowProblem, record_outcomes
from service.decision_log.pseudonymize import Pseudonymizer
from service.decision_log.repository import (
    find_decisions,
    get_decision,
    record_referral_statuses,
    record_score,
    record_screening,
    score_record,
)
from service.decision_log.verify import ChainReport, verify_chain

__all__ = [
    "ChainReport",
    "Committed",
    "DecisionLog",
    "DecisionLogError",
    "DecisionLogUnavailable",
    "DecisionNotFound",
    "GroupCommitter",
    "InvalidDatabaseUrl",
    "InvalidScreening",
    "UnknownService",
    "OverrideNotPermitted",
    "OutcomeImport",
    "PendingRecord",
    "Pseudonymizer",
    "RowProblem",
    "SchemaTooNew",
    "ScreeningAlreadyRecorded",
    "find_decisions",
    "get_decision",
    "migrate",
    "open_log",
    "record_outcomes",
    "record_referral_statuses",
    "record_score",
    "record_screening",
    "score_record",
    "verify_chain",
]
