"""Find what monitoring compares live data with: the model in service and its holdout."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from pyarrow import ArrowException

from models import FEATURE_SPEC, ModelError, ModelRegistry
from service.decision_log.monitoring import Reference

log = logging.getLogger("hotline.monitoring")

HOLDOUT_FEATURES: Final = "holdout_features.npy"
"""The holdout's feature matrix, as training registers it beside ``holdout.parquet``."""


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
        Without a holdout when none was kept; with a note saying why when the file kept
        cannot be read (damaged, or without the two columns): the rest of the report does
        not depend on it, so it is still written.
    """
    from models import ScreeningModel

    assert isinstance(model, ScreeningModel)
    path = registry.version_dir(version) / "holdout.parquet"
    if not path.is_file():
        return Reference(model=model, holdout=None, version=version)
    try:
        holdout = pd.read_parquet(path, columns=["probability", "score"])
    except (OSError, ValueError, KeyError, ArrowException) as exc:
        # The reader's own message names the file on the server: it goes to the log, and
        # the report (read by supervisors) says only what is missing.
        log.error("monitoring: holdout of model version %s not read: %s", version, exc)
        note = (
            f"the training holdout of model version {version} cannot be read (damaged, or "
            "without probability and score columns; the service's log says which); score "
            "and probability drift are not computed"
        )
        return Reference(model=model, holdout=None, version=version, holdout_note=note)
    features = _holdout_features(registry.version_dir(version) / HOLDOUT_FEATURES, len(holdout))
    return Reference(model=model, holdout=holdout, version=version, holdout_features=features)


def _holdout_features(path: Path, rows: int) -> npt.NDArray[np.float64] | None:
    # The count features' drift reads them; without them (older versions kept none, or the
    # file is damaged) it falls back to the mean shift, and the rest of the report stands.
    if not path.is_file():
        return None
    try:
        features = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        log.error("monitoring: holdout features %s not read: %s", path, exc)
        return None
    if features.shape != (rows, len(FEATURE_SPEC)) or features.dtype.kind != "f":
        log.error(
            "monitoring: holdout features %s are %s %s, not %d x %d floats",
            path,
            features.shape,
            features.dtype,
            rows,
            len(FEATURE_SPEC),
        )
        return None
    kept: npt.NDArray[np.float64] = features.astype(np.float64, copy=False)
    return kept
