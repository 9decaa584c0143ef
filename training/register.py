"""Registering a training result: the model, its held-out rows and their features."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models import ModelRegistry
from training.gates import HOLDOUT, HOLDOUT_FEATURES
from training.pipeline import TrainingResult


def register_result(
    registry: ModelRegistry, result: TrainingResult, *, data_path: Path | None = None
) -> int:
    """Store a trained model as a new version, with what the promotion gates need.

    Parameters
    ----------
    registry : ModelRegistry
    result : TrainingResult
    data_path : pathlib.Path, optional
        The training file, recorded in the metadata as ``data_path``.

    Returns
    -------
    int
        The new version number.
    """
    meta = dict(result.metadata)
    if data_path is not None:
        meta["data_path"] = str(data_path)
    version = registry.register(result.model, metadata=meta)
    directory = registry.version_dir(version)
    result.holdout.to_parquet(directory / HOLDOUT, index=False)
    # Stored so the gates can re-score the champion on exactly these rows without
    # re-reading (or still having) the training file.
    np.save(directory / HOLDOUT_FEATURES, result.holdout_features)
    return version
