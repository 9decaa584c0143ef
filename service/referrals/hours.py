"""Render HSDS schedules as short opening-hours text for a screener.

A schedule is shown as its data says: weekdays (``Mon-Fri``), a weekday of the month
(``1st Mon``, ``last Fri``), days of the month (``monthly on the 15th``) and an interval
(``every 2 weeks``). ``byweekno`` and ``byyearday`` are not shown. A schedule counts only
between its first day (the later of ``valid_from`` and ``dtstart``) and its last (the
earlier of ``valid_to`` and ``until``), so the text depends on the day it is read for:
:func:`dated_hours` works it out, at load, for every stretch of days on which it differs.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from service.referrals.hsds_schema import ScheduleRow, is_month_day

_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_NAMES = dict(zip(_DAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))
_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class DatedHours:
    """Opening hours as shown on each day, when some schedules are valid only for a time.

    ``texts[i]`` is shown before ``changes[i]`` and on or after ``changes[i - 1]``; the last
    text from the last change on.
    """

    changes: tuple[dt.date, ...]
    texts: tuple[str | None, ...]

    def on(self, day: dt.date) -> str | None:
        """Return the opening hours shown on ``day`` (None when no schedule is valid)."""
        return self.texts[bisect_right(self.changes, day)]


def format_hours(schedules: Iterable[ScheduleRow], *, on: dt.date | None = None) -> str | None:
    """Return opening hours such as ``"Mon-Fri 09:00-17:00; Sat 10:00-14:00"``.

    Parameters
    ----------
    schedules : Iterable[ScheduleRow]
        Schedule rows of one service, site or location.
    on : datetime.date, optional
        Show only the schedules valid on this day; every schedule when None.

    Returns
    -------
    str or None
        None when no (valid) schedule has days, times or a description.
    """
    parts: list[str] = []
    for schedule in schedules:
        if on is not None and not valid_on(schedule, on):
            continue
        text = _one(schedule)
        if text and text not in parts:
            parts.append(text)
    return "; ".join(parts) or None


def valid_on(schedule: ScheduleRow, day: dt.date) -> bool:
    """Return whether a schedule applies on ``day`` (its validity dates are inclusive)."""
    first, last = _window(schedule)
    return (first is None or first <= day) and (last is None or day <= last)


def change_days(schedules: Iterable[ScheduleRow]) -> set[dt.date]:
    """Return the days on which a schedule starts or stops applying.

    Parameters
    ----------
    schedules : Iterable[ScheduleRow]
        Schedule rows.

    Returns
    -------
    set[datetime.date]
        Each first day, and the day after each last day; empty when no schedule is dated.
    """
    days: set[dt.date] = set()
    for schedule in schedules:
        first, last = _window(schedule)
        if first is not None:
            days.add(first)
        if last is not None and last < dt.date.max:
            days.add(last + _ONE_DAY)
    return days


def dated_hours(
    text_on: Callable[[dt.date], str | None], changes: Iterable[dt.date]
) -> DatedHours | None:
    """Tabulate opening hours that change on given days.

    Parameters
    ----------
    text_on : Callable[[datetime.date], str or None]
        The hours shown on a day; constant between consecutive change days.
    changes : Iterable[datetime.date]
        The days on which the text may change (see :func:`change_days`).

    Returns
    -------
    DatedHours or None
        None when there is no change day (the text is the same on every day).
    """
    days = sorted(set(changes))
    if not days:
        return None
    before = days[0] - _ONE_DAY if days[0] > dt.date.min else days[0]
    kept_days: list[dt.date] = []
    texts: list[str | None] = [text_on(before)]
    for day in days:
        text = text_on(day)
        if text != texts[-1]:  # a day on which nothing shown changes is dropped
            kept_days.append(day)
            texts.append(text)
    return DatedHours(changes=tuple(kept_days), texts=tuple(texts))


def _window(schedule: ScheduleRow) -> tuple[dt.date | None, dt.date | None]:
    starts = [d for d in (schedule.valid_from, schedule.dtstart) if d is not None]
    ends = [d for d in (schedule.valid_to, schedule.until) if d is not None]
    return (max(starts) if starts else None), (min(ends) if ends else None)


def _one(schedule: ScheduleRow) -> str | None:
    times = None
    if schedule.opens_at is not None and schedule.closes_at is not None:
        times = f"{schedule.opens_at:%H:%M}-{schedule.closes_at:%H:%M}"
    days = _cadence(schedule)
    if times is None and days is None:
        return schedule.description
    return " ".join(p for p in (days, times) if p)


def _cadence(schedule: ScheduleRow) -> str | None:
    monthly = (schedule.freq or "").upper() == "MONTHLY"
    every = schedule.interval or 1
    days = _days(schedule.byday) if schedule.byday else None
    month_days = None
    if schedule.bymonthday and (monthly or not schedule.freq):
        # BYMONTHDAY is not allowed with a WEEKLY rule (RFC 5545): such a row is read weekly.
        month_days = _month_days(schedule.bymonthday)
    if month_days is None and monthly and days is None and schedule.dtstart is not None:
        # A monthly rule without BYDAY or BYMONTHDAY recurs on the day of its start.
        month_days = _ordinal(schedule.dtstart.day)
    if month_days is not None:
        period = f"every {every} months" if every > 1 else "monthly"
        on_days = f"{period} on the {month_days}"
        return f"{days} {on_days}" if days else on_days
    if days is None:
        return "monthly" if monthly and every == 1 else None
    if every > 1:
        return f"{days} every {every} {'months' if monthly else 'weeks'}"
    return days


def _days(byday: str) -> str | None:
    # RRULE BYDAY: weekdays, each with an optional ordinal ("1MO" is the first Monday of the
    # month, "-1FR" the last Friday); unknown tokens are left out.
    plain: set[int] = set()
    ordinals: dict[int, list[int]] = {}
    for token in (t.strip().upper() for t in byday.split(",")):
        day, number = token[-2:], token[:-2].lstrip("+")
        if day not in _DAYS:
            continue
        if not number:
            plain.add(_DAYS.index(day))
        elif number.lstrip("-").isdigit() and int(number) != 0:
            ordinals.setdefault(_DAYS.index(day), []).append(int(number))
    labels = _runs(sorted(plain))
    for index in sorted(ordinals):
        positions = ", ".join(_ordinal(n) for n in sorted(set(ordinals[index]), key=_position))
        labels.append(f"{positions} {_NAMES[_DAYS[index]]}")
    return ", ".join(labels) or None


def _runs(indexes: Sequence[int]) -> list[str]:
    runs: list[list[int]] = []
    for index in indexes:
        if runs and index == runs[-1][-1] + 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    # Three or more consecutive days read better as a range ("Mon-Fri").
    return [
        f"{_NAMES[_DAYS[r[0]]]}-{_NAMES[_DAYS[r[-1]]]}"
        if len(r) >= 3
        else ", ".join(_NAMES[_DAYS[i]] for i in r)
        for r in runs
    ]


def _month_days(bymonthday: str) -> str | None:
    numbers = sorted(
        {int(t) for t in (p.strip() for p in bymonthday.split(",")) if is_month_day(t)},
        key=_position,
    )
    names = [_ordinal(n) + (" day" if n < 0 else "") for n in numbers]
    if not names:
        return None
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _position(number: int) -> int:
    # From the start of the month first, then from its end ("1st, 3rd, last").
    return number if number > 0 else 100 + number


def _ordinal(number: int) -> str:
    if number == -1:
        return "last"
    if number < 0:
        return f"{_ordinal(-number)}-last"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    if 10 <= number % 100 <= 20:  # 11th, 12th, 13th
        suffix = "th"
    return f"{number}{suffix}"
