"""Error bodies name the part of the request at fault (service/errors.py)."""

from __future__ import annotations

from tests.factories import BASE_REFERRAL

SCREENING = {
    "decision": "screened_in",
    "screener_risk": "low",
    "screener_safety": "no_threat",
    "screener_id": "s1",
    "unit": "u1",
}


def test_a_decision_already_screened_names_the_decision_id(app_client, role_keys) -> None:
    screener = {"Authorization": f"Bearer {role_keys['screener']}"}
    decision_id = app_client.post("/v1/score", json=BASE_REFERRAL, headers=screener).json()[
        "decision_id"
    ]
    url = f"/v1/decisions/{decision_id}/screening"
    assert app_client.post(url, json=SCREENING, headers=screener).status_code == 201
    again = app_client.post(url, json=SCREENING, headers=screener)
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "screening_already_recorded"
    assert error["fields"] == [
        {
            "field": "path.decision_id",
            "message": error["message"],
            "type": "screening_already_recorded",
        }
    ]


def test_an_unknown_decision_names_the_decision_id_on_every_route(app_client, role_keys) -> None:
    screener = {"Authorization": f"Bearer {role_keys['screener']}"}
    unknown = "0123456789abcdef0123456789abcdef"
    message = f"No decision '{unknown}' is on record; use the decision_id a /v1/score returned"
    for response in (
        app_client.get(f"/v1/decisions/{unknown}", headers=screener),
        app_client.post(f"/v1/decisions/{unknown}/screening", json=SCREENING, headers=screener),
        app_client.post(
            f"/v1/decisions/{unknown}/referrals",
            json={"statuses": [{"service_id": "svc-1", "status": "accepted"}]},
            headers=screener,
        ),
    ):
        assert response.status_code == 404
        assert response.json()["error"] == {
            "code": "decision_not_found",
            "message": message,
            "fields": [
                {"field": "path.decision_id", "message": message, "type": "decision_not_found"}
            ],
        }
