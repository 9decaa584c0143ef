"""Find what monitoring compares live data with: the model in service and its holdout."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
from pyarrow import ArrowException

from models import ModelError, ModelRegistry
from service.decision_log.monitoring import Reference

log = logging.getLogger("hotline.monitoring")


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
    return Reference(model=model, holdout=holdout, version=version)
