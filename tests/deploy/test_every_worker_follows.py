"""Every worker applies the rules file and the directory on disk, not only the one reloaded.

Before, only the model was followed: `POST /v1/admin/reload` reached the one worker that
answered, and with `--workers 2` about half the calls went on getting the old rules (and the
old directory) until a restart. Each worker now follows both files on its own.
"""

import re
import shutil
import time

import httpx

from service.config import PACKAGE_DIR
from tests.backends import ROOT
from tests.deploy.replica import free_port, start, stop, wait_ready
from tests.factories import issue_key_at
from tests.service.decision_log.factories import example
from tests.service.referrals.factories import close_service

CALLS = 40  # each on a new connection, so both workers answer some


def _wait_for_both(log, pattern: str) -> set[str]:
    deadline = time.monotonic() + 90  # a second worker may take a while to import, on a busy host
    found: set[str] = set()
    while time.monotonic() < deadline and len(found) < 2:
        found = set(re.findall(pattern, log.read_text()))
        time.sleep(0.2)
    return found


def test_both_workers_follow_an_edited_rules_file_and_directory(
    registry_with_champion, tmp_path
) -> None:
    rules, directory = tmp_path / "rules.yaml", tmp_path / "directory"
    shutil.copy(PACKAGE_DIR / "rules" / "default_rules.yaml", rules)
    shutil.copytree(ROOT / "data" / "directory", directory)
    port, log, database = free_port(), tmp_path / "serve.log", f"sqlite:///{tmp_path / 'l.db'}"
    proc = start(
        registry_with_champion.root,
        database,
        port,
        log,
        workers=2,
        env_extra={
            "HOTLINE_RULES_FILE": str(rules),
            "HOTLINE_DIRECTORY_PATH": str(directory),
            "HOTLINE_MODEL_POLL_SECONDS": "0.3",
        },
    )
    try:
        wait_ready(port, proc, log)
        assert len(_wait_for_both(log, r'"pid": (\d+)[^\n]*Application startup complete')) == 2
        key = issue_key_at(database, "supervisor")
        rules.write_text(rules.read_text().replace('version: "2026.1"', 'version: "2026.2"'))
        close_service(directory, "svc-038")
        applied = _wait_for_both(log, r'"pid": (\d+)[^\n]*now applying rules version 2026\.2')
        reloaded = _wait_for_both(log, r'"pid": (\d+)[^\n]*directory reloaded: 47 active')
        versions, found = set(), set()
        for _ in range(CALLS):
            auth = {"Authorization": f"Bearer {key}", "Connection": "close"}
            score = httpx.post(
                f"http://127.0.0.1:{port}/v1/score", json=example(), headers=auth, timeout=20
            )
            versions.add(score.json()["rules_version"])
            search = httpx.get(
                f"http://127.0.0.1:{port}/v1/referrals/search",
                params={"need": "food", "zip": "90012", "limit": 10},
                headers=auth,
                timeout=20,
            )
            found.update(r["service_id"] for r in search.json()["results"])
    finally:
        stop(proc)
    assert len(applied) == 2 and len(reloaded) == 2  # each worker, by itself
    assert versions == {"2026.2"}
    assert found and "svc-038" not in found
