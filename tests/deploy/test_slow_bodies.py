"""Clients that send their body slowly neither lock screeners out nor keep their connection.

Reproduced before the fix on `make run` (one worker, 32 requests in flight): 80 connections
that sent their headers and 10 bytes of body made every screener's score a 503 `overloaded`
for as long as they stayed open. A request now counts against `HOTLINE_MAX_IN_FLIGHT` once
its body has arrived, and a body must arrive within `HOTLINE_BODY_TIMEOUT_SECONDS`.
"""

import json
import socket

import httpx

from tests.deploy.replica import start_local, stop, wait_ready
from tests.factories import issue_key_at
from tests.service.decision_log.factories import example

SLOW_CLIENTS = 6  # three times the requests the worker may handle at once


def _start_slow_body(port: int, key: str, body: bytes) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=20)
    head = (
        "POST /v1/score HTTP/1.1\r\nHost: test\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    conn.sendall(head.encode() + body[:10])  # and never the rest
    return conn


def _read_answer(conn: socket.socket) -> tuple[str, dict[str, str], bytes]:
    data = b""
    while chunk := conn.recv(65536):  # the server closes the connection after answering
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode().split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines)
    return status, headers, body


def test_slow_bodies_hold_no_slot_and_are_cut_off(registry_with_champion, tmp_path) -> None:
    proc, port, log, database = start_local(
        registry_with_champion.root,
        tmp_path,
        env_extra={"HOTLINE_MAX_IN_FLIGHT": "2", "HOTLINE_BODY_TIMEOUT_SECONDS": "2"},
    )
    slow: list[socket.socket] = []
    try:
        wait_ready(port, proc, log)
        key = issue_key_at(database, "screener")
        body = json.dumps(example()).encode()

        def score() -> httpx.Response:
            return httpx.post(
                f"http://127.0.0.1:{port}/v1/score",
                content=body,
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                timeout=20,
            )

        # A first score: the key is then known (a key looked up in the database is a
        # request in flight, counted as any other until the route reads the body).
        assert score().status_code == 200
        slow = [_start_slow_body(port, key, body) for _ in range(SLOW_CLIENTS)]
        scored = score()
        assert scored.status_code == 200, scored.text
        answers = [_read_answer(conn) for conn in slow]
    finally:
        for conn in slow:
            conn.close()
        stop(proc)
    for status, headers, answer in answers:
        assert status == "HTTP/1.1 408 Request Timeout"
        assert headers["connection"] == "close"
        error = json.loads(answer)["error"]
        assert error == {
            "code": "body_timeout",
            "message": "The request body did not arrive within 2 seconds "
            "(HOTLINE_BODY_TIMEOUT_SECONDS)",
            "fields": [
                {"field": "body", "message": error["message"], "type": "body_timeout"},
            ],
        }
