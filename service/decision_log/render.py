"""The monitoring report as JSON and as one self-contained HTML page."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from fairness import render_report
from service.decision_log.schemas import OverrideList

_ENV = Environment(
    loader=PackageLoader("service.decision_log", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
)


def report_json(report: dict[str, Any]) -> dict[str, Any]:
    """Drop the in-memory result objects, keeping the JSON-ready numbers.

    Parameters
    ----------
    report : dict
        From :func:`service.decision_log.monitoring.monitoring_report`.

    Returns
    -------
    dict
    """
    return {k: _strip(v) for k, v in report.items()}


def render_monitoring(
    report: dict[str, Any], *, model_version: int | None = None, overrides_url: str | None = None
) -> str:
    """Render the report as HTML; the fairness audits are the fairness package's own pages.

    Parameters
    ----------
    report : dict
    model_version : int, optional
        The version of the model in service, whose audit bundle the page links (relative
        to ``/v1/reports/monitoring``): given by the API; a file written by ``hotline
        monitor`` has nowhere to link to.
    overrides_url : str, optional
        Where the list of the overrides counted is (relative, with the report's period): given
        by the API, for the same reason.

    Returns
    -------
    str
    """
    embedded = {}
    for key, title in (("audit_tool", "Tool alone"), ("audit_decisions", "Screening decisions")):
        result = report[key].get("_result")
        if result is not None:
            page = render_report(audit=result, title=f"Screen-in rates by group: {title.lower()}")
            embedded[key] = html.escape(page, quote=True)
    near = report["threshold_near"].get("_result")
    if near is not None:
        embedded["threshold_near"] = html.escape(render_report(threshold=near), quote=True)
    template = _ENV.get_template("monitoring.html.j2")
    return template.render(
        r=report_json(report),
        embedded=embedded,
        model_version=model_version,
        overrides_url=overrides_url,
    )


def write_monitoring(
    report: dict[str, Any], out: str | Path, *, overrides: OverrideList | None = None
) -> tuple[Path, Path]:
    """Write ``monitoring.json`` and ``monitoring.html`` into ``out``, and ``overrides.json``.

    Parameters
    ----------
    report : dict
    out : str or pathlib.Path
    overrides : OverrideList, optional
        The decisions behind the override counts
        (:func:`~service.decision_log.overrides.list_overrides`), written as
        ``overrides.json`` beside the page, which links it.

    Returns
    -------
    tuple of pathlib.Path
        The report's JSON and HTML files.
    """
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    json_path, html_path = directory / "monitoring.json", directory / "monitoring.html"
    json_path.write_text(json.dumps(report_json(report), indent=2) + "\n", encoding="utf-8")
    link = None
    if overrides is not None:
        link = "overrides.json"
        (directory / link).write_text(overrides.model_dump_json(indent=2) + "\n", encoding="utf-8")
    html_path.write_text(render_monitoring(report, overrides_url=link), encoding="utf-8")
    return json_path, html_path


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != "_result"}
    return value
