import hashlib
import hmac

import pytest

from models import FEATURE_NAMES, Referral, build_features
from service.auth.keys import key_id_of
from service.config import DEV_PSEUDONYM_KEY
from service.decision_log import record_score, verify_chain
from service.schemas import ScoreResponse
from tests.factories import issue_key
from tests.service.decision_log.factories import drop_the_log, example, screening

REASONS = (
    "no_allegation_of_maltreatment, information_contradicts_record, already_open_case, "
    "duplicate_report, outside_jurisdiction, family_connected_to_services, "
    "immediate_safety_concern, supervisor_directed, other"
)


def _recorder(client) -> dict[str, str]:
    """How the log names the client's key: its id and role, never the key or its name."""
    token = client.headers["Authorization"].removeprefix("Bearer ")
    return {"key_id": key_id_of(token), "role": "admin"}


def _keyed(kind: str, value: str) -> str:
    return hmac.new(
        DEV_PSEUDONYM_KEY.encode(), f"{kind}:{value}".encode(), hashlib.sha256
    ).hexdigest()


def test_score_is_written_with_the_fields_of_the_response(client) -> None:
    response = client.post("/v1/score", json=example())
    assert response.status_code == 200
    body = response.json()
    record = client.get(f"/v1/decisions/{body['decision_id']}").json()
    logged = record["score"]
    assert logged["referral_id"] == _keyed("referral", "ref-0001")
    assert logged["household_id"] == _keyed("household", "hh-0000042")
    assert logged["referral"]["referral_id"] == _keyed("referral", "ref-0001")
    assert "ref-0001" not in str(logged) and "hh-0000042" not in str(logged)
    for key in (
        "decision_id",
        "model_version",
        "rules_version",
        "probability",
        "score",
        "band",
        "label",
        "recommendation",
        "rule_hits",
        "explanation",
        "referrals",
    ):
        assert logged[key] == body[key], key
    assert sorted(logged["features"]) == sorted(FEATURE_NAMES)
    # Beside the version: two files under one version would otherwise look alike here.
    assert logged["rules_sha256"] == client.app.state.rules.current.sha256
    assert logged["recorded_by"] == _recorder(client)
    assert record["screening"] is None
    assert record["referral_statuses"] == [] and record["outcomes"] == []
    assert [c["seq"] for c in record["chain"]] == [1]


def test_the_rules_files_sha256_is_logged_beside_the_rules_version(client) -> None:
    # The version alone does not tell apart two files edited without a new version. A
    # record written before the SHA-256 was logged has none, and still verifies.
    log = client.app.state.decision_log
    ruleset = client.app.state.rules.current
    referral = Referral.model_validate(example())
    scored = client.post("/v1/score", json=example()).json()
    ids = {"before": "e" * 32, "after": "f" * 32}
    for moment, sha256 in (("before", None), ("after", ruleset.sha256)):
        response = ScoreResponse.model_validate({**scored, "decision_id": ids[moment]})
        features = build_features(referral)
        record_score(log, response, referral=referral, features=features, rules_sha256=sha256)
    screener = {"Authorization": f"Bearer {issue_key(log, 'screener')}"}
    for headers in ({}, screener):  # the supervisors' view and the screener's
        after = client.get(f"/v1/decisions/{ids['after']}", headers=headers).json()["score"]
        assert (after["rules_version"], after["rules_sha256"]) == (ruleset.version, ruleset.sha256)
        before = client.get(f"/v1/decisions/{ids['before']}", headers=headers).json()["score"]
        assert before["rules_version"] == ruleset.version and "rules_sha256" not in before
    assert verify_chain(log).line() == "ok: 3 records"


