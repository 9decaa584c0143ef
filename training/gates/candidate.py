"""What the gates look at: the candidate's held-out rows, its model and the champion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from models import ModelRegistry, ScreeningModel

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

        Parameters
        ----------
        one_per_household : bool, default False
            Keep only each household's latest labelled referral. Repeat referrals of one
            household are not independent evidence; intervals that treat them as such are
            too narrow and refuse fair models by chance.

        Returns
        -------
        pandas.DataFrame
        """
        rows = self.holdout[self.holdout[self.label].notna()].copy()
        rows[self.label] = rows[self.label].astype(int)
        if one_per_household and "household_id" in rows.columns:
            order = "received_at" if "received_at" in rows.columns else "household_id"
            rows = rows.sort_values(order, kind="stable").drop_duplicates(
                "household_id", keep="last"
            )
        return rows


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
        The artifact is missing, tampered or built on another feature spec.
    """
    model = registry.load(version)
    directory = registry.version_dir(version)
    holdout_path = directory / HOLDOUT
    holdout = pd.read_parquet(holdout_path) if holdout_path.is_file() else pd.DataFrame()
    features_path = directory / HOLDOUT_FEATURES
    features = np.load(features_path) if features_path.is_file() else None
    if features is not None and len(features) != len(holdout):
        features = None  # never pair features with the wrong rows
    return Candidate(
        version=version,
        model=model,
        metadata=registry.metadata(version),
        holdout=holdout,
        features=features,
    )
