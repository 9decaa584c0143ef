"""A rules version keeps the content it was first served with, across workers and restarts.

Before, the refusal of a file changed under an unchanged version lived in one process: a
worker started after the edit (a restart, a respawn, another replica) served the new rules
under the old version, and the log could no longer say by version which rules decided.
"""

from __future__ import annotations

import re

from click.testing import CliRunner
from fastapi.testclient import TestClient

from hotline_cli import main
from service.config import get_settings
from service.decision_log import migrate, open_log
from service.decision_log.rules_versions import claim_rules_version, find_claim
from service.errors import RULES_BLOCKED
from service.main import create_app
from service.rules import VersionNotRaised
from tests.backends import make_settings
from tests.factories import authorize, issue_key
from tests.service.decision_log.conftest import PSEUDONYM_KEY
from tests.service.decision_log.factories import example
from tests.service.rules.factories import one_rule_file

A, B = "a" * 64, "b" * 64


def test_the_first_claim_on_a_version_stands(database_url) -> None:
    log = open_log(database_url, key=PSEUDONYM_KEY)
    try:
        migrate(log.engine)
        assert find_claim(log, "2026.1") is None
        first = claim_rules_version(log, "2026.1", A)
        assert (first.version, first.sha256) == ("2026.1", A)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", first.first_served_at)
        assert claim_rules_version(log, "2026.1", B) == first  # refused by the caller
        assert claim_rules_version(log, "2026.1", A) == first
        assert find_claim(log, "2026.1") == first
        assert claim_rules_version(log, "2026.2", B).sha256 == B
    finally:
        log.dispose()


def test_a_log_not_migrated_this_far_has_no_claims(tmp_path) -> None:
    log = open_log(f"sqlite:///{tmp_path / 'd.db'}", key=PSEUDONYM_KEY)
    try:
        migrate(log.engine, revision="0003")
        assert find_claim(log, "2026.1") is None
    finally:
        log.dispose()


def _edit_under_the_same_version(path) -> None:
    path.write_text(path.read_text().replace("value: 3", "value: 4"))


def test_a_worker_started_on_rules_edited_under_the_same_version_applies_none(
    registry_with_champion, database_url, tmp_path
) -> None:
    # A worker respawned after the file was edited (the others keep serving the version's
    # own rules): it refuses the file and answers 503, rather than stopping the server.
    rules = tmp_path / "rules.yaml"
    rules.write_text(one_rule_file(version='"v1"'))
    settings = make_settings(registry_with_champion.root, database_url).model_copy(
        update={"rules_file": rules}
    )
    with TestClient(create_app(settings)) as first:
        served = first.app.state.rules.current
    _edit_under_the_same_version(rules)
    with TestClient(create_app(settings)) as respawned:
        authorize(respawned, "screener")
        log = respawned.app.state.decision_log
        claim = find_claim(log, "v1")
        assert claim is not None and claim.sha256 == served.sha256
        holder = respawned.app.state.rules
        assert holder.blocked == (
            f"{rules}: version 'v1' was first served on {claim.first_served_at} with other "
            "rules; bump `version` in the file (decisions are logged by version, so two "
            "different rule sets must not share one)"
        )
        ready = respawned.get("/ready")
        assert ready.status_code == 503 and ready.json()["detail"] == RULES_BLOCKED
        refused = respawned.post("/v1/score", json=example())
        assert refused.status_code == 503
        assert refused.json()["error"] == {
            "code": "rules_unavailable",
            "message": RULES_BLOCKED,
            "fields": [],
        }
        # An admin reload of the same file says so, with what it did reload.
        scientist = {"Authorization": f"Bearer {issue_key(log, 'data_scientist')}"}
        reloaded = respawned.post("/v1/admin/reload", headers=scientist)
        assert reloaded.status_code == 200
        assert reloaded.json()["rules_blocked"] == holder.blocked
        assert reloaded.json()["rules_error"] == holder.blocked
        assert reloaded.json()["directory_services"] == 48
        # Put back as served, the version's own rules apply again (by the follower).
        rules.write_text(one_rule_file(version='"v1"'))
        holder.follow()
        assert holder.follow() is not None and holder.current.sha256 == served.sha256
        assert respawned.post("/v1/score", json=example()).status_code == 200
        # Or raised, the new content serves under the new version.
        rules.write_text(one_rule_file(version='"v2"').replace("value: 3", "value: 4"))
        holder.follow()
        assert holder.follow().version == "v2"
        assert respawned.get("/ready").status_code == 200
    assert find_claim(log, "v2").sha256 == holder.current.sha256


def test_a_worker_refuses_a_reload_to_content_another_worker_claimed_first(
    registry_with_champion, database_url, tmp_path
) -> None:
    # Two workers of one replica (two apps on one log): the first to serve v2 claims it.
    rules_a, rules_b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    for path in (rules_a, rules_b):
        path.write_text(one_rule_file(version='"v1"'))
    base = make_settings(registry_with_champion.root, database_url)
    apps = [create_app(base.model_copy(update={"rules_file": p})) for p in (rules_a, rules_b)]
    with TestClient(apps[0]) as one, TestClient(apps[1]) as two:
        rules_a.write_text(one_rule_file(version='"v2"'))
        assert one.app.state.rules.follow() is None  # first seen
        assert one.app.state.rules.follow().version == "v2"
        rules_b.write_text(one_rule_file(version='"v2"').replace("value: 3", "value: 4"))
        assert two.app.state.rules.follow() is None
        assert two.app.state.rules.follow() is None
        assert two.app.state.rules.current.version == "v1"
        assert isinstance(two.app.state.rules.last_error, VersionNotRaised)


def test_serve_refuses_such_a_file_in_one_line(
    registry_with_champion, tmp_path, monkeypatch
) -> None:
    database_url = f"sqlite:///{tmp_path / 'd.db'}"
    rules = tmp_path / "rules.yaml"
    rules.write_text(one_rule_file(version='"v1"'))
    settings = make_settings(registry_with_champion.root, database_url).model_copy(
        update={"rules_file": rules}
    )
    with TestClient(create_app(settings)):
        pass
    _edit_under_the_same_version(rules)
    started: list[object] = []  # were it not refused, no server is started
    monkeypatch.setattr("uvicorn.run", lambda *a, **kw: started.append(kw))
    monkeypatch.setenv("HOTLINE_RULES_FILE", str(rules))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", database_url)
    monkeypatch.setenv("HOTLINE_PSEUDONYM_KEY", settings.pseudonym_key.get_secret_value())
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["serve", "--port", "1"])
    finally:
        get_settings.cache_clear()
    log = open_log(database_url, key=PSEUDONYM_KEY)
    claim = find_claim(log, "v1")
    log.dispose()
    assert started == []
    assert (result.exit_code, result.output) == (
        1,
        f"Error: HOTLINE_RULES_FILE: {rules}: version 'v1' was first served on "
        f"{claim.first_served_at} with other rules; bump `version` in the file (decisions are "
        "logged by version, so two different rule sets must not share one)\n",
    )


def test_serve_looks_for_claims_without_creating_a_log(tmp_path, monkeypatch) -> None:
    # A mistyped path would have left an empty database behind.
    typo = tmp_path / "typo.db"
    monkeypatch.setattr("uvicorn.run", lambda *a, **kw: None)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{typo}")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["serve", "--port", "1"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert not typo.exists()
