"""What one gate found: passed, failed, skipped or waived, with the measured value and limit."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

Status = Literal["passed", "failed", "skipped", "waived"]


@dataclass(frozen=True)
class GateResult:
    """The outcome of one gate.

    Attributes
    ----------
    name : str
        Dotted gate name, e.g. ``disparity.fnr``; what ``--waive`` takes.
    status : {"passed", "failed", "skipped", "waived"}
    measured : float or None
        The value compared with the limit (None when skipped).
    limit : str
        The limit as text, e.g. ``">= 0.65"`` or ``"within 0.8-1.25"``.
    by : float or None
        How far past the limit the value is (positive when failed, negative is headroom).
    detail : str
        One plain sentence: what was measured on what, and why it passed, failed or was skipped.
    data : dict
        Supporting numbers (per-group values, top features).
    waiver : dict or None
        ``{"by": ..., "reason": ...}`` when a failed gate was waived.
    """

    name: str
    status: Status
    measured: float | None
    limit: str
    by: float | None
    detail: str
    data: dict[str, Any] = field(default_factory=dict)
    waiver: dict[str, str] | None = None

    def waived(self, *, by: str, reason: str) -> GateResult:
        """Return this failed result marked as waived by a named person, for a reason."""
        return replace(self, status="waived", waiver={"by": by, "reason": reason})

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)

    def line(self) -> str:
        """Return one line for the terminal, e.g. ``disparity.fnr  failed: ...``."""
        return f"{self.name:<40} {self.status:<7} {self.detail}"


def skipped(name: str, limit: str, reason: str) -> GateResult:
    """Build a skipped result that says why.

    Parameters
    ----------
    name, limit : str
    reason : str
        Why the gate could not be evaluated.

    Returns
    -------
    GateResult
    """
    return GateResult(name, "skipped", None, limit, None, f"skipped: {reason}")


def unmeasured(name: str, limit: str, reason: str) -> GateResult:
    """Build the failed result of a gate the policy requires but the data cannot answer.

    A fairness gate that cannot be measured (e.g. the policy's group column is missing) must
    not let a model through as if it had passed: it fails, and only a recorded waiver (who
    and why) can promote past it.

    Parameters
    ----------
    name, limit : str
    reason : str
        Why it could not be measured.

    Returns
    -------
    GateResult
    """
    return GateResult(name, "failed", None, limit, None, f"not measured: {reason}")


def at_least(name: str, measured: float, minimum: float, what: str, **data: Any) -> GateResult:
    """Build the result of a ``measured >= minimum`` check.

    Parameters
    ----------
    name : str
    measured, minimum : float
    what : str
        What was measured, for the sentence.
    **data
        Supporting numbers.

    Returns
    -------
    GateResult
    """
    return _bounded(name, measured, minimum, what, upper=False, data=data)


def at_most(name: str, measured: float, maximum: float, what: str, **data: Any) -> GateResult:
    """Build the result of a ``measured <= maximum`` check.

    Parameters
    ----------
    name : str
    measured, maximum : float
    what : str
        What was measured, for the sentence.
    **data
        Supporting numbers.

    Returns
    -------
    GateResult
    """
    return _bounded(name, measured, maximum, what, upper=True, data=data)


def _bounded(
    name: str, measured: float, limit: float, what: str, *, upper: bool, data: dict[str, Any]
) -> GateResult:
    # ``by`` is how far past the limit the value is: positive fails, negative is headroom.
    by = measured - limit if upper else limit - measured
    ok = by <= 0
    bound, side = ("maximum", "above") if upper else ("minimum", "below")
    verdict = ("at most" if upper else "at least") if ok else f"{side} the {bound} by {by:.4f}:"
    detail = f"{what} {measured:.4f} is {verdict} {limit:.4f}"
    sign = "<=" if upper else ">="
    return GateResult(
        name, "passed" if ok else "failed", measured, f"{sign} {limit}", by, detail, data
    )
