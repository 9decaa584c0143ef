"""Hostile input: every class gets a 4xx JSON error with a stable code and the field at fault."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.config import ServiceSettings
from service.main import create_app
from tests.factories import authorize

ROOT = Path(__file__).resolve().parents[2]
REFERRAL = json.loads((ROOT / "examples" / "referral.json").read_text())
LIMIT = 4096


@pytest.fixture(scope="module")
def client(registry_with_champion, tmp_path_factory):
    settings = ServiceSettings(
        registry_dir=registry_with_champion.root,
        directory_path=ROOT / "data" / "directory",
        database_url=f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'd.db'}",
        max_body_bytes=LIMIT,
    )
    with TestClient(create_app(settings)) as c:
        authorize(c, "admin")
        yield c


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code
    return error


def test_declared_oversized_body_is_413_before_reading(client) -> None:
    body = json.dumps({**REFERRAL, "narrative": "x" * LIMIT}).encode()
    error = _error(
        client.post("/v1/score", content=body, headers={"content-type": "application/json"}),
        413,
        "body_too_large",
    )
    assert error["message"] == (
        f"The request body is {len(body)} bytes; at most {LIMIT} are accepted "
        "(HOTLINE_MAX_BODY_BYTES)"
    )
    assert error["fields"][0]["field"] == "body"


def test_streamed_oversized_body_is_413_while_streaming(client) -> None:
    sent = []

    def chunks():
        for _ in range(100):  # would be 100 KiB; refused after about 4 KiB
            sent.append(1)
            yield b" " * 1024

    response = client.post(
        "/v1/score", content=chunks(), headers={"content-type": "application/json"}
    )
    error = _error(response, 413, "body_too_large")
    assert error["fields"][0]["field"] == "body"
    assert "passed 4096 bytes" in error["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_non_json_body_is_415(client, content_type) -> None:
    response = client.post(
        "/v1/score", content=json.dumps(REFERRAL).encode(), headers={"content-type": content_type}
    )
    error = _error(response, 415, "unsupported_media_type")
    assert error["fields"][0]["field"] == "header.content-type"
    assert "send the body as application/json" in error["message"]


def test_json_with_charset_is_accepted(client) -> None:
    response = client.post(
        "/v1/score",
        content=json.dumps(REFERRAL).encode(),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/score", {**REFERRAL, "favourite_colour": "red"}, "favourite_colour"),
        ("/v1/keys", {"name": "n", "role": "screener", "admin": True}, "admin"),
        ("/v1/rules/preview", {"rules_yaml": "x", "cases": [], "dry": 1}, "dry"),
    ],
)
def test_unknown_field_is_422_naming_it(client, path, body, field) -> None:
    error = _error(client.post(path, json=body), 422, "invalid_request")
    assert field in [f["field"] for f in error["fields"]]
    assert any(f["type"] == "extra_forbidden" for f in error["fields"])


def test_over_long_list_and_string_are_422(client) -> None:
    many = {**REFERRAL, "allegation_types": ["neglect"] * 13}  # at most 12
    error = _error(client.post("/v1/score", json=many), 422, "invalid_request")
    assert error["fields"][0]["field"] == "allegation_types"
    long_name = _error(
        client.post("/v1/keys", json={"name": "n" * 101, "role": "screener"}),
        422,
        "invalid_request",
    )
    assert long_name["fields"][0]["field"] == "name"


@pytest.mark.parametrize("path", ["/v1/score", "/v1/outcomes"])
def test_malformed_json_is_422_at_body_with_its_position_in_the_message(client, path) -> None:
    # The position is in the message: as the field, "16" read like row 16 of /v1/outcomes.
    response = client.post(
        path, content=b'{"referral_id": ', headers={"content-type": "application/json"}
    )
    error = _error(response, 422, "invalid_request")
    message = "JSON decode error at character 16: Expecting value"
    assert error["fields"] == [{"field": "body", "message": message, "type": "json_invalid"}]
    assert error["message"] == f"body: {message}"


def test_an_empty_body_is_a_missing_body(client) -> None:
    response = client.post("/v1/score", content=b"", headers={"content-type": "application/json"})
    error = _error(response, 422, "invalid_request")
    assert error["fields"] == [{"field": "body", "message": "Field required", "type": "missing"}]


def test_a_body_that_is_not_unicode_json_is_422(client) -> None:
    response = client.post(
        "/v1/score",
        content=b'{"referral_id": "caf\xe9"}',  # latin-1, not UTF-8
        headers={"content-type": "application/json"},
    )
    error = _error(response, 422, "invalid_request")
    assert (error["fields"][0]["field"], error["fields"][0]["type"]) == ("body", "json_invalid")


@pytest.mark.parametrize(("encoding", "prefix"), [("utf-8", b"\xef\xbb\xbf"), ("utf-16", b"")])
def test_json_with_a_byte_order_mark_or_in_utf16_is_read_as_before(
    client, encoding, prefix
) -> None:
    # json.loads (FastAPI's reader) takes these; pydantic's strict reader alone would not.
    body = prefix + json.dumps(REFERRAL, separators=(",", ":")).encode(encoding)
    assert len(body) <= LIMIT
    response = client.post("/v1/score", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json()["referral_id"] == REFERRAL["referral_id"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("need=food&zip=90012&limit=0", "query.limit"),
        ("need=food&zip=90012&limit=10000", "query.limit"),
        ("need=food&zip=9001", "query.zip"),
        ("zip=90012", "query.need"),
    ],
)
def test_bad_query_bounds_are_422(client, query, field) -> None:
    error = _error(client.get(f"/v1/referrals/search?{query}"), 422, "invalid_request")
    assert error["fields"][0]["field"] == field


def test_bad_report_format_is_422(client) -> None:
    error = _error(client.get("/v1/reports/monitoring?format=pdf"), 422, "invalid_request")
    assert error["fields"][0]["field"] == "query.format"


def test_json_nested_too_deeply_is_422_json_invalid(client) -> None:
    # Deeper than both pydantic's reader (~200 levels) and json.loads (Python's stack).
    body = b"[" * 2000 + b"]" * 2000
    assert len(body) <= LIMIT
    response = client.post("/v1/score", content=body, headers={"content-type": "application/json"})
    error = _error(response, 422, "invalid_request")
    assert error["fields"] == [
        {
            "field": "body",
            "message": "JSON decode error: arrays and objects nest too deeply",
            "type": "json_invalid",
        }
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"prior_placements": [{"start_date": "2030-01-01", "end_date": "2020-01-01"}]},
            "prior_placements.0",
            "end_date 2020-01-01 is before start_date 2030-01-01; "
            "a placement must end on or after its start",
        ),
        (
            {"received_at": "0002-06-01T10:00:00+00:00", "caregivers": [], "prior_reports": []},
            "received_at",
            "day 0002-06-01 is outside 1900-01-01 to 2099-12-31; "
            "a referral must be received on a day in that range",
        ),
    ],
    ids=["placement-out-of-order", "received-year-2"],
)
def test_implausible_dates_are_422_naming_the_field(client, changes, field, message) -> None:
    error = _error(client.post("/v1/score", json={**REFERRAL, **changes}), 422, "invalid_request")
    assert error["fields"] == [{"field": field, "message": message, "type": "value_error"}]


def _rules_yaml(condition: str) -> str:
    return (
        'version: "p1"\nrules:\n  - id: r1\n    title: t\n    citation: c\n'
        f"    effective_from: 2020-01-01\n    condition: {condition}\n"
        "    action: {type: flag}\n    explanation: x\n"
    )


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (
            '{fact: score, op: ">=", value: 3, params: {1: 2}}',
            "proposed: rule 'r1': condition: fact 'score' takes no params; got 1",
        ),
        (
            "{not: " * 300 + '{fact: score, op: ">=", value: 3}' + "}" * 300,
            "proposed: the rules nest too deeply to read; a condition may have at most 32 levels",
        ),
    ],
    ids=["int-param-key", "nested-300"],
)
def test_hostile_rules_preview_is_422_on_rules_yaml(client, condition, message) -> None:
    body = {"rules_yaml": _rules_yaml(condition), "cases": [{"referral": REFERRAL}]}
    assert len(json.dumps(body)) <= LIMIT
    error = _error(client.post("/v1/rules/preview", json=body), 422, "invalid_request")
    assert error["fields"] == [{"field": "rules_yaml", "message": message, "type": "value_error"}]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            "since=2026-13-01",
            "query.since",
            "Input should be a valid date or datetime, month value is outside expected range "
            "of 1-12",
        ),
        ("until=0", "query.until", "Input should be a day written YYYY-MM-DD"),
        ("since=2026-3-1", "query.since", "Input should be a day written YYYY-MM-DD"),
        ("until=2026-03-01T00:00:00", "query.until", "Input should be a day written YYYY-MM-DD"),
    ],
)
def test_bad_report_period_day_is_422(client, query, field, message) -> None:
    error = _error(client.get(f"/v1/reports/monitoring?{query}"), 422, "invalid_request")
    assert error["fields"][0]["field"] == field
    assert error["fields"][0]["message"] == message


def test_report_period_ending_before_it_starts_is_422(client) -> None:
    response = client.get("/v1/reports/monitoring?format=json&since=2026-03-05&until=2026-03-01")
    error = _error(response, 422, "invalid_request")
    message = (
        "since 2026-03-05 is after until 2026-03-01; accepted: since on or before until "
        "(YYYY-MM-DD, both days included)"
    )
    assert error["fields"] == [{"field": "query.since", "message": message, "type": "value_error"}]
    assert error["message"] == f"query.since: {message}"


# Every route that takes a JSON body; test_every_json_body_route_is_listed keeps it whole.
BODY_ROUTES = [
    "/v1/score",
    "/v1/outcomes",
    "/v1/keys",
    "/v1/rules/preview",
    "/v1/decisions/0123456789abcdef0123456789abcdef/screening",
    "/v1/decisions/0123456789abcdef0123456789abcdef/referrals",
]
UNREADABLE = {
    "not-utf8": (
        b'{"name": "caf\xe9"}',
        "The body is not UTF-8, UTF-16 or UTF-32 encoded JSON",
    ),
    "nested-2000": (
        b"[" * 2000 + b"]" * 2000,
        "JSON decode error: arrays and objects nest too deeply",
    ),
    "integer-5000-digits": (
        b'{"referral_id": ' + b"7" * 5000 + b"}",
        "JSON decode error: a number has more than 4300 digits",
    ),
}


@pytest.fixture(scope="module")
def roomy_client(registry_with_champion, tmp_path_factory):
    # The default body limit (256 KiB): a 5,000-digit number is more than the 4 KiB above.
    settings = ServiceSettings(
        registry_dir=registry_with_champion.root,
        directory_path=ROOT / "data" / "directory",
        database_url=f"sqlite:///{tmp_path_factory.mktemp('roomy') / 'd.db'}",
    )
    with TestClient(create_app(settings)) as c:
        authorize(c, "admin")
        yield c


def test_every_json_body_route_is_listed(roomy_client) -> None:
    paths = roomy_client.get("/openapi.json").json()["paths"]
    with_body = {
        path.replace("{decision_id}", "0123456789abcdef0123456789abcdef")
        for path, operations in paths.items()
        for operation in operations.values()
        if "requestBody" in operation
    }
    assert with_body == set(BODY_ROUTES)


@pytest.mark.parametrize("path", BODY_ROUTES)
@pytest.mark.parametrize("case", list(UNREADABLE))
def test_a_body_json_cannot_read_is_the_same_422_on_every_route(roomy_client, path, case) -> None:
    # FastAPI's own reader answered these with an undocumented 400 and no field; /v1/score
    # answered a 5,000-digit number with a 500.
    body, message = UNREADABLE[case]
    response = roomy_client.post(path, content=body, headers={"content-type": "application/json"})
    error = _error(response, 422, "invalid_request")
    assert error == {
        "code": "invalid_request",
        "message": f"body: {message}",
        "fields": [{"field": "body", "message": message, "type": "json_invalid"}],
    }


NUMBER = ("Input should be a valid number", "float_type")
INTEGER = ("Input should be a valid integer", "int_type")
BOOLEAN = ("Input should be a valid boolean", "bool_type")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("children.0.age_years", True, NUMBER),
        ("children.0.age_years", "2.5", NUMBER),
        ("children.0.age_years", float("nan"), ("Input should be a finite number", "finite_number")),
        ("caregivers.0.age_years", True, INTEGER),
        ("caregivers.0.age_years", 29.5, INTEGER),
        ("children.0.alleged_victim", "yes", BOOLEAN),
        ("caregivers.0.pregnant", "on", BOOLEAN),
        ("caregivers.0.pregnant", 1, BOOLEAN),
        ("prior_reports.0.screened_in", 0, BOOLEAN),
    ],
    ids=["age-true", "age-text", "age-nan", "adult-age-true", "adult-age-29.5", "victim-yes", "pregnant-on", "pregnant-1", "screened-0"],
)  # fmt: skip
def test_a_wrong_json_type_is_refused_not_coerced(client, field, value, expected) -> None:
    # Lax pydantic scored "age_years": true as a 1-year-old and took "yes", "on" and 1 as
    # true; NaN failed the bound, "Input should be less than or equal to 21".
    body = json.loads(json.dumps(REFERRAL))
    parent, index, name = field.split(".")
    body[parent][int(index)][name] = value
    content = json.dumps(body).encode()  # NaN is written as the JSON extension NaN
    response = client.post(
        "/v1/score", content=content, headers={"content-type": "application/json"}
    )
    error = _error(response, 422, "invalid_request")
    message, kind = expected
    assert error["fields"] == [{"field": field, "message": message, "type": kind}]


def test_a_whole_number_is_still_a_childs_age(client) -> None:
    body = json.loads(json.dumps(REFERRAL))
    body["children"][0]["age_years"] = 3
    assert client.post("/v1/score", json=body).status_code == 200


def test_a_whole_number_written_as_a_float_is_still_an_adults_age(client) -> None:
    # json.dumps and pandas write a float column's 29 as 29.0: the same age, the same score.
    body = json.loads(json.dumps(REFERRAL))
    body["caregivers"][0]["age_years"] = 29
    as_int = client.post("/v1/score", json=body).json()
    body["caregivers"][0]["age_years"] = 29.0
    as_float = client.post("/v1/score", json=body).json()
    assert (as_float["probability"], as_float["score"]) == (as_int["probability"], as_int["score"])


def test_an_over_long_decision_id_is_refused_not_echoed(client) -> None:
    # A 5,000-character id came back whole in the 404's message.
    response = client.get("/v1/decisions/" + "a" * 5000)
    error = _error(response, 422, "invalid_request")
    assert error["fields"] == [
        {
            "field": "path.decision_id",
            "message": "String should have at most 64 characters",
            "type": "string_too_long",
        }
    ]
    assert "a" * 65 not in response.text


def _screening(decided_at: str) -> dict:
    return {
        "decision": "screened_in",
        "screener_risk": "low",
        "screener_safety": "no_threat",
        "screener_id": "s1",
        "unit": "u1",
        "decided_at": decided_at,
    }


DECIDED_AT_ACCEPTED = (
    "accepted: the moment the decision was made, at most 5 minutes after the server's clock "
    "(leave it out to use the server's time)"
)


@pytest.mark.parametrize(
    ("decided_at", "message"),
    [
        (
            "0001-01-01T00:00:00+14:00",
            f"day 0001-01-01 is outside 1900-01-01 to 2099-12-31; {DECIDED_AT_ACCEPTED}",
        ),
        (
            "9999-12-31T23:59:59-14:00",
            f"day 9999-12-31 is outside 1900-01-01 to 2099-12-31; {DECIDED_AT_ACCEPTED}",
        ),
    ],
    ids=["year-1", "year-9999"],
)
def test_an_absurd_decision_time_is_refused(client, decided_at, message) -> None:
    # The append-only log kept 0001-01-01 and 9999-12-31 for good.
    decision_id = client.post("/v1/score", json=REFERRAL).json()["decision_id"]
    response = client.post(f"/v1/decisions/{decision_id}/screening", json=_screening(decided_at))
    error = _error(response, 422, "invalid_request")
    assert error["fields"] == [{"field": "decided_at", "message": message, "type": "value_error"}]
    assert client.get(f"/v1/decisions/{decision_id}").json()["screening"] is None


def test_a_decision_time_ahead_of_the_clock_is_refused_past_5_minutes(client) -> None:
    decision_id = client.post("/v1/score", json=REFERRAL).json()["decision_id"]
    url = f"/v1/decisions/{decision_id}/screening"
    now = dt.datetime.now(dt.UTC)
    late = (now + dt.timedelta(minutes=10)).isoformat()
    error = _error(client.post(url, json=_screening(late)), 422, "invalid_request")
    (field,) = error["fields"]
    assert field["field"] == "decided_at"
    assert field["message"].startswith(f"{late} is after the server's clock (")
    assert field["message"].endswith(f") by more than 5 minutes; {DECIDED_AT_ACCEPTED}")
    soon = (now + dt.timedelta(minutes=2)).isoformat()
    assert client.post(url, json=_screening(soon)).status_code == 201


def test_a_referral_received_ahead_of_the_clock_is_refused_past_5_minutes(client) -> None:
    # Before: received_at 2030-01-01 was scored (12 where it scored 16: every window counted
    # back from it moved), while a decided_at 10 minutes ahead was refused.
    now = dt.datetime.now(dt.UTC)
    late = (now + dt.timedelta(minutes=10)).isoformat()
    response = client.post("/v1/score", json={**REFERRAL, "received_at": late})
    (field,) = _error(response, 422, "invalid_request")["fields"]
    assert field["field"] == "received_at"
    assert field["message"].startswith(f"{late} is after the server's clock (")
    assert field["message"].endswith(
        ") by more than 5 minutes; accepted: when the hotline received the report, at most 5 "
        "minutes after the server's clock (the features count back from it)"
    )
    soon = (now + dt.timedelta(minutes=2)).isoformat()
    assert client.post("/v1/score", json={**REFERRAL, "received_at": soon}).status_code == 200
