"""Render HSDS schedules as short opening-hours text for a screener."""

from __future__ import annotations

from collections.abc import Iterable

from service.referrals.hsds_schema import ScheduleRow

_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_NAMES = dict(zip(_DAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))


def format_hours(schedules: Iterable[ScheduleRow]) -> str | None:
    """Return opening hours such as ``"Mon-Fri 09:00-17:00; Sat 10:00-14:00"``.

    Parameters
    ----------
    schedules : Iterable[ScheduleRow]
        Schedule rows of one service, site or location.

    Returns
    -------
    str or None
        None when no schedule has days, times or a description.
    """
    parts: list[str] = []
    for schedule in schedules:
        text = _one(schedule)
        if text and text not in parts:
            parts.append(text)
    return "; ".join(parts) or None


def _one(schedule: ScheduleRow) -> str | None:
    times = None
    if schedule.opens_at is not None and schedule.closes_at is not None:
        times = f"{schedule.opens_at:%H:%M}-{schedule.closes_at:%H:%M}"
    days = _days(schedule.byday) if schedule.byday else None
    if times is None and days is None:
        return schedule.description
    return " ".join(p for p in (days, times) if p)


def _days(byday: str) -> str | None:
    # RRULE BYDAY may carry ordinals ("1MO"); only the weekday matters for a summary.
    wanted = {token.strip().upper()[-2:] for token in byday.split(",")}
    indexes = sorted(_DAYS.index(d) for d in wanted if d in _DAYS)
    if not indexes:
        return None
    runs: list[list[int]] = []
    for index in indexes:
        if runs and index == runs[-1][-1] + 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    # Three or more consecutive days read better as a range ("Mon-Fri").
    labels = [
        f"{_NAMES[_DAYS[r[0]]]}-{_NAMES[_DAYS[r[-1]]]}"
        if len(r) >= 3
        else ", ".join(_NAMES[_DAYS[i]] for i in r)
        for r in runs
    ]
    return ", ".join(labels)
