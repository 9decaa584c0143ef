"""A day typed by a person: YYYY-MM-DD only (rules files, report periods, the command line)."""

from __future__ import annotations

import datetime as dt

import pytest

from service.days import parse_day


def test_a_day_written_yyyy_mm_dd_is_read() -> None:
    assert parse_day("2026-03-31") == dt.date(2026, 3, 31)


@pytest.mark.parametrize(
    "text",
    # Pydantic alone reads "0" as 1970-01-01 and a midnight date-time as its day.
    ["0", "86400", "2026-3-1", "2026-02-30", "2026-03-01T00:00:00", " 2026-03-01", ""],
)
def test_anything_else_is_refused_by_name(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_day(text)
    assert str(refused.value) == f"{text!r} is not a day"
