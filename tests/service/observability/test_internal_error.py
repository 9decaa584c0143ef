"""An exception no handler takes: a JSON 500 with the request id, a log line without its message."""

import asyncio
import json
import logging

import pytest

import service.api.score as score_route
from service.observability import JsonFormatter, ObservabilityMiddleware
from service.observability.logging import RequestIdFilter
from tests.service.observability.conftest import distinctive_referral


def _crash(_directory, referral, **_kwargs):
    # A bug's message can carry what the request held: none of it may leave the process.
    raise RuntimeError(f"matching failed for {referral.household_id}")


def test_an_unhandled_error_is_a_json_500_with_the_request_id(client, monkeypatch, caplog) -> None:
    monkeypatch.setattr(score_route, "match_referral", _crash)
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestIdFilter())  # as `hotline serve`'s handler has it
    response = client.post(
        "/v1/score", json=distinctive_referral(), headers={"X-Request-ID": "req-crash"}
    )
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.headers["X-Request-ID"] == "req-crash"
    assert response.json() == {
        "error": {
            "code": "internal_error",
            "message": "The service failed while answering this request. Quote the request id "
            "to the service's operators: it names the logged error.",
            "fields": [],
        },
        "request_id": "req-crash",
    }
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records]
    (error,) = [line for line in lines if line["level"] == "error"]
    assert (error["logger"], error["request_id"], error["error"]) == (
        "hotline.service",
        "req-crash",
        "RuntimeError",
    )
    assert error["message"] == "unhandled error in POST /v1/score"
    assert "_crash" in error["traceback"]  # where it happened, for whoever fixes it
    (access,) = [line for line in lines if line["logger"] == "hotline.access"]
    assert access["status"] == 500
    assert "QZX" not in json.dumps(lines) + response.text


def test_an_error_after_the_response_began_is_left_to_the_server(app_factory) -> None:
    # Nothing else can be sent once the status line is out: the error goes on to uvicorn.
    async def half_answer(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("mid-body")

    app = app_factory()
    middleware = ObservabilityMiddleware(
        half_answer, metrics=app.state.metrics, internal_error=lambda: pytest.fail("answered")
    )
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "method": "GET", "path": "/x", "headers": []}
    with pytest.raises(RuntimeError, match="mid-body"):
        asyncio.run(middleware(scope, receive, send))
    assert [m["status"] for m in sent] == [200]


def test_a_client_that_leaves_before_its_body_arrived_is_a_499_not_an_error(
    app_factory, caplog
) -> None:
    # Before: logged as "unhandled error" with a traceback and counted as a 500, an alarm
    # for operators about something the client did.
    from starlette.requests import Request

    async def reads_body(scope, receive, send):
        await Request(scope, receive).body()

    app = app_factory()
    middleware = ObservabilityMiddleware(
        reads_body, metrics=app.state.metrics, internal_error=lambda: pytest.fail("answered")
    )
    parts = iter([{"type": "http.request", "body": b'{"a"', "more_body": True}])

    async def receive():
        return next(parts, {"type": "http.disconnect"})

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    caplog.set_level(logging.INFO)
    scope = {"type": "http", "method": "POST", "path": "/v1/score", "headers": []}
    asyncio.run(middleware(scope, receive, send))
    assert sent == []  # nobody is listening
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records]
    assert [line["level"] for line in lines] == ["info"]
    assert (lines[0]["logger"], lines[0]["status"]) == ("hotline.access", 499)