def test_screening_decision_is_recorded_once(client) -> None:
    decision_id = client.post("/v1/score", json=example()).json()["decision_id"]
    first = client.post(f"/v1/decisions/{decision_id}/screening", json=screening())
    assert first.status_code == 201
    assert first.json()["seq"] == 2 and first.json()["decision_id"] == decision_id
    again = client.post(f"/v1/decisions/{decision_id}/screening", json=screening())
    assert again.status_code == 409
    message = (
        f"A screening decision for {decision_id!r} is already on record (seq 2); it cannot be "
        "replaced. Record a correction as a note with your supervisor instead"
    )
    assert again.json() == {
        "error": {
            "code": "screening_already_recorded",
            "message": message,
            "fields": [
                {
                    "field": "path.decision_id",
                    "message": message,
                    "type": "screening_already_recorded",
                }
            ],
        },
        "request_id": again.headers["x-request-id"],
    }
    record = client.get(f"/v1/decisions/{decision_id}").json()
    assert record["screening"]["decision"] == "screened_out"
    assert record["screening"]["unit"] == "unit-a"
    assert record["screening"]["recorded_by"] == _recorder(client)
    assert record["referral_statuses"] == [
        {
            "service_id": "svc-035",
            "status": "made",
            "note": None,
            "recorded_at": record["referral_statuses"][0]["recorded_at"],
        }
    ]


def test_screening_out_a_required_screen_in_needs_reason_and_supervisor(client) -> None:
    scored = client.post("/v1/score", json=example("referral-multiple-complaint.json")).json()
    assert scored["recommendation"]["value"] == "screen_in_required"
    url = f"/v1/decisions/{scored['decision_id']}/screening"
    no_reason = client.post(url, json=screening())
    assert no_reason.status_code == 422
    message = (
        "reason_code is required when screening out a screen_in_required recommendation; "
        f"accepted: {REASONS}"
    )
    assert no_reason.json() == {
        "error": {
            "code": "invalid_screening",
            "message": message,
            "fields": [{"field": "reason_code", "message": message, "type": "value_error"}],
        },
        "request_id": no_reason.headers["x-request-id"],
    }
    no_supervisor = client.post(url, json=screening(reason_code="already_open_case"))
    assert no_supervisor.status_code == 422
    assert no_supervisor.json()["error"]["message"] == (
        "supervisor_id is required when screening out a screen_in_required recommendation; "
        "accepted: the pseudonymous id of the supervisor who signed off"
    )
    ok = client.post(url, json=screening(reason_code="already_open_case", supervisor_id="sup-3"))
    assert ok.status_code == 201


def test_only_a_supervisor_may_screen_out_a_required_screen_in(client) -> None:
    # The override of a rule that requires investigation is the supervisor's call: a
    # screener's key cannot make it by naming a supervisor in the body.
    keys = {
        role: issue_key(client.app.state.decision_log, role) for role in ("screener", "supervisor")
    }
    as_screener = {"Authorization": f"Bearer {keys['screener']}"}
    as_supervisor = {"Authorization": f"Bearer {keys['supervisor']}"}
    required = client.post("/v1/score", json=example("referral-multiple-complaint.json")).json()
    assert required["recommendation"]["value"] == "screen_in_required"
    url = f"/v1/decisions/{required['decision_id']}/screening"
    override = screening(reason_code="already_open_case", supervisor_id="sup-3")
    refused = client.post(url, json=override, headers=as_screener)
    assert refused.status_code == 403
    assert refused.json()["error"] == {
        "code": "override_not_permitted",
        "message": f"The rules require decision {required['decision_id']!r} to be screened in; "
        "screening it out is an override, which needs the decisions:override permission: ask "
        "a supervisor to record it with their key",
        "fields": [],
    }
    assert client.get(f"/v1/decisions/{required['decision_id']}").json()["screening"] is None
    assert client.post(url, json=override, headers=as_supervisor).status_code == 201
    # Screening in what the rules require, and screening out what they leave to judgment,
    # stay with the screener.
    again = client.post("/v1/score", json=example("referral-multiple-complaint.json")).json()
    screen_in = screening(decision="screened_in")
    path = f"/v1/decisions/{again['decision_id']}/screening"
    assert client.post(path, json=screen_in, headers=as_screener).status_code == 201
    # Once decided, a second decision is "already on record" (409), whatever it would need.
    second = client.post(path, json=screening(), headers=as_screener)
    assert second.json()["error"]["code"] == "screening_already_recorded"
    optional = client.post("/v1/score", json=example()).json()
    assert optional["recommendation"]["value"] != "screen_in_required"
    path = f"/v1/decisions/{optional['decision_id']}/screening"
    assert client.post(path, json=screening(), headers=as_screener).status_code == 201


