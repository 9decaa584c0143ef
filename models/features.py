"""The one place where a referral becomes numbers.

:data:`FEATURE_SPEC` declares every feature (name, plain-language label, time window);
:func:`build_features` computes them for one referral (serving) and
:func:`build_feature_matrix` for many (training) by calling the very same function, so the
two paths cannot drift apart.

Design choices, after the critiques of earlier tools (see docs/model.md):

* time-windowed counts instead of permanent "ever" flags, so an old record stops counting;
* prior reports are those naming the referral's own children and caregivers: their own
  histories, in this household or another one they lived in (no one else's record is read);
  reports on this household and those from other households are separate counts, and the
  counts by disposition (screened in, substantiated) and of the last 90 days take both, as
  their labels say;
* race, ethnicity and disability are never read here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

from models.referral import AllegationType, InvolvementKind, Referral, ReporterType

# Bump when the *code* below changes meaning without the spec's names changing.
FEATURE_CODE_VERSION = 2


@dataclass(frozen=True)
class FeatureDef:
    """One declared feature.

    Attributes
    ----------
    name : str
        Stable column name.
    label : str
        Plain-language description shown to screeners.
    is_flag : bool
        Whether the value is 0/1 (shown as "yes"/"no").
    window_days : int or None
        Look-back window for counts, in days before the day the referral was received.
    """

    name: str
    label: str
    window_days: int | None = None
    is_flag: bool = False


_YEAR = 365
_CORE: tuple[FeatureDef, ...] = (
    FeatureDef("youngest_child_age", "Age of the youngest child (years)"),
    FeatureDef("n_children", "Children in the household"),
    FeatureDef("n_alleged_victims", "Children named as alleged victims"),
    FeatureDef("n_caregivers", "Caregivers listed"),
    FeatureDef("young_caregiver", "A caregiver is under 21", is_flag=True),
    FeatureDef("pregnant_caregiver", "A caregiver is pregnant", is_flag=True),
    FeatureDef(
        "reports_same_household_1y",
        "Prior reports on this household, last year",
        _YEAR,
    ),
    FeatureDef(
        "reports_same_household_5y",
        "Prior reports on this household, last 5 years",
        5 * _YEAR,
    ),
    FeatureDef(
        "reports_other_household_5y",
        "Prior reports naming these people in other households, last 5 years",
        5 * _YEAR,
    ),
    # These three count reports on any household naming these people, as the labels say
    # (a screener read "Prior reports screened in" next to "on this household" as the same
    # household).
    FeatureDef(
        "screened_in_reports_5y",
        "Prior reports naming these people, any household, screened in, last 5 years",
        5 * _YEAR,
    ),
    FeatureDef(
        "substantiated_reports_5y",
        "Prior reports naming these people, any household, substantiated, last 5 years",
        5 * _YEAR,
    ),
    FeatureDef(
        "reports_90d",
        "Prior reports naming these people, any household, last 90 days",
        90,
    ),
    FeatureDef("placements_5y", "Out-of-home placements, last 5 years", 5 * _YEAR),
    FeatureDef(
        "caregivers_behavioral_health_2y",
        "Caregivers in behavioral-health treatment, last 2 years",
        2 * _YEAR,
    ),
    FeatureDef(
        "caregivers_substance_use_2y",
        "Caregivers in substance-use treatment, last 2 years",
        2 * _YEAR,
    ),
    FeatureDef(
        "caregivers_public_benefits_1y",
        "Caregivers receiving public benefits, last year",
        _YEAR,
    ),
    FeatureDef("caregivers_jail_2y", "Caregivers booked into jail, last 2 years", 2 * _YEAR),
)

_ALLEGATIONS = tuple(AllegationType)
_REPORTERS = tuple(ReporterType)

FEATURE_SPEC: tuple[FeatureDef, ...] = (
    _CORE
    + tuple(
        FeatureDef(
            f"allegation_{a.value}", f"Allegation: {a.value.replace('_', ' ')}", is_flag=True
        )
        for a in _ALLEGATIONS
    )
    + tuple(
        FeatureDef(f"reporter_{r.value}", f"Reporter: {r.value.replace('_', ' ')}", is_flag=True)
        for r in _REPORTERS
    )
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURE_SPEC)
N_FEATURES = len(FEATURE_SPEC)

_INVOLVEMENT_SLOTS: dict[InvolvementKind, tuple[int, int]] = {
    # kind -> (feature index, window in days)
    InvolvementKind.behavioral_health_treatment: (13, 2 * _YEAR),
    InvolvementKind.substance_use_treatment: (14, 2 * _YEAR),
    InvolvementKind.public_benefits: (15, _YEAR),
    InvolvementKind.jail_booking: (16, 2 * _YEAR),
}
_ALLEGATION_INDEX = {a: len(_CORE) + i for i, a in enumerate(_ALLEGATIONS)}
_REPORTER_INDEX = {r: len(_CORE) + len(_ALLEGATIONS) + i for i, r in enumerate(_REPORTERS)}


def feature_spec_hash() -> str:
    """Return the SHA-256 of the feature spec, stored with every trained model.

    Returns
    -------
    str
        Hex digest over the declared features (all but their labels) and
        :data:`FEATURE_CODE_VERSION`.
    """
    # The labels are the words a screener reads, not what the numbers mean: rewording one
    # must not make every trained model refuse to load.
    features = [{k: v for k, v in asdict(f).items() if k != "label"} for f in FEATURE_SPEC]
    payload = json.dumps(
        {"code_version": FEATURE_CODE_VERSION, "features": features}, sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def build_features(referral: Referral) -> npt.NDArray[np.float64]:
    """Turn one referral into its feature vector (the serving path).

    Parameters
    ----------
    referral : Referral
        A validated referral.

    Returns
    -------
    numpy.ndarray of shape (N_FEATURES,)
        Values in the order of :data:`FEATURE_SPEC`.
    """
    out = np.zeros(N_FEATURES, dtype=np.float64)
    _fill(referral, out)
    return out


def build_feature_matrix(referrals: Sequence[Referral]) -> npt.NDArray[np.float64]:
    """Turn many referrals into a feature matrix (the training path).

    Parameters
    ----------
    referrals : sequence of Referral
        Validated referrals.

    Returns
    -------
    numpy.ndarray of shape (len(referrals), N_FEATURES)
        Row ``i`` equals ``build_features(referrals[i])`` exactly.
    """
    out = np.zeros((len(referrals), N_FEATURES), dtype=np.float64)
    for i, referral in enumerate(referrals):
        _fill(referral, out[i])
    return out


def _fill(r: Referral, out: npt.NDArray[np.float64]) -> None:
    today = r.received_at.date().toordinal()
    children = r.children
    out[0] = min(c.age_years for c in children)
    out[1] = len(children)
    out[2] = sum(1 for c in children if c.alleged_victim)
    out[3] = len(r.caregivers)
    for cg in r.caregivers:
        if cg.age_years < 21:
            out[4] = 1.0
        if cg.pregnant:
            out[5] = 1.0
        seen: set[InvolvementKind] = set()
        for ep in cg.involvements:
            slot = _INVOLVEMENT_SLOTS[ep.kind]
            # An episode counts when it overlaps the window; each caregiver counts once.
            end = today if ep.end_date is None else ep.end_date.toordinal()
            if ep.kind not in seen and today - end <= slot[1]:
                seen.add(ep.kind)
                out[slot[0]] += 1.0
    for rep in r.prior_reports:
        age = today - rep.report_date.toordinal()
        same = rep.household_id == r.household_id
        if same and age <= _YEAR:
            out[6] += 1.0
        if age <= 5 * _YEAR:
            if same:
                out[7] += 1.0
            else:
                out[8] += 1.0
            if rep.screened_in:
                out[9] += 1.0
            if rep.substantiated:
                out[10] += 1.0
        if age <= 90:
            out[11] += 1.0
    for pl in r.prior_placements:
        end = today if pl.end_date is None else pl.end_date.toordinal()
        if today - end <= 5 * _YEAR:
            out[12] += 1.0
    for a in r.allegation_types:
        out[_ALLEGATION_INDEX[a]] = 1.0
    out[_REPORTER_INDEX[r.reporter_type]] = 1.0
