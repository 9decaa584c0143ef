"""Registering a training result: the data path as resolved, and every file's digest."""

import hashlib
from pathlib import Path

from models import ModelRegistry
from training.register import register_result


def test_the_training_file_is_recorded_by_its_resolved_path(tmp_path, trained, monkeypatch) -> None:
    # Typed relative to wherever `hotline train` ran ("d6k.jsonl"), it found nothing later.
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "d.jsonl").write_text("{}\n")
    monkeypatch.chdir(tmp_path / "work")
    registry = ModelRegistry(tmp_path / "reg")
    version = register_result(registry, trained, data_path=Path("d.jsonl"))
    assert registry.metadata(version)["data_path"] == str(tmp_path / "work" / "d.jsonl")


def test_the_held_out_rows_and_features_are_recorded_by_sha256(tmp_path, trained) -> None:
    registry = ModelRegistry(tmp_path / "reg")
    version = register_result(registry, trained)
    directory = registry.version_dir(version)
    recorded = registry.metadata(version)["files"]
    assert sorted(recorded) == ["holdout.parquet", "holdout_features.npy", "model.joblib"]
    for name, digest in recorded.items():
        assert hashlib.sha256((directory / name).read_bytes()).hexdigest() == digest
    registry.verify_files(version)
