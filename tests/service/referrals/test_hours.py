import datetime as dt

import pytest

from service.referrals.hours import DatedHours, change_days, dated_hours, format_hours
from service.referrals.hsds_schema import ScheduleRow


def row(i, **kw):
    return ScheduleRow(id=str(i), **kw)


NINE, NOON = dt.time(9), dt.time(12)


def test_hours_compress_day_runs_and_join_schedules():
    nine, five = dt.time(9), dt.time(17)
    schedules = [
        row(1, byday="MO,TU,WE,TH,FR", opens_at=nine, closes_at=five),
        row(2, byday="SA,SU", opens_at=dt.time(10), closes_at=dt.time(14)),
        row(3, byday="MO,TU,WE,TH,FR", opens_at=nine, closes_at=five),
        row(4, description="By appointment"),
    ]

    assert format_hours(schedules) == "Mon-Fri 09:00-17:00; Sat, Sun 10:00-14:00; By appointment"
    assert format_hours([]) is None


@pytest.mark.parametrize(
    ("rule", "shown"),
    [
        # A weekday of the month was shown as every such weekday ("Mon").
        ({"freq": "MONTHLY", "byday": "1MO"}, "1st Mon 09:00-12:00"),
        ({"freq": "MONTHLY", "byday": "1MO,3MO,-1FR"}, "1st, 3rd Mon, last Fri 09:00-12:00"),
        ({"byday": "SA,1SU"}, "Sat, 1st Sun 09:00-12:00"),
        # Days of the month were shown as times only, as if open every day.
        ({"freq": "MONTHLY", "bymonthday": "15"}, "monthly on the 15th 09:00-12:00"),
        (
            {"freq": "MONTHLY", "bymonthday": "1, 15,-1"},
            "monthly on the 1st, 15th and last day 09:00-12:00",
        ),
        ({"freq": "MONTHLY", "interval": 3, "bymonthday": "22"}, "every 3 months on the 22nd"),
        ({"freq": "MONTHLY", "dtstart": dt.date(2025, 1, 11)}, "monthly on the 11th"),
        ({"freq": "WEEKLY", "interval": 2, "byday": "MO,WE"}, "Mon, Wed every 2 weeks"),
        ({"freq": "MONTHLY", "interval": 2, "byday": "2TU"}, "2nd Tue every 2 months"),
        # RFC 5545 forbids BYMONTHDAY in a weekly rule: it is read weekly.
        ({"freq": "WEEKLY", "byday": "TH,FR", "bymonthday": "2,3"}, "Thu, Fri"),
    ],
)
def test_hours_say_what_the_schedule_says(rule, shown):
    times = {"opens_at": NINE, "closes_at": NOON} if shown.endswith("12:00") else {}

    assert format_hours([row(1, **rule, **times)]) == shown


def test_only_schedules_valid_on_the_day_are_shown():
    schedules = [
        row(1, byday="MO", opens_at=NINE, closes_at=NOON, valid_to=dt.date(2025, 3, 31)),
        row(2, byday="TU", opens_at=NINE, closes_at=NOON, valid_from=dt.date(2025, 4, 1)),
        row(3, byday="FR", opens_at=NINE, closes_at=NOON, dtstart=dt.date(2025, 4, 4)),
        row(4, byday="SA", opens_at=NINE, closes_at=NOON, until=dt.date(2025, 4, 5)),
    ]

    def on(day):
        return format_hours(schedules, on=day)

    assert on(dt.date(2025, 3, 31)) == "Mon 09:00-12:00; Sat 09:00-12:00"
    assert on(dt.date(2025, 4, 4)) == "Tue 09:00-12:00; Fri 09:00-12:00; Sat 09:00-12:00"
    assert on(dt.date(2025, 4, 6)) == "Tue 09:00-12:00; Fri 09:00-12:00"
    assert change_days(schedules) == {
        dt.date(2025, 4, 1),
        dt.date(2025, 4, 4),
        dt.date(2025, 4, 6),
    }
    table = dated_hours(on, change_days(schedules))
    assert table == DatedHours(
        changes=(dt.date(2025, 4, 1), dt.date(2025, 4, 4), dt.date(2025, 4, 6)),
        texts=(
            "Mon 09:00-12:00; Sat 09:00-12:00",
            "Tue 09:00-12:00; Sat 09:00-12:00",
            "Tue 09:00-12:00; Fri 09:00-12:00; Sat 09:00-12:00",
            "Tue 09:00-12:00; Fri 09:00-12:00",
        ),
    )
    assert [table.on(d) for d in (dt.date(2020, 1, 1), dt.date(2025, 4, 5))] == [
        on(dt.date(2020, 1, 1)),
        on(dt.date(2025, 4, 5)),
    ]
    assert dated_hours(on, change_days([row(5, byday="MO")])) is None
