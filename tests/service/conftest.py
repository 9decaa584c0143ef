"""An app on a fresh decision log with one key per role (auth and HEAD tests)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service.auth import Role
from service.main import create_app
from tests.backends import make_settings
from tests.factories import issue_key


@pytest.fixture(scope="module")
def app_client(registry_with_champion, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('app') / 'decisions.db'}"
    with TestClient(create_app(make_settings(registry_with_champion.root, url))) as c:
        yield c


@pytest.fixture(scope="module")
def role_keys(app_client) -> dict[Role, str]:
    return {role: issue_key(app_client.app.state.decision_log, role.value) for role in Role}
