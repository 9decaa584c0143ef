"""Write and read records of the chain. Every write goes through :func:`append`.

Each public function runs one transaction. Database errors become
:class:`~service.decision_log.errors.DecisionLogUnavailable`, so the caller answers 503
rather than returning anything unrecorded.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Container, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from sqlalchemy import Row, Select, literal, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, aliased

from models import FEATURE_NAMES, Referral
from service.decision_log.batcher import Committed
from service.decision_log.bulk import PendingRecord
from service.decision_log.chain import GENESIS, canonical_json, record_hash_of_text
from service.decision_log.db import READ_ONLY, DecisionLog, lock_chain
from service.decision_log.errors import (
    NOT_READ,
    NOT_WRITTEN,
    DecisionLogUnavailable,
    DecisionNotFound,
    InvalidScreening,
    OverrideNotPermitted,
    ScreeningAlreadyRecorded,
    UnknownService,
)
from service.decision_log.schemas import (
    DECISIONS_LISTED,
    Appended,
    DecisionRecord,
    DecisionSummary,
    ReasonCode,
    ReferralDecisions,
    ReferralStatusBatch,
    ScreeningOutcome,
    ScreeningRequest,
)
from service.decision_log.summary import summarize_score
from service.decision_log.tables import LogEntry, ScoreSummary
from service.ids import could_be_issued
from service.referrals.status import ReferralStatusUpdate
from service.schemas import ScoreResponse

_NOT_FOUND = "No decision {decision_id!r} is on record; use the decision_id a /v1/score returned"
_UNKNOWN_SERVICE = (
    "{service_id!r} is neither one of this decision's suggestions ({suggested}) nor a service "
    "in the directory; accepted: a service_id from the score's referrals or from "
    "GET /v1/referrals/search"
)
_TWICE = (
    "A screening decision for {decision_id!r} is already on record (seq {seq}); it cannot be "
    "replaced. Record a correction as a note with your supervisor instead"
)
_OVERRIDE = (
    "The rules require decision {decision_id!r} to be screened in; screening it out is an "
    "override, which needs the decisions:override permission: ask a supervisor to record it "
    "with their key"
)
_NEEDS_REASON = (
    "{field} is required when screening out a screen_in_required recommendation; accepted: "
    "{accepted}"
)


def utc_now() -> str:
    """Return the current UTC time as ISO 8601 with microseconds."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


@contextmanager
def transaction(log: DecisionLog, *, read_only: bool = False) -> Iterator[Session]:
    """Open a session in one transaction; database failures become DecisionLogUnavailable.

    Parameters
    ----------
    log : DecisionLog
    read_only : bool, default False
        The transaction only reads. On SQLite it then begins deferred, without the write lock
        (see :data:`~service.decision_log.db.READ_ONLY`), so it neither waits for appends nor
        holds them up; it must not write. Otherwise it takes the write lock as it begins, as
        every transaction that appends must (the head is read under it). A database
        failure says the log could not be read (:data:`~service.decision_log.errors.NOT_READ`)
        or that nothing was recorded (:data:`~service.decision_log.errors.NOT_WRITTEN`).

    Yields
    ------
    sqlalchemy.orm.Session
    """
    # Session-level execution options reach the connection before its BEGIN is emitted.
    options = {READ_ONLY: True} if read_only else {}
    try:
        with log.sessions(execution_options=options) as session, session.begin():
            yield session
    except SQLAlchemyError as exc:
        raise DecisionLogUnavailable(NOT_READ if read_only else NOT_WRITTEN) from exc


