"""What reports read of a score record, kept beside it so that a report need not parse it all.

A score record is ~9 KB of JSON (the response, the pseudonymized referral, its features); a
monitoring report reads ~1.6 KB of it. Reading and parsing every whole record made the first
report over 100,000 decisions take 14-26 s (docs/performance.md). Each score record's
summary is written in the same transaction (table ``score_summaries``), and
:func:`~service.decision_log.verify.verify_chain` checks each against its record, so a
report read from summaries says what the chained records say.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy import Connection, inspect

from service.decision_log.tables import ScoreSummary

_TOP: Final = (
    "decision_id",
    "model_version",
    "referral_id",
    "household_id",
    "probability",
    "score",
    "features",
)


def summarize_score(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the parts of a score record's content that reports read, in the same shape.

    Parameters
    ----------
    payload : mapping
        The content of a score record (parsed).

    Returns
    -------
    dict
        A sub-tree of ``payload``: the keys of :data:`_TOP` it has, the referral's
        ``received_at`` and its children's ``race``, and the recommendation's ``value``.
        Whatever reads a report row from a record reads the same row from this.

    Raises
    ------
    KeyError, TypeError
        ``payload`` is not a score record's content.
    """
    referral = payload["referral"]
    summary = {key: payload[key] for key in _TOP if key in payload}
    children = [{k: v for k, v in child.items() if k == "race"} for child in referral["children"]]
    summary["referral"] = {"received_at": referral["received_at"], "children": children}
    summary["recommendation"] = {"value": payload["recommendation"]["value"]}
    return summary


def summaries_kept(connection: Connection) -> bool:
    """Whether the log has a summaries table: not one read as found at an older schema.

    Parameters
    ----------
    connection : sqlalchemy.Connection

    Returns
    -------
    bool
        False for a log last migrated before revision 0005 (a backup, say), which commands
        that only read (``hotline log verify``, ``hotline monitor``) take as found.
    """
    return inspect(connection).has_table(ScoreSummary.__tablename__)
