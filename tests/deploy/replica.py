"""Start `hotline serve` as an operator would (one process, settings from the environment)."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import httpx

ROOT = Path(__file__).resolve().parents[2]
HOTLINE = str(Path(sys.executable).with_name("hotline"))
PSEUDONYM_KEY = "replica-test-pseudonym-key-0123456789abcdef"  # 32+ characters: production


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(
    registry_dir: Path,
    database_url: str,
    port: int,
    log: Path,
    *,
    workers: int = 1,
    env_extra: dict[str, str] | None = None,
) -> subprocess.Popen:
    env = {
        **os.environ,
        "HOTLINE_REGISTRY_DIR": str(registry_dir),
        "HOTLINE_DIRECTORY_PATH": str(ROOT / "data" / "directory"),
        "HOTLINE_DATABASE_URL": database_url,
        "HOTLINE_PSEUDONYM_KEY": PSEUDONYM_KEY,
        "HOTLINE_ENVIRONMENT": "production",
        "HOTLINE_WORKERS": str(workers),
        "HOTLINE_PORT": str(port),
        "OMP_NUM_THREADS": "1",
        **(env_extra or {}),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [HOTLINE, "serve"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=out
        )


def wait_ready(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"replica on {port} exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"replica on {port} not ready in 60 s")


def stop(*procs: subprocess.Popen) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(2)  # SIGINT: uvicorn's graceful shutdown
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


STARTED = "Application startup complete"
"""uvicorn's line when a worker is up (its pid on the line)."""


class Local(NamedTuple):
    """A `hotline serve` on loopback with a SQLite log of its own."""

    proc: subprocess.Popen
    port: int
    log: Path
    database: str


def start_local(
    registry_dir: Path,
    tmp_path: Path,
    *,
    workers: int = 1,
    env_extra: dict[str, str] | None = None,
) -> Local:
    """Start `hotline serve` on a free port, its log and decision log in tmp_path."""
    port, log, database = free_port(), tmp_path / "serve.log", f"sqlite:///{tmp_path / 'l.db'}"
    proc = start(registry_dir, database, port, log, workers=workers, env_extra=env_extra)
    return Local(proc, port, log, database)


def pids_logging(log: Path, message: str, *, count: int, proc: subprocess.Popen) -> list[str]:
    """The workers (pids) that logged a line matching message, once count of them have.

    Waits up to 90 s (a second worker may take a while to import on a busy host), or until
    the server exits; returns what was found by then.
    """
    pattern = re.compile(rf'"pid": (\d+)[^\n]*{message}')
    deadline = time.monotonic() + 90
    found: list[str] = []
    while time.monotonic() < deadline and proc.poll() is None:
        found = sorted(set(pattern.findall(log.read_text())))
        if len(found) >= count:
            break
        time.sleep(0.2)
    return found
