"""`/ready`: not ready while the decision log (and with it the key store) cannot be opened."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service.api.health import LOG_DOWN
from service.config import ServiceSettings
from service.main import create_app
from tests.backends import ROOT, make_settings
from tests.factories import BASE_REFERRAL


@pytest.mark.parametrize("environment", ["test", "production"])
def test_a_log_that_cannot_be_opened_is_not_ready(
    registry_with_champion, tmp_path, environment
) -> None:
    # A directory where the database should be: every protected route answered 503
    # auth_unavailable while /ready said "ready".
    settings = ServiceSettings(
        registry_dir=registry_with_champion.root,
        directory_path=ROOT / "data" / "directory",
        database_url=f"sqlite:///{tmp_path}",
        environment=environment,
        pseudonym_key="k" * 32,
    )
    with TestClient(create_app(settings)) as client:
        ready = client.get("/ready")
        assert (ready.status_code, ready.headers["retry-after"]) == (503, "5")
        assert ready.json() == {
            "status": "not_ready",
            "model_version": registry_with_champion.alias("champion"),
            "rules_version": "2026.1",
            "detail": LOG_DOWN,
        }
        assert str(tmp_path) not in ready.text
        scored = client.post(
            "/v1/score", json=BASE_REFERRAL, headers={"Authorization": "Bearer hlk_x_y"}
        )
        assert (scored.status_code, scored.json()["error"]["code"]) == (503, "auth_unavailable")


def test_ready_once_the_log_can_be_opened_without_a_restart(registry_with_champion, tmp_path):
    # The database could not be opened at startup (here a directory stands where its file
    # goes; in production, PostgreSQL still starting): each probe tries again, so the replica
    # does not stay out of the balancer until it is restarted.
    blocked = tmp_path / "d.db"
    blocked.mkdir()
    settings = make_settings(registry_with_champion.root, f"sqlite:///{blocked}")
    with TestClient(create_app(settings)) as client:
        assert client.get("/ready").status_code == 503
        blocked.rmdir()
        ready = client.get("/ready")
        assert (ready.status_code, ready.json()["status"], ready.json()["detail"]) == (
            200,
            "ready",
            None,
        )
