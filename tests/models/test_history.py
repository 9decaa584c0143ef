"""The champion's lineage replayed from the history, and rolling back along it."""

import shutil
import threading
from dataclasses import replace

import pytest

from models import (
    ArtifactTampered,
    ModelRegistry,
    RegistryError,
    champion_lineage,
    describe_event,
    rollback_champion,
)


def _set(version, action="promote"):
    return {"event": "alias", "alias": "champion", "version": version, "action": action}


@pytest.mark.parametrize(
    ("history", "lineage"),
    [
        ([_set(1), _set(2)], [1, 2]),
        # Re-running the gates on the serving champion moves nothing.
        ([_set(1), _set(2), _set(2)], [1, 2]),
        ([_set(1), _set(1), _set(2), _set(2), _set(2)], [1, 2]),
        ([_set(1), _set(2), _set(2), _set(1, "rollback")], [1]),
        # Going back to an older version on purpose is a real move.
        ([_set(1), _set(2), _set(1)], [1, 2, 1]),
        ([{"event": "refused", "version": 3}, _set(1), {"event": "waived", "version": 1}], [1]),
    ],
)
def test_lineage_pushes_only_a_change_of_version(history, lineage) -> None:
    assert champion_lineage(history) == lineage


@pytest.fixture
def registry(tmp_path, trained) -> ModelRegistry:
    reg = ModelRegistry(tmp_path / "reg")
    for _ in range(2):
        reg.register(trained.model, metadata={"label": "removal_2y"})
    return reg


def test_rollback_after_re_promoting_the_champion_returns_to_the_one_before(registry) -> None:
    for version in (1, 2, 2):
        registry.set_alias("champion", version, by="ana", extra={"action": "promote"})
    assert rollback_champion(registry, by="bo", reason="complaints") == (2, 1)
    assert registry.alias("champion") == 1
    assert champion_lineage(registry.history()) == [1]


def test_rollback_with_only_re_promotions_of_one_version_is_refused(registry) -> None:
    for _ in range(2):
        registry.set_alias("champion", 1, by="ana", extra={"action": "promote"})
    with pytest.raises(RegistryError) as exc:
        rollback_champion(registry, by="bo")
    assert str(exc.value) == (
        f"no earlier 'champion' to roll back to in {registry.root} (current: 1; history: 1)"
    )
    assert registry.alias("champion") == 1


def test_two_rollbacks_at_once_go_back_two_promotions(registry, trained) -> None:
    registry.register(trained.model, metadata={"label": "removal_2y"})
    for version in (1, 2, 3):
        registry.set_alias("champion", version, by="ana", extra={"action": "promote"})
    # As two processes would: the first is held after choosing its target, before moving.
    first, second = ModelRegistry(registry.root), ModelRegistry(registry.root)
    held, release = threading.Event(), threading.Event()
    load = first.load_with_metadata

    def slow_load(version):
        held.set()
        release.wait(5)
        return load(version)

    first.load_with_metadata = slow_load
    moves = {}
    a = threading.Thread(target=lambda: moves.update(a=rollback_champion(first, by="ana")))
    b = threading.Thread(target=lambda: moves.update(b=rollback_champion(second, by="bo")))
    a.start()
    assert held.wait(5)
    b.start()
    b.join(0.3)  # without the lock, the second picks the same target here
    release.set()
    a.join(5)
    b.join(5)
    assert moves == {"a": (3, 2), "b": (2, 1)}
    assert registry.alias("champion") == 1
    assert champion_lineage(registry.history()) == [1]


def test_rollback_refuses_a_version_that_is_not_the_model_that_was_promoted(
    registry, trained
) -> None:
    # Version 1's directory replaced by another model's (its own metadata consistent, so the
    # load alone passes): the history's digest of the promoted artifact tells them apart.
    for version in (1, 2):
        registry.set_alias("champion", version, by="ana", extra={"action": "promote"})
    promoted = registry.history()[0]["sha256"]
    other = registry.register(replace(trained.model, label="rereferral_2y"), metadata={})
    first = registry.version_dir(1)
    shutil.rmtree(first)
    shutil.copytree(registry.version_dir(other), first)
    replaced = registry.metadata(1)["sha256"]
    assert replaced != promoted
    with pytest.raises(ArtifactTampered) as refused:
        rollback_champion(registry, by="bo", reason="complaints")
    assert str(refused.value) == (
        f"cannot roll back to version 1: its artifact (SHA-256 {replaced[:12]}…) is not the one "
        f"'champion' was set to on {registry.history()[0]['set_at']} (SHA-256 {promoted[:12]}…), "
        "so it never passed the gates; promote a version through the gates instead "
        "(`hotline promote VERSION`)"
    )
    assert registry.alias("champion") == 2


def test_rollback_records_the_digest_it_checked(registry) -> None:
    for version in (1, 2):
        registry.set_alias("champion", version, by="ana", extra={"action": "promote"})
    rollback_champion(registry, by="bo")
    last = registry.history()[-1]
    assert (last["action"], last["version"], last["sha256"]) == (
        "rollback",
        1,
        registry.metadata(1)["sha256"],
    )


def test_a_replaced_broken_champion_is_said_in_the_history_line() -> None:
    event = {
        "event": "alias",
        "alias": "champion",
        "version": 2,
        "previous": 1,
        "set_at": "2026-01-02T03:04:05+00:00",
        "by": "ana",
        "reason": "v1 deleted",
        "action": "promote",
        "gates": {"passed": 8, "skipped": 4, "waived": 0},
        "replaced_broken_champion": {"version": 1, "error": "model version 1 has no artifact"},
    }
    assert describe_event(event) == (
        "2026-01-02T03:04:05+00:00  set champion -> version 2 (was 1) by ana: v1 deleted "
        "[gates 8 passed, 4 skipped, 0 waived] [replaced broken version 1: model version 1 has "
        "no artifact]"
    )
