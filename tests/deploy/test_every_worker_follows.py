"""Every worker applies the rules file and the directory on disk, not only the one reloaded.

Before, only the model was followed: `POST /v1/admin/reload` reached the one worker that
answered, and with `--workers 2` about half the calls went on getting the old rules (and the
old directory) until a restart. Each worker now follows both files on its own.
"""

import shutil

import httpx

from service.config import PACKAGE_DIR
from tests.backends import ROOT
from tests.deploy.replica import STARTED, pids_logging, start_local, stop, wait_ready
from tests.factories import issue_key_at
from tests.service.decision_log.factories import example
from tests.service.referrals.factories import close_service

CALLS = 40  # each on a new connection, so both workers answer some


def test_both_workers_follow_an_edited_rules_file_and_directory(
    registry_with_champion, tmp_path
) -> None:
    rules, directory = tmp_path / "rules.yaml", tmp_path / "directory"
    shutil.copy(PACKAGE_DIR / "rules" / "default_rules.yaml", rules)
    shutil.copytree(ROOT / "data" / "directory", directory)
    proc, port, log, database = start_local(
        registry_with_champion.root,
        tmp_path,
        workers=2,
        env_extra={
            "HOTLINE_RULES_FILE": str(rules),
            "HOTLINE_DIRECTORY_PATH": str(directory),
            "HOTLINE_MODEL_POLL_SECONDS": "0.3",
        },
    )
    try:
        wait_ready(port, proc, log)
        assert len(pids_logging(log, STARTED, count=2, proc=proc)) == 2
        key = issue_key_at(database, "supervisor")
        rules.write_text(rules.read_text().replace('version: "2026.1"', 'version: "2026.2"'))
        close_service(directory, "svc-038")
        applied = pids_logging(log, r"now applying rules version 2026\.2", count=2, proc=proc)
        reloaded = pids_logging(log, "directory reloaded: 47 active", count=2, proc=proc)
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
