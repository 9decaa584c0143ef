"""When a directory record counts as verified, and when a record date cannot be a verification.

A service is as fresh as the later of its ``assured_date`` and ``last_modified``. A date after
the day the directory is loaded is a data error (a typo, a clock set wrong), not a
verification: counting it would rank the record as freshly checked, and keep doing so until
the calendar caught up with the typo. One day is allowed for the directory's clock and ours to
be a time zone apart; a date later than that counts as no verification at all. The loader
judges on the day of loading, the real calendar; ranking, which judges on the day a referral
was received, does not apply this rule (a date after that day is a check made since).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final

FUTURE_TOLERANCE_DAYS: Final = 1
"""How many days after the day judged on a record date may lie and still count."""


def is_future(day: dt.date, *, as_of: dt.date) -> bool:
    """Tell whether a record date lies too far after the day judged on to be a verification.

    Parameters
    ----------
    day : datetime.date
        The record's ``assured_date`` or the day of its ``last_modified``.
    as_of : datetime.date
        The day judged on.

    Returns
    -------
    bool
        True when ``day`` is more than :data:`FUTURE_TOLERANCE_DAYS` after ``as_of``.
    """
    return (day - as_of).days > FUTURE_TOLERANCE_DAYS


def last_verified(
    dates: Mapping[str, dt.date | None], *, as_of: dt.date
) -> tuple[dt.date | None, dict[str, dt.date]]:
    """Return the day a record was last verified, leaving out dates in the future.

    Parameters
    ----------
    dates : Mapping[str, datetime.date or None]
        The record's dates by field name (``assured_date``, ``last_modified``); None where
        the record gives none.
    as_of : datetime.date
        The day judged on (the day the directory is loaded).

    Returns
    -------
    tuple[datetime.date or None, dict[str, datetime.date]]
        The latest date that is not in the future (None when there is none), and the dates
        left out as being in the future, by field name, for the loader to report.
    """
    given = {name: day for name, day in dates.items() if day is not None}
    future = {name: day for name, day in given.items() if is_future(day, as_of=as_of)}
    verified = max((day for name, day in given.items() if name not in future), default=None)
    return verified, future
