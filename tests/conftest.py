"""Shared fixtures: a small seeded synthetic data set and a model trained on it, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import ModelRegistry
from training.data import TrainingData, load_jsonl
from training.pipeline import TrainingResult, train
from training.register import register_result
from training.synthetic import SynthConfig, write_jsonl

SMALL_N = 12_000


@pytest.fixture(scope="session", autouse=True)
def _decision_log_in_tmp(tmp_path_factory: pytest.TempPathFactory):
    # Apps built by tests write their decision log here, never into the checkout's var/.
    with pytest.MonkeyPatch.context() as mp:
        path = tmp_path_factory.mktemp("decision-log") / "decisions.db"
        mp.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{path}")
        yield


@pytest.fixture(scope="session")
def synth_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synth") / "small.jsonl"
    write_jsonl(SynthConfig(n_referrals=SMALL_N, seed=7), path)
    return path


@pytest.fixture(scope="session")
def training_data(synth_path: Path) -> TrainingData:
    return load_jsonl(synth_path, workers=1)


@pytest.fixture(scope="session")
def trained(training_data: TrainingData) -> TrainingResult:
    return train(training_data, kind="logistic", seed=0)


@pytest.fixture(scope="session")
def registry_with_champion(
    tmp_path_factory: pytest.TempPathFactory, trained: TrainingResult
) -> ModelRegistry:
    registry = ModelRegistry(tmp_path_factory.mktemp("registry"))
    version = register_result(registry, trained)
    # The service tests need a champion, not a gate decision (tests/training/test_promote.py
    # covers the gates): the default synthetic biases rightly fail them.
    registry.set_alias("champion", version, by="tests", reason="fixture")
    return registry
