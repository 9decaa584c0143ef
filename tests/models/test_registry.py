import hashlib
import json
import os
import shutil
import threading

import numpy as np
import pytest

from models import (
    ArtifactNotFound,
    ArtifactTampered,
    FeatureSpecMismatch,
    ModelRegistry,
    RegistryError,
    rollback_champion,
    sha256_file,
)


@pytest.fixture
def registry(tmp_path, trained) -> ModelRegistry:
    reg = ModelRegistry(tmp_path / "reg")
    reg.register(trained.model, metadata={"label": "removal_2y"})
    return reg


def test_versions_are_numbered_and_immutable(registry, trained) -> None:
    assert registry.register(trained.model, metadata={"label": "x"}) == 2
    assert registry.versions() == [1, 2]
    meta = registry.metadata(1)
    assert meta["version"] == 1
    assert meta["label"] == "removal_2y"
    assert meta["sha256"] == sha256_file(registry.version_dir(1) / "model.joblib")
    assert registry.load(1).label == trained.model.label


def test_a_version_appears_whole_or_not_at_all(registry, trained) -> None:
    def full_disk(path):
        path.write_bytes(b"half")
        raise OSError(28, "No space left on device", str(path))

    with pytest.raises(OSError, match="No space left on device"):
        registry.register(trained.model, metadata={"label": "x"}, files={"rows.bin": full_disk})
    assert registry.versions() == [1]
    assert [p.name for p in (registry.root / "versions").iterdir()] == ["1"]  # no staging left
    version = registry.register(
        trained.model, metadata={"label": "x"}, files={"rows.bin": lambda p: p.write_bytes(b"ok")}
    )
    assert (registry.version_dir(version) / "rows.bin").read_bytes() == b"ok"
    # Readable by a service running as another user (mkdtemp alone makes it 0700).
    assert registry.version_dir(version).stat().st_mode & 0o777 == 0o755


def test_alias_moves_atomically_and_is_recorded(registry, trained) -> None:
    registry.register(trained.model, metadata={})
    assert registry.alias("champion") is None
    registry.set_alias("champion", 1, reason="first", by="ana")
    registry.set_alias("champion", 2, reason="better", by="ben")
    assert registry.alias("champion") == 2
    assert registry.resolve("champion") == 2
    assert registry.resolve("v1") == 1
    events = registry.history()
    assert [(e["version"], e["previous"], e["by"]) for e in events] == [
        (1, None, "ana"),
        (2, 1, "ben"),
    ]
    assert not list((registry.root / "aliases").glob(".*"))  # no temporary files left


def test_tampered_artifact_is_refused(registry) -> None:
    path = registry.version_dir(1) / "model.joblib"
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(
        ArtifactTampered, match=r"model version 1: .* has SHA-256 .* refusing to load it"
    ):
        registry.load(1)


def test_load_with_metadata_reads_metadata_once_and_checks_as_load_does(
    registry, monkeypatch
) -> None:
    reads = []
    real = ModelRegistry.metadata
    monkeypatch.setattr(ModelRegistry, "metadata", lambda self, v: reads.append(v) or real(self, v))
    model, meta = registry.load_with_metadata(1)
    assert reads == [1]
    assert (meta["version"], meta["label"]) == (1, "removal_2y")
    assert meta["sha256"] == sha256_file(registry.version_dir(1) / "model.joblib")
    assert model.label == registry.load(1).label
    path = registry.version_dir(1) / "model.joblib"
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(ArtifactTampered, match=r"refusing to load it"):
        registry.load_with_metadata(1)


def test_feature_spec_mismatch_is_refused(registry) -> None:
    meta_path = registry.version_dir(1) / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["feature_spec_hash"] = "0" * 64
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(FeatureSpecMismatch, match="retrain it with `hotline train`"):
        registry.load(1)


def test_unknown_version_and_alias_say_what_exists(registry) -> None:
    with pytest.raises(
        ArtifactNotFound,
        match=r"model version 9 is not in the registry .* \(registered versions: 1\)",
    ):
        registry.load(9)
    with pytest.raises(
        ArtifactNotFound, match="'best' is neither a version number nor a set alias"
    ):
        registry.resolve("best")
    with pytest.raises(RegistryError, match="alias 'Champ/../x' is not acceptable"):
        registry.set_alias("Champ/../x", 1)


@pytest.mark.parametrize("bad", [b'{"event": "alias", "vers', b"[1, 2]", b"\xff\xfe"])
def test_a_history_line_that_is_not_an_object_is_named(registry, bad) -> None:
    registry.set_alias("champion", 1, by="ana")
    with (registry.root / "history.jsonl").open("ab") as history:
        history.write(bad + b"\n")
    with pytest.raises(RegistryError) as caught:
        registry.history()
    assert str(caught.value) == (
        f"{registry.root / 'history.jsonl'}, line 2: not a JSON object; the history is "
        "append-only, so repair or remove that line by hand (the alias files are unaffected)"
    )


