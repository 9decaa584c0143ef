"""GET /v1/reports/overrides: the screened decisions that went against the tool alone."""

from __future__ import annotations

import datetime as dt

from service.decision_log.overrides import list_overrides
from tests.factories import authorize
from tests.service.decision_log.factories import append_scores, score_payload, screening

# One decision of each kind, with the default HOTLINE_MONITOR_THRESHOLD of 16.
REQUIRED_OUT = "a" * 32  # the rules require a screen-in; screened out with a reason
HIGH_OUT = "b" * 32  # score 18, over the threshold, the rules leave it open; screened out
LOW_IN = "c" * 32  # score 4, under it, the rules leave it open; screened in
FOLLOWS = "d" * 32  # score 17, screened in: follows the tool alone, not listed
UNDECIDED = "e" * 32  # no screening decision yet: not listed


def _scored(decision_id: str, score: int, recommendation: str, day: str) -> dict:
    payload = score_payload(decision_id, score, recommendation)
    payload["referral"]["received_at"] = f"2026-03-{day}T10:00:00-05:00"
    return payload


def _log_the_cases(client) -> None:
    append_scores(
        client.app.state.decision_log,
        [
            _scored(REQUIRED_OUT, 5, "screen_in_required", "01"),
            _scored(HIGH_OUT, 18, "screener_judgment", "03"),
            _scored(LOW_IN, 4, "screen_out_with_referral", "03"),
            _scored(FOLLOWS, 17, "screener_judgment", "04"),
            _scored(UNDECIDED, 19, "screen_in_recommended", "04"),
        ],
    )
    for decision_id, body in [
        (
            REQUIRED_OUT,
            screening(reason_code="already_open_case", supervisor_id="sup-3", referral_statuses=[]),
        ),
        (HIGH_OUT, screening(referral_statuses=[])),
        (LOW_IN, screening(decision="screened_in", unit="unit-b", referral_statuses=[])),
        (FOLLOWS, screening(decision="screened_in", referral_statuses=[])),
    ]:
        response = client.post(f"/v1/decisions/{decision_id}/screening", json=body)
        assert response.status_code == 201, response.text


def _row(decision_id: str, **fields) -> dict:
    return {
        "decision_id": decision_id,
        "unit": "unit-a",
        "reason_code": None,
        "supervisor_id": None,
        "decided_at": "2026-03-02T10:00:00Z",
        **fields,
    }


REQUIRED_ROW = _row(
    REQUIRED_OUT,
    received_date="2026-03-01",
    score=5,
    recommendation="screen_in_required",
    tool_alone="screen_in",
    decision="screened_out",
    reason_code="already_open_case",
    supervisor_id="sup-3",
)
HIGH_ROW = _row(
    HIGH_OUT,
    received_date="2026-03-03",
    score=18,
    recommendation="screener_judgment",
    tool_alone="screen_in",
    decision="screened_out",
)
LOW_ROW = _row(
    LOW_IN,
    received_date="2026-03-03",
    unit="unit-b",
    score=4,
    recommendation="screen_out_with_referral",
    tool_alone="screen_out",
    decision="screened_in",
)
EVERY_DAY = {"since": None, "until": None}


def test_lists_the_overrides_newest_first_and_only_them(client) -> None:
    _log_the_cases(client)
    response = client.get("/v1/reports/overrides")
    assert response.status_code == 200, response.text
    # Newest received first; within 2026-03-03 the one recorded later first.
    assert response.json() == {
        "threshold": 16,
        "period": EVERY_DAY,
        "unit": None,
        "overrides": [LOW_ROW, HIGH_ROW, REQUIRED_ROW],
        "total": 3,
        "left_out": 0,
    }
    # Decision ids only: no referral or household id (nor its hash) of any family.
    assert "r-" not in response.text and "h-" not in response.text


def test_counts_what_the_monitoring_report_counts(client) -> None:
    _log_the_cases(client)
    settings = client.app.state.settings
    client.app.state.settings = settings.model_copy(update={"report_min_cell": 1})
    report = client.get("/v1/reports/monitoring?format=json").json()
    by_unit = {row["unit"]: row["overrides"] for row in report["overrides"]["by_unit"]}
    assert by_unit == {"unit-a": 2, "unit-b": 1}
    listed = client.get("/v1/reports/overrides").json()["overrides"]
    assert sorted(row["unit"] for row in listed) == ["unit-a", "unit-a", "unit-b"]


def test_over_a_period_and_a_unit(client) -> None:
    _log_the_cases(client)

    def listed(query: str) -> dict:
        response = client.get(f"/v1/reports/overrides?{query}")
        assert response.status_code == 200, response.text
        return response.json()

    since = listed("since=2026-03-02&until=2026-03-03")
    assert since["period"] == {"since": "2026-03-02", "until": "2026-03-03"}
    assert since["overrides"] == [LOW_ROW, HIGH_ROW] and since["total"] == 2
    until = listed("until=2026-03-01")
    assert until["overrides"] == [REQUIRED_ROW] and until["left_out"] == 0
    assert listed("since=2026-03-04")["overrides"] == []
    unit = listed("unit=unit-b")
    assert (unit["unit"], unit["overrides"], unit["total"]) == ("unit-b", [LOW_ROW], 1)
    assert listed("unit=unit-z")["overrides"] == []


def test_a_period_or_unit_refused_as_the_reports_are(client) -> None:
    backwards = client.get("/v1/reports/overrides?since=2026-03-05&until=2026-03-01")
    assert backwards.status_code == 422
    assert [f["field"] for f in backwards.json()["error"]["fields"]] == ["query.since"]
    for query, field in [("until=March", "query.until"), ("unit=a%20b", "query.unit")]:
        response = client.get(f"/v1/reports/overrides?{query}")
        assert response.status_code == 422, query
        assert [f["field"] for f in response.json()["error"]["fields"]] == [field]


def test_the_list_is_bounded_and_counts_the_rest(client) -> None:
    _log_the_cases(client)
    log = client.app.state.decision_log
    bounded = list_overrides(log, threshold=16, limit=2)
    assert [row.decision_id for row in bounded.overrides] == [LOW_IN, HIGH_OUT]
    assert (bounded.total, bounded.left_out) == (3, 1)
    # The threshold is the report's: at 19, score 18 screened out follows the tool alone,
    # and score 17 screened in goes against it.
    higher = list_overrides(log, threshold=19, since=dt.date(2026, 3, 3))
    assert [row.decision_id for row in higher.overrides] == [FOLLOWS, LOW_IN]


def test_the_monitoring_page_links_the_list_over_its_period(client) -> None:
    page = " ".join(client.get("/v1/reports/monitoring?since=2026-03-02").text.split())
    assert (
        'Which decisions these are, newest first: <a href="overrides?since=2026-03-02">the list '
        "of overrides</a>" in page
    )
    page = " ".join(client.get("/v1/reports/monitoring").text.split())
    assert '<a href="overrides">the list of overrides</a>' in page
    # A data scientist reads the report but not the list: no link to a 403 (found in review).
    authorize(client, "data_scientist")
    page = client.get("/v1/reports/monitoring").text
    assert page.count("overrides") > 0 and 'href="overrides' not in page
    assert client.get("/v1/reports/overrides").status_code == 403
