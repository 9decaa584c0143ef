"""A fresh app per test (metrics start at zero) with a screener, a supervisor and an admin key."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.config import ServiceSettings
from service.main import create_app
from tests.factories import issue_key

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"


def example(name: str = "referral.json") -> dict:
    return json.loads((EXAMPLES / name).read_text())


def distinctive_referral() -> dict:
    """The example referral with identifiers no log line could contain by chance."""
    body = copy.deepcopy(example())
    body["referral_id"] = "ref-QZX-771133"
    body["household_id"] = "hh-QZX-998877"
    for i, child in enumerate(body["children"]):
        child["child_id"] = f"kid-QZX-{i}"
    return body


@pytest.fixture
def app_factory(registry_with_champion, tmp_path):
    def make(**settings):
        return create_app(
            ServiceSettings(
                registry_dir=registry_with_champion.root,
                directory_path=ROOT / "data" / "directory",
                database_url=f"sqlite:///{tmp_path / 'decisions.db'}",
                environment="test",
                **settings,
            )
        )

    return make


@pytest.fixture
def client(app_factory):
    with TestClient(app_factory()) as c:
        roles = ("screener", "supervisor", "admin")
        c.keys = {role: issue_key(c.app.state.decision_log, role) for role in roles}
        c.headers["Authorization"] = f"Bearer {c.keys['screener']}"
        yield c


def as_role(client, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.keys[role]}"}
