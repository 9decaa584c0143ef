"""The OpenAPI document lists the answers that come from outside the routes, as they are sent."""

from __future__ import annotations

import pytest

from service.middleware.admission import AdmissionMiddleware
from service.schemas import ErrorBody
from tests.backends import find_middleware, unstarted_app
from tests.factories import BASE_REFERRAL

ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    }
}
OPERATIONS = [
    (path, method, operation)
    for path, item in unstarted_app().openapi()["paths"].items()
    for method, operation in item.items()
]


@pytest.mark.parametrize(
    ("path", "method", "operation"), OPERATIONS, ids=[f"{m} {p}" for p, m, _ in OPERATIONS]
)
def test_every_operation_lists_the_middlewares_and_the_guards_answers(
    path, method, operation
) -> None:
    # 408, 413 and 415 can answer any request; 503 overloaded any but the probes and
    # /metrics; the guard's 503 auth_unavailable any protected route. None was listed before.
    responses = operation["responses"]
    assert responses["408"]["content"] == ERROR_BODY
    assert responses["413"]["content"] == ERROR_BODY
    assert responses["415"]["content"] == ERROR_BODY
    codes = responses.get("503", {}).get("description", "")
    assert ("code overloaded" in codes) is (path not in ("/health", "/ready", "/metrics"))
    assert ("code auth_unavailable" in codes) is ("401" in responses)
    if "code overloaded" in codes or "code auth_unavailable" in codes:
        assert responses["503"]["headers"] == RETRY_AFTER
        assert responses["503"]["content"] == ERROR_BODY


def test_a_route_that_lists_its_own_503_keeps_it_and_gains_the_others() -> None:
    (score,) = [op for path, method, op in OPERATIONS if (path, method) == ("/v1/score", "post")]
    assert score["responses"]["503"]["description"] == (
        "No model is loaded; the decision log cannot be written (code "
        "decision_log_unavailable: no score is returned unrecorded); or this worker's rules "
        "file is refused (code rules_unavailable). The key store (the "
        "decision-log database) cannot be read or written (code auth_unavailable). This worker "
        "has too many requests in flight (code overloaded)."
    )


def test_the_refusals_sent_match_the_document(app_client, role_keys) -> None:
    document = app_client.get("/openapi.json").json()
    admin = {"Authorization": f"Bearer {role_keys['admin']}"}
    admission = find_middleware(app_client.app.middleware_stack, AdmissionMiddleware)
    admission.in_flight = admission.max_in_flight
    try:
        overloaded = app_client.post("/v1/score", json=BASE_REFERRAL, headers=admin)
    finally:
        admission.in_flight = 0
    not_json = app_client.request("GET", "/v1/rules", content=b"x", headers=admin)
    too_large = app_client.post(
        "/v1/keys",
        content=b"{" + b" " * 300_000 + b"}",
        headers={**admin, "content-type": "application/json"},
    )
    sent = [
        ("/v1/score", "post", overloaded, "overloaded"),
        ("/v1/rules", "get", not_json, "unsupported_media_type"),
        ("/v1/keys", "post", too_large, "body_too_large"),
    ]
    for path, method, response, code in sent:
        documented = document["paths"][path][method]["responses"][str(response.status_code)]
        assert documented["content"] == ERROR_BODY
        assert ErrorBody.model_validate(response.json()).error.code == code
        for header in documented.get("headers", {}):
            assert response.headers[header].isdigit()
    assert overloaded.status_code == 503
