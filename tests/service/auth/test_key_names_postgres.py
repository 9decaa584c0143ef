"""Key creation on PostgreSQL: a name stays unique among active keys when two creations race."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from service.auth import DuplicateKeyName, Role, create_key, list_keys
from service.decision_log import migrate, open_log
from service.decision_log.db import KEYS_LOCK_KEY
from tests.backends import pg_schema

pytestmark = pytest.mark.postgres


def test_a_creation_racing_another_of_the_same_name_is_refused() -> None:
    with pg_schema("hlkeys") as (url, _, _):
        log = open_log(url, key=b"test-pseudonym-key-16+")
        try:
            migrate(log.engine)
            outcome: list[str] = []

            def create() -> None:
                try:
                    create_key(log, name="ci-bot", role=Role.screener)
                    outcome.append("created")
                except DuplicateKeyName as exc:
                    outcome.append(str(exc))

            # Another replica's creation of "ci-bot", caught between its check and its commit.
            with log.engine.connect() as other, other.begin():
                other.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": KEYS_LOCK_KEY})
                other.execute(
                    sa.text(
                        "INSERT INTO api_keys (key_id, name, role, key_hash, created_at) "
                        "VALUES ('00000000000000aa', 'ci-bot', 'screener', :h, 't')"
                    ),
                    {"h": "0" * 64},
                )
                racer = threading.Thread(target=create)
                racer.start()
                racer.join(timeout=0.3)  # it waits for the other creation to end
                assert outcome == []
            racer.join(timeout=10)
            # Before, it saw no committed "ci-bot", inserted a second one and succeeded.
            assert outcome == [
                "An active key is already named 'ci-bot'; revoke it first or choose another name"
            ]
            assert [k.name for k in list_keys(log)] == ["ci-bot"]
        finally:
            log.dispose()