def test_unknown_decision_is_404(client) -> None:
    for response in (
        client.get("/v1/decisions/nope"),
        client.post("/v1/decisions/nope/screening", json=screening()),
        client.post(
            "/v1/decisions/nope/referrals",
            json={"statuses": [{"service_id": "svc-1", "status": "accepted"}]},
        ),
    ):
        assert response.status_code == 404
        message = "No decision 'nope' is on record; use the decision_id a /v1/score returned"
        assert response.json() == {
            "error": {
                "code": "decision_not_found",
                "message": message,
                "fields": [
                    {"field": "path.decision_id", "message": message, "type": "decision_not_found"}
                ],
            },
            "request_id": response.headers["x-request-id"],
        }


@pytest.mark.parametrize(
    ("in_path", "shown"),
    [
        # PostgreSQL refuses a NUL in a string parameter: it was a 503 "retry later" there.
        ("abc%00def", "'abc\\x00def'"),
        # Not the form the service issues (32 lowercase hex digits): never queried either.
        ("0123456789ABCDEF0123456789ABCDEF", "'0123456789ABCDEF0123456789ABCDEF'"),
    ],
)
def test_an_id_never_issued_is_404_on_every_route_and_backend(client, in_path, shown) -> None:
    for response in (
        client.get(f"/v1/decisions/{in_path}"),
        client.post(f"/v1/decisions/{in_path}/screening", json=screening()),
        client.post(
            f"/v1/decisions/{in_path}/referrals",
            json={"statuses": [{"service_id": "svc-1", "status": "accepted"}]},
        ),
    ):
        assert (response.status_code, response.headers.get("retry-after")) == (404, None)
        message = f"No decision {shown} is on record; use the decision_id a /v1/score returned"
        assert response.json() == {
            "error": {
                "code": "decision_not_found",
                "message": message,
                "fields": [
                    {"field": "path.decision_id", "message": message, "type": "decision_not_found"}
                ],
            },
            "request_id": response.headers["x-request-id"],
        }


