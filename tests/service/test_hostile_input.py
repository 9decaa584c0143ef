"""Hostile input: every class gets a 4xx JSON error with a stable code and the field at fault."""

from __future__ import annotations

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


def test_malformed_json_is_422_at_its_position(client) -> None:
    response = client.post(
        "/v1/score", content=b'{"referral_id": ', headers={"content-type": "application/json"}
    )
    error = _error(response, 422, "invalid_request")
    assert error["fields"] == [
        {"field": "16", "message": "JSON decode error", "type": "json_invalid"}
    ]


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
        ("until=0", "query.until", "Input should be a valid date"),
        ("since=2026-3-1", "query.since", "Input should be a valid date"),
        ("until=2026-03-01T00:00:00", "query.until", "Input should be a valid date"),
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
