"""Workers that take longer than uvicorn's default 5 s to import still start.

A spawned worker answers the supervisor's ping only once it has imported the whole service;
on a busy host that took 10-21 s, and with uvicorn's default the supervisor killed each
worker at 5 s and spawned another, in a loop, so `hotline serve --workers 2` never served.
"""

import re
import time

import httpx

from tests.deploy.replica import free_port, start, stop, wait_ready

# Runs in every Python process that starts with this directory on PYTHONPATH; it sleeps
# only in the workers uvicorn spawns (their command line is multiprocessing's).
SLOW_WORKER = """\
import sys, time
if "--multiprocessing-fork" in getattr(sys, "orig_argv", []):
    time.sleep(8)
"""


def test_two_workers_that_import_for_8_s_both_serve(registry_with_champion, tmp_path) -> None:
    slow = tmp_path / "slow"
    slow.mkdir()
    (slow / "sitecustomize.py").write_text(SLOW_WORKER)
    port, log = free_port(), tmp_path / "serve.log"
    proc = start(
        registry_with_champion.root,
        f"sqlite:///{tmp_path / 'log.db'}",
        port,
        log,
        workers=2,
        env_extra={"PYTHONPATH": str(slow)},
    )
    try:
        wait_ready(port, proc, log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _started(log) < 2:
            time.sleep(0.5)
        assert _started(log) == 2, log.read_text()[-2000:]
        assert "died" not in log.read_text()
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
    finally:
        stop(proc)


def _started(log) -> int:
    return len(set(re.findall(r"Started server process \[(\d+)\]", log.read_text())))
