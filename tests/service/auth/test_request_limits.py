"""Hostile requests: repeated Content-Type headers, bodies that stream past the size limit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.auth import Role

from .conftest import bearer

REFERRAL = json.loads((Path(__file__).resolve().parents[3] / "examples/referral.json").read_text())


@pytest.mark.parametrize(
    "types",
    [("text/plain", "application/json"), ("application/json", "text/plain")],
    ids=["plain-first", "plain-last"],
)
def test_any_non_json_content_type_among_several_is_415(app_client, role_keys, types) -> None:
    # Before, only the last header was checked: with text/plain first, /v1/score scored the
    # body anyway (200) and /v1/keys answered a confusing 422, as if no check existed.
    headers = [("authorization", bearer(role_keys[Role.admin])["Authorization"])]
    headers += [("content-type", t) for t in types]
    response = app_client.post("/v1/score", content=json.dumps(REFERRAL).encode(), headers=headers)
    message = "Content-Type 'text/plain' is not accepted; send the body as application/json"
    assert response.status_code == 415
    assert response.json()["error"] == {
        "code": "unsupported_media_type",
        "message": message,
        "fields": [
            {"field": "header.content-type", "message": message, "type": "unsupported_media_type"}
        ],
    }


def test_repeated_json_content_types_are_accepted(app_client, role_keys) -> None:
    headers = [
        ("authorization", bearer(role_keys[Role.admin])["Authorization"]),
        ("content-type", "application/json"),
        ("content-type", "Application/JSON; charset=utf-8"),
    ]
    response = app_client.post("/v1/score", content=json.dumps(REFERRAL).encode(), headers=headers)
    assert response.status_code == 200


def test_a_body_streamed_past_the_limit_is_refused_and_the_connection_closed(
    app_client, role_keys
) -> None:
    def chunks():  # chunked: no Content-Length to refuse it by
        for _ in range(8):
            yield b" " * 65536

    headers = {**bearer(role_keys[Role.admin]), "content-type": "application/json"}
    response = app_client.post("/v1/score", content=chunks(), headers=headers)
    message = "The request body passed 262144 bytes, the most accepted (HOTLINE_MAX_BODY_BYTES)"
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "body_too_large",
        "message": message,
        "fields": [{"field": "body", "message": message, "type": "body_too_large"}],
    }
    # Before, the connection stayed open and the server went on reading the rest of the
    # body, however long the client kept sending it.
    assert response.headers["connection"] == "close"
