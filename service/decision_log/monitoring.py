"""Live monitoring for supervisors: screen-in rates, overrides, drift and threshold-near.

Metrics come from :mod:`fairness` (disparity audit, threshold-near); this module only turns
the decision log into the one-row-per-decision frame those functions take. Override rates are
shown for review (which cases, which reasons), never as a target to push up or down.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairness import (
    FairnessError,
    TreatmentDoesNotVary,
    disparity_audit,
    is_recorded,
    split_cell,
    threshold_near,
)
from models import FEATURE_SPEC, ScreeningModel
from service.decision_log.db import DecisionLog
from service.decision_log.decision_rows import TOOL_IN, Decisions, Outcome, read_decisions
from service.decision_log.drift import bin_counts, decisions_needed, flag_psi, psi, summarize
from service.decision_log.outcomes import OutcomeEvent
from service.decision_log.small_cells import coarsen_calibration, coarsen_plot

MIN_THRESHOLD_NEAR: Final = 200
"""Screened decisions needed before the threshold-near comparison is attempted."""
POOLED: Final = "other (each under {min_cell})"
"""Label of the row that pools the groups or units under the limit."""
FRAMING: Final = (
    "Override rates are shown for review, not as a target: an override may be exactly right. "
    "Read the reasons, and look at groups or units whose rates differ from the others."
)


@dataclass(frozen=True)
class Reference:
    """What live data is compared with: the model and its training holdout.

    Attributes
    ----------
    model : ScreeningModel
    holdout : pandas.DataFrame or None
        ``probability`` and ``score`` of the training holdout.
    version : int
    holdout_note : str or None
        Why there is no holdout to compare with, when one was kept but cannot be read.
    holdout_features : numpy.ndarray or None
        The holdout's feature matrix (rows x :data:`models.FEATURE_SPEC`), when it was kept
        and reads; the count features' drift is measured against it.
    """

    model: ScreeningModel
    holdout: pd.DataFrame | None
    version: int
    holdout_note: str | None = None
    holdout_features: npt.NDArray[np.float64] | None = None


def decision_frame(log: DecisionLog) -> pd.DataFrame:
    """One row per scored decision, with its screening decision and outcomes joined.

    Parameters
    ----------
    log : DecisionLog
        Read through :func:`~service.decision_log.decision_rows.read_decisions`: only the
        records written since the last report are read and parsed.

    Returns
    -------
    pandas.DataFrame
        Columns: decision_id, model_version (that scored it), received_date, probability,
        score, recommendation, race, tool_in (the rules' recommendation alone;
        :func:`monitoring_report` adds its score threshold and counts overrides against
        both), screened_in (NaN when not yet decided), unit, reason_code, one 0/1 column per
        outcome event (the referral's own event on or after the day of the call, a household
        event after it; see :func:`_join_outcomes`), and one column per feature.
    """
    return frame_of(read_decisions(log))


def frame_of(decisions: Decisions) -> pd.DataFrame:
    """Build the frame :func:`decision_frame` returns from rows already read.

    Parameters
    ----------
    decisions : Decisions
        From :func:`~service.decision_log.decision_rows.read_decisions`; a caller that also
        needs its screenings' other fields reads the log once.

    Returns
    -------
    pandas.DataFrame
        As :func:`decision_frame`.
    """
    frame = decisions.scores
    decided = [decisions.screenings.get(d) for d in frame["decision_id"]]
    frame["screened_in"] = [np.nan if s is None else float(s.screened_in) for s in decided]
    frame["unit"] = [None if s is None else s.unit for s in decided]
    frame["reason_code"] = [None if s is None else s.reason_code for s in decided]
    _join_outcomes(frame, decisions.outcomes)
    return frame


def against_the_tool(frame: pd.DataFrame, *, threshold: int) -> None:
    """Add the tool alone's view and whether each decision went against it, in place.

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`decision_frame` (or a period of it).
    threshold : int
        A score at or above this counts as "screen in" for the tool alone, whatever the
        rules recommended.

    Notes
    -----
    ``tool_in`` becomes 1.0 where the rules screen in by themselves or the score reaches the
    threshold; ``override`` is 1.0 where the screening decision differs from that, 0.0 where
    it follows it, NaN where no decision is on record. The report's counts and the list of
    overrides (:mod:`service.decision_log.overrides`) both use it, so they never disagree on
    which decisions are overrides.
    """
    frame["tool_in"] = np.maximum(frame["tool_in"], (frame["score"] >= threshold) * 1.0)
    # Against that same "tool alone": a screen-in at a score over the threshold follows it,
    # a screen-out there goes against it, whatever the rules recommended.
    frame["override"] = _override(frame)


def _override(frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    # 1 where the screener's decision went against the tool alone, NaN where none was made.
    disagrees = (frame["screened_in"] != frame["tool_in"]) * 1.0
    return np.where(frame["screened_in"].isna(), np.nan, disagrees)


def _join_outcomes(frame: pd.DataFrame, outcomes: list[Outcome]) -> None:
    # Which events count as a decision's outcome: an event of its own referral from the day
    # of the call on (the call's own day may hold its substantiation), an event of its
    # household only from the next day on. A household event dated the day of the call may
    # be that call itself (the agency's feed lists the call that made the decision as the
    # household's re-referral), not something that followed it; outcomes carry a day, not
    # a time, so the day after is the first that surely follows.
    #
    # As joins, not a loop per decision and event: 85% of a report's reading at 100,000
    # decisions was that loop once the records were read (docs/performance.md).
    columns = {event.value: j for j, event in enumerate(OutcomeEvent)}
    hits = np.zeros((len(frame), len(columns)))
    if outcomes and len(frame):  # (an empty frame's columns have no type to compare)
        events = pd.DataFrame(outcomes, columns=["subject", "event", "event_date", "by"])
        events = events[events["event"].isin(columns)]
        calls = pd.DataFrame(
            {
                "row": np.arange(len(frame)),
                "referral": frame["referral_key"].tolist(),
                "household": frame["household_key"].tolist(),
                "received": frame["received_date"].tolist(),
            }
        )
        by_household = events["by"] == "household"
        own = calls.merge(events[~by_household], left_on="referral", right_on="subject")
        own = own[own["event_date"] >= own["received"]]
        later = calls.merge(events[by_household], left_on="household", right_on="subject")
        later = later[later["event_date"] > later["received"]]
        found = pd.concat([own[["row", "event"]], later[["row", "event"]]])
        hits[found["row"].to_numpy(), found["event"].map(columns).to_numpy(dtype=int)] = 1.0
    for event, j in columns.items():
        frame[event] = hits[:, j]


class PeriodError(ValueError):
    """A period whose ``since`` is after its ``until``: it would hold no day."""


def check_period(*, since: dt.date | None, until: dt.date | None) -> None:
    """Refuse a period that ends before it starts.

    Parameters
    ----------
    since, until : datetime.date or None
        First and last received day of the period, both included; None leaves that end open.

    Raises
    ------
    PeriodError
        When ``since`` is after ``until``; the message says what is accepted.
    """
    if since is not None and until is not None and since > until:
        raise PeriodError(
            f"since {since} is after until {until}; accepted: since on or before until "
            "(YYYY-MM-DD, both days included)"
        )


def in_period(
    frame: pd.DataFrame, /, *, since: dt.date | None = None, until: dt.date | None = None
) -> pd.DataFrame:
    """Keep the decisions whose referral was received in the period, both days included.

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`decision_frame`; outcomes recorded after the period are already joined,
        and still count for the decisions kept.
    since, until : datetime.date, optional
        First and last received day; None (the default) leaves that end open.

    Returns
    -------
    pandas.DataFrame
        The rows in the period, indexed from 0 again.

    Raises
    ------
    PeriodError
        When ``since`` is after ``until``.
    """
    check_period(since=since, until=until)
    # received_date is YYYY-MM-DD text, which sorts as the days do.
    days = frame["received_date"]
    keep = pd.Series(True, index=frame.index)
    if since is not None:
        keep &= days >= since.isoformat()
    if until is not None:
        keep &= days <= until.isoformat()
    return frame[keep].reset_index(drop=True)


def monitoring_report(
    frame: pd.DataFrame,
    reference: Reference | None,
    *,
    threshold: int,
    outcome: str = OutcomeEvent.re_referral.value,
    min_cell: int,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> dict[str, Any]:
    """Assemble the supervisors' report from the decision frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`decision_frame`.
    reference : Reference or None
        The model in service and its training holdout (drift is skipped without it).
    threshold : int
        A score at or above this counts as "screen in" for the tool alone.
    outcome : str, default "re_referral"
        Outcome event used as the audit label and threshold-near outcome.
    min_cell : int
        Fewest decisions a race group or unit row may describe (``HOTLINE_REPORT_MIN_CELL``):
        a handful would show what happened to those families to anyone who knows them.
        Smaller ones are pooled into one row (:data:`POOLED`), which is left out if it is
        still smaller. Every table covers the screened decisions left after pooling by race
        and by unit; totals are over them and ``meta.left_out`` counts the rest. 1 pools none.
    since, until : datetime.date, optional
        The period, by the referral's received day, both days included (:func:`in_period`):
        every table, drift included, covers only its decisions. None leaves that end open.

    Returns
    -------
    dict
        JSON-ready; ``audit_tool`` / ``audit_decisions`` are fairness audits (or a ``note``),
        ``overrides``, ``drift`` and ``threshold_near`` as described in docs/decision-log.md.
    """
    frame = in_period(frame, since=since, until=until)
    against_the_tool(frame, threshold=threshold)
    screened = frame[frame["screened_in"].notna()]
    # Every table is taken over one set of rows: the screened decisions left after pooling
    # by race and by unit, so that no total, and no difference between two tables (the
    # tool's view and the screeners'), covers more than the rows shown. Otherwise it would
    # give away, by subtraction, what happened to a family a row was hidden to protect.
    decided = _reportable(screened, ["race", "unit"], min_cell=min_cell)
    # Drift and threshold-near compare decisions with one model (its holdout, its cutoff):
    # only the decisions that model scored. After a promotion the others were scored by
    # another model, whose distribution and cutoff they follow.
    version = None if reference is None else reference.version

    def of_the_model(rows: pd.DataFrame) -> pd.DataFrame:
        return rows if version is None else rows[rows["model_version"] == version]

    scored = of_the_model(frame)
    return {
        "counts": {
            "decisions": len(frame),
            "screened": len(decided),
            "with_outcome": int(decided[outcome].sum()) if len(decided) else 0,
        },
        "meta": {
            "threshold": threshold,
            "outcome": outcome,
            "tool_in": list(TOOL_IN),
            "min_cell": min_cell,
            "period": {
                "since": None if since is None else since.isoformat(),
                "until": None if until is None else until.isoformat(),
            },
            "left_out": {
                "not_yet_screened": len(frame) - len(screened),
                "in_small_cells": len(screened) - len(decided),
            },
            "model_version": version,
            "scored_by_other_versions": len(frame) - len(scored),
        },
        "audit_tool": _audit(
            decided,
            outcome=outcome,
            score="tool_in",
            min_cell=min_cell,
            hidden=len(screened) - len(decided),
            threshold=1.0,
        ),
        "audit_decisions": _audit(
            decided,
            outcome=outcome,
            score="score",
            min_cell=min_cell,
            hidden=len(screened) - len(decided),
            decision="screened_in",
        ),
        "overrides": {
            "framing": FRAMING,
            "by_group": _overrides(decided, "race"),
            "by_unit": _overrides(decided, "unit"),
        },
        # Drift is one figure per feature over the scored decisions: no group, no unit.
        "drift": _drift(scored, reference, min_cell=min_cell),
        "threshold_near": _threshold_near(
            of_the_model(decided),
            reference,
            threshold=threshold,
            outcome=outcome,
            min_cell=min_cell,
        ),
    }


def _reportable(rows: pd.DataFrame, columns: list[str], *, min_cell: int) -> pd.DataFrame:
    # Pooled column by column, and again while leaving rows out by one column takes a pooled
    # cell of another under the limit: every cell of every column holds min_cell or more.
    rows = rows.copy()
    while True:
        for column in columns:
            rows[column] = _pooled(
                rows[column], min_cell=min_cell, unrecorded_apart=column == "race"
            )
        kept = rows.dropna(subset=columns)
        if len(kept) == len(rows):
            return kept
        rows = kept


def _pooled(column: pd.Series, *, min_cell: int, unrecorded_apart: bool = False) -> pd.Series:
    # Whole cells are pooled (a multi-race cell such as "black|white" is one cell), so no
    # row of any view, the any-mention one included, rests on fewer than min_cell families.
    label = POOLED.format(min_cell=min_cell)
    counts = column.value_counts()
    small = column.isin(counts.index[counts < min_cell])
    alone = pd.Series(False, index=column.index)
    if unrecorded_apart:
        # A cell whose race nobody recorded is never pooled with recorded groups: the pool
        # is compared as a group, and the audit keeps unrecorded race out of every
        # comparison. Under the limit it is left out on its own.
        unrecorded = [v for v in counts.index[counts < min_cell] if not is_recorded(split_cell(v))]
        alone = column.isin(unrecorded)
        small &= ~alone
    if small.any():
        # A group that fell under the limit on a later pass joins the pool already made.
        small |= column.eq(label)
    pooled = column.mask(small, label)
    if 0 < small.sum() < min_cell:
        pooled = pooled.mask(small)  # still too few together: left out (NaN)
    return pooled.mask(alone)


def _audit(
    frame: pd.DataFrame,
    *,
    outcome: str,
    score: str,
    min_cell: int,
    hidden: int,
    **selection: Any,
) -> dict[str, Any]:
    if len(frame) == 0:
        # "No decisions yet" would be wrong when there are some, all in small cells.
        if hidden:
            return {
                "note": f"nothing to show: the {hidden} screened decisions are all in race "
                f"groups or units under {min_cell}, which are left out"
            }
        return {"note": "no screening decisions yet"}
    try:
        result = disparity_audit(
            frame, label=outcome, score=score, groups=["race"], min_group_size=20, **selection
        )
    except FairnessError as exc:
        return {"note": f"not enough data for an audit: {exc}"}
    # Per group and score bin, a bin of one family would show its outcome.
    result = coarsen_calibration(result, frame, column="race", min_cell=min_cell)
    audit: dict[str, Any] = result.to_dict()
    audit["_result"] = result
    return audit


def _overrides(decided: pd.DataFrame, by: str) -> list[dict[str, Any]]:
    rows = []
    for key, part in decided.groupby(by, sort=True):
        reasons = part.loc[part["override"] == 1, "reason_code"].fillna("none").value_counts()
        rows.append(
            {
                by: key,
                "screened": len(part),
                "overrides": int(part["override"].sum()),
                "override_rate": round(float(part["override"].mean()), 4),
                "reasons": {str(k): int(v) for k, v in sorted(reasons.items())},
            }
        )
    return rows


def _drift(frame: pd.DataFrame, reference: Reference | None, *, min_cell: int) -> dict[str, Any]:
    if reference is None or len(frame) == 0:
        return {"note": "no model or no decisions of the model in service: drift not computed"}
    if len(frame) < min_cell:
        # A live mean over a handful of decisions describes those families.
        return {
            "note": f"{len(frame)} decisions scored by model version {reference.version}, "
            f"under {min_cell}: drift is not shown",
            "model_version": reference.version,
            "decisions": len(frame),
        }
    n = len(frame)
    out: dict[str, Any] = {"model_version": reference.version, "decisions": n, "features": {}}
    holdout = reference.holdout
    if reference.holdout_note is not None:
        out["holdout_note"] = reference.holdout_note
    if holdout is not None:
        for name, edges in (
            ("score", np.arange(2, 21)),
            (
                "probability",
                np.unique(np.quantile(holdout["probability"], np.linspace(0.1, 0.9, 9))),
            ),
        ):
            expected = bin_counts(holdout[name], edges=edges)
            out[name] = summarize(
                psi(expected, bin_counts(frame[name], edges=edges)),
                decisions=n,
                needed=decisions_needed(expected, reference_rows=len(holdout)),
            )
    model = reference.model
    scale = model.linear.scale if model.linear is not None else None
    for j, spec in enumerate(FEATURE_SPEC):
        mean = float(model.baseline[j])
        live = frame[spec.name].to_numpy(dtype=np.float64)
        if spec.is_flag:
            out["features"][spec.name] = summarize(
                flag_psi(mean, live),
                decisions=n,
                needed=decisions_needed([1 - mean, mean]),
                training_mean=round(mean, 4),
                live_mean=round(float(live.mean()), 4),
            )
        else:
            sd = float(scale[j]) if scale is not None else None
            shift = (float(live.mean()) - mean) / sd if sd else None
            means = {
                "training_mean": round(mean, 4),
                "live_mean": round(float(live.mean()), 4),
                "shift_sd": None if shift is None else round(shift, 4),
            }
            counted = _count_drift(reference.holdout_features, j, live, decisions=n)
            if counted is None:
                # Without the holdout's features (or with one value only), the mean shift.
                counted = {"psi": None, "reading": "mean shift in training SDs"}
            out["features"][spec.name] = {**counted, **means}
    return out


def _count_drift(
    kept: npt.NDArray[np.float64] | None,
    j: int,
    live: npt.NDArray[np.float64],
    *,
    decisions: int,
) -> dict[str, Any] | None:
    # A PSI over the holdout's deciles, as the probability's: a count that stops arriving
    # (prior reports no longer sent) reads "shifted", not just a number. Zero is always a bin
    # of its own: a count that is 0 for 90% of the holdout had deciles [0] only, one bin,
    # and read "stable" however far it moved (found in review).
    if kept is None:
        return None
    column = kept[:, j]
    edges = np.unique(np.append(np.quantile(column, np.linspace(0.1, 0.9, 9)), 0.5))
    reference = bin_counts(column, edges=edges)
    if np.count_nonzero(reference) < 2:
        return None
    return summarize(
        psi(reference, bin_counts(live, edges=edges)),
        decisions=decisions,
        needed=decisions_needed(reference, reference_rows=len(column)),
    )


def _threshold_near(
    decided: pd.DataFrame,
    reference: Reference | None,
    *,
    threshold: int,
    outcome: str,
    min_cell: int,
) -> dict[str, Any]:
    if reference is None:
        return {"note": "no model loaded: the cutoff on the probability is unknown"}
    if len(decided) < MIN_THRESHOLD_NEAR:
        return {
            "note": f"not enough data: {len(decided)} screened decisions scored by model "
            f"version {reference.version}; the comparison needs at least {MIN_THRESHOLD_NEAR} "
            "with outcomes on both sides"
        }
    # The cutoff of the model that scored these decisions (they are that model's only).
    cutoff = float(reference.model.cutpoints[threshold - 2])
    sharp_only = None
    try:
        try:
            result = threshold_near(
                decided,
                running="probability",
                cutoff=cutoff,
                outcome=outcome,
                treatment="screened_in",
            )
        except TreatmentDoesNotVary:
            # Screeners decided alike on both sides of the cutoff (no overrides near it, or
            # all of them): the fuzzy comparison divides by no jump, but outcomes on either
            # side still compare, as the sharp comparison does.
            result = threshold_near(decided, running="probability", cutoff=cutoff, outcome=outcome)
            sharp_only = (
                "screening did not change at the cutoff among these decisions (those near it "
                "were screened in or out alike on both sides), so only the outcomes are "
                "compared: the jump below is in outcomes at the cutoff, not an effect of "
                "screening in"
            )
    except FairnessError as exc:
        return {"note": f"not estimable yet: {exc}"}
    result = coarsen_plot(result, min_cell=min_cell)
    near: dict[str, Any] = result.to_dict()
    if sharp_only is not None:
        near["caveat"] = sharp_only
    near["_result"] = result
    return near
