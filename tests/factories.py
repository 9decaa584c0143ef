"""Plain builders of test data."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from models import Referral

# Every document of a model's audit bundle, as docs/promotion.md lists them and
# GET /v1/reports/models/{version} serves them: written out, not read from the code, so the
# tests do not compare the code with itself.
SERVED_BUNDLE = [
    "audit.html",
    "threshold_near.html",
    "model_card.html",
    "gates.json",
    "audit.json",
    "threshold_near.json",
    "model_card.md",
]

BASE_REFERRAL: dict[str, Any] = {
    "referral_id": "ref-0001",
    "received_at": "2024-03-15T10:30:00-05:00",
    "place": {"county": "Demo County", "zip": "90004"},
    "reporter_type": "school",
    "allegation_types": ["neglect"],
    "household_id": "hh-0000042",
    "children": [
        {
            "child_id": "c1",
            "age_years": 2.5,
            "alleged_victim": True,
            "race": ["black"],
            "hispanic": False,
            "disability": False,
        },
        {
            "child_id": "c2",
            "age_years": 7.0,
            "alleged_victim": False,
            "race": ["black"],
            "hispanic": False,
            "disability": False,
        },
    ],
    "caregivers": [
        {
            "age_years": 24,
            "role": "mother",
            "pregnant": False,
            "primary_language": "en",
            "involvements": [
                {
                    "kind": "substance_use_treatment",
                    "start_date": "2023-01-10",
                    "end_date": "2023-04-01",
                },
                {"kind": "public_benefits", "start_date": "2021-06-01", "end_date": None},
                {"kind": "jail_booking", "start_date": "2019-02-01", "end_date": "2019-02-03"},
            ],
        }
    ],
    "prior_reports": [
        {
            "report_date": "2023-11-02",
            "household_id": "hh-0000042",
            "screened_in": True,
            "substantiated": False,
            "allegation_types": ["neglect"],
        },
        {
            "report_date": "2021-05-20",
            "household_id": "hh-0000042",
            "screened_in": False,
            "substantiated": None,
            "allegation_types": ["inadequate_supervision"],
        },
        {
            "report_date": "2018-01-05",
            "household_id": "hh-other",
            "screened_in": True,
            "substantiated": True,
            "allegation_types": ["physical_abuse"],
        },
    ],
    "prior_placements": [],
    "reported_needs": [],
}


def referral_dict(**overrides: Any) -> dict[str, Any]:
    """A valid referral as JSON-ready data, with top-level fields overridden."""
    data = copy.deepcopy(BASE_REFERRAL)
    data.update(overrides)
    return data


def make_referral(**overrides: Any) -> Referral:
    """A validated referral with top-level fields overridden."""
    return Referral.model_validate(referral_dict(**overrides))


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def issue_key(decision_log, role: str = "admin") -> str:
    """Create an API key of a role in a decision log's key store; return the key."""
    import uuid

    from service.auth import Role, create_key

    _, token = create_key(decision_log, name=f"test-{role}-{uuid.uuid4().hex[:8]}", role=Role(role))
    return token


def authorize(client, role: str = "admin") -> str:
    """Give a started TestClient a key of a role (sent on every later request); return it."""
    token = issue_key(client.app.state.decision_log, role)
    client.headers["Authorization"] = f"Bearer {token}"
    return token


def issue_key_at(database_url: str, role: str = "admin") -> str:
    """Create an API key in the database at a URL (migrating it if new); return the key."""
    from service.decision_log import migrate, open_log

    decision_log = open_log(database_url, key=b"test-pseudonym-key-16+")
    try:
        migrate(decision_log.engine)
        return issue_key(decision_log, role)
    finally:
        decision_log.dispose()
