"""A rules version keeps the content it was first served with, across workers and restarts.

Before, the refusal of a file changed under an unchanged version lived in one process: a
worker started after the edit (a restart, a respawn, another replica) served the new rules
under the old version, and the log could no longer say by version which rules decided.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from click.testing import CliRunner
from fastapi.testclient import TestClient

from hotline_cli import main
from service.config import get_settings
from service.decision_log import migrate, open_log
from service.decision_log.rules_versions import claim_rules_version, find_claim
from service.errors import RULES_BLOCKED
from service.main import create_app
from service.rules import DEFAULT_RULES_PATH, VersionNotRaised, load_rules
from service.rules.cli import rules
from tests.backends import make_settings
from tests.factories import authorize, issue_key
from tests.service.decision_log.conftest import PSEUDONYM_KEY
from tests.service.decision_log.factories import example
from tests.service.rules.factories import make_referral, one_rule_file

A, B = "a" * 64, "b" * 64
REFERRAL = make_referral(ages=(1.0,)).model_dump(mode="json")


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


# `hotline rules check` and `POST /v1/rules/preview` read the claims. Before, both answered ok
# for a file the service would refuse: an author learnt it only when the reload was refused.

BUMP = (
    "bump `version` in the file (decisions are logged by version, so two different rule sets "
    "must not share one)"
)


def _shown(database_url: str, tmp_path) -> str:
    # How the command names the log: a SQLite file by its absolute path (the database_url
    # fixture's is tmp_path/decisions.db), a server by its URL.
    return str(tmp_path / "decisions.db") if database_url.startswith("sqlite") else database_url


def _check(path, database_url: str):
    return CliRunner().invoke(rules, ["check", str(path), "--database-url", database_url])


def _served(log, tmp_path, text: str):
    # A rules file whose version a worker has served (claimed) with this content.
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    ruleset = load_rules(path)
    return path, claim_rules_version(log, ruleset.version, ruleset.sha256)


def test_rules_check_says_a_version_was_served_with_this_same_content(
    log, database_url, tmp_path
) -> None:
    path, claim = _served(log, tmp_path, one_rule_file(version='"v1"'))
    result = _check(path, database_url)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        f"ok: {path}: version v1, 1 rule; first served on {claim.first_served_at} with this "
        f"same content (decision log {_shown(database_url, tmp_path)})\n"
    )


def test_rules_check_refuses_a_version_served_with_other_content(
    log, database_url, tmp_path
) -> None:
    path, claim = _served(log, tmp_path, one_rule_file(version='"v1"'))
    _edit_under_the_same_version(path)
    result = _check(path, database_url)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {path}: version 'v1' was first served on {claim.first_served_at} with other "
        f"rules; {BUMP}\n"
    )


def test_rules_check_says_a_version_is_new(log, database_url, tmp_path) -> None:
    _served(log, tmp_path, one_rule_file(version='"v1"'))
    raised = tmp_path / "raised.yaml"
    raised.write_text(one_rule_file(version='"v2"').replace("value: 3", "value: 4"))
    result = _check(raised, database_url)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        f"ok: {raised}: version v2, 1 rule; a new version, not served yet (decision log "
        f"{_shown(database_url, tmp_path)})\n"
    )
    assert find_claim(log, "v2") is None  # looked up, not claimed


def test_rules_check_without_a_log_there_checks_the_file_and_creates_nothing(
    database_url, tmp_path
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(one_rule_file(version='"v1"'))
    shown = _shown(database_url, tmp_path)
    sqlite = database_url.startswith("sqlite")
    result = _check(path, database_url)
    # The fixture's SQLite file does not exist yet; its PostgreSQL schema is empty.
    why = f"no file {shown}" if sqlite else f"{shown} holds no decision log (no log_entries table)"
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        f"ok: {path}: version v1, 1 rule; not checked against a decision log: {why}\n"
    )
    if sqlite:
        assert not (tmp_path / "decisions.db").exists()
        return
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            assert sa.inspect(connection).get_table_names() == []
    finally:
        engine.dispose()


def test_rules_check_on_a_log_from_before_claims_says_it_has_none(database_url, tmp_path) -> None:
    old = open_log(database_url, key=PSEUDONYM_KEY)
    try:
        migrate(old.engine, revision="0003")
    finally:
        old.dispose()
    path = tmp_path / "rules.yaml"
    path.write_text(one_rule_file(version='"v1"'))
    result = _check(path, database_url)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        f"ok: {path}: version v1, 1 rule; not checked against a decision log: the decision "
        f"log {_shown(database_url, tmp_path)} has no rules_versions table yet\n"
    )


def _preview(client, rules_yaml: str) -> dict:
    body = {"rules_yaml": rules_yaml, "cases": [{"referral": REFERRAL, "score": 9}]}
    response = client.post("/v1/rules/preview", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_preview_says_when_the_proposed_version_was_served_with_other_content(client) -> None:
    # The app serves the shipped rules, and claimed their version when it started.
    claim = find_claim(client.app.state.decision_log, "2026.1")
    assert claim is not None
    edited = DEFAULT_RULES_PATH.read_text() + "# a comment changes the content too\n"
    # Previewed all the same (these cases change nothing).
    assert _preview(client, edited) == {
        "active_version": "2026.1",
        "proposed_version": "2026.1",
        "cases": 1,
        "transitions": [],
        "hits_active": {},
        "hits_proposed": {},
        "changed": [],
        "model_version": None,
        "scored_by_model": 0,
        "unscored": 0,
        "rules_not_evaluated": [],
        "version_conflict": f"proposed: version '2026.1' was first served on "
        f"{claim.first_served_at} with other rules; {BUMP}",
    }
    assert _preview(client, DEFAULT_RULES_PATH.read_text())["version_conflict"] is None
    raised = edited.replace('version: "2026.1"', 'version: "2026.2"')
    assert _preview(client, raised)["version_conflict"] is None
