"""Later events in a family's life (re-referral, substantiation, removal, injury), row by row.

Rows come from a CSV file (`hotline outcomes import`) or a JSON list (`POST /v1/outcomes`).
Each row is checked on its own: a bad row is reported (row, column, what is accepted) and the
good ones are kept. A row already on record is skipped, so importing a file twice is harmless.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import select

from service.decision_log.db import DecisionLog, lock_chain
from service.decision_log.repository import append, stamp, transaction
from service.decision_log.tables import LogEntry


class OutcomeEvent(StrEnum):
    """What happened later."""

    re_referral = "re_referral"
    substantiation = "substantiation"
    removal = "removal"
    injury = "injury"


_ID: Final = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_ACCEPTED_ID: Final = "an agency identifier of 1-64 letters, digits or _ . : -"
_ACCEPTED_EVENT: Final = ", ".join(e.value for e in OutcomeEvent)
COLUMNS: Final = ("referral_id", "household_id", "event", "event_date")


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with one row.

    Attributes
    ----------
    row : int
        CSV line number (the header is line 1), or the index in a JSON list (from 0).
    column : str
    message : str
        What was found and what is accepted.
    """

    row: int
    column: str
    message: str


@dataclass
class OutcomeImport:
    """What an import did.

    Attributes
    ----------
    accepted : int
        New events written.
    duplicates : int
        Rows already on record (skipped).
    rejected : list of RowProblem
        One entry per problem; a row with a problem is not written.
    """

    accepted: int = 0
    duplicates: int = 0
    rejected: list[RowProblem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [vars(p) for p in self.rejected],
        }


def record_outcomes(
    log: DecisionLog,
    rows: Sequence[Mapping[str, Any]],
    *,
    first_row: int = 0,
    recorded_by: Mapping[str, str] | None = None,
) -> OutcomeImport:
    """Check each row, then append the good, new ones to the chain in one transaction.

    Parameters
    ----------
    log : DecisionLog
    rows : sequence of mapping
        Keys ``referral_id`` and/or ``household_id``, ``event``, ``event_date`` (YYYY-MM-DD).
    first_row : int, default 0
        Number of the first row in problem reports (2 for a CSV file with a header).
    recorded_by : mapping, optional
        Who wrote them (the API key's id and role), kept in each record as ``recorded_by``;
        None (the command line) leaves it out.

    Returns
    -------
    OutcomeImport

    Raises
    ------
    DecisionLogUnavailable
        Nothing was written.
    """
    result = OutcomeImport()
    checked: list[tuple[str, str, dict[str, Any]]] = []
    for i, row in enumerate(rows):
        number = first_row + i
        problems = check_row(row, row_number=number)
        if problems:
            result.rejected.extend(problems)
            continue
        checked.append(_keyed(log, row))
    with transaction(log) as session:
        lock_chain(session)
        seen: set[str] = set()
        for subject, dedupe, payload in checked:
            if dedupe in seen or session.scalar(
                select(LogEntry.seq).where(LogEntry.dedupe_key == dedupe)
            ):
                result.duplicates += 1
                continue
            seen.add(dedupe)
            append(
                session,
                stamp(payload, recorded_by),
                kind="outcome",
                subject_key=subject,
                dedupe_key=dedupe,
            )
            result.accepted += 1
    return result


def check_row(row: Mapping[str, Any], *, row_number: int) -> list[RowProblem]:
    """List what is wrong with one outcome row (empty when it is good).

    Parameters
    ----------
    row : mapping
    row_number : int

    Returns
    -------
    list of RowProblem
    """
    if not isinstance(row, Mapping):
        return [RowProblem(row_number, "row", f"expected an object with columns {COLUMNS}")]
    problems = []
    ids = {c: _text(row.get(c)) for c in ("referral_id", "household_id")}
    if not any(ids.values()):
        problems.append(
            RowProblem(
                row_number,
                "referral_id",
                f"neither referral_id nor household_id is "
                f"given; accepted: either one, {_ACCEPTED_ID}",
            )
        )
    for column, value in ids.items():
        if value and not _ID.match(value):
            problems.append(
                RowProblem(
                    row_number, column, f"{value!r} is not an identifier; accepted: {_ACCEPTED_ID}"
                )
            )
    event = _text(row.get("event"))
    if event not in OutcomeEvent.__members__:
        problems.append(
            RowProblem(
                row_number, "event", f"{event!r} is not an event; accepted: {_ACCEPTED_EVENT}"
            )
        )
    day = _text(row.get("event_date"))
    try:
        dt.date.fromisoformat(day)
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            raise ValueError(day)
    except ValueError:
        problems.append(
            RowProblem(
                row_number,
                "event_date",
                f"{day!r} is not a date; accepted: YYYY-MM-DD, e.g. 2026-03-31",
            )
        )
    return problems


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _keyed(log: DecisionLog, row: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]]:
    # A referral id is the more specific key, so it wins when both are given.
    referral_id, household_id = _text(row.get("referral_id")), _text(row.get("household_id"))
    if referral_id:
        subject, by = log.pseudonymizer("referral", referral_id), "referral"
    else:
        subject, by = log.pseudonymizer("household", household_id), "household"
    event, day = _text(row["event"]), _text(row["event_date"])
    payload = {"by": by, "subject": subject, "event": event, "event_date": day}
    return subject, f"outcome:{subject}:{event}:{day}", payload
