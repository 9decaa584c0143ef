import datetime as dt

from service.referrals.hours import format_hours
from service.referrals.hsds_schema import ScheduleRow


def row(i, **kw):
    return ScheduleRow(id=str(i), **kw)


def test_hours_compress_day_runs_and_join_schedules():
    nine, five = dt.time(9), dt.time(17)
    schedules = [
        row(1, byday="MO,TU,WE,TH,FR", opens_at=nine, closes_at=five),
        row(2, byday="SA,1SU", opens_at=dt.time(10), closes_at=dt.time(14)),
        row(3, byday="MO,TU,WE,TH,FR", opens_at=nine, closes_at=five),
        row(4, description="By appointment"),
    ]

    assert format_hours(schedules) == "Mon-Fri 09:00-17:00; Sat, Sun 10:00-14:00; By appointment"
    assert format_hours([]) is None
