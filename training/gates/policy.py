"""The promotion-gate policy: a versioned YAML file, checked before any gate runs.

Every problem is refused with one line naming the file, the gate (section) and the field,
what is wrong and what is accepted, e.g.::

    policy.yaml: gate 'disparity': band: the lower bound 1.2 must be below the upper 1.1;
    accepted: [low, high] with 0 < low < 1 < high

Unknown keys are refused rather than ignored: a misspelt tolerance that silently fell back
to its default would weaken the gate without anyone noticing.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from training.errors import GatePolicyError

DEFAULT_POLICY_PATH: Final = Path(__file__).resolve().parent.parent / "gate_policy.yaml"
"""The policy shipped with the project (documented in ``docs/promotion.md``)."""

Share = Annotated[float, Field(gt=0, lt=1)]
Auc = Annotated[float, Field(ge=0.5, le=1)]
Margin = Annotated[float, Field(ge=0, le=1)]
MinSize = Annotated[int, Field(ge=10)]
Score = Annotated[int, Field(ge=2, le=20)]
RateMetric = Literal["selection_rate", "fpr", "fnr", "ppv", "npv"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PerformancePolicy(_Section):
    """Absolute floors and non-inferiority margins against the champion."""

    auc_minimum: Auc = Field(description="a number from 0.5 to 1")
    calibration_error_maximum: Margin = Field(description="a number from 0 to 1")
    auc_margin: Margin = Field(description="a number from 0 to 1")
    brier_margin: Margin = Field(description="a number from 0 to 1")
    calibration_error_margin: Margin = Field(description="a number from 0 to 1")


AuditGroup = Literal["race", "hispanic"]
"""The held-out data's audit-only columns (never model inputs) that a fairness gate groups by.

A closed list, so that a mistyped or wrong column (``ethnicity``, ``household_id``) refuses the
policy when it is read instead of leaving the fairness gates unmeasured or skipped.
"""
AUDIT_GROUP_DESCRIPTION: Final = "race or hispanic (the held-out data's audit columns)"


class DisparityPolicy(_Section):
    """Selection and error-rate ratios to the reference group, within a band."""

    group: AuditGroup = Field(description=AUDIT_GROUP_DESCRIPTION)
    score_threshold: Score = Field(description="a whole score from 2 to 20")
    metrics: list[RateMetric] = Field(
        min_length=1, description="a list of selection_rate, fpr, fnr, ppv, npv"
    )
    band: tuple[float, float] = Field(description="[low, high] with 0 < low < 1 < high")
    min_group_size: MinSize = Field(description="a whole number, at least 10")
    family_alpha: Share = Field(description="a number between 0 and 1, e.g. 0.05")

    @field_validator("band")
    @classmethod
    def _band_brackets_one(cls, band: tuple[float, float]) -> tuple[float, float]:
        low, high = band
        if not 0 < low < 1 < high:
            raise ValueError(f"the band [{low}, {high}] must have 0 < low < 1 < high")
        return band

    @field_validator("metrics")
    @classmethod
    def _unique(cls, metrics: list[str]) -> list[str]:
        if len(set(metrics)) != len(metrics):
            raise ValueError(f"metrics {metrics} lists a metric twice")
        return metrics


class CalibrationPolicy(_Section):
    """Observed outcome rates by group among the highest scores."""

    group: AuditGroup = Field(description=AUDIT_GROUP_DESCRIPTION)
    min_score: Score = Field(description="a whole score from 2 to 20")
    max_difference: Share = Field(description="a number between 0 and 1")
    min_group_size: MinSize = Field(description="a whole number, at least 10")
    family_alpha: Share = Field(description="a number between 0 and 1, e.g. 0.05")


class ThresholdNearPolicy(_Section):
    """Outcomes just below and just above the screening threshold."""

    score_threshold: Score = Field(description="a whole score from 2 to 20")
    outcome: str = Field(min_length=1, description="an outcome column, e.g. rereferral_2y")
    min_rows_per_side: MinSize = Field(description="a whole number, at least 10")


class ProxyPolicy(_Section):
    """How well group membership can be predicted from the model's own features."""

    group: AuditGroup = Field(description=AUDIT_GROUP_DESCRIPTION)
    max_auc: Auc = Field(description="a number from 0.5 to 1")
    min_group_size: MinSize = Field(description="a whole number, at least 10")
    folds: int = Field(ge=2, le=20, description="a whole number from 2 to 20")
    top_features: int = Field(ge=1, le=20, description="a whole number from 1 to 20")


