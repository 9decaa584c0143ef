"""The service follows the champion alias without a restart or a failed request."""

import json
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from models import ModelRegistry
from service.config import ServiceSettings
from service.main import create_app
from tests.factories import authorize
from training.register import register_result

ROOT = Path(__file__).resolve().parents[2]
BODY = json.loads((ROOT / "examples" / "referral.json").read_text())
POLL = 0.05


@pytest.fixture
def registry(tmp_path, trained):
    registry = ModelRegistry(tmp_path / "reg")
    register_result(registry, trained)
    register_result(registry, trained)
    registry.set_alias("champion", 1, by="tests")
    return registry


@pytest.fixture
def client(tmp_path, registry):
    settings = ServiceSettings(
        registry_dir=registry.root,
        directory_path=ROOT / "data" / "directory",
        database_url=f"sqlite:///{tmp_path / 'decisions.db'}",
        model_poll_seconds=POLL,
    )
    with TestClient(create_app(settings)) as c:
        authorize(c, "screener")
        yield c


def _wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(POLL / 2)
    return False


def test_promotion_under_concurrent_requests_drops_nothing(client, registry) -> None:
    results: list[tuple[float, int, int | None]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def fire() -> None:
        while not stop.is_set():
            started = time.monotonic()
            response = client.post("/v1/score", json=BODY)
            version = response.json().get("model_version") if response.status_code == 200 else None
            with lock:
                results.append((started, response.status_code, version))

    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(4):
            pool.submit(fire)
        assert _wait_for(lambda: len(results) >= 20)
        registry.set_alias("champion", 2, by="tests", reason="swap under load")
        swapped_at = time.monotonic()
        assert _wait_for(lambda: any(v == 2 for _, _, v in results[-4:]))
        time.sleep(1.0)  # keep firing well past the poll interval
        stop.set()
    assert {status for _, status, _ in results} == {200}
    assert {v for _, _, v in results} == {1, 2}
    # Every request that started well after the swap (the poll interval, with room for a slow
    # machine) was scored by the new champion; none went back to the old one.
    late = [v for started, _, v in results if started > swapped_at + 0.5]
    assert late and set(late) == {2}
    first_new = next(i for i, (_, _, v) in enumerate(results) if v == 2)
    assert sum(v == 1 for _, _, v in results[first_new + 8 :]) == 0
    assert client.get("/ready").json()["model_version"] == 2


def test_a_tampered_champion_is_not_loaded_and_the_old_one_keeps_serving(
    client, registry, trained
) -> None:
    register_result(registry, trained)
    artifact = registry.version_dir(3) / "model.joblib"
    artifact.write_bytes(artifact.read_bytes() + b"tampered")
    registry.set_alias("champion", 3, by="tests")
    assert _wait_for(lambda: client.get("/ready").json()["detail"] is not None)
    ready = client.get("/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert (body["status"], body["model_version"]) == ("ready", 1)
    assert body["detail"].startswith("'champion' was not loaded: model version 3: ")
    assert body["detail"].endswith("refusing to load it; still serving version 1")
    assert client.post("/v1/score", json=BODY).json()["model_version"] == 1
    registry.set_alias("champion", 2, by="tests", reason="fixed")
    assert _wait_for(lambda: client.get("/ready").json()["model_version"] == 2)
    assert client.get("/ready").json()["detail"] is None


FREED_BY_REFCOUNT = """
import gc, sys, weakref
from models import ModelRegistry
from service.model_holder import ModelHolder
from service.rules import RulesHolder

registry = ModelRegistry(sys.argv[1])
models = ModelHolder(registry, alias="champion")
rules = RulesHolder.from_path(sys.argv[2])
models.load()
old_model, old_rules = weakref.ref(models.current), weakref.ref(rules.current)
gc.collect()
gc.freeze()  # as the service does after startup
registry.set_alias("champion", 2, by="tests")
assert models.refresh().version == 2
rules.reload()
gc.collect()  # what the swap itself left behind, outside the frozen heap
# The replaced objects are gone (nothing holds them, and no cycle needed the collector) ...
print(old_model() is None, old_rules() is None)
gc.unfreeze()
# ... and no frozen object became cyclic garbage, which the service would never free.
print(gc.collect())
"""


def test_a_replaced_model_and_rule_set_are_freed_despite_the_frozen_heap(registry) -> None:
    # The service freezes its startup heap (gc.freeze), so anything loaded then and later
    # replaced is freed only if reference counting alone frees it: a cycle would leak on
    # every promotion. A fresh interpreter, so no other test's frozen objects are counted.
    rules = ROOT / "service" / "rules" / "default_rules.yaml"
    done = subprocess.run(
        [sys.executable, "-c", FREED_BY_REFCOUNT, str(registry.root), str(rules)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert done.stdout.split() == ["True", "True", "0"]
