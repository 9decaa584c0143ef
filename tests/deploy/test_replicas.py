"""Two replicas (`hotline serve`, one worker each) share one PostgreSQL decision log.

They start together on a fresh schema (both migrate it at start, under the migration lock),
score concurrently, and leave one linear, intact chain holding every acknowledged decision.
"""

import os
import subprocess
import threading

import httpx
import pytest
import sqlalchemy as sa

from tests.backends import pg_schema
from tests.deploy.replica import HOTLINE, PSEUDONYM_KEY, ROOT, free_port, start, stop, wait_ready
from tests.factories import issue_key_at
from tests.service.decision_log.factories import example

pytestmark = pytest.mark.postgres

CLIENTS_PER_REPLICA, REQUESTS = 3, 15


@pytest.fixture
def shared_schema_url():
    with pg_schema("hl_rep") as (url, _, _):
        yield url


def _load(port: int, key: str, acknowledged: list, failures: list) -> None:
    with httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    ) as client:
        for _ in range(REQUESTS):
            response = client.post("/v1/score", json=example())
            if response.status_code == 200:
                acknowledged.append((port, response.json()["decision_id"]))
            else:
                failures.append((port, response.status_code, response.text[:200]))


def test_two_replicas_share_one_linear_chain(
    registry_with_champion, shared_schema_url, tmp_path
) -> None:
    ports = [free_port(), free_port()]
    logs = [tmp_path / f"replica-{p}.log" for p in ports]
    replicas = [
        start(registry_with_champion.root, shared_schema_url, p, log)
        for p, log in zip(ports, logs, strict=True)
    ]
    try:
        for port, proc, log in zip(ports, replicas, logs, strict=True):
            wait_ready(port, proc, log)
        key = issue_key_at(shared_schema_url, "screener")  # keys live in the shared database
        acknowledged: list = []
        failures: list = []
        threads = [
            threading.Thread(target=_load, args=(port, key, acknowledged, failures))
            for port in ports
            for _ in range(CLIENTS_PER_REPLICA)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        stop(*replicas)
    assert failures == []
    # Both replicas wrote JSON access lines naming the route template and the model.
    for log in logs:
        assert '"route": "/v1/score", "status": 200' in log.read_text()
    total = 2 * CLIENTS_PER_REPLICA * REQUESTS
    assert len(acknowledged) == total
    assert {port for port, _ in acknowledged} == set(ports)  # both replicas scored
    engine = sa.create_engine(shared_schema_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT seq, kind, decision_id FROM log_entries ORDER BY seq")
        ).all()
        migrations = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    engine.dispose()
    assert len(migrations) == 1  # migrated once, whichever replica came first
    assert [r.seq for r in rows] == list(range(1, total + 1))  # one chain, no gaps, no fork
    assert {r.kind for r in rows} == {"score"}
    assert sorted(r.decision_id for r in rows) == sorted(d for _, d in acknowledged)
    verify = subprocess.run(
        [HOTLINE, "log", "verify", "--database-url", shared_schema_url],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        env={**os.environ, "HOTLINE_PSEUDONYM_KEY": PSEUDONYM_KEY},
    )
    assert (verify.stdout + verify.stderr).strip() == f"ok: {total} records"