class DominancePolicy(_Section):
    """No single feature may carry most of the score."""

    max_share: Share = Field(description="a number between 0 and 1")


class GatePolicy(_Section):
    """A whole policy file.

    Attributes
    ----------
    version, name : str
        Recorded with every promotion decision.
    performance, disparity, calibration_within_groups, threshold_near, proxy, dominance
        One section per family of gates.
    source, sha256 : str
        Where the policy was read from and the hash of its bytes (set by the loader).
    """

    version: str = Field(min_length=1, description='text, e.g. "2026.1"')
    name: str = Field(default="", description="text")
    performance: PerformancePolicy
    disparity: DisparityPolicy
    calibration_within_groups: CalibrationPolicy
    threshold_near: ThresholdNearPolicy
    proxy: ProxyPolicy
    dominance: DominancePolicy
    source: str = Field(default="<string>", exclude=True)
    sha256: str = Field(default="", exclude=True)


SECTIONS: Final = tuple(
    name for name in GatePolicy.model_fields if name not in ("version", "name", "source", "sha256")
)


def load_policy(path: str | os.PathLike[str] | None = None) -> GatePolicy:
    """Read and check a gate policy file.

    Parameters
    ----------
    path : str or os.PathLike, optional
        The YAML file; defaults to the shipped ``training/gate_policy.yaml``.

    Returns
    -------
    GatePolicy

    Raises
    ------
    GatePolicyError
        The file cannot be read or anything in it is invalid; the message names the file, the
        gate, the field and what is accepted.
    """
    source = os.fspath(path if path is not None else DEFAULT_POLICY_PATH)
    try:
        data = Path(source).read_bytes()
    except OSError as exc:
        raise GatePolicyError(f"{source}: cannot read gate policy: {exc.strerror}") from None
    return parse_policy(data, source=source)


def parse_policy(text: str | bytes, *, source: str = "<string>") -> GatePolicy:
    """Check a gate policy given as YAML text.

    Parameters
    ----------
    text : str or bytes
    source : str
        Name used in error messages.

    Returns
    -------
    GatePolicy

    Raises
    ------
    GatePolicyError
        Anything is invalid.
    """
    raw = text.encode("utf-8") if isinstance(text, str) else text
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        raise GatePolicyError(f"{source}: not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise GatePolicyError(
            f"{source}: expected a mapping with 'version' and the sections "
            f"{', '.join(SECTIONS)}; got {type(data).__name__}"
        )
    accepted_top = ("version", "name", *SECTIONS)
    for key in data:
        if key not in accepted_top:
            raise GatePolicyError(
                f"{source}: unknown gate '{key}'; accepted: {', '.join(accepted_top)}"
            )
    try:
        policy = GatePolicy.model_validate(data)
    except ValidationError as exc:
        raise GatePolicyError(f"{source}: {_describe(exc)}") from None
    return policy.model_copy(update={"source": source, "sha256": hashlib.sha256(raw).hexdigest()})


def _describe(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    # A misspelt key also shows up as the real key missing: name the misspelling first.
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = [str(part) for part in error["loc"]]
    section, field_path = (loc[0], loc[1:]) if loc else ("", [])
    if section not in SECTIONS:
        accepted = _accepted(GatePolicy, section)
        return f"{section}: {_message(error)}; accepted: {accepted}"
    model: type[BaseModel] = GatePolicy.model_fields[section].annotation  # type: ignore[assignment]
    where = f"gate '{section}'"
    if error["type"] == "extra_forbidden":
        keys = ", ".join(model.model_fields)
        return f"{where}: unknown key '{field_path[-1]}'; accepted keys: {keys}"
    if error["type"] == "missing" and not field_path:
        return f"{where}: missing; give the section with keys {', '.join(model.model_fields)}"
    if not field_path:
        return f"{where}: {_message(error)}; accepted: a mapping of {', '.join(model.model_fields)}"
    name = field_path[0]
    return f"{where}: {'.'.join(field_path)}: {_message(error)}; accepted: {_accepted(model, name)}"


def _message(error: Any) -> str:
    msg = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "missing":
        return "missing"
    return f"{msg} (got {error['input']!r})"


def _accepted(model: type[BaseModel], name: str) -> str:
    field = model.model_fields.get(name)
    return (field.description if field is not None else None) or "see docs/promotion.md"
