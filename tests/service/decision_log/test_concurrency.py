"""Several uvicorn workers and many clients append to one chain: none lost, none doubled."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from tests.backends import ROOT
from tests.factories import issue_key_at
from tests.service.decision_log.factories import example

CLIENTS, REQUESTS = 8, 25


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(registry_dir: Path, database_url: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "HOTLINE_REGISTRY_DIR": str(registry_dir),
        "HOTLINE_DIRECTORY_PATH": str(ROOT / "data" / "directory"),
        "HOTLINE_DATABASE_URL": database_url,
        "HOTLINE_ENVIRONMENT": "test",
        "OMP_NUM_THREADS": "1",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "service.main:create_app",
            "--factory",
            "--workers",
            "2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if (
                httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200
                and len(_workers(proc)) == 2
            ):
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("uvicorn did not become ready in 30 s")


def _workers(proc: subprocess.Popen) -> list[int]:
    # The supervisor's children are the workers plus multiprocessing's resource tracker.
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    return [int(c) for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def _load(port: int, acknowledged: list[str], failures: list[str], key: str) -> None:
    body = example()
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30, headers=headers) as client:
        for _ in range(REQUESTS):
            try:
                response = client.post("/v1/score", json=body)
            except httpx.HTTPError as exc:  # a killed worker drops its connections
                failures.append(type(exc).__name__)
                continue
            if response.status_code == 200:
                acknowledged.append(response.json()["decision_id"])
            else:
                failures.append(str(response.status_code))


def _run(registry_dir, database_url, *, kill_after: float | None = None):
    port = _free_port()
    proc = _serve(registry_dir, database_url, port)
    acknowledged: list[str] = []
    failures: list[str] = []
    try:
        key = issue_key_at(database_url, "screener")
        threads = [
            threading.Thread(target=_load, args=(port, acknowledged, failures, key))
            for _ in range(CLIENTS)
        ]
        for t in threads:
            t.start()
        if kill_after is not None:
            time.sleep(kill_after)
            os.kill(_workers(proc)[0], signal.SIGKILL)
        for t in threads:
            t.join(timeout=60)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return acknowledged, failures


def _logged(database_url: str) -> tuple[list[str], list[int]]:
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT decision_id, seq FROM log_entries WHERE kind = 'score' ORDER BY seq")
        ).all()
    engine.dispose()
    return [r[0] for r in rows], [r[1] for r in rows]


def _verify(database_url: str) -> str:
    out = subprocess.run(
        [
            str(Path(sys.executable).parent / "hotline"),
            "log",
            "verify",
            "--database-url",
            database_url,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    return (out.stdout + out.stderr).strip()


def test_two_workers_many_clients_no_lost_no_duplicate(registry_with_champion, database_url):
    acknowledged, failures = _run(registry_with_champion.root, database_url)
    assert failures == []
    assert len(acknowledged) == CLIENTS * REQUESTS
    logged, seqs = _logged(database_url)
    assert sorted(logged) == sorted(acknowledged)
    assert len(set(logged)) == len(logged)
    assert seqs == list(range(1, CLIENTS * REQUESTS + 1))
    assert _verify(database_url) == f"ok: {CLIENTS * REQUESTS} records"


def test_a_killed_worker_loses_no_acknowledged_decision(registry_with_champion, database_url):
    acknowledged, _ = _run(registry_with_champion.root, database_url, kill_after=0.5)
    logged, _ = _logged(database_url)
    assert set(acknowledged) <= set(logged)
    assert len(set(logged)) == len(logged)
    assert _verify(database_url) == f"ok: {len(logged)} records"
