"""Whether a data set can train and evaluate a label, said before anything is fitted.

Degenerate data (one household, a handful of positives, no labelled held-out rows) otherwise
reached scikit-learn, whose errors ("n_splits=5 greater than the number of groups", "Input
contains NaN", an IndexError) say nothing about the data, or trained a model whose AUC is NaN.
Each check here names what is missing and what is needed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from training.errors import TrainingDataError

MIN_FIT_ROWS = 100
"""Labelled training rows below which no model is fitted."""
CALIBRATION_FOLDS = 5
"""Household-grouped folds of the sigmoid calibration."""

_MORE = "generate more data"


def check_latent_risk(frame: pd.DataFrame, *, label: str) -> None:
    """Refuse a ``latent_risk`` column given for some labelled referrals but not all.

    The latent-risk AUC ceiling is measured on the held-out labelled rows; a column with
    gaps is a file put together from mixed sources, not a ceiling.

    Parameters
    ----------
    frame : pandas.DataFrame
        :attr:`training.data.TrainingData.frame`.
    label : str

    Raises
    ------
    TrainingDataError
    """
    if "latent_risk" not in frame.columns:
        return
    labelled = frame[frame[label].notna()]
    missing = labelled["latent_risk"].isna()
    if missing.any():
        first = labelled.loc[missing, "referral_id"].iloc[0]
        raise TrainingDataError(
            f"latent_risk is missing on {int(missing.sum()):,} of the {len(labelled):,} "
            f"referrals with '{label}' observed (first: referral {first}); give it on every "
            "line, or leave it out of the file (it is the synthetic data's true risk, used only "
            "for the AUC ceiling)"
        )


def check_households(groups: npt.NDArray[np.object_], *, test_size: float) -> None:
    """Refuse data with too few households to hold some out and calibrate on the rest.

    Parameters
    ----------
    groups : numpy.ndarray
        The household of each referral.
    test_size : float
        Share of households held out, strictly between 0 and 1.

    Raises
    ------
    TrainingDataError
    """
    n = len(np.unique(groups))
    # GroupShuffleSplit holds out ceil(test_size * n) households; the rest must fill the
    # calibration folds.
    needed = CALIBRATION_FOLDS + 1
    while needed - math.ceil(test_size * needed) < CALIBRATION_FOLDS:
        needed += 1
    if n < needed:
        raise TrainingDataError(
            f"the data has referrals of {n:,} household{'s' if n != 1 else ''}; training needs "
            f"at least {needed} ({test_size:.0%} of households are held out, and calibration "
            f"uses {CALIBRATION_FOLDS} household-grouped folds of the rest); {_MORE}"
        )


def check_training_rows(
    y: npt.NDArray[np.bool_],
    groups: npt.NDArray[np.object_],
    folds: Sequence[tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]],
    *,
    label: str,
) -> None:
    """Refuse labelled training rows that cannot fit and calibrate a model.

    Parameters
    ----------
    y : numpy.ndarray of bool
        The label of each labelled training row.
    groups : numpy.ndarray
        Their households.
    folds : sequence of (fit indices, calibration indices)
        The calibration folds over these rows (empty when there are too few households).
    label : str

    Raises
    ------
    TrainingDataError
    """
    n = len(y)
    if n < MIN_FIT_ROWS:
        raise TrainingDataError(
            f"only {n:,} labelled training rows for '{label}'; at least {MIN_FIT_ROWS} are "
            f"needed; {_MORE}"
        )
    present = np.unique(y)
    if len(present) < 2:
        raise TrainingDataError(
            f"all {n:,} labelled training rows have '{label}' {str(bool(present[0])).lower()}; "
            f"a model needs both outcomes; {_MORE}"
        )
    households = len(np.unique(groups))
    if households < CALIBRATION_FOLDS:
        raise TrainingDataError(
            f"the labelled training rows for '{label}' come from {households} household"
            f"{'s' if households != 1 else ''}; calibration needs at least {CALIBRATION_FOLDS} "
            f"(one per household-grouped fold); {_MORE}"
        )
    for k, (fitted, calibrated) in enumerate(folds, start=1):
        for part, rows in (("fitted on", fitted), ("calibrated on", calibrated)):
            if len(np.unique(y[rows])) < 2:
                absent = not bool(y[rows][0])
                have = int((y == absent).sum())
                raise TrainingDataError(
                    f"'{label}' is {str(absent).lower()} on only {have:,} of the {n:,} "
                    f"labelled training rows, and on none of the rows calibration fold {k} of "
                    f"{len(folds)} is {part}; every household-grouped fold needs both "
                    f"outcomes; {_MORE}"
                )


def check_held_out(y: npt.NDArray[np.bool_], *, label: str, households: int) -> None:
    """Refuse held-out rows on which AUC and calibration cannot be measured.

    Parameters
    ----------
    y : numpy.ndarray of bool
        The label of each labelled held-out row.
    label : str
    households : int
        Held-out households.

    Raises
    ------
    TrainingDataError
    """
    remedy = f"{_MORE}, or hold out other households with another --seed"
    if len(y) == 0:
        raise TrainingDataError(
            f"the {households:,} held-out households have no referral with '{label}' observed, "
            f"so the model cannot be evaluated; {remedy}"
        )
    present = np.unique(y)
    if len(present) < 2:
        raise TrainingDataError(
            f"all {len(y):,} labelled held-out rows have '{label}' "
            f"{str(bool(present[0])).lower()}: AUC and calibration need both outcomes, so the "
            f"model cannot be evaluated; {remedy}"
        )
