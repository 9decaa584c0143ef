"""Thin, quiet wrappers around ``rdrobust`` and ``rddensity``, the methods' authors' code.

Both packages print to stdout (``Mass points detected in the running variable.``) and emit
warnings, and ``rddensity`` switches off ``FutureWarning`` process-wide when imported. Here
their output is captured and returned as notes for the report, and the import happens inside
``warnings.catch_warnings()`` so the process's warning filters are left as they were.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from fairness.errors import AnalysisError


@dataclass
class Captured:
    """Lines a third-party call printed or warned, kept as notes."""

    notes: list[str] = field(default_factory=list)


@contextlib.contextmanager
def quiet(captured: Captured) -> Iterator[None]:
    """Capture stdout and warnings raised inside the block into ``captured.notes``."""
    buffer = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(buffer):
        warnings.simplefilter("always")
        yield
    for line in buffer.getvalue().splitlines():
        if line.strip() and line.strip() not in captured.notes:
            captured.notes.append(line.strip())
    for w in caught:
        text = f"{w.category.__name__}: {w.message}".strip()
        if text not in captured.notes:
            captured.notes.append(text)


def _rdrobust() -> Callable[..., Any]:
    with warnings.catch_warnings():
        from rdrobust import rdrobust

    return rdrobust  # type: ignore[no-any-return]


def _rddensity() -> Callable[..., Any]:
    # rddensity calls warnings.simplefilter("ignore", FutureWarning) at import time; the
    # context manager restores the filters afterwards.
    with warnings.catch_warnings():
        from rddensity import rddensity

    return rddensity  # type: ignore[no-any-return]


def local_linear_jump(
    y: npt.NDArray[np.float64],
    x: npt.NDArray[np.float64],
    *,
    cutoff: float,
    fuzzy: npt.NDArray[np.float64] | None = None,
    level: float = 0.95,
    captured: Captured,
) -> dict[str, Any]:
    """Estimate the jump at the cutoff with ``rdrobust`` (local linear, MSE-optimal bandwidth).

    Parameters
    ----------
    y : numpy.ndarray
        Outcome.
    x : numpy.ndarray
        Running variable.
    cutoff : float
        Cases with ``x >= cutoff`` are above.
    fuzzy : numpy.ndarray, optional
        Treatment indicator; when given, the estimate is the fuzzy (Wald) effect and the
        first stage is returned under ``"first_stage"``.
    level : float, default 0.95
        Confidence level.
    captured : Captured
        Receives what rdrobust printed or warned.

    Returns
    -------
    dict
        ``estimate`` (conventional local-linear), ``ci_low``/``ci_high`` (robust
        bias-corrected), ``se``, ``p_value`` (robust), ``bandwidth`` (and per side),
        ``n_below``/``n_above`` (cases within the bandwidth), ``fit_below``/``fit_above``
        (intercept and slope in ``x - cutoff``), and ``first_stage`` when fuzzy.

    Raises
    ------
    AnalysisError
        When rdrobust cannot estimate (too few cases or support points).
    """
    rdrobust = _rdrobust()
    try:
        with quiet(captured):
            fit = rdrobust(y, x, c=cutoff, fuzzy=fuzzy, level=100.0 * level)
    except Exception as exc:  # noqa: BLE001 - rdrobust raises a bare Exception too
        # ValueError, LinAlgError... and `Exception("Not enough variability in the running
        # variable")`: each is data rdrobust cannot estimate from, said in one line.
        raise AnalysisError(f"rdrobust could not estimate the jump: {exc}") from exc
    out = _summarise(
        fit.coef.iloc[0, 0],
        fit.ci.loc["Robust"],
        fit.se.loc["Robust"].iloc[0],
        fit.pv.loc["Robust"].iloc[0],
        fit,
    )
    out["fit_below"] = [float(v) for v in np.asarray(fit.beta_p_l)[:, 0]]
    out["fit_above"] = [float(v) for v in np.asarray(fit.beta_p_r)[:, 0]]
    if fuzzy is not None:
        out["first_stage"] = _summarise(
            fit.tau_T.iloc[0, 0],
            fit.ci_T.loc["Robust"],
            fit.se_T.loc["Robust"].iloc[0],
            fit.pv_T.loc["Robust"].iloc[0],
            fit,
        )
    return out


def _summarise(estimate: Any, ci: Any, se: Any, pv: Any, fit: Any) -> dict[str, Any]:
    h_below, h_above = (float(v) for v in fit.bws.loc["h"])
    return {
        "estimate": float(estimate),
        "ci_low": float(ci.iloc[0]),
        "ci_high": float(ci.iloc[1]),
        "se": float(se),
        "p_value": float(pv),
        "bandwidth": h_below if math.isclose(h_below, h_above) else max(h_below, h_above),
        "bandwidth_below": h_below,
        "bandwidth_above": h_above,
        "n_below": int(fit.N_h[0]),
        "n_above": int(fit.N_h[1]),
        "interval": "robust bias-corrected (Calonico, Cattaneo and Titiunik 2014)",
    }


def density_test(
    x: npt.NDArray[np.float64], *, cutoff: float, captured: Captured
) -> dict[str, Any]:
    """Test for a jump in the density of the running variable at the cutoff (``rddensity``).

    Parameters
    ----------
    x : numpy.ndarray
        Running variable.
    cutoff : float
        The cutoff.
    captured : Captured
        Receives what rddensity printed or warned.

    Returns
    -------
    dict
        ``t``, ``p_value`` (robust, jackknife variance), ``bandwidth_below``,
        ``bandwidth_above``, ``n_below``, ``n_above`` (within the bandwidths), ``method``.
    """
    rddensity = _rddensity()
    try:
        with quiet(captured):
            fit = rddensity(x, c=cutoff)
    except (ValueError, np.linalg.LinAlgError, ZeroDivisionError, IndexError, KeyError) as exc:
        raise AnalysisError(f"rddensity could not run the density test: {exc}") from exc
    return {
        "t": float(fit.test["t_jk"]),
        "p_value": float(fit.test["p_jk"]),
        "bandwidth_below": float(fit.h["left"]),
        "bandwidth_above": float(fit.h["right"]),
        "n_below": int(fit.n["eff_left"]),
        "n_above": int(fit.n["eff_right"]),
        "method": "rddensity local-polynomial density test (Cattaneo, Jansson and Ma 2020)",
    }
