"""The champion's lineage replayed from the history, and rolling back along it."""

import threading

import pytest

from models import ModelRegistry, RegistryError, champion_lineage, rollback_champion


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
    load = first.load

    def slow_load(version):
        held.set()
        release.wait(5)
        return load(version)

    first.load = slow_load
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
