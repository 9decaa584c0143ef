"""A calendar day as people type one: ``YYYY-MM-DD`` text, never a number or a date-time.

Pydantic reads a number, or text of digits, as seconds since 1970, and text with a midnight
time as its day: ``effective_from: 0`` in a rules file would load as 1970-01-01 (a rule in
force for every referral), and ``?since=0`` would open a report at 1970. Every day a person
types (rules files, report periods, the command line) goes through :data:`Day` instead.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Final

from pydantic import BeforeValidator, TypeAdapter, ValidationError

ISO_DAY: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
NOT_A_DAY: Final = "Input should be a day written YYYY-MM-DD"


def _only_a_day(value: object) -> object:
    # A YYYY-MM-DD text is left to pydantic, which says what is wrong with a day such as
    # 2026-13-01; a date object comes only from code.
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and ISO_DAY.fullmatch(value):
        return value
    raise ValueError(NOT_A_DAY)


Day = Annotated[dt.date, BeforeValidator(_only_a_day)]
"""A calendar day: a :class:`datetime.date` or ``YYYY-MM-DD`` text, never a number."""

_DAY: Final = TypeAdapter(Day)


def parse_day(text: str) -> dt.date:
    """Read a day typed as ``YYYY-MM-DD``.

    Parameters
    ----------
    text : str
        E.g. ``2026-03-31``.

    Returns
    -------
    datetime.date

    Raises
    ------
    ValueError
        Anything else, ``2026-3-1``, ``0`` and ``2026-02-30`` included.
    """
    try:
        return _DAY.validate_python(text)
    except ValidationError:
        raise ValueError(f"{text!r} is not a day") from None