def test_alias_file_is_readable_by_a_service_running_as_another_user(registry) -> None:
    registry.set_alias("champion", 1, by="ana")
    # mkstemp alone makes it 0600, and the service polls this file.
    assert (registry.root / "aliases" / "champion.json").stat().st_mode & 0o777 == 0o644


def test_an_unreadable_alias_file_is_a_registry_error(registry, monkeypatch) -> None:
    registry.set_alias("champion", 1, by="ana")
    path = registry.root / "aliases" / "champion.json"

    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    # Root reads any file, so the refusal is simulated.
    monkeypatch.setattr(type(path), "read_text", denied)
    with pytest.raises(RegistryError) as caught:
        registry.alias("champion")
    assert str(caught.value) == (
        f"alias file {path} cannot be read: Permission denied; it must be readable by the "
        "user that serves or promotes models"
    )


def test_two_alias_moves_at_once_are_recorded_in_the_order_they_happened(registry, trained):
    # Two promotions at once, as two processes would (separate registry objects): the first
    # is held after it replaced the alias file and before it appended to the history.
    registry.register(trained.model, metadata={})
    registry.register(trained.model, metadata={})
    registry.set_alias("champion", 1, by="ana", extra={"action": "promote"})
    first, second = ModelRegistry(registry.root), ModelRegistry(registry.root)
    held, release = threading.Event(), threading.Event()
    append = first.append_history

    def slow_append(record) -> None:
        held.set()
        release.wait(5)
        append(record)

    first.append_history = slow_append
    a = threading.Thread(target=first.set_alias, args=("champion", 2), kwargs={"by": "ana"})
    b = threading.Thread(target=second.set_alias, args=("champion", 3), kwargs={"by": "bo"})
    a.start()
    assert held.wait(5)
    b.start()
    b.join(0.3)  # without the lock, the second move completes here, inside the first
    release.set()
    a.join(5)
    b.join(5)
    assert registry.alias("champion") == 3
    assert [(e["version"], e["previous"], e["by"]) for e in registry.history()] == [
        (1, None, "ana"),
        (2, 1, "ana"),
        (3, 2, "bo"),
    ]


def test_whoever_waits_for_the_lock_is_told_who_holds_it(registry, trained) -> None:
    registry.set_alias("champion", 1, by="ana")
    registry.register(trained.model, metadata={})
    registry.set_alias("champion", 2, by="ana")
    told: list[str] = []
    done = threading.Event()

    def roll_back() -> None:
        rollback_champion(ModelRegistry(registry.root), by="bo", on_wait=told.append)
        done.set()

    with registry.lock(purpose="promotion of version 3"):
        waiter = threading.Thread(target=roll_back)
        waiter.start()
        assert not done.wait(0.5)  # waiting, and has said why
    waiter.join(5)
    assert done.is_set() and registry.alias("champion") == 1
    assert len(told) == 1
    assert told[0].startswith(f"pid {os.getpid()}: promotion of version 3, since 20")


def test_a_lock_on_a_registry_that_does_not_exist_creates_nothing(tmp_path) -> None:
    missing = ModelRegistry(tmp_path / "typo")
    with pytest.raises(RegistryError) as info, missing.lock():
        pass
    assert str(info.value) == f"no model registry at {tmp_path / 'typo'}"
    assert not (tmp_path / "typo").exists()


def test_a_deleted_versions_number_is_never_given_to_another_model(registry, trained) -> None:
    # A number means one model: after `rm -rf versions/3` a new model got "version 3"
    # again, which a rollback to the champion's lineage then put in front of screeners.
    for _ in range(2):
        registry.register(trained.model, metadata={})
    registry.set_alias("champion", 3, by="ana")
    shutil.rmtree(registry.version_dir(3))
    assert registry.register(trained.model, metadata={}) == 4
    # Never promoted, never in the history: the counter remembers it.
    shutil.rmtree(registry.version_dir(4))
    assert registry.register(trained.model, metadata={}) == 5
    assert (registry.root / "last_version").read_text() == "5\n"
    # Without the counter, the history and the aliases still hold the numbers given.
    shutil.rmtree(registry.version_dir(5))
    (registry.root / "last_version").unlink()
    assert registry.next_version() == 4
    assert registry.versions() == [1, 2]


