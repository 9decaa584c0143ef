"""Moving the ``champion`` alias, after the checks a model must pass first."""

from __future__ import annotations

from models import ModelRegistry
from training.errors import PromotionRefused

CHAMPION = "champion"
# A model that ranks referrals little better than chance must never reach screeners.
MIN_AUC = 0.6
MAX_CALIBRATION_ERROR = 0.05


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
    if failures:
        registry.append_history(
            {"event": "refused", "version": version, "failures": failures, "by": by}
        )
        raise PromotionRefused(f"version {version} not promoted: " + "; ".join(failures))
    previous = registry.alias(CHAMPION)
    registry.set_alias(CHAMPION, version, reason=reason, by=by)
    was = f" (was version {previous})" if previous is not None else ""
    return f"version {version} is now the champion{was}"
