"""Which screening decisions went against the tool alone: the cases behind the override counts.

The monitoring report counts overrides by group, unit and reason, for review; a supervisor
reviewing them needs the cases themselves. This lists them by decision id (opened with
``GET /v1/decisions/{id}``), never by a referral's or household's id or hash, and counts
overrides exactly as the report does (:func:`~service.decision_log.monitoring.against_the_tool`).
"""

from __future__ import annotations

import datetime as dt

from service.decision_log.db import DecisionLog
from service.decision_log.decision_rows import Decisions, Screening, read_decisions
from service.decision_log.monitoring import against_the_tool, frame_of, in_period
from service.decision_log.schemas import (
    OVERRIDES_LISTED,
    OverrideList,
    OverrideRow,
    ReportPeriod,
)

_SHOWN = ["decision_id", "received_date", "unit", "score", "recommendation", "tool_in"]


def list_overrides(
    log: DecisionLog,
    *,
    threshold: int,
    since: dt.date | None = None,
    until: dt.date | None = None,
    unit: str | None = None,
    limit: int = OVERRIDES_LISTED,
) -> OverrideList:
    """List the screened decisions that went against the tool alone, newest first.

    Parameters
    ----------
    log : DecisionLog
    threshold : int
        A score at or above this counts as "screen in" for the tool alone
        (``HOTLINE_MONITOR_THRESHOLD``, as in the monitoring report).
    since, until : datetime.date, optional
        The period, by the referral's received day, both days included; None leaves that
        end open.
    unit : str, optional
        Only this unit's decisions.
    limit : int, default OVERRIDES_LISTED
        How many to list: the latest received, the latest recorded first within a day.

    Returns
    -------
    OverrideList

    Raises
    ------
    PeriodError
        When ``since`` is after ``until``.
    DecisionLogUnavailable
        The database cannot be read.
    """
    return overrides_in(
        read_decisions(log), threshold=threshold, since=since, until=until, unit=unit, limit=limit
    )


def overrides_in(
    decisions: Decisions,
    *,
    threshold: int,
    since: dt.date | None = None,
    until: dt.date | None = None,
    unit: str | None = None,
    limit: int = OVERRIDES_LISTED,
) -> OverrideList:
    """List the overrides among rows already read (see :func:`list_overrides`).

    Parameters
    ----------
    decisions : Decisions
        From :func:`~service.decision_log.decision_rows.read_decisions`: ``hotline monitor``
        builds the report's frame from the same rows, reading the log once.
    threshold, since, until, unit, limit
        As for :func:`list_overrides`.

    Returns
    -------
    OverrideList

    Raises
    ------
    PeriodError
        When ``since`` is after ``until``.
    """
    # The frame and the screenings' supervisor and time come from the same rows.
    frame = in_period(frame_of(decisions), since=since, until=until)
    against_the_tool(frame, threshold=threshold)
    found = frame[frame["override"] == 1]
    if unit is not None:
        found = found[found["unit"] == unit]
    # Rows are in log order: reversed, then sorted stably by day, the newest come first.
    newest = found.iloc[::-1].sort_values("received_date", ascending=False, kind="stable")
    shown = newest[_SHOWN].head(limit)
    rows = [
        _row(values, decisions.screenings[values[0]])
        for values in shown.itertuples(index=False, name=None)
    ]
    return OverrideList(
        threshold=threshold,
        period=ReportPeriod(since=since, until=until),
        unit=unit,
        overrides=rows,
        total=len(found),
        left_out=len(found) - len(rows),
    )


def _row(values: tuple[object, ...], screening: Screening) -> OverrideRow:
    decision_id, received, unit, score, recommendation, tool_in = values
    return OverrideRow.model_validate(
        {
            "decision_id": decision_id,
            "received_date": received,
            "unit": unit,
            "score": score,
            "recommendation": recommendation,
            "tool_alone": "screen_in" if tool_in == 1 else "screen_out",
            "decision": "screened_in" if screening.screened_in else "screened_out",
            "reason_code": screening.reason_code,
            "supervisor_id": screening.supervisor_id,
            "decided_at": screening.decided_at,
        }
    )
