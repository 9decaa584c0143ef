"""The decision log as reports read it, kept between reports: each report reads only what is new.

A monitoring report needs every score record's figures, each screening decision and each
outcome. Parsing them all again for every report (~9 KB of JSON per score) made a report
over 100,000 decisions take seconds each time (docs/performance.md). The log is
append-only (triggers refuse ``UPDATE`` and ``DELETE``, and records are committed in
``seq`` order under the chain lock), so the rows read once stay true: a report now reads the
records after the last one it saw. It first checks that this record is still there with the
same hash, so a database replaced underneath (a restore) is read again from the start.
A score is read from its summary (:mod:`service.decision_log.summary`) when it has one.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple
from weakref import WeakKeyDictionary

import orjson
import pandas as pd
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from models import FEATURE_SPEC
from service.decision_log.db import DecisionLog
from service.decision_log.repository import transaction
from service.decision_log.summary import summaries_kept
from service.decision_log.tables import LogEntry, ScoreSummary

TOOL_IN: Final = ("screen_in_required", "screen_in_recommended")
"""The rules' recommendations that screen in by themselves."""
SCORE_COLUMNS: Final = (
    "decision_id",
    "model_version",
    "referral_key",
    "household_key",
    "received_date",
    "probability",
    "score",
    "recommendation",
    "race",
    "tool_in",
)
_KINDS: Final = ("score", "screening", "outcome")
_FEATURE_NAMES: Final = tuple(f.name for f in FEATURE_SPEC)
_FEATURES: Final = operator.itemgetter(*_FEATURE_NAMES)


class Screening(NamedTuple):
    """What a report reads of a screening decision."""

    screened_in: bool
    unit: str
    reason_code: str | None
    # Read for the list of overrides only (the monitoring frame leaves them out); None when
    # the record has none.
    supervisor_id: str | None = None
    decided_at: str | None = None


class Outcome(NamedTuple):
    """What a report reads of an outcome event (a tuple: a frame is built from thousands)."""

    subject: str
    event: str
    event_date: str
    by: str | None


@dataclass(frozen=True)
class Decisions:
    """Everything reports read of the log, as of one moment.

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per score record: :data:`SCORE_COLUMNS`, then one column per feature.
    screenings : dict of str to Screening
        By decision id.
    outcomes : list of Outcome
    """

    scores: pd.DataFrame
    screenings: dict[str, Screening]
    outcomes: list[Outcome]