def append(
    session: Session,
    payload: dict[str, Any],
    *,
    kind: str,
    decision_id: str | None = None,
    subject_key: str | None = None,
    dedupe_key: str | None = None,
) -> LogEntry:
    """Append one record at the head of the chain (the caller holds the chain lock).

    A score record's summary (:func:`~service.decision_log.summary.summarize_score`) is
    written beside it.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        In a transaction that called :func:`~service.decision_log.db.lock_chain`.
    payload : dict
        JSON-ready content.
    kind, decision_id, subject_key, dedupe_key
        See :class:`~service.decision_log.tables.LogEntry`.

    Returns
    -------
    LogEntry
        Flushed, with its ``seq`` and ``hash``.
    """
    head = session.execute(
        select(LogEntry.seq, LogEntry.hash).order_by(LogEntry.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS)
    recorded_at = utc_now()
    text = canonical_json(payload)
    digest = record_hash_of_text(
        seq=seq,
        kind=kind,
        decision_id=decision_id,
        subject_key=subject_key,
        dedupe_key=dedupe_key,
        recorded_at=recorded_at,
        payload_text=text,
        prev_hash=prev_hash,
    )
    entry = LogEntry(
        seq=seq,
        kind=kind,
        decision_id=decision_id,
        subject_key=subject_key,
        dedupe_key=dedupe_key,
        recorded_at=recorded_at,
        payload=text,
        prev_hash=prev_hash,
        hash=digest,
    )
    session.add(entry)
    if kind == "score":
        # Flushed first: the summary's foreign key needs its record.
        session.flush()
        session.add(
            ScoreSummary(
                seq=seq,
                household_key=payload["household_id"],
                summary=canonical_json(summarize_score(payload)),
            )
        )
    session.flush()
    return entry


def score_record(
    log: DecisionLog,
    response: ScoreResponse,
    *,
    referral: Referral,
    features: npt.NDArray[np.float64],
    response_json: bytes | str | None = None,
    recorded_by: Mapping[str, str] | None = None,
    rules_sha256: str | None = None,
) -> PendingRecord:
    """Build the record of a score: the response, its pseudonymized inputs and its features.

    Parameters
    ----------
    log : DecisionLog
    response : ScoreResponse
        Exactly what is about to be returned.
    referral : Referral
        The input; identifiers are hashed before writing.
    features : numpy.ndarray
        The feature vector the model scored.
    response_json : bytes or str, optional
        ``response.model_dump_json()`` when the caller has it already (the route serializes
        the response once, for the client and for this record).
    recorded_by : mapping, optional
        Who wrote it (the API key's id and role, see ``Principal.recorded_as``), kept in the
        record as ``recorded_by``; None (the command line) leaves it out.
    rules_sha256 : str, optional
        SHA-256 of the rules file that was applied (``RulesOutcome.rules_sha256``), kept
        beside ``rules_version``: a file edited without a new version still tells apart.
        None leaves it out, as records written before it was logged have none.

    Returns
    -------
    PendingRecord

    Raises
    ------
    ValueError
        A feature is not a finite number (JSON has no NaN; nothing unrecordable is returned).
    """
    if not np.isfinite(features).all():
        raise ValueError("a feature is not a finite number; the score cannot be recorded")
    hashed = log.pseudonymizer.referral(referral)
    payload = (
        response.model_dump(mode="json") if response_json is None else orjson.loads(response_json)
    )
    payload["referral_id"] = hashed["referral_id"]
    payload["household_id"] = hashed["household_id"]
    payload["referral"] = hashed
    payload["features"] = dict(zip(FEATURE_NAMES, features.tolist(), strict=True))
    if rules_sha256 is not None:
        payload["rules_sha256"] = rules_sha256
    stamp(payload, recorded_by)
    return PendingRecord(
        kind="score",
        payload=canonical_json(payload),
        decision_id=response.decision_id,
        subject_key=hashed["referral_id"],
        dedupe_key=f"score:{response.decision_id}",
        summary=canonical_json(summarize_score(payload)),
        household_key=hashed["household_id"],
    )


def record_score(
    log: DecisionLog,
    response: ScoreResponse,
    *,
    referral: Referral,
    features: npt.NDArray[np.float64],
    rules_sha256: str | None = None,
) -> Committed:
    """Write a score record from a thread and wait until it is committed.

    The service's async route queues the same record with ``committer.submit_async``.

    Parameters
    ----------
    log : DecisionLog
    response : ScoreResponse
        Exactly what is about to be returned.
    referral : Referral
        The input; identifiers are hashed before writing.
    features : numpy.ndarray
        The feature vector the model scored.
    rules_sha256 : str, optional
        See :func:`score_record`.

    Returns
    -------
    Committed

    Raises
    ------
    DecisionLogUnavailable
        Nothing could be written; the caller must not return the score.
    """
    record = score_record(
        log, response, referral=referral, features=features, rules_sha256=rules_sha256
    )
    return log.committer.append(record)


def record_screening(
    log: DecisionLog,
    decision_id: str,
    request: ScreeningRequest,
    *,
    may_override: bool = False,
    recorded_by: Mapping[str, str] | None = None,
    known_services: Container[str] | None = None,
) -> Appended:
    """Write a screener's decision (once per decision id) with its referral statuses.

    Parameters
    ----------
    log : DecisionLog
    decision_id : str
        As a score returned it; an id of any other form is not found (nothing is queried).
    request : ScreeningRequest
    may_override : bool, default False
        Whether the caller may screen out a screen-in the rules require (an override: the
        service gives this to supervisors and admins, ``decisions:override``).
    recorded_by : mapping, optional
        Who wrote it (the API key's id and role, see ``Principal.recorded_as``), kept in the
        record as ``recorded_by``; None (the command line) leaves it out.
    known_services : container of str, optional
        The ids of the services in the directory. When given, a status must name one of them
        or one of the decision's suggestions (:class:`UnknownService` otherwise).

    Returns
    -------
    Appended

    Raises
    ------
    DecisionNotFound, ScreeningAlreadyRecorded, InvalidScreening, DecisionLogUnavailable
    OverrideNotPermitted
        The decision screens out a required screen-in and ``may_override`` is False.
    """
    _require_issued(decision_id)
    with transaction(log) as session:
        score = _score_payload(session, decision_id)
        lock_chain(session)
        # A second decision is refused as such first, whatever it holds: "already on record"
        # says more than a missing reason or permission on a decision that cannot be made.
        previous = session.scalar(
            select(LogEntry.seq).where(LogEntry.dedupe_key == f"screening:{decision_id}")
        )
        if previous is not None:
            raise ScreeningAlreadyRecorded(_TWICE.format(decision_id=decision_id, seq=previous))
        required = score["recommendation"]["value"] == "screen_in_required"
        if required and request.decision is ScreeningOutcome.screened_out:
            if not may_override:
                raise OverrideNotPermitted(_OVERRIDE.format(decision_id=decision_id))
            _require_override_reason(request)
        _require_known_services(
            request.referral_statuses, score, known_services, field="referral_statuses"
        )
        now = utc_now()
        payload = request.model_dump(mode="json")
        payload["decided_at"] = payload["decided_at"] or now
        payload["referral_statuses"] = [
            _status(s, now) for s in request.model_dump(mode="json")["referral_statuses"]
        ]
        payload["recommendation"] = score["recommendation"]["value"]
        stamp(payload, recorded_by)
        entry = append(
            session,
            payload,
            kind="screening",
            decision_id=decision_id,
            dedupe_key=f"screening:{decision_id}",
        )
        return Appended(decision_id=decision_id, seq=entry.seq, hash=entry.hash)


def record_referral_statuses(
    log: DecisionLog,
    decision_id: str,
    batch: ReferralStatusBatch,
    *,
    recorded_by: Mapping[str, str] | None = None,
    known_services: Container[str] | None = None,
) -> Appended:
    """Write later status updates of a decision's community referrals.

    Parameters
    ----------
    log : DecisionLog
    decision_id : str
        As a score returned it; an id of any other form is not found (nothing is queried).
    batch : ReferralStatusBatch
    recorded_by : mapping, optional
        Who wrote it (the API key's id and role, see ``Principal.recorded_as``), kept in the
        record as ``recorded_by``; None (the command line) leaves it out.
    known_services : container of str, optional
        The ids of the services in the directory. When given, a status must name one of them
        or one of the decision's suggestions.

    Returns
    -------
    Appended

    Raises
    ------
    DecisionNotFound, DecisionLogUnavailable
    UnknownService
        A status names a service that is neither.
    """
    _require_issued(decision_id)
    with transaction(log) as session:
        score = _score_payload(session, decision_id)
        _require_known_services(batch.statuses, score, known_services, field="statuses")
        lock_chain(session)
        now = utc_now()
        # Stamped on each status: the decision's record lists statuses, not their batches.
        statuses = [
            stamp(_status(s, now), recorded_by) for s in batch.model_dump(mode="json")["statuses"]
        ]
        entry = append(
            session, {"statuses": statuses}, kind="referral_status", decision_id=decision_id
        )
        return Appended(decision_id=decision_id, seq=entry.seq, hash=entry.hash)


def get_decision(log: DecisionLog, decision_id: str) -> DecisionRecord:
    """Return everything on record about one scoring.

    Parameters
    ----------
    log : DecisionLog
    decision_id : str
        As a score returned it; an id of any other form is not found (nothing is queried).

    Returns
    -------
    DecisionRecord

    Raises
    ------
    DecisionNotFound, DecisionLogUnavailable
    """
    _require_issued(decision_id)
    with transaction(log, read_only=True) as session:
        entries = list(
            session.scalars(
                select(LogEntry).where(LogEntry.decision_id == decision_id).order_by(LogEntry.seq)
            )
        )
        scores = [e for e in entries if e.kind == "score"]
        if not scores:
            raise DecisionNotFound(_NOT_FOUND.format(decision_id=decision_id))
        score = json.loads(scores[0].payload)
        keys = [score["referral_id"], score["household_id"]]
        outcomes = list(
            session.scalars(
                select(LogEntry)
                .where(LogEntry.kind == "outcome", or_(*(LogEntry.subject_key == k for k in keys)))
                .order_by(LogEntry.seq)
            )
        )
    screening = next((json.loads(e.payload) for e in entries if e.kind == "screening"), None)
    statuses = [
        status
        for e in entries
        if e.kind in ("screening", "referral_status")
        for status in json.loads(e.payload).get(
            "referral_statuses" if e.kind == "screening" else "statuses", []
        )
    ]
    return DecisionRecord(
        decision_id=decision_id,
        recorded_at=scores[0].recorded_at,
        score=score,
        screening=screening,
        referral_statuses=statuses,
        outcomes=[json.loads(e.payload) for e in outcomes],
        chain=[{"seq": e.seq, "kind": e.kind, "hash": e.hash} for e in [*entries, *outcomes]],
    )


def find_decisions(
    log: DecisionLog, referral_id: str, *, limit: int = DECISIONS_LISTED
) -> ReferralDecisions:
    """Return the decisions scored for one referral, oldest first: the latest ``limit``.

    A client that lost a score's response (a timeout, a 503 and a retry, a crash) finds its
    decision_id here instead of scoring the referral again.

    Parameters
    ----------
    log : DecisionLog
    referral_id : str
        The referral's id as it was scored. Only its keyed hash is queried (the log holds no
        other form of it), so no string the database might refuse reaches it.
    limit : int, default DECISIONS_LISTED
        At most this many are listed: the latest, among which is the one a retrying client
        lost.

    Returns
    -------
    ReferralDecisions
        No decisions for a referral never scored.

    Raises
    ------
    DecisionLogUnavailable
    """
    key = log.pseudonymizer("referral", referral_id)
    with transaction(log, read_only=True) as session:
        # One more than listed: whether earlier ones are left out, in the same statement.
        rows = session.execute(_scores_of(key, limit=limit + 1)).all()
    listed = [_summary(row) for row in reversed(rows[:limit])]
    return ReferralDecisions(decisions=listed, earlier_left_out=len(rows) > limit)


def stamp(payload: dict[str, Any], recorded_by: Mapping[str, str] | None) -> dict[str, Any]:
    """Add who wrote a record (``recorded_by``) to its payload, unless nobody is named.

    Parameters
    ----------
    payload : dict
        Changed in place.
    recorded_by : mapping or None
        The API key's id and role; None (the command line) adds nothing.

    Returns
    -------
    dict
        ``payload``.
    """
    if recorded_by is not None:
        payload["recorded_by"] = dict(recorded_by)
    return payload


def _require_issued(decision_id: str) -> None:
    # Checked before any query: an id of another form was never issued, so nothing is on
    # record under it. PostgreSQL refuses some strings outright (NUL), and that refusal must
    # not read as the log being unavailable (503, retry later) when the answer is 404.
    if not could_be_issued(decision_id):
        raise DecisionNotFound(_NOT_FOUND.format(decision_id=decision_id))


def _scores_of(subject_key: str, *, limit: int) -> Select[str, str, str]:
    # One statement, latest first, by the subject_key index. A score record is the only one
    # with both a subject and a decision (an outcome has no decision, a screening no
    # subject): said so rather than kind = 'score', which SQLite, without statistics,
    # answers by the kind's index, reading every score in the log. Each score's screening
    # decision, if any, by its unique dedupe key.
    screening = aliased(LogEntry)
    return (
        select(LogEntry.recorded_at, LogEntry.payload, screening.payload)
        .outerjoin(screening, screening.dedupe_key == literal("screening:") + LogEntry.decision_id)
        .where(LogEntry.subject_key == subject_key, LogEntry.decision_id.is_not(None))
        .order_by(LogEntry.seq.desc())
        .limit(limit)
    )


def _summary(row: Row[str, str, str]) -> DecisionSummary:
    recorded_at, score_text = row[0], row[1]
    screening_text: str | None = row[2]  # outer-joined: None while no decision is on record
    score = orjson.loads(score_text)
    screening = None if screening_text is None else orjson.loads(screening_text)["decision"]
    return DecisionSummary(
        decision_id=score["decision_id"],
        recorded_at=recorded_at,
        model_version=score["model_version"],
        rules_version=score["rules_version"],
        score=score["score"],
        band=score["band"],
        recommendation=score["recommendation"]["value"],
        screening=screening,
    )


def _score_payload(session: Session, decision_id: str) -> dict[str, Any]:
    text = session.scalar(
        select(LogEntry.payload).where(LogEntry.dedupe_key == f"score:{decision_id}")
    )
    if text is None:
        raise DecisionNotFound(_NOT_FOUND.format(decision_id=decision_id))
    payload: dict[str, Any] = json.loads(text)
    return payload


def _require_known_services(
    statuses: Sequence[ReferralStatusUpdate],
    score: Mapping[str, Any],
    known: Container[str] | None,
    *,
    field: str,
) -> None:
    # A status for a service nobody can look up (a typo, an id from another system) would
    # sit in the closed loop as a referral made; one the decision suggested stays valid
    # after the service leaves the directory.
    if known is None:
        return
    suggested = [r["service_id"] for r in score.get("referrals", [])]
    for index, status in enumerate(statuses):
        if status.service_id not in suggested and status.service_id not in known:
            raise UnknownService(
                _UNKNOWN_SERVICE.format(
                    service_id=status.service_id[:64],
                    suggested=", ".join(suggested) or "none",
                ),
                field=f"{field}.{index}.service_id",
            )


def _require_override_reason(request: ScreeningRequest) -> None:
    if request.reason_code is None:
        accepted = ", ".join(r.value for r in ReasonCode)
        raise InvalidScreening(
            _NEEDS_REASON.format(field="reason_code", accepted=accepted), field="reason_code"
        )
    if request.supervisor_id is None:
        raise InvalidScreening(
            _NEEDS_REASON.format(
                field="supervisor_id",
                accepted="the pseudonymous id of the supervisor who signed off",
            ),
            field="supervisor_id",
        )


def _status(status: dict[str, Any], now: str) -> dict[str, Any]:
    return {**status, "recorded_at": status.get("recorded_at") or now}
