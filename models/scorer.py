"""Score one referral: features, calibrated probability, 1-20 score, band, explanation."""

from __future__ import annotations

import heapq
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from models.artifact import ScreeningModel
from models.features import FEATURE_SPEC, build_features
from models.referral import Referral
from models.scoring import Band, Probability, ScreeningScore, band_for_score, probability_to_score


class Factor(BaseModel):
    """One feature's part in a score, in words a screener can check against the record."""

    model_config = ConfigDict(frozen=True)

    feature: str
    label: str
    value: float
    typical: float
    contribution: float
    direction: Literal["raises", "lowers"]


class ScoreResult(BaseModel):
    """What the model says about one referral."""

    model_config = ConfigDict(frozen=True)

    probability: Probability
    score: ScreeningScore
    band: Band
    explanation: list[Factor]


def score_referral(model: ScreeningModel, referral: Referral, *, top_k: int = 5) -> ScoreResult:
    """Score one referral and explain it.

    Parameters
    ----------
    model : ScreeningModel
        A loaded model (from the registry).
    referral : Referral
        A validated referral.
    top_k : int, default 5
        How many factors to return, largest absolute contribution first.

    Returns
    -------
    ScoreResult
        Deterministic: the same referral and model always give the same result.
    """
    return score_features(model, build_features(referral), top_k=top_k)


def score_features(
    model: ScreeningModel, x: npt.NDArray[np.float64], *, top_k: int = 5
) -> ScoreResult:
    """Score a feature vector built by :func:`models.build_features` and explain it.

    For callers that also need the features themselves (the service logs them), so they are
    built once.

    Parameters
    ----------
    model : ScreeningModel
        A loaded model.
    x : numpy.ndarray of shape (n_features,)
        The referral's features.
    top_k : int, default 5
        How many factors to return.

    Returns
    -------
    ScoreResult
    """
    probability = model.predict_one(x)
    score = int(probability_to_score(probability, cutpoints=model.cutpoints))
    # Validated, not model_construct: with pydantic 2.14 validating these few fields in Rust
    # (~3 us) is faster than model_construct's Python loop over the fields (~6-7 us).
    return ScoreResult(
        probability=probability,
        score=score,
        band=band_for_score(score),
        explanation=explain(model, x, top_k=top_k),
    )


def explain(model: ScreeningModel, x: np.ndarray, *, top_k: int = 5) -> list[Factor]:
    """List the features that moved this score most, with signed contributions.

    Parameters
    ----------
    model : ScreeningModel
        The model that scored ``x``.
    x : numpy.ndarray of shape (n_features,)
        The referral's feature vector.
    top_k : int, default 5
        How many factors to return.

    Contributions are relative to the average training referral (``typical``): a value
    below the average lowers the score even when it is not zero, and the label says so.

    Returns
    -------
    list of Factor
        Largest absolute contribution first; ties broken by feature order, so the list is
        stable. Features with no contribution are left out.
    """
    if top_k < 0:
        raise ValueError(f"top_k must be at least 0, got {top_k}")
    contrib = model.contributions(x).tolist()
    # nsmallest is a stable sort on -|c| (the declared order among equal contributions), in
    # Python: numpy's argsort releases the GIL, which the busy service's loop then waits for.
    # NaN (never expected) goes last, as argsort puts it, instead of scrambling the order.
    order = heapq.nsmallest(
        top_k,
        range(len(contrib)),
        key=lambda j: (contrib[j] != contrib[j], -abs(contrib[j])),
    )
    factors: list[Factor] = []
    for j in order:
        c = contrib[j]
        if c == 0.0:
            break
        spec = FEATURE_SPEC[j]
        typical = float(model.baseline[j])
        factors.append(
            Factor(
                feature=spec.name,
                label=_describe(spec.label, float(x[j]), typical, is_flag=spec.is_flag),
                value=float(x[j]),
                typical=round(typical, 4),
                contribution=round(c, 6),
                direction="raises" if c > 0 else "lowers",
            )
        )
    return factors


def _describe(label: str, value: float, typical: float, *, is_flag: bool) -> str:
    if is_flag:
        return f"{label}: {'yes' if value else 'no'} (yes in {typical:.0%} of referrals)"
    shown = f"{value:g}" if value == int(value) else f"{value:.1f}"
    return f"{label}: {shown} (average {typical:.1f})"
