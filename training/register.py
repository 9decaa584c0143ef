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
        The training file, recorded in the metadata as ``data_path``, in full (resolved, so
        a path typed relative to wherever `hotline train` ran still finds it): for whoever
        reads the registry on this machine. ``metadata.json`` is never served; the model
        card, which is, names the file by name and SHA-256 only.

    Returns
    -------
    int
        The new version number.
    """
    meta = dict(result.metadata)
    if data_path is not None:
        meta["data_path"] = str(data_path.resolve())
    # Written with the model, before the version appears: a version without its held-out rows
    # (a full disk, an interruption) could be listed but never promoted. The features are
    # stored so the gates can re-score the champion on exactly these rows without re-reading
    # (or still having) the training file.
    return registry.register(
        result.model,
        metadata=meta,
        files={
            HOLDOUT: lambda path: result.holdout.to_parquet(path, index=False),
            HOLDOUT_FEATURES: lambda path: np.save(path, result.holdout_features),
        },
    )