def test_every_file_written_at_registration_is_recorded_and_verified(registry, trained) -> None:
    version = registry.register(
        trained.model,
        metadata={"label": "removal_2y"},
        files={
            "rows.bin": lambda p: p.write_bytes(b"rows"),
            "x.npy": lambda p: p.write_bytes(b"x"),
        },
    )
    directory = registry.version_dir(version)
    meta = registry.metadata(version)
    assert meta["files"] == {
        "model.joblib": meta["sha256"],
        "rows.bin": hashlib.sha256(b"rows").hexdigest(),
        "x.npy": hashlib.sha256(b"x").hexdigest(),
    }
    registry.verify_files(version)
    (directory / "x.npy").unlink()
    with pytest.raises(ArtifactNotFound) as missing:
        registry.verify_files(version)
    assert str(missing.value) == (
        f"model version 2: x.npy is missing from {directory} (written at registration with "
        f"SHA-256 {hashlib.sha256(b'x').hexdigest()[:12]}…); restore it or retrain with "
        "`hotline train`"
    )
    (directory / "x.npy").write_bytes(b"x")
    (directory / "rows.bin").write_bytes(b"other rows")
    with pytest.raises(ArtifactTampered) as altered:
        registry.verify_files(version)
    assert str(altered.value) == (
        f"model version 2: {directory / 'rows.bin'} has SHA-256 "
        f"{hashlib.sha256(b'other rows').hexdigest()[:12]}…, but "
        f"{hashlib.sha256(b'rows').hexdigest()[:12]}… was recorded at registration; restore it "
        "or retrain with `hotline train`"
    )
    (directory / "rows.bin").write_bytes(b"rows")
    registry.verify_files(version)
    # The label the gates measure lives in the metadata: changing it is refused too.
    edited = {**meta, "label": "rereferral_2y"}
    (directory / "metadata.json").write_text(json.dumps(edited, indent=4))
    with pytest.raises(ArtifactTampered) as relabelled:
        registry.verify_files(version)
    assert str(relabelled.value) == (
        f"model version 2: {directory / 'metadata.json'} was changed after registration (it no "
        "longer matches its metadata_sha256); restore it or retrain with `hotline train`"
    )
    # Re-indented but unchanged is still the same metadata.
    (directory / "metadata.json").write_text(json.dumps(meta, indent=8))
    registry.verify_files(version)


def test_a_version_registered_before_files_were_recorded_is_not_checked(registry) -> None:
    meta_path = registry.version_dir(1) / "metadata.json"
    meta = json.loads(meta_path.read_text())
    for key in ("files", "metadata_sha256"):
        del meta[key]
    meta["label"] = "edited by hand"
    meta_path.write_text(json.dumps(meta))
    registry.verify_files(1)
    assert registry.load(1) is not None


@pytest.mark.parametrize("name", ["../escape", "model.joblib", "metadata.json"])
def test_a_file_of_a_version_must_be_a_plain_name_the_registry_does_not_write(
    registry, trained, name
) -> None:
    with pytest.raises(RegistryError) as info:
        registry.register(trained.model, metadata={}, files={name: lambda p: p.write_bytes(b"")})
    reason = (
        "use a plain file name, without a directory"
        if "/" in name
        else "the registry writes it itself"
    )
    assert str(info.value) == f"'{name}' is not acceptable as a file of a version: {reason}"
    assert registry.versions() == [1]


def test_metadata_with_nan_is_written_as_valid_json(registry, trained) -> None:
    # An AUC on one class is NaN; written raw it made metadata.json invalid JSON.
    version = registry.register(
        trained.model, metadata={"metrics": {"auc": float("nan"), "brier": np.float64(0.1)}}
    )
    text = (registry.version_dir(version) / "metadata.json").read_text()

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    meta = json.loads(text, parse_constant=refuse)
    assert meta["metrics"] == {"auc": None, "brier": 0.1}
    registry.verify_files(version)


def test_an_alias_move_records_the_artifacts_digest(registry) -> None:
    registry.set_alias("champion", 1, by="ana")
    assert registry.history()[-1]["sha256"] == registry.metadata(1)["sha256"]
    registry.set_alias("champion", 1, by="ana", sha256="f" * 64)
    assert registry.history()[-1]["sha256"] == "f" * 64


def test_a_history_cut_short_refuses_the_next_move_naming_the_line(registry, trained) -> None:
    # A crash in the middle of an append left the last line without its end; the next
    # append continued it, and both records were lost to `models history` and rollbacks.
    registry.register(trained.model, metadata={})
    registry.set_alias("champion", 1, by="ana")
    path = registry.root / "history.jsonl"
    with path.open("ab") as history:
        history.write(b'{"event": "alias", "vers')
    before = path.read_bytes()
    message = (
        f"{path}, line 2: cut short (no newline at its end: a write was interrupted); nothing "
        "was recorded or moved: repair or remove that line by hand, then run this again"
    )
    with pytest.raises(RegistryError) as moved:
        registry.set_alias("champion", 2, by="ana")
    assert str(moved.value) == message
    with pytest.raises(RegistryError) as appended:
        registry.append_history({"event": "refused", "version": 2})
    assert str(appended.value) == message
    assert registry.alias("champion") == 1
    assert path.read_bytes() == before
    # Repaired by hand (the partial record removed), moves go on.
    path.write_bytes(before[: before.rindex(b"\n") + 1])
    registry.set_alias("champion", 2, by="ana")
    assert [e["version"] for e in registry.history()] == [1, 2]


def test_each_history_record_is_flushed_to_the_disk(registry, monkeypatch) -> None:
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real(fd))
    registry.append_history({"event": "note", "n": float("inf")})
    assert len(synced) == 1
    assert registry.history() == [{"event": "note", "n": None}]
