"""Self-contained HTML reports for supervisors: findings first, then tables and charts.

The page carries its styles, its SVG charts and a small script of its own, and a
Content-Security-Policy that forbids any network fetch, so it opens offline from a file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Final

import jinja2
from markupsafe import Markup

from fairness.audit import AuditResult
from fairness.charts import Interval, Series, interval_chart, xy_chart
from fairness.metrics import RATE_NAMES
from fairness.summary import ratio_text
from fairness.threshold_near import ThresholdNearResult

REPORT_CSP: Final = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
)
"""The reports' Content-Security-Policy: inline styles, script and images, no fetch at all.
In the page's ``<meta>`` (it opens offline from a file) and in the header of a server that
serves it (:mod:`service.api.model_reports`)."""

METRIC_LABELS: Final = {
    "selection_rate": "selected",
    "base_rate": "outcome rate",
    "fpr": "FPR",
    "fnr": "FNR",
    "ppv": "PPV",
    "npv": "NPV",
}
CHART_METRICS: Final = ("selection_rate", "fpr", "fnr", "ppv")

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("fairness", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def render_report(
    *,
    audit: AuditResult | None = None,
    threshold: ThresholdNearResult | None = None,
    title: str | None = None,
) -> str:
    """Render an audit, a threshold-near analysis, or both, as one HTML page.

    Parameters
    ----------
    audit : AuditResult, optional
        Output of :func:`fairness.disparity_audit`.
    threshold : ThresholdNearResult, optional
        Output of :func:`fairness.threshold_near`.
    title : str, optional
        Page title; a default names what is shown.

    Returns
    -------
    str
        A complete HTML document.
    """
    audit_d = audit.to_dict() if audit is not None else None
    rd_d = threshold.to_dict() if threshold is not None else None
    level = (audit_d or rd_d or {}).get("meta", {}).get("level", 0.95)
    default_title = (
        "Disparity audit"
        if rd_d is None
        else ("Threshold-near outcomes" if audit_d is None else "Fairness report")
    )
    return _ENV.get_template("report.html.j2").render(
        csp=REPORT_CSP,
        title=title or default_title,
        audit=audit_d,
        audit_views=_audit_views(audit_d) if audit_d else [],
        metric_names=list(RATE_NAMES),
        metric_labels=METRIC_LABELS,
        rd=rd_d,
        rd_chart=Markup(_rd_chart(rd_d)) if rd_d else "",
        rd_rows=_rd_rows(rd_d) if rd_d else [],
        pct_level=f"{level:.0%}",
        pts=lambda v: "n/a" if v is None else f"{100.0 * v:+.1f} points",
        # JSON-ready results hold None for NaN; the page says "n/a" rather than failing.
        num=lambda v, spec=".4f": "n/a" if v is None else format(v, spec),
    )


def write_audit(result: AuditResult, out: str | Path) -> tuple[Path, Path]:
    """Write ``audit.json`` and ``audit.html`` into ``out`` (created if needed).

    Parameters
    ----------
    result : AuditResult
        The audit.
    out : str or pathlib.Path
        Output directory.

    Returns
    -------
    tuple of pathlib.Path
        The JSON and HTML paths.
    """
    return _write(out, "audit", result.to_dict(), render_report(audit=result))


def write_threshold_near(result: ThresholdNearResult, out: str | Path) -> tuple[Path, Path]:
    """Write ``threshold_near.json`` and ``threshold_near.html`` into ``out``.

    Parameters
    ----------
    result : ThresholdNearResult
        The analysis.
    out : str or pathlib.Path
        Output directory.

    Returns
    -------
    tuple of pathlib.Path
        The JSON and HTML paths.
    """
    return _write(out, "threshold_near", result.to_dict(), render_report(threshold=result))


def _write(out: str | Path, stem: str, data: dict[str, Any], html: str) -> tuple[Path, Path]:
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    json_path, html_path = directory / f"{stem}.json", directory / f"{stem}.html"
    json_path.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    html_path.write_text(html, encoding="utf-8")
    return json_path, html_path


def _ratio_text(
    ratio: float | None,
    value: float | None = None,
    ref_value: float | None = None,
    edges: tuple[float, ...] = (),
) -> str:
    if ratio is not None:
        # A flagged 0.7996 must not read "0.80", inside the band it is outside of.
        return ratio_text(ratio, edges)
    # JSON has no infinity: a ratio saved as null over a reference rate of 0 was infinite.
    if value is not None and ref_value == 0 and value > 0:
        return "\u221e"
    return ""


def _cell(value: float | None, ci: list[float | None] | None) -> Markup:
    if value is None:
        return Markup("&ndash;")
    text = f"{100.0 * value:.1f}%"
    if ci and ci[0] is not None and ci[1] is not None:
        return Markup('{}<br><span class="ci">{:.1f}&ndash;{:.1f}</span>').format(
            text, 100.0 * ci[0], 100.0 * ci[1]
        )
    return Markup("{}").format(text)


def _audit_views(audit: dict[str, Any]) -> list[dict[str, Any]]:
    views = []
    for v_index, name in enumerate(audit["meta"]["views"]):
        groups = audit["groups"][name]
        reference = audit["reference"][name]
        base = groups[reference] if reference is not None else {}
        band = tuple(audit["meta"]["band"])
        flagged = {(f["group"], f["metric"]) for f in audit["flags"] if f["column"] == name}
        rows = []
        for label, g in groups.items():
            cells = {m: _cell(g[m], g[f"{m}_ci"]) for m in RATE_NAMES}
            auc = g["auc"]
            cells["auc"] = Markup("&ndash;") if auc is None else Markup(f"{auc:.3f}")
            # A group without a recorded value has no ratios: it was not compared.
            ratios = dict.fromkeys((*RATE_NAMES, "auc"), "")
            ratios.update(
                {
                    m: (
                        _ratio_text(r, g.get(m), base.get(m), band)
                        if m in RATE_NAMES
                        else _ratio_text(r)
                    )
                    for m, r in audit["ratios"][name].get(label, {}).items()
                }
            )
            rows.append(
                {
                    "label": label,
                    "count": g["count"],
                    "small": g["small"],
                    "recorded": g["recorded"],
                    "warning": g["warning"],
                    "cells": cells,
                    "ratios": ratios,
                }
            )
        charts = [Markup(_rates_chart(f"rates-{v_index}", name, groups))]
        if name in audit["meta"]["group_columns"]:
            charts.append(Markup(_calibration_chart(f"calibration-{v_index}", name, audit)))
            charts.append(Markup(_distribution_chart(f"scores-{v_index}", name, audit)))
        views.append(
            {
                "name": name,
                "reference": reference if reference is not None else "none",
                "overlapping": name in audit["meta"]["overlapping_views"],
                "rows": rows,
                "flagged": flagged,
                "charts": charts,
            }
        )
    return views


def _rates_chart(chart_id: str, name: str, groups: dict[str, Any]) -> str:
    rows = []
    for k, metric in enumerate(CHART_METRICS):
        for label, g in groups.items():
            ci = g[f"{metric}_ci"]
            rows.append(
                Interval(
                    label=f"{METRIC_LABELS[metric]}: {label}",
                    value=g[metric],
                    low=ci[0],
                    high=ci[1],
                    colour=k,
                    note="small group" if g["small"] else "",
                )
            )
    return interval_chart(
        chart_id,
        rows,
        title=f"Selection and error rates by {name}, with intervals",
        x_label="rate",
    )


def _bin_ticks(audit: dict[str, Any]) -> list[tuple[float, str]]:
    bins = audit["score_bins"]
    step = max(1, math.ceil(len(bins) / 10))
    return [(float(b["bin"]), b["label"]) for b in bins[::step]]


def _calibration_chart(chart_id: str, name: str, audit: dict[str, Any]) -> str:
    series = []
    for k, (label, rows) in enumerate(audit["calibration"][name].items()):
        if audit["groups"][name][label]["small"]:
            continue
        series.append(
            Series(
                name=label,
                points=[(r["bin"], r["observed_rate"]) for r in rows],
                intervals=[(r["bin"], r["ci_low"], r["ci_high"]) for r in rows],
                colour=k,
            )
        )
    return xy_chart(
        chart_id,
        series,
        title=f"Calibration within {name}: observed outcome rate by score bin",
        x_label=f"score bin ({audit['meta']['score']})",
        y_label="observed outcome rate",
        x_ticks=_bin_ticks(audit),
    )


def _distribution_chart(chart_id: str, name: str, audit: dict[str, Any]) -> str:
    series = [
        Series(name=label, points=[(r["bin"], r["share"]) for r in rows], colour=k)
        for k, (label, rows) in enumerate(audit["calibration"][name].items())
        if not audit["groups"][name][label]["small"]
    ]
    return xy_chart(
        chart_id,
        series,
        title=f"Score distribution by {name}: share of each group's cases per bin",
        x_label=f"score bin ({audit['meta']['score']})",
        y_label="share of group",
        x_ticks=_bin_ticks(audit),
    )


def _rd_chart(rd: dict[str, Any]) -> str:
    plot = rd["plot"]
    bins = Series(
        name="binned mean",
        points=[(b["x"], b["mean"]) for b in plot["bins"]],
        line=False,
        colour=6,
    )
    below = Series(
        name="fit below cutoff",
        points=[tuple(p) for p in plot["fit_below"]],  # type: ignore[misc]
        dots=False,
        colour=1,
        width=2.5,
    )
    above = Series(
        name="fit above cutoff",
        points=[tuple(p) for p in plot["fit_above"]],  # type: ignore[misc]
        dots=False,
        colour=0,
        width=2.5,
    )
    return xy_chart(
        "threshold-near",
        [bins, below, above],
        title=(
            f"'{rd['meta']['outcome']}' by '{rd['meta']['running']}' around the cutoff "
            f"{rd['meta']['cutoff']:g}, with local-linear fits on each side"
        ),
        x_label=rd["meta"]["running"],
        y_label=f"mean {rd['meta']['outcome']}",
        vline=plot["cutoff"],
    )


def _rd_rows(rd: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    rows = [("outcome jump (above minus below)", rd["outcome_jump"])]
    if rd["first_stage"]:
        rows.append(("first stage (jump in treatment)", rd["first_stage"]))
    if rd["effect"]:
        rows.append(("effect of treatment (fuzzy, Wald)", rd["effect"]))
    return rows
