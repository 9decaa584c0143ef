"""Find what monitoring compares live data with: the model in service and its holdout."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from models import ModelError, ModelRegistry
from service.decision_log.monitoring import Reference


def load_reference(registry_dir: Path, *, alias: str) -> Reference | None:
    """Load the aliased model and its training holdout (None when there is no model).

    Parameters
    ----------
    registry_dir : pathlib.Path
    alias : str

    Returns
    -------
    Reference or None
    """
    registry = ModelRegistry(registry_dir)
    try:
        version = registry.alias(alias)
        if version is None:
            return None
        model = registry.load(version)
    except ModelError:
        return None
    return reference_for(registry, version, model)


def reference_for(registry: ModelRegistry, version: int, model: object) -> Reference:
    """Build a Reference for a loaded model, reading its holdout if it was kept.

    Parameters
    ----------
    registry : ModelRegistry
    version : int
    model : ScreeningModel

    Returns
    -------
    Reference
    """
    from models import ScreeningModel

    assert isinstance(model, ScreeningModel)
    path = registry.version_dir(version) / "holdout.parquet"
    holdout = pd.read_parquet(path, columns=["probability", "score"]) if path.is_file() else None
    return Reference(model=model, holdout=holdout, version=version)
