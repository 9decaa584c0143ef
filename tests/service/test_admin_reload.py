"""`POST /v1/admin/reload` re-reads the directory: a closed service stops being suggested."""

from __future__ import annotations

import shutil

from fastapi.testclient import TestClient

from service.main import create_app
from tests.backends import ROOT, make_settings
from tests.factories import issue_key
from tests.service.referrals.factories import close_service


def _blank_name(directory, service_id: str) -> None:
    services = directory / "services.csv"
    lines = services.read_text().splitlines(keepends=True)
    blanked = []
    for line in lines:
        if line.startswith(f"{service_id},"):
            cells = line.split(",")
            cells[3] = ""  # name, required
            line = ",".join(cells)
        blanked.append(line)
    assert blanked != lines
    services.write_text("".join(blanked))


def _search(client: TestClient, key: str) -> list[str]:
    response = client.get(
        "/v1/referrals/search",
        params={"need": "food", "zip": "90012", "limit": 10},
        headers={"Authorization": f"Bearer {key}"},
    )
    return [r["service_id"] for r in response.json()["results"]]


def test_reload_swaps_in_the_directory_and_keeps_the_last_good_one(
    registry_with_champion, tmp_path
) -> None:
    directory = tmp_path / "directory"
    shutil.copytree(ROOT / "data" / "directory", directory)
    settings = make_settings(
        registry_with_champion.root, f"sqlite:///{tmp_path / 'decisions.db'}"
    ).model_copy(update={"directory_path": directory})
    with TestClient(create_app(settings)) as client:
        log = client.app.state.decision_log
        scientist, supervisor = issue_key(log, "data_scientist"), issue_key(log, "supervisor")
        assert "svc-038" in _search(client, supervisor)

        close_service(directory, "svc-038")
        reload = client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {scientist}"})
        assert reload.status_code == 200
        assert (reload.json()["directory_services"], reload.json()["directory_error"]) == (47, None)
        assert reload.json()["directory_problems"] == []
        after = _search(client, supervisor)
        assert "svc-038" not in after

        # A record the loader drops is said in the answer (and logged), as at startup.
        _blank_name(directory, "svc-002")
        reload = client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {scientist}"})
        assert reload.json()["directory_services"] == 46
        problems = reload.json()["directory_problems"]
        assert problems[0] == (
            "services.csv: service 'svc-002': name: Field required; the record was skipped"
        )
        assert len(problems) == 8  # and each of its links: phones, schedules, areas, ...
        after = _search(client, supervisor)

        # A directory with no service left in it (its descriptor gone) is refused, in the
        # answer; the one loaded before stays in use.
        (directory / "datapackage.json").unlink()
        for table in directory.glob("*.csv"):
            table.unlink()
        reload = client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {scientist}"})
        assert reload.status_code == 200
        body = reload.json()
        assert body["directory_services"] == 46
        assert body["directory_error"].startswith(f"{directory} holds no active service: ")
        assert _search(client, supervisor) == after
