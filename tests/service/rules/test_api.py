"""`GET /v1/rules` and `POST /v1/rules/preview` on a tiny app with `app.state.rules` set."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from models import ModelRegistry
from service.api.rules import router
from service.api.rules_preview import router as preview_router
from service.auth import Principal, Role, authenticate
from service.errors import install_error_handlers
from service.model_holder import ModelHolder
from service.rules import DEFAULT_RULES_PATH, RulesHolder, load_rules
from tests.service.rules.factories import make_referral, one_rule_file


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

    def post(self, url: str, body: object) -> httpx.Response:
        async def call() -> httpx.Response:
            # A 500 comes back as a response, as a client would see it, not as a raise.
            transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.post(url, json=body)

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


def preview_client(models=None):
    app = FastAPI()
    app.state.rules = load_rules(DEFAULT_RULES_PATH)
    # As a service started without a model (nothing promoted yet), unless a test gives one.
    app.state.models = models or ModelHolder(ModelRegistry("no-such-registry"), alias="champion")
    # No decision log, so no claims: version_conflict is null (a log's claims are tested in
    # tests/service/decision_log/test_rules_versions.py).
    app.include_router(preview_router)
    install_error_handlers(app)
    app.dependency_overrides[authenticate] = lambda: Principal("k", "t", Role.supervisor)
    return Client(app)


REFERRAL = make_referral(ages=(1.0,)).model_dump(mode="json")


def test_preview_counts_what_the_proposed_rules_change():
    body = {"rules_yaml": one_rule_file(), "cases": [{"referral": REFERRAL, "score": 9}]}
    response = preview_client().post("/v1/rules/preview", body)
    assert response.status_code == 200
    assert response.json() == {
        "active_version": "2026.1",
        "proposed_version": "t1",
        "cases": 1,
        "transitions": [{"before": "screener_judgment", "after": "screen_in_required", "count": 1}],
        "hits_active": {},
        "hits_proposed": {"r1": 1},
        "changed": [
            {
                "index": 0,
                "referral_id": "r-1",
                "before": "screener_judgment",
                "after": "screen_in_required",
                "rule_ids": ["r1"],
            }
        ],
        # The case gives its score: nothing was scored, nothing missed.
        "model_version": None,
        "scored_by_model": 0,
        "unscored": 0,
        "rules_not_evaluated": [],
        "version_conflict": None,
    }


EXAMPLE = json.loads((Path(__file__).resolve().parents[3] / "examples/referral.json").read_text())


def high_risk_cut(cut):
    """The shipped rules with the high-risk protocol's score cut moved from 18 to `cut`."""
    text = DEFAULT_RULES_PATH.read_text()
    assert text.count("value: 18") == 1  # the high-risk protocol's cut
    return text.replace('version: "2026.1"', 'version: "2026.2"').replace(
        "value: 18", f"value: {cut}"
    )


def test_preview_scores_cases_without_a_score_with_the_model_in_service(registry_with_champion):
    # The reviewer's report: a lower score cut previewed on referrals without a score answered
    # "transitions": [], because score rules never fired on them. The fixture champion scores
    # examples/referral.json 14 (tests/service/test_score_api.py pins it); its child is 2.5.
    holder = ModelHolder(registry_with_champion, alias="champion")
    version = holder.load().version
    body = {
        "rules_yaml": high_risk_cut(14),
        # The second gives its own score, which is kept: scored by the model it would change.
        "cases": [
            {"referral": EXAMPLE},
            {"referral": {**EXAMPLE, "referral_id": "own"}, "score": 3},
        ],
    }
    response = preview_client(holder).post("/v1/rules/preview", body)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "active_version": "2026.1",
        "proposed_version": "2026.2",
        "cases": 2,
        "transitions": [{"before": "screener_judgment", "after": "screen_in_required", "count": 1}],
        "hits_active": {},
        "hits_proposed": {"high-risk-protocol": 1},
        "changed": [
            {
                "index": 0,
                "referral_id": "ref-0001",
                "before": "screener_judgment",
                "after": "screen_in_required",
                "rule_ids": ["high-risk-protocol"],
            }
        ],
        "model_version": version,
        "scored_by_model": 1,
        "unscored": 0,
        "rules_not_evaluated": [],
        "version_conflict": None,
    }


def test_preview_without_a_model_names_the_rules_it_could_not_evaluate():
    body = {"rules_yaml": high_risk_cut(16), "cases": [{"referral": EXAMPLE}] * 3}
    response = preview_client().post("/v1/rules/preview", body)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "active_version": "2026.1",
        "proposed_version": "2026.2",
        "cases": 3,
        "transitions": [],
        "hits_active": {},
        "hits_proposed": {},
        "changed": [],
        "model_version": None,
        "scored_by_model": 0,
        "unscored": 3,
        "rules_not_evaluated": ["high-risk-protocol", "low-risk-protocol"],
        "version_conflict": None,
    }


@pytest.mark.parametrize(
    ("rules_yaml", "message"),
    [
        (
            'version: "p"\nname: !!bool maybe\nrules: []\n',
            "proposed: not valid YAML: cannot read 'maybe' as bool at line 2, column 7",
        ),
        (
            'version: "p"\nname: ' + "1" * 5000 + "\nrules: []\n",
            "proposed: not valid YAML: cannot read '11111111111111111111...' as int at line 2, column 7",
        ),
        (
            'version: "p"\nrules: &r [{not: *r}]\n',
            "proposed: alias *r repeats a mapping or list, which a rules file may not do; write the repeated part out at line 2, column 18",
        ),
        (
            one_rule_file(effective_from="0"),
            "proposed: rule 'r1': effective_from: Input should be a day written YYYY-MM-DD; got number 0",
        ),
    ],
    ids=["tagged-bool", "long-int", "alias", "date-int"],
)
def test_preview_refuses_unreadable_rules_yaml_with_422(rules_yaml, message):
    body = {"rules_yaml": rules_yaml, "cases": [{"referral": REFERRAL}]}
    response = preview_client().post("/v1/rules/preview", body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"] == [
        {"field": "rules_yaml", "message": message, "type": "value_error"}
    ]


def test_preview_refuses_a_band_that_is_not_the_scores():
    body = {
        "rules_yaml": one_rule_file(),
        "cases": [{"referral": REFERRAL}, {"referral": REFERRAL, "score": 3, "band": "very_high"}],
    }
    response = preview_client().post("/v1/rules/preview", body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"] == [
        {
            "field": "cases.1.band",
            "message": "band 'very_high' does not fit score 3, which is in band 'low'; give "
            "the score's band or leave band out",
            "type": "value_error",
        }
    ]


def test_preview_accepts_a_training_lines_outcomes_and_names_an_unknown_key():
    recorded = {"screened_in": True, "removal_2y": None, "latent_risk": 0.04}
    body = {"rules_yaml": one_rule_file(), "cases": [{"referral": REFERRAL, **recorded}]}
    response = preview_client().post("/v1/rules/preview", body)
    assert response.status_code == 200, response.text
    assert response.json()["hits_proposed"] == {"r1": 1}

    body = {"rules_yaml": one_rule_file(), "cases": [{"referral": REFERRAL, "worker": "w1"}]}
    response = preview_client().post("/v1/rules/preview", body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"] == [
        {
            "field": "cases.0",
            "message": "unknown key 'worker'; accepted keys: referral, probability, score, band, "
            "screened_in, removal_2y, rereferral_6m, rereferral_2y, substantiated_rereport_2y, "
            "latent_risk",
            "type": "extra_forbidden",
        }
    ]
