"""Every response carries a request id: the proxy's if sane, else a new one; errors quote it."""

import re

import pytest

from service.observability import request_id_from


def test_a_sane_incoming_id_is_kept(client) -> None:
    response = client.get("/health", headers={"X-Request-ID": "nginx-4f2a:9.1_x"})
    assert response.headers["x-request-id"] == "nginx-4f2a:9.1_x"


@pytest.mark.parametrize(
    "incoming",
    ["", "a" * 65, "two words", "new\nline", 'quote"d', "ünï", "id;drop", "req-1\n"],
)
def test_an_insane_incoming_id_is_replaced(incoming) -> None:
    made = request_id_from(incoming)
    assert made != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", made)


def test_without_one_a_fresh_id_is_made_per_request(client) -> None:
    first = client.get("/health").headers["x-request-id"]
    second = client.get("/health").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


MISSING = "No decision 'nope' is on record; use the decision_id a /v1/score returned"


def test_error_bodies_carry_the_request_id(client) -> None:
    response = client.get("/v1/decisions/nope", headers={"X-Request-ID": "req-404"})
    assert response.status_code == 404
    assert response.headers["x-request-id"] == "req-404"
    assert response.json() == {
        "error": {
            "code": "decision_not_found",
            "message": MISSING,
            "fields": [
                {"field": "path.decision_id", "message": MISSING, "type": "decision_not_found"}
            ],
        },
        "request_id": "req-404",
    }


def test_refused_before_the_app_still_carries_the_id(client) -> None:
    # Content-type refusal happens in middleware, outside the app's handlers.
    response = client.post(
        "/v1/score", content=b"x", headers={"content-type": "text/plain", "X-Request-ID": "r-415"}
    )
    assert response.status_code == 415
    assert response.headers["x-request-id"] == "r-415"
    assert response.json()["request_id"] == "r-415"