def test_referral_statuses_close_the_loop(client) -> None:
    decision_id = client.post("/v1/score", json=example()).json()["decision_id"]
    client.post(f"/v1/decisions/{decision_id}/screening", json=screening())
    later = client.post(
        f"/v1/decisions/{decision_id}/referrals",
        json={
            "statuses": [
                {
                    "service_id": "svc-035",
                    "status": "accepted",
                    "note": "first visit booked",
                    "recorded_at": "2026-03-09T09:00:00+00:00",
                }
            ]
        },
    )
    assert later.status_code == 201 and later.json()["seq"] == 3
    statuses = client.get(f"/v1/decisions/{decision_id}").json()["referral_statuses"]
    assert [(s["service_id"], s["status"]) for s in statuses] == [
        ("svc-035", "made"),
        ("svc-035", "accepted"),
    ]
    assert statuses[1] == {
        "service_id": "svc-035",
        "status": "accepted",
        "note": "first visit booked",
        "recorded_at": "2026-03-09T09:00:00Z",
        "recorded_by": _recorder(client),
    }
    bad = client.post(
        f"/v1/decisions/{decision_id}/referrals",
        json={"statuses": [{"service_id": "svc-035", "status": "lost"}]},
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["field"] == "statuses.0.status"


def test_a_status_for_a_service_nobody_can_look_up_is_refused(client) -> None:
    # "svc-9999" and free text were stored as referrals made or accepted.
    scored = client.post("/v1/score", json=example()).json()
    decision_id = scored["decision_id"]
    suggested = ", ".join(r["service_id"] for r in scored["referrals"])
    for path, body, field in (
        (
            "referrals",
            {"statuses": [{"service_id": "svc-9999", "status": "made"}]},
            "statuses.0.service_id",
        ),
        (
            "screening",
            {**screening(), "referral_statuses": [{"service_id": "svc-9999", "status": "made"}]},
            "referral_statuses.0.service_id",
        ),
    ):
        refused = client.post(f"/v1/decisions/{decision_id}/{path}", json=body)
        assert refused.status_code == 422, path
        message = (
            f"'svc-9999' is neither one of this decision's suggestions ({suggested}) nor a "
            "service in the directory; accepted: a service_id from the score's referrals or "
            "from GET /v1/referrals/search"
        )
        assert refused.json()["error"] == {
            "code": "unknown_service",
            "message": message,
            "fields": [{"field": field, "message": message, "type": "value_error"}],
        }
    # One found by search, not suggested for this decision, is a referral all the same.
    assert "svc-039" not in suggested
    found = client.post(
        f"/v1/decisions/{decision_id}/referrals",
        json={"statuses": [{"service_id": "svc-039", "status": "made"}]},
    )
    assert found.status_code == 201
    record = client.get(f"/v1/decisions/{decision_id}").json()
    assert record["screening"] is None
    assert [s["service_id"] for s in record["referral_statuses"]] == ["svc-039"]


def test_outcomes_keep_good_rows_report_bad_ones_and_are_idempotent(client) -> None:
    decision_id = client.post("/v1/score", json=example()).json()["decision_id"]
    rows = [
        {"referral_id": "ref-0001", "event": "re_referral", "event_date": "2026-11-20"},
        {"household_id": "hh-0000042", "event": "removal", "event_date": "2026-11-21"},
        {"referral_id": "ref-0001", "event": "arrest", "event_date": "2026-11-20"},
        {"event": "injury", "event_date": "31/12/2026"},
    ]
    first = client.post("/v1/outcomes", json=rows)
    assert first.status_code == 200
    assert first.json() == {
        "accepted": 2,
        "duplicates": 0,
        "rejected": [
            {
                "row": 2,
                "column": "event",
                "message": "'arrest' is not an event; accepted: "
                "re_referral, substantiation, removal, injury",
            },
            {
                "row": 3,
                "column": "referral_id",
                "message": "neither referral_id nor household_id is "
                "given; accepted: either one, an agency identifier of 1-64 letters, digits or _ . : -",
            },
            {
                "row": 3,
                "column": "event_date",
                "message": "'31/12/2026' is not a date; accepted: YYYY-MM-DD, e.g. 2026-03-31",
            },
        ],
        "matched": 2,  # the referral scored above, and its household
        "unmatched": 0,
        "unmatched_rows": [],
        "before_received": 0,
        "before_received_rows": [],
    }
    again = client.post("/v1/outcomes", json=rows[:2])
    assert again.json() == {
        "accepted": 0,
        "duplicates": 2,
        "rejected": [],
        "matched": 0,
        "unmatched": 0,
        "unmatched_rows": [],
        "before_received": 0,
        "before_received_rows": [],
    }
    outcomes = client.get(f"/v1/decisions/{decision_id}").json()["outcomes"]
    assert outcomes == [
        {
            "by": "referral",
            "subject": _keyed("referral", "ref-0001"),
            "event": "re_referral",
            "event_date": "2026-11-20",
            "recorded_by": _recorder(client),
        },
        {
            "by": "household",
            "subject": _keyed("household", "hh-0000042"),
            "event": "removal",
            "event_date": "2026-11-21",
            "recorded_by": _recorder(client),
        },
    ]


def test_outcomes_name_the_new_rows_no_scored_decision_matches(client) -> None:
    # Before: a mistyped id was "accepted" like any other, and an event dated before its
    # referral was received (never counted by monitoring) too: both went unnoticed. Still
    # recorded (a feed may deliver an outcome before its referral is scored), but named by
    # index in the answer; the ids, or their hashes, are not repeated back.
    decision_id = client.post("/v1/score", json=example()).json()["decision_id"]
    rows = [
        {"referral_id": "nope-123", "event": "removal", "event_date": "2026-11-21"},
        {"referral_id": "ref-0001", "event": "re_referral", "event_date": "2026-11-02"},
        {"household_id": "hh-nope", "event": "injury", "event_date": "2026-11-21"},
        {"referral_id": "ref-0001", "event": "removal", "event_date": "2026-11-21"},
    ]
    response = client.post("/v1/outcomes", json=rows)
    assert (response.status_code, response.json()) == (
        200,
        {
            "accepted": 4,
            "duplicates": 0,
            "rejected": [],
            "matched": 2,
            "unmatched": 2,
            "unmatched_rows": [0, 2],
            "before_received": 1,  # example.json's referral was received 2026-11-20
            "before_received_rows": [1],
        },
    )
    assert _keyed("referral", "nope-123") not in response.text
    outcomes = client.get(f"/v1/decisions/{decision_id}").json()["outcomes"]
    assert [(o["event"], o["event_date"]) for o in outcomes] == [
        ("re_referral", "2026-11-02"),
        ("removal", "2026-11-21"),
    ]


def test_log_failure_is_a_503_and_no_score(client) -> None:
    drop_the_log(client.app.state.decision_log.engine)
    response = client.post("/v1/score", json=example())
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    assert response.json() == {
        "error": {
            "code": "decision_log_unavailable",
            "message": "The decision log could not be written, so no score is returned unrecorded; "
            "retry later or ask an administrator to check HOTLINE_DATABASE_URL",
            "fields": [],
        },
        "request_id": response.headers["x-request-id"],
    }
    assert "probability" not in response.text


NOT_WRITTEN = (
    "The decision log could not be written, so nothing was recorded; retry later or ask an "
    "administrator to check HOTLINE_DATABASE_URL"
)
NOT_READ = (
    "The decision log could not be read; retry later or ask an administrator to check "
    "HOTLINE_DATABASE_URL"
)


def test_a_log_failure_elsewhere_says_what_was_not_done(client) -> None:
    # Before: every route's 503 said "no score is returned unrecorded", which a screener
    # recording a decision (or a supervisor reading a report) could only misread.
    decision_id = client.post("/v1/score", json=example()).json()["decision_id"]
    drop_the_log(client.app.state.decision_log.engine)
    status = {"statuses": [{"service_id": "svc-035", "status": "accepted"}]}
    outcome = [{"referral_id": "ref-0001", "event": "removal", "event_date": "2026-11-21"}]
    for response, message in (
        (client.post(f"/v1/decisions/{decision_id}/screening", json=screening()), NOT_WRITTEN),
        (client.post(f"/v1/decisions/{decision_id}/referrals", json=status), NOT_WRITTEN),
        (client.post("/v1/outcomes", json=outcome), NOT_WRITTEN),
        (client.get(f"/v1/decisions/{decision_id}"), NOT_READ),
        (client.get("/v1/reports/monitoring?format=json"), NOT_READ),
    ):
        assert (response.status_code, response.headers["retry-after"]) == (503, "30")
        assert response.json()["error"] == {
            "code": "decision_log_unavailable",
            "message": message,
            "fields": [],
        }


def test_monitoring_report_json_and_html(client) -> None:
    decision_id = client.post("/v1/score", json=example()).json()["decision_id"]
    client.post(f"/v1/decisions/{decision_id}/screening", json=screening(decision="screened_in"))
    report = client.get("/v1/reports/monitoring?format=json").json()
    # One decision is under the report's smallest cell (10): nothing in the report shows it.
    assert report["counts"] == {"decisions": 1, "screened": 0, "with_outcome": 0}
    version = client.app.state.models.current.version
    assert report["drift"] == {
        "note": f"1 decisions scored by model version {version}, under 10: drift is not shown",
        "model_version": version,
        "decisions": 1,
    }
    assert report["overrides"]["by_unit"] == report["overrides"]["by_group"] == []
    assert report["meta"]["min_cell"] == 10
    assert report["meta"]["left_out"] == {"not_yet_screened": 0, "in_small_cells": 1}
    page = " ".join(client.get("/v1/reports/monitoring").text.split())
    assert "No row describes fewer than 10 decisions" in page
    assert "(0 not screened yet and 1 in groups or units too small to show are left out)" in page
    assert (
        f'The model in service: <a href="models/{version}">version {version}\'s audit bundle</a>'
        in page
    )
    # With the limit at 1 (no pooling), the same report in full.
    settings = client.app.state.settings
    client.app.state.settings = settings.model_copy(update={"report_min_cell": 1})
    report = client.get("/v1/reports/monitoring?format=json").json()
    assert report["counts"] == {"decisions": 1, "screened": 1, "with_outcome": 0}
    assert report["overrides"]["by_unit"] == [
        {
            "unit": "unit-a",
            "screened": 1,
            "overrides": 1,
            "override_rate": 1.0,
            "reasons": {"none": 1},
        }
    ]
    assert report["threshold_near"] == {
        "note": f"not enough data: 1 screened decisions scored by model version {version}; the "
        "comparison needs at least 200 with outcomes on both sides"
    }
    # One decision against a 20-bin training distribution read "shifted" by construction:
    # no PSI is read over so few.
    drift = report["drift"]
    assert (drift["model_version"], drift["decisions"]) == (version, 1)
    assert drift["score"] == {
        "psi": None,
        "reading": "not enough decisions for a drift reading",
        "decisions_needed": 335,  # over 20 bins and the test model's holdout (test_drift.py)
    }
    assert drift["features"]["young_caregiver"]["psi"] is None
    assert drift["features"]["young_caregiver"]["reading"] == (
        "not enough decisions for a drift reading"
    )
    page = client.get("/v1/reports/monitoring")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Overrides, for review" in page.text


def test_monitoring_report_over_a_period(client) -> None:
    # Received 2026-11-18, 11-19 (two), 11-20; all but the last screened.
    for day, screen in [("18", True), ("19", True), ("19", True), ("20", False)]:
        body = {**example(), "received_at": f"2026-11-{day}T10:30:00-05:00"}
        scored = client.post("/v1/score", json=body)
        assert scored.status_code == 200, scored.text
        if screen:
            decision_id = scored.json()["decision_id"]
            client.post(f"/v1/decisions/{decision_id}/screening", json=screening())
    settings = client.app.state.settings
    client.app.state.settings = settings.model_copy(update={"report_min_cell": 1})

    def report(query: str) -> dict:
        response = client.get(f"/v1/reports/monitoring?format=json{query}")
        assert response.status_code == 200, response.text
        return response.json()

    everything = report("")
    assert everything["counts"]["decisions"] == 4 and everything["counts"]["screened"] == 3
    assert everything["meta"]["period"] == {"since": None, "until": None}
    both = report("&since=2026-11-19&until=2026-11-20")  # both ends included
    assert both["counts"]["decisions"] == 3 and both["counts"]["screened"] == 2
    assert both["meta"]["period"] == {"since": "2026-11-19", "until": "2026-11-20"}
    until = report("&until=2026-11-18")
    assert until["counts"]["decisions"] == 1 and until["counts"]["screened"] == 1
    assert until["meta"]["period"] == {"since": None, "until": "2026-11-18"}
    page = " ".join(client.get("/v1/reports/monitoring?since=2026-11-19").text.split())
    assert "Period: referrals received on or after 2026-11-19." in page
    assert "3 scored decisions; the tables below cover 2" in page
    assert "Period: all decisions." in client.get("/v1/reports/monitoring").text
