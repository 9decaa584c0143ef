"""A request body must arrive within HOTLINE_BODY_TIMEOUT_SECONDS (the whole server path is
in tests/deploy/test_slow_bodies.py)."""

import asyncio

import pytest

from service.errors import RequestRefused
from service.middleware import BodyLimitMiddleware

SCOPE = {
    "type": "http",
    "method": "POST",
    "path": "/v1/score",
    "headers": [(b"content-type", b"application/json"), (b"content-length", b"8")],
}


def _run(receive_messages, *, timeout: float, reads: int) -> list[dict]:
    got: list[dict] = []

    async def app(scope, receive, send) -> None:
        for _ in range(reads):
            got.append(await receive())

    async def receive() -> dict:
        return await receive_messages.__anext__()

    asyncio.run(BodyLimitMiddleware(app, max_bytes=1024, timeout=timeout)(SCOPE, receive, None))
    return got


async def _parts(*steps):
    for pause, message in steps:
        await asyncio.sleep(pause)
        yield message


def test_a_body_that_stalls_is_refused_with_408_and_the_connection_closed() -> None:
    stalled = _parts(
        (0, {"type": "http.request", "body": b'{"a"', "more_body": True}),
        (5, {"type": "http.request", "body": b": 1}", "more_body": False}),
    )
    with pytest.raises(RequestRefused) as refused:
        _run(stalled, timeout=0.2, reads=2)
    assert refused.value.status_code == 408
    assert refused.value.field == "body"
    assert refused.value.detail == (
        "The request body did not arrive within 0.2 seconds (HOTLINE_BODY_TIMEOUT_SECONDS)"
    )
    assert refused.value.headers == {"Connection": "close"}


def test_the_deadline_covers_the_body_only_not_the_wait_for_a_disconnect() -> None:
    # After the body, a read waits for the client to go away (Starlette's disconnect
    # check); that wait may last as long as the answer takes, and must not be cut.
    parts = _parts(
        (0, {"type": "http.request", "body": b'{"a"', "more_body": True}),
        (0.1, {"type": "http.request", "body": b": 1}", "more_body": False}),
        (0.5, {"type": "http.disconnect"}),
    )
    got = _run(parts, timeout=0.3, reads=3)
    assert [m["type"] for m in got] == ["http.request", "http.request", "http.disconnect"]
