"""What the gates look at: the candidate's held-out rows, its model and the champion."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from models import ArtifactNotFound, ModelRegistry, RegistryError, ScreeningModel
from training.gates.labelled import labelled_rows, latest_per_household

HOLDOUT = "holdout.parquet"
HOLDOUT_FEATURES = "holdout_features.npy"


@dataclass(frozen=True)
class Candidate:
    """A registered version under audit.

    Attributes
    ----------
    version : int
    model : ScreeningModel
    metadata : dict
    holdout : pandas.DataFrame
        Every referral of the held-out households, with ``probability`` and ``score``.
    features : numpy.ndarray or None
        The feature matrix of those rows (same order), stored at training time; None for a
        version trained before features were stored.
    """

    version: int
    model: ScreeningModel
    metadata: dict[str, Any]
    holdout: pd.DataFrame
    features: npt.NDArray[np.float64] | None

    @property
    def label(self) -> str:
        """The outcome the model predicts."""
        return str(self.metadata.get("label", self.model.label))

    def labelled(self, *, one_per_household: bool = False) -> pd.DataFrame:
        """Held-out rows whose label is observed, with the label as 0/1.

        Built once per candidate and shared by every gate of a run that asks (performance,
        the audit, disparity and calibration within groups). Each call returns its own
        frame: a change to it never reaches the next gate.

        Parameters
        ----------
        one_per_household : bool, default False
            Keep only each household's latest labelled referral (see
            :func:`training.gates.labelled.latest_per_household`).

        Returns
        -------
        pandas.DataFrame
        """
        rows = self._latest_per_household if one_per_household else self._labelled
        # A shallow copy costs microseconds; under pandas' copy-on-write (the only mode
        # since 3.0) writing to it copies the touched data, never the cached frame's.
        return rows.copy(deep=False)

    # Cached on the instance (a cached_property writes its __dict__, which a frozen dataclass
    # allows): a gate run asks four times for the labelled rows and twice for one per
    # household, a copy and a sort by parsed instant of every held-out referral each time.
    @cached_property
    def _labelled(self) -> pd.DataFrame:
        return labelled_rows(self.holdout, label=self.label)

    @cached_property
    def _latest_per_household(self) -> pd.DataFrame:
        return latest_per_household(self._labelled)


@dataclass(frozen=True)
class Champion:
    """The version currently serving, re-scored on the candidate's rows."""

    version: int
    model: ScreeningModel


@dataclass(frozen=True)
class ChampionUnavailable:
    """The version currently serving, which cannot be loaded to be re-scored.

    After a feature-spec change every older version, the champion too, is refused on load;
    the gates that compare with the champion are then skipped with ``reason`` and the others
    still run, so the retrained model can be promoted.

    Attributes
    ----------
    version : int
    reason : str
        Why it could not be loaded (the :class:`models.ModelError` message).
    """

    version: int
    reason: str


def load_candidate(registry: ModelRegistry, version: int) -> Candidate:
    """Load a version with its held-out rows (and their features when stored).

    Parameters
    ----------
    registry : ModelRegistry
    version : int

    Returns
    -------
    Candidate

    Raises
    ------
    models.ModelError
        The artifact is missing, tampered or built on another feature spec, or the held-out
        rows (``holdout.parquet``) are missing, unreadable or lack the label, ``probability``
        or ``score`` column: without them no gate can measure anything; or a file
        recorded at registration is missing or changed since.
    """
    # One read of metadata.json: the label and the model card use what the load checked.
    model, metadata = registry.load_with_metadata(version)
    directory = registry.version_dir(version)
    holdout = _read_holdout(directory / HOLDOUT, version=version)
    label = str(metadata.get("label", model.label))
    missing = [c for c in (label, "probability", "score") if c not in holdout.columns]
    if missing:
        raise RegistryError(
            f"model version {version}: {directory / HOLDOUT} has no column "
            f"{', '.join(map(repr, missing))}, which the promotion gates need; "
            "retrain it with `hotline train`"
        )
    # The gates measure these files: each must be the one registered (versions registered
    # before files were recorded are not checked), or a deleted features file would turn
    # the race-proxy gate into a skip.
    registry.verify_files(version, metadata=metadata)
    features_path = directory / HOLDOUT_FEATURES
    features = np.load(features_path) if features_path.is_file() else None
    if features is not None and len(features) != len(holdout):
        features = None  # never pair features with the wrong rows
    return Candidate(
        version=version,
        model=model,
        metadata=metadata,
        holdout=holdout,
        features=features,
    )


def _read_holdout(path: Path, *, version: int) -> pd.DataFrame:
    if not path.is_file():
        raise ArtifactNotFound(
            f"model version {version} has no held-out rows ({path}), which the promotion gates "
            "measure on; retrain it with `hotline train`"
        )
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise RegistryError(
            f"model version {version}: {path} cannot be read as Parquet: {exc}"
        ) from exc
