"""`GET /v1/rules` on a tiny app with `app.state.rules` set."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from service.api.rules import router
from service.auth import Principal, Role, authenticate
from service.rules import DEFAULT_RULES_PATH, RulesHolder, load_rules


class Client:
    """A synchronous face over httpx's ASGI transport.

    Starlette's TestClient warns about plain httpx (and warnings are errors here), so the
    tests call the app through httpx directly.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def get(self, url: str) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.get(url)

        return asyncio.run(call())


def client_with(rules=None):
    app = FastAPI()
    if rules is not None:
        app.state.rules = rules
    app.include_router(router)
    # Access control is tested in tests/service/auth; here every call is a screener's.
    app.dependency_overrides[authenticate] = lambda: Principal("k", "t", Role.screener)
    return Client(app)


@pytest.mark.parametrize("wrap", [False, True], ids=["ruleset", "holder"])
def test_get_rules_shows_version_precedence_and_citations(wrap):
    ruleset = load_rules(DEFAULT_RULES_PATH)
    response = client_with(RulesHolder(ruleset) if wrap else ruleset).get("/v1/rules")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == "2026.1"
    assert body["source"] == "default_rules.yaml"
    assert body["sha256"] == ruleset.sha256
    assert body["precedence"] == [
        "screen_in_required",
        "screen_in_recommended",
        "screen_out_with_referral",
        "flag",
    ]
    assert body["band_defaults"]["very_high"] == "screen_in_recommended"
    first = body["rules"][0]
    assert first["id"] == "multiple-complaint"
    assert "p. 10, note 13" in first["citation"]
    assert first["effective_from"] == "2026-01-01"
    assert first["action"] == {"type": "screen_in_required", "suggest_needs": []}
    # The condition reads back in the file's own shape.
    assert first["condition"] == {
        "all": [
            {
                "fact": "prior_reports_same_household",
                "op": ">=",
                "value": 2,
                "params": {"window_days": 365},
            },
            {"fact": "youngest_child_age", "op": "<", "value": 3, "params": {}},
        ]
    }
    assert [rule["id"] for rule in body["rules"]][-1] == "substance-exposed-infant"


def test_get_rules_without_a_rule_set_is_503():
    response = client_with(None).get("/v1/rules")
    assert response.status_code == 503
    assert response.json() == {"detail": "no rule set is loaded"}


def test_route_is_in_openapi():
    spec = client_with(load_rules(DEFAULT_RULES_PATH)).get("/openapi.json").json()
    assert "/v1/rules" in spec["paths"]
