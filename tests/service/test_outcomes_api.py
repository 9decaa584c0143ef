"""`POST /v1/outcomes`: the body's JSON types and columns are checked before any row is kept."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest


@pytest.fixture
def client(app_client, role_keys):
    app_client.headers["Authorization"] = f"Bearer {role_keys['supervisor']}"
    yield app_client
    del app_client.headers["Authorization"]


def _row(**changes) -> dict:
    return {"referral_id": "ref-0001", "event": "removal", "event_date": "2025-05-01", **changes}


def _told(accepted: int, *, rejected: list | None = None, unmatched: list[int]) -> dict:
    # No decision is scored in this module's log: every new row matches none.
    return {
        "accepted": accepted,
        "duplicates": 0,
        "rejected": [] if rejected is None else rejected,
        "matched": 0,
        "unmatched": len(unmatched),
        "unmatched_rows": unmatched,
        "before_received": 0,
        "before_received_rows": [],
    }


TOMORROW = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
DAY_AFTER = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)).isoformat()


@pytest.mark.parametrize(
    ("row", "field", "message", "kind"),
    [
        (_row(referral_id=123), "1.referral_id", "Input should be a valid string", "string_type"),
        (_row(referral_id=True), "1.referral_id", "Input should be a valid string", "string_type"),
        (_row(household_id=42), "1.household_id", "Input should be a valid string", "string_type"),
        (_row(event=["removal"]), "1.event", "Input should be a valid string", "string_type"),
        (_row(event_date=20250501), "1.event_date", "Input should be a valid string", "string_type"),
        (_row(unit="a"), "1.unit", "Extra inputs are not permitted", "extra_forbidden"),
        ({"referral_id": "ref-0001", "event": "removal"}, "1.event_date", "Field required", "missing"),
    ],
    ids=[
        "id-number",
        "id-true",
        "household-number",
        "event-list",
        "date-number",
        "unknown-column",
        "no-date",
    ],
)  # fmt: skip
def test_a_row_of_the_wrong_shape_refuses_the_request(client, row, field, message, kind) -> None:
    # Before, referral_id 123 or true was stored as "123" or "True", an unknown column was
    # dropped without a word. Nothing is written: the good row neither.
    good = _row(referral_id=f"ref-{uuid.uuid4().hex}")
    response = client.post("/v1/outcomes", json=[good, row])
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"] == [
        {"field": field, "message": message, "type": kind}
    ]
    again = client.post("/v1/outcomes", json=[good])
    assert again.json() == _told(1, unmatched=[0])


def test_a_row_with_bad_text_is_still_reported_row_by_row(client) -> None:
    rows = [_row(event_date="2025-06-01"), _row(event_date="31/12/2025"), _row(event="arrest")]
    response = client.post("/v1/outcomes", json=rows)
    assert response.status_code == 200
    assert response.json() == _told(
        1,
        rejected=[
            {
                "row": 1,
                "column": "event_date",
                "message": "'31/12/2025' is not a date; accepted: YYYY-MM-DD, e.g. 2026-03-31",
            },
            {
                "row": 2,
                "column": "event",
                "message": "'arrest' is not an event; accepted: "
                "re_referral, substantiation, removal, injury",
            },
        ],
        unmatched=[0],
    )


def test_tomorrow_and_1900_are_accepted(client) -> None:
    rows = [_row(event_date=TOMORROW), _row(event_date="1900-01-01", referral_id=None)]
    rows[1]["household_id"] = "hh-0000042"
    response = client.post("/v1/outcomes", json=rows)
    assert response.json() == _told(2, unmatched=[0, 1])


def test_a_day_before_1900_or_after_tomorrow_is_rejected_row_by_row(client) -> None:
    # Any year was kept, and a year 9999 counted as a later outcome of every decision.
    rows = [
        _row(event_date="0001-01-01"),
        _row(event_date="9999-12-31"),
        _row(event_date=DAY_AFTER),
        _row(event_date="2025-06-02", referral_id=f"ref-{uuid.uuid4().hex}"),
    ]
    response = client.post("/v1/outcomes", json=rows)
    assert response.status_code == 200
    assert response.json() == _told(
        1,
        rejected=[
            {
                "row": row,
                "column": "event_date",
                "message": f"{day} is outside 1900-01-01 to {TOMORROW}; accepted: the day the "
                "event happened (YYYY-MM-DD), not after tomorrow",
            }
            for row, day in enumerate(["0001-01-01", "9999-12-31", DAY_AFTER])
        ],
        unmatched=[3],
    )
