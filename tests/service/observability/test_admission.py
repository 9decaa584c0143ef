"""Admission control: past HOTLINE_MAX_IN_FLIGHT a request gets 503 and Retry-After at once."""

import asyncio

import httpx
import pytest

from service.middleware.admission import AdmissionMiddleware
from tests.backends import find_middleware
from tests.service.observability.conftest import as_role, example


async def _slow_app(scope, receive, send) -> None:
    await asyncio.sleep(0.2)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def test_excess_requests_are_refused_at_once_and_counted() -> None:
    rejected = []
    app = AdmissionMiddleware(_slow_app, max_in_flight=2, on_reject=lambda: rejected.append(1))

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return await asyncio.gather(*(c.get("/v1/rules") for _ in range(5)))

    responses = asyncio.run(run())
    assert sorted(r.status_code for r in responses) == [200, 200, 503, 503, 503]
    refused = next(r for r in responses if r.status_code == 503)
    assert refused.headers["retry-after"] == "1"
    assert refused.json() == {
        "error": {
            "code": "overloaded",
            "message": "This worker is handling 2 requests already (HOTLINE_MAX_IN_FLIGHT); "
            "retry in 1 second",
            "fields": [],
        }
    }
    assert len(rejected) == 3
    assert app.in_flight == 0


def test_probes_and_metrics_are_never_refused() -> None:
    app = AdmissionMiddleware(_slow_app, max_in_flight=1)

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            paths = ["/v1/rules", "/health", "/ready", "/metrics", "/health"]
            return await asyncio.gather(*(c.get(p) for p in paths))

    assert [r.status_code for r in asyncio.run(run())] == [200] * 5


def test_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_in_flight must be at least 1, got 0"):
        AdmissionMiddleware(_slow_app, max_in_flight=0)


def test_the_app_counts_rejections_in_metrics(app_factory) -> None:
    from fastapi.testclient import TestClient

    from tests.factories import issue_key

    app = app_factory(max_in_flight=1)
    with TestClient(app) as client:
        admin = issue_key(app.state.decision_log, "admin")
        # Stand in for a request in flight: the next one is over the limit.
        admission = find_middleware(app.middleware_stack, AdmissionMiddleware)
        admission.in_flight = 1
        refused = client.get("/v1/rules", headers={"Authorization": f"Bearer {admin}"})
        admission.in_flight = 0
        assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
        assert refused.json()["error"]["code"] == "overloaded"
        assert refused.json()["request_id"] == refused.headers["x-request-id"]
        client.keys = {"admin": admin}
        metrics = client.get("/metrics", headers=as_role(client, "admin")).text
        assert "hotline_admission_rejections_total 1.0" in metrics


def _reading_app(admission_of: list) -> object:
    async def app(scope, receive, send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        counted = str(admission_of[0].in_flight).encode()  # while handling, body read
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body + b" " + counted})

    return app


def _post_scope(length: int) -> dict:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(length).encode())]
    return {"type": "http", "method": "POST", "path": "/v1/score", "headers": headers}


def test_a_request_is_not_counted_while_its_body_is_on_its_way() -> None:
    # A client that sent its headers and part of its body used to hold a slot for as long
    # as it cared to wait: enough of them refused every screener.
    holder: list = []
    app = AdmissionMiddleware(_reading_app(holder), max_in_flight=1)
    holder.append(app)

    async def run() -> tuple[list[int], list[dict], int]:
        rest_of_body = asyncio.Event()
        parts = iter([{"type": "http.request", "body": b'{"a"', "more_body": True}])

        async def slow_receive() -> dict:
            part = next(parts, None)
            if part is not None:
                return part
            await rest_of_body.wait()
            return {"type": "http.request", "body": b": 1}", "more_body": False}

        slow_sent: list[dict] = []

        async def slow_send(message: dict) -> None:
            slow_sent.append(message)

        slow = asyncio.create_task(app(_post_scope(8), slow_receive, slow_send))
        await asyncio.sleep(0.05)
        waiting = app.in_flight
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            others = [await c.post("/v1/score", content=b"{}") for _ in range(3)]
        rest_of_body.set()
        await slow
        return [r.status_code for r in others], slow_sent, waiting

    statuses, slow_sent, waiting = asyncio.run(run())
    assert waiting == 0
    assert statuses == [200, 200, 200]
    # Counted while it was handled, once its body was in: one request of one allowed.
    assert slow_sent[0]["status"] == 200 and slow_sent[1]["body"] == b'{"a": 1} 1'
    assert app.in_flight == 0


def test_a_body_that_arrives_at_a_full_worker_gets_the_usual_refusal(app_factory) -> None:
    # Admitted at the door, the request is not counted while its body comes; if the worker
    # fills up meanwhile it is refused once the body is in, before any of it is parsed,
    # with the same answer as a refusal at the door.
    import json

    from fastapi.testclient import TestClient

    from tests.factories import issue_key

    rejected: list[int] = []
    app = app_factory(max_in_flight=1)
    with TestClient(app) as client:
        screener = issue_key(app.state.decision_log, "screener")
        admission = find_middleware(app.middleware_stack, AdmissionMiddleware)
        admission.on_reject = lambda: rejected.append(1)
        body = json.dumps(example()).encode()

        async def slowly():
            yield body[:10]
            admission.in_flight = 1  # another request took the last slot meanwhile
            yield body[10:]

        async def post() -> httpx.Response:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                return await c.post(
                    "/v1/score",
                    content=slowly(),
                    headers={
                        "Authorization": f"Bearer {screener}",
                        "Content-Type": "application/json",
                    },
                )

        refused = asyncio.run(post())
        assert admission.in_flight == 1  # the refused request left no count behind
        admission.in_flight = 0
        auth = {"Authorization": f"Bearer {screener}"}
        assert client.post("/v1/score", json=example(), headers=auth).status_code == 200
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert refused.json() == {
        "error": {
            "code": "overloaded",
            "message": "This worker is handling 1 requests already (HOTLINE_MAX_IN_FLIGHT); "
            "retry in 1 second",
            "fields": [],
        },
        "request_id": refused.headers["x-request-id"],
    }
    assert rejected == [1]


def test_a_body_the_route_does_not_read_does_not_get_past_the_limit(app_factory) -> None:
    # Before, any request with a body was counted only once the route read it: a body sent
    # to a route that takes none (a reload, a GET) was never counted, so adding one got any
    # number of them past the limit.
    from fastapi.testclient import TestClient

    from tests.factories import issue_key

    app = app_factory(max_in_flight=1)
    with TestClient(app) as client:
        admin = {"Authorization": f"Bearer {issue_key(app.state.decision_log, 'admin')}"}
        admission = find_middleware(app.middleware_stack, AdmissionMiddleware)
        admission.in_flight = 1
        reload = client.post("/v1/admin/reload", json={}, headers=admin)
        rules = client.request("GET", "/v1/rules", json={"x": 1}, headers=admin)
        admission.in_flight = 0
        assert client.post("/v1/admin/reload", json={}, headers=admin).status_code == 200
    assert (reload.status_code, reload.json()["error"]["code"]) == (503, "overloaded")
    assert (rules.status_code, rules.json()["error"]["code"]) == (503, "overloaded")
