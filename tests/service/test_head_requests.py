"""HEAD on every GET route: the GET's status and headers, no body, the same key rules.

FastAPI's GET routes answered HEAD with 405, so a browser, link checker or proxy checking a
report page got a refusal the page itself would not give.
"""

from __future__ import annotations

import asyncio
import base64

import pytest

from service.auth import route_permissions
from service.middleware import HeadAsGetMiddleware
from tests.backends import unstarted_app

# URLs with parameters that reach the route (a 404 from the route is an answer too).
SAMPLES = {
    "/v1/referrals/search": "/v1/referrals/search?need=food&zip=90004",
    "/v1/decisions": "/v1/decisions?referral_id=ref-0001",
    "/v1/decisions/{decision_id}": "/v1/decisions/0123456789abcdef0123456789abcdef",
    "/v1/reports/models/{version}": "/v1/reports/models/champion",
    "/v1/reports/models/{version}/{document}": "/v1/reports/models/1/gates.json",
}
PAGE = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def _get_paths() -> list[str]:
    # The routes do not depend on the model or the log: read them from an app never started.
    app = unstarted_app()
    return sorted(path for method, path in route_permissions(app) if method == "GET")


@pytest.fixture(scope="module")
def client(app_client):
    return app_client


@pytest.fixture(scope="module")
def keys(role_keys) -> dict[str, str]:
    return {role.value: key for role, key in role_keys.items()}


def _basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"dana:{key}".encode()).decode()}


def _headers(response, *, volatile: frozenset[str]) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in volatile}


@pytest.mark.parametrize("path", _get_paths())
def test_head_answers_as_get_does_without_the_body(client, keys, path) -> None:
    url = SAMPLES.get(path, path)
    auth = {"Authorization": f"Bearer {keys['admin']}"}
    get = client.get(url, headers=auth)
    head = client.head(url, headers=auth)
    assert head.status_code == get.status_code != 405, head.headers
    assert head.content == b""
    # Every request adds to the counters /metrics shows, so its length moves between the two.
    volatile = frozenset({"x-request-id"} | ({"content-length"} if path == "/metrics" else set()))
    assert _headers(head, volatile=volatile) == _headers(get, volatile=volatile)


def test_a_browser_may_check_a_report_page_with_head(client, keys) -> None:
    # No key: the same challenge as a GET, so the browser asks for the key.
    refused = client.head("/v1/reports/monitoring", headers=PAGE)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Basic realm="hotline", charset="UTF-8"'
    # The key typed into the login dialog (Basic) is taken on HEAD as on GET.
    page = client.get("/v1/reports/monitoring", headers={**PAGE, **_basic(keys["supervisor"])})
    head = client.head("/v1/reports/monitoring", headers={**PAGE, **_basic(keys["supervisor"])})
    assert head.status_code == page.status_code == 200
    assert head.headers["content-type"] == "text/html; charset=utf-8"
    assert head.headers["content-length"] == str(len(page.content))
    # The role still decides.
    screener = client.head("/v1/reports/monitoring", headers={**PAGE, **_basic(keys["screener"])})
    assert screener.status_code == 403


def test_head_on_a_route_without_get_is_still_405(client, keys) -> None:
    response = client.head("/v1/score", headers={"Authorization": f"Bearer {keys['admin']}"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_no_body_leaves_the_app_and_the_head_is_logged_under_its_route(client, keys) -> None:
    # The test client drops a HEAD's body itself; at the ASGI level the app must not send it.
    auth = (b"authorization", f"Bearer {keys['admin']}".encode())
    messages = asyncio.run(_call(client.app, "HEAD", "/v1/rules", [auth]))
    start, *bodies = messages
    assert start["status"] == 200
    length = dict(start["headers"])[b"content-length"]
    assert int(length) == len(client.get("/v1/rules", headers=_bearer(keys)).content) > 0
    assert b"".join(m.get("body", b"") for m in bodies) == b""
    assert bodies[-1].get("more_body", False) is False
    # Metrics and the access log see the method sent and the route it reached.
    metrics = client.get("/metrics", headers=_bearer(keys)).text
    assert 'method="HEAD",route="/v1/rules",status="200"' in metrics


def _bearer(keys: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys['admin']}"}


async def _call(app, method: str, path: str, headers: list[tuple[bytes, bytes]]) -> list[dict]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, _no_body, send)
    return sent


def test_a_streamed_get_is_sent_as_its_headers_and_one_empty_end() -> None:
    seen: list[str] = []

    async def streaming_app(scope, receive, send) -> None:
        seen.append(scope["method"])
        scope["route"] = "the matched route"  # what a router writes into the scope
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"one", b"two"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b"three", "more_body": False})

    scope = {"type": "http", "method": "HEAD", "path": "/"}
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(HeadAsGetMiddleware(streaming_app)(scope, _no_body, send))
    assert seen == ["GET"]
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert (sent[1]["body"], sent[1]["more_body"]) == (b"", False)
    # The server's scope keeps the method it received (it sends no body after a HEAD) and
    # gets what the router wrote, for the access log and metrics.
    assert scope["method"] == "HEAD"
    assert scope["route"] == "the matched route"


async def _no_body() -> dict:
    return {"type": "http.request", "body": b"", "more_body": False}
