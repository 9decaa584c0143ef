"""Moving the ``champion`` alias, after the checks a model must pass first."""

from __future__ import annotations

import pandas as pd

from fairness import disparity_audit, write_audit
from models import ModelRegistry
from training.errors import PromotionRefused

CHAMPION = "champion"
# A model that ranks referrals little better than chance must never reach screeners.
MIN_AUC = 0.6
MAX_CALIBRATION_ERROR = 0.05
# AFST's 2017 mandatory screen-in range (the top 25%): where the audit compares groups.
AUDIT_THRESHOLD = 16


def promote_version(registry: ModelRegistry, version: int, *, by: str, reason: str) -> str:
    """Check a registered version and point ``champion`` at it.

    Parameters
    ----------
    registry : ModelRegistry
    version : int
    by, reason : str
        Recorded in the registry's history.

    Returns
    -------
    str
        One line saying what happened.

    Raises
    ------
    PromotionRefused
        A check failed; nothing was changed.
    """
    registry.load(version)  # refuses a tampered artifact or another feature spec
    metrics = registry.metadata(version).get("metrics", {})
    failures = []
    auc = metrics.get("auc")
    if auc is None or auc < MIN_AUC:
        failures.append(f"AUC {auc} is below the minimum {MIN_AUC}")
    ece = metrics.get("expected_calibration_error")
    if ece is None or ece > MAX_CALIBRATION_ERROR:
        failures.append(f"calibration error {ece} is above the maximum {MAX_CALIBRATION_ERROR}")
    audit_note = _audit(registry, version)
    if failures:
        registry.append_history(
            {"event": "refused", "version": version, "failures": failures, "by": by}
        )
        raise PromotionRefused(f"version {version} not promoted: " + "; ".join(failures))
    previous = registry.alias(CHAMPION)
    registry.set_alias(CHAMPION, version, reason=reason, by=by)
    was = f" (was version {previous})" if previous is not None else ""
    return f"version {version} is now the champion{was}; {audit_note}"


def _audit(registry: ModelRegistry, version: int) -> str:
    """Write the fairness audit of the held-out households into the version's directory."""
    holdout_path = registry.version_dir(version) / "holdout.parquet"
    if not holdout_path.is_file():
        return "no held-out predictions to audit"
    holdout = pd.read_parquet(holdout_path)
    label = str(registry.metadata(version).get("label", "removal_2y"))
    labelled = holdout[holdout[label].notna()].copy()
    labelled[label] = labelled[label].astype(int)
    result = disparity_audit(
        labelled, label=label, score="score", groups=["race"], threshold=AUDIT_THRESHOLD
    )
    out = registry.version_dir(version) / "audit"
    write_audit(result, out)
    return f"fairness audit with {len(result.flags)} flags in {out / 'audit.html'}"