class DecisionRows:
    """The rows read so far from one decision log, and where reading stopped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._last: tuple[int, str] | None = None  # seq and hash of the last record read
        self._scores = _score_frame([])
        self._screenings: dict[str, Screening] = {}
        self._outcomes: list[Outcome] = []

    def read(self, log: DecisionLog) -> Decisions:
        """Read the records written since the last call and return all of them.

        Parameters
        ----------
        log : DecisionLog

        Returns
        -------
        Decisions
            Copies: a caller may change them.

        Raises
        ------
        DecisionLogUnavailable
            The database cannot be read.
        """
        with self._lock:
            # Read-only: on SQLite a report over a long log must not hold up the scores
            # being written.
            with transaction(log, read_only=True) as session:
                if self._last is not None:
                    seq, seen = self._last
                    if session.scalar(select(LogEntry.hash).where(LogEntry.seq == seq)) != seen:
                        self._reset()
                after = 0 if self._last is None else self._last[0]
                # Core rows, not the ORM's: a tenth of a first report's time was its loading.
                rows = session.connection().execute(_records_after(after, session)).all()
            if rows:
                self._add(rows)
                self._last = (rows[-1].seq, rows[-1].hash)
            return Decisions(self._scores.copy(), dict(self._screenings), list(self._outcomes))

    def _add(self, rows: Iterable[Any]) -> None:
        # Parsed whole before any of it is kept: a record that fails to parse leaves the rows
        # as they were, and the next report tries from the same place.
        scores, screenings, outcomes = [], {}, []
        for row in rows:
            # orjson: json.loads took 7 of the 14 s of a report over 100,000 whole records.
            payload = orjson.loads(row.payload)
            if row.kind == "score":
                scores.append(_score_row(payload))
            elif row.kind == "screening":
                screenings[row.decision_id] = Screening(
                    screened_in=payload["decision"] == "screened_in",
                    unit=payload["unit"],
                    reason_code=payload.get("reason_code"),
                    supervisor_id=payload.get("supervisor_id"),
                    decided_at=payload.get("decided_at"),
                )
            else:
                outcomes.append(
                    Outcome(
                        subject=payload["subject"],
                        event=payload["event"],
                        event_date=payload["event_date"],
                        by=payload.get("by"),
                    )
                )
        if scores:
            # Each batch's types are its own (a batch of old records without model_version
            # has it as None only): inferred again over all of them, as one read would.
            new = _score_frame(scores)
            if len(self._scores):
                new = pd.concat([self._scores, new], ignore_index=True).infer_objects()
            self._scores = new
        self._screenings.update(screenings)
        self._outcomes.extend(outcomes)


def _records_after(after: int, session: Session) -> Select[Any]:
    if not summaries_kept(session.connection()):
        content: Any = LogEntry.payload
        records = select(LogEntry.seq, LogEntry.kind, LogEntry.decision_id, content, LogEntry.hash)
    else:
        # A score's summary when it has one: a ~1.6 KB sub-tree of its ~9 KB record, read the
        # same way; the record's own pages are then not read at all.
        content = func.coalesce(ScoreSummary.summary, LogEntry.payload).label("payload")
        records = select(
            LogEntry.seq, LogEntry.kind, LogEntry.decision_id, content, LogEntry.hash
        ).outerjoin(ScoreSummary, ScoreSummary.seq == LogEntry.seq)
    return records.where(LogEntry.seq > after, LogEntry.kind.in_(_KINDS)).order_by(LogEntry.seq)


_ROWS: WeakKeyDictionary[DecisionLog, DecisionRows] = WeakKeyDictionary()
_ROWS_LOCK = threading.Lock()


def read_decisions(log: DecisionLog) -> Decisions:
    """Return what reports read of a log, reading only what is new since the last call.

    Parameters
    ----------
    log : DecisionLog
        Its rows are kept for as long as it is open (one per process in the service).

    Returns
    -------
    Decisions
    """
    with _ROWS_LOCK:
        rows = _ROWS.setdefault(log, DecisionRows())
    return rows.read(log)


def received_day(received_at: str) -> str:
    """Return the day a referral was received, as reports read it.

    Parameters
    ----------
    received_at : str
        The referral's ``received_at`` as logged (ISO 8601 with its offset).

    Returns
    -------
    str
        YYYY-MM-DD: the date the referral itself gives, in its own offset (the agency's day),
        not moved to UTC.
    """
    return received_at[:10]


def _score_row(payload: dict[str, Any]) -> list[Any]:
    referral = payload["referral"]
    races = sorted({r for child in referral["children"] for r in child.get("race", [])})
    recommendation = payload["recommendation"]["value"]
    features = payload["features"]
    try:
        values = _FEATURES(features)  # in C: 40 lookups per row were a fifth of a first report
    except KeyError:  # a record of a model with other features
        values = tuple(features.get(name) for name in _FEATURE_NAMES)
    return [
        payload["decision_id"],
        payload.get("model_version"),
        payload["referral_id"],
        payload["household_id"],
        received_day(referral["received_at"]),
        payload["probability"],
        payload["score"],
        recommendation,
        "|".join(races) or "unknown",
        float(recommendation in TOOL_IN),
        *values,
    ]


def _score_frame(rows: Sequence[list[Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[*SCORE_COLUMNS, *_FEATURE_NAMES])
    frame["tool_in"] = frame["tool_in"].astype(float)  # a number even with no row
    return frame
