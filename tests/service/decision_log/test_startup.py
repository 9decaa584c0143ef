"""A log that cannot be brought up to date does not stop the service; a command says why."""

import logging

import sqlalchemy as sa
from click.testing import CliRunner
from fastapi.testclient import TestClient

from hotline_cli import main
from service.api.health import LOG_DOWN
from service.decision_log import migrate, open_log
from service.main import LOG_NOT_OPEN, create_app
from tests.backends import make_settings
from tests.factories import issue_key
from tests.service.decision_log.conftest import PSEUDONYM_KEY as KEY
from tests.service.decision_log.factories import NEWER, example


def _migrated_by_a_newer_version(url: str) -> None:
    log = open_log(url, key=KEY)
    try:
        migrate(log.engine)
        with log.engine.begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    finally:
        log.dispose()


def test_the_service_starts_against_a_newer_schema_and_says_why_it_is_not_ready(
    registry_with_champion, tmp_path, caplog
) -> None:
    # Before: Alembic's CommandError ("Can't locate revision identified by '0099'") escaped
    # the startup as a traceback, and the service did not start.
    url = f"sqlite:///{tmp_path / 'd.db'}"
    _migrated_by_a_newer_version(url)
    caplog.set_level(logging.ERROR, logger="hotline.decision_log")
    with TestClient(create_app(make_settings(registry_with_champion.root, url))) as client:
        ready = client.get("/ready")
        # The database is reachable and its tables still take writes: a key that works is
        # refused all the same, so nothing is written in a shape the newer version would
        # not expect.
        key = issue_key(client.app.state.decision_log, "screener")
        score = client.post("/v1/score", json=example(), headers={"Authorization": f"Bearer {key}"})
    assert ready.status_code == 503
    assert LOG_DOWN in ready.json()["detail"]
    assert f"decision log not migrated; scores will be refused (503): {NEWER}" in caplog.messages
    assert score.status_code == 503
    assert score.json()["error"]["code"] == "auth_unavailable"
    assert score.json()["error"]["message"] == LOG_NOT_OPEN
    with sa.create_engine(url).connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM log_entries")) == 0


def test_a_command_names_the_database_and_its_revision_in_one_line(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    _migrated_by_a_newer_version(url)
    csv = tmp_path / "outcomes.csv"
    csv.write_text("referral_id,event,event_date\nref-1,removal,2026-01-02\n")
    runner = CliRunner()
    for command in (["outcomes", "import", str(csv)], ["log", "migrate"]):
        result = runner.invoke(main, [*command, "--database-url", url])
        assert (result.exit_code, result.output) == (
            1,
            f"Error: the decision log at {url} cannot be opened: {NEWER}\n",
        ), command
