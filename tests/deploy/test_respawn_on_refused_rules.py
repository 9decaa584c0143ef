"""A worker respawned on a rules file edited under a served version does not stop the server.

Before, the respawned worker raised at startup and uvicorn stopped the whole server, the
healthy worker too (exit code 0, so a supervisor that restarts on failure did not). The
respawned worker now applies no rules and answers 503 until the file is fixed.
"""

import os
import shutil
import signal

import httpx

from service.config import PACKAGE_DIR
from tests.deploy.replica import STARTED, pids_logging, start_local, stop, wait_ready
from tests.factories import issue_key_at
from tests.service.decision_log.factories import example


def test_a_worker_respawned_on_refused_rules_answers_503_and_the_server_stays(
    registry_with_champion, tmp_path
) -> None:
    rules = tmp_path / "rules.yaml"
    shutil.copy(PACKAGE_DIR / "rules" / "default_rules.yaml", rules)
    proc, port, log, database = start_local(
        registry_with_champion.root,
        tmp_path,
        workers=2,
        env_extra={"HOTLINE_RULES_FILE": str(rules), "HOTLINE_MODEL_POLL_SECONDS": "0.3"},
    )
    answers: list[tuple[int, str]] = []
    try:
        wait_ready(port, proc, log)
        pids = pids_logging(log, STARTED, count=2, proc=proc)
        assert len(pids) == 2, log.read_text()[-2000:]
        key = issue_key_at(database, "screener")
        rules.write_text(rules.read_text() + "\n# edited under the same version\n")
        refused = r"rules not reloaded, version 2026\.1 stays in use"
        assert len(pids_logging(log, refused, count=2, proc=proc)) == 2  # both keep their rules
        os.kill(int(pids[0]), signal.SIGKILL)  # one worker dies (out of memory, a crash)
        blocked = pids_logging(log, "no rules applied, scores refused", count=1, proc=proc)
        assert len(blocked) == 1 and blocked[0] not in pids, log.read_text()[-3000:]
        # New connections land on either worker: call until the respawned one has answered.
        while len(answers) < 100 and (503, "rules_unavailable") not in answers:
            response = httpx.post(
                f"http://127.0.0.1:{port}/v1/score",
                json=example(),
                headers={"Authorization": f"Bearer {key}", "Connection": "close"},
                timeout=20,
            )
            body = response.json()
            answers.append(
                (response.status_code, body.get("rules_version") or body["error"]["code"])
            )
        assert proc.poll() is None, "the server stopped"
    finally:
        stop(proc)
    # The healthy worker scores under the version's own rules; the respawned one refuses.
    assert set(answers) <= {(200, "2026.1"), (503, "rules_unavailable")}, answers
    assert (503, "rules_unavailable") in answers
