"""One JSON access line per request; no personal data in any log line."""

import json
import logging
import os
import sys

from service.observability import JsonFormatter, log_config
from tests.service.observability.conftest import as_role, distinctive_referral, example


def _lines(caplog) -> list[dict]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records]


def test_one_access_line_per_request_with_template_status_and_model(client, caplog) -> None:
    caplog.set_level(logging.INFO)
    scored = client.post("/v1/score", json=example(), headers={"X-Request-ID": "req-score"})
    missing = client.get("/v1/decisions/0123abcd", headers={"X-Request-ID": "req-missing"})
    assert scored.status_code == 200 and missing.status_code == 404
    access = [line for line in _lines(caplog) if line["logger"] == "hotline.access"]
    assert len(access) == 2
    for line in access:
        assert isinstance(line.pop("ts"), str)
        assert line.pop("pid") == os.getpid()
        assert line.pop("duration_ms") > 0
    assert access == [
        {
            "level": "info",
            "logger": "hotline.access",
            "message": "request",
            "request_id": "req-score",
            "event": "request",
            "method": "POST",
            "route": "/v1/score",
            "status": 200,
            "model_version": scored.json()["model_version"],
        },
        {
            "level": "info",
            "logger": "hotline.access",
            "message": "request",
            "request_id": "req-missing",
            "event": "request",
            "method": "GET",
            "route": "/v1/decisions/{decision_id}",  # the template, never the id
            "status": 404,
        },
    ]


def test_an_unrouted_path_is_logged_as_unmatched(client, caplog) -> None:
    caplog.set_level(logging.INFO)
    client.get("/v1/nothing/here/ref-0001")
    (line,) = [x for x in _lines(caplog) if x["logger"] == "hotline.access"]
    assert (line["route"], line["status"]) == ("unmatched", 404)
    assert "ref-0001" not in json.dumps(line)


def test_the_schema_pages_are_logged_under_their_own_paths(client, caplog) -> None:
    # Plain Starlette routes do not write themselves into the scope: all three were unmatched.
    caplog.set_level(logging.INFO)
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert client.get(path).status_code == 200
    access = [(x["route"], x["status"]) for x in _lines(caplog) if x["logger"] == "hotline.access"]
    assert access == [("/openapi.json", 200), ("/docs", 200), ("/redoc", 200)]


def test_no_personal_data_in_any_log_line(client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)  # as log_config sets it
    body = distinctive_referral()
    scored = client.post("/v1/score", json=body, headers={"X-Request-ID": "req-pii"})
    assert scored.status_code == 200
    decision_id = scored.json()["decision_id"]
    screening = {
        "decision": "screened_out",
        "screener_risk": "moderate",
        "screener_safety": "no_threat",
        "screener_id": "scr-17",
        "unit": "unit-a",
    }
    recorded = client.post(f"/v1/decisions/{decision_id}/screening", json=screening)
    assert recorded.status_code == 201, recorded.text
    # Outcomes need outcomes:write (a supervisor): with the screener's key this was a 403,
    # unchecked, and the outcome path's logs were never looked at.
    rows = [
        {"referral_id": body["referral_id"], "event": "re_referral", "event_date": "2025-12-01"},
        {"household_id": body["household_id"], "event": "removal", "event_date": "2025-12-02"},
    ]
    outcomes = client.post("/v1/outcomes", json=rows, headers=as_role(client, "supervisor"))
    assert (outcomes.status_code, outcomes.json()) == (
        200,
        {
            "accepted": 2,
            "duplicates": 0,
            "rejected": [],
            "matched": 2,  # the referral scored above, and its household
            "unmatched": 0,
            "unmatched_rows": [],
            "before_received": 1,  # received 2026-11-20: row 0 will not count
            "before_received_rows": [0],
        },
    )
    invalid = dict(body, children=[{"child_id": "kid-QZX-bad", "age_years": -3}])
    assert client.post("/v1/score", json=invalid).status_code == 422
    # A look-up by referral: the id is in the query string, which no log line carries.
    found = client.get("/v1/decisions", params={"referral_id": body["referral_id"]})
    assert [d["decision_id"] for d in found.json()["decisions"]] == [decision_id]
    bad = client.get("/v1/decisions", params={"referral_id": body["referral_id"] + "#"})
    assert bad.status_code == 422
    # The test client logs each URL it requests (logger httpx2): the client's line, not ours.
    service = [r for r in caplog.records if not r.name.startswith("httpx")]
    text = "\n".join(JsonFormatter().format(r) for r in service)
    access = [(x["route"], x["status"]) for x in _lines(caplog) if x["logger"] == "hotline.access"]
    assert access == [
        ("/v1/score", 200),
        ("/v1/decisions/{decision_id}/screening", 201),
        ("/v1/outcomes", 200),
        ("/v1/score", 422),
        ("/v1/decisions", 200),
        ("/v1/decisions", 422),
    ]
    secrets = [
        body["referral_id"],
        body["household_id"],
        "kid-QZX-",
        body["place"]["zip"],
        "age_years",
        "zip",
        "household",
        *client.keys.values(),
        *(key.split("_")[-1] for key in client.keys.values()),
    ]
    for secret in secrets:
        assert secret not in text, secret


def test_log_config_writes_json_and_keeps_sqlalchemy_quiet() -> None:
    config = log_config("info")
    assert config["formatters"]["json"]["()"] == "service.observability.logging.JsonFormatter"
    assert config["loggers"]["sqlalchemy"]["level"] == "WARNING"
    assert config["loggers"]["uvicorn.access"]["level"] == "WARNING"
    assert config["handlers"]["default"]["filters"] == ["request_id"]


def test_formatter_names_the_error_type_and_fields() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed %s", ("here",), exc_info=sys.exc_info()
        )
    record.fields = {"event": "e", "n": 3}
    line = json.loads(JsonFormatter().format(record))
    assert (line["level"], line["logger"], line["message"], line["event"], line["n"]) == (
        "error",
        "x",
        "failed here",
        "e",
        3,
    )
    assert line["error"] == "ValueError"
    assert "request_id" not in line


def test_an_exception_is_logged_without_its_message() -> None:
    # A database error quotes the row it failed to write; only types and frames are kept.
    secrets = ("90004", "2.5", "ref-0001")
    first, second = f"zip {secrets[0]}, child aged {secrets[1]}", f"batch with {secrets[2]}"
    try:
        try:
            raise KeyError(first)
        except KeyError as inner:
            raise RuntimeError(second) from inner
    except RuntimeError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "write failed", (), exc_info=sys.exc_info()
        )
    text = JsonFormatter().format(record)
    line = json.loads(text)
    assert (line["error"], line["caused_by"]) == ("RuntimeError", ["KeyError"])
    assert "test_an_exception_is_logged_without_its_message" in line["traceback"]
    for secret in secrets:
        assert secret not in text
