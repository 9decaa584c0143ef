"""An app on a fresh decision log with one key per role."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.auth import Role
from service.config import ServiceSettings
from service.main import create_app
from tests.factories import issue_key

ROOT = Path(__file__).resolve().parents[3]


def make_settings(registry_dir: Path, database_url: str, **kw) -> ServiceSettings:
    return ServiceSettings(
        registry_dir=registry_dir,
        directory_path=ROOT / "data" / "directory",
        database_url=database_url,
        environment="test",
        **kw,
    )


@pytest.fixture(scope="module")
def app_client(registry_with_champion, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('auth') / 'decisions.db'}"
    with TestClient(create_app(make_settings(registry_with_champion.root, url))) as c:
        yield c


@pytest.fixture(scope="module")
def role_keys(app_client) -> dict[Role, str]:
    return {role: issue_key(app_client.app.state.decision_log, role.value) for role in Role}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
