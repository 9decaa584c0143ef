"""Open the reports in real headless Chromium: every chart drew, no console errors."""

import re
import shutil
import subprocess

import pytest

from fairness import disparity_audit, render_report, threshold_near
from tests.fairness.factories import audit_frame, rd_frame

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium(tmp_path, name, *args):
    profile = tmp_path / f"profile-{name}"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


@pytest.mark.browser
def test_report_renders_every_chart_without_errors(tmp_path):
    audit = disparity_audit(
        audit_frame(5000, shift=0.08, seed=1),
        label="removed",
        score="score",
        groups=["race", "sex"],
        threshold=16,
    )
    rd = threshold_near(
        rd_frame(4000, jump=-0.12, seed=2),
        running="p",
        cutoff=0.5,
        outcome="rereferred",
        treatment="screened_in",
    )
    page = tmp_path / "report.html"
    page.write_text(render_report(audit=audit, threshold=rd), encoding="utf-8")
    # views race, race (any mention), sex, race & sex: a rates chart each, plus calibration and
    # score distribution for race and sex; plus the threshold-near chart.
    expected = 4 + 2 * 2 + 1
    assert page.read_text().count("<svg data-chart=") == expected

    dom = _chromium(tmp_path, "dom", "--virtual-time-budget=2000", "--dump-dom", page.as_uri())
    body = re.search(r"<body([^>]*)>", dom.stdout)
    assert body is not None, dom.stderr[-2000:]
    attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', body.group(1)))
    assert attrs["data-charts-total"] == str(expected)
    assert attrs["data-charts-ok"] == str(expected)
    assert attrs["data-errors"] == "[]"

    screenshot = tmp_path / "report.png"
    _chromium(
        tmp_path,
        "shot",
        "--hide-scrollbars",
        "--window-size=1000,3000",
        f"--screenshot={screenshot}",
        page.as_uri(),
    )
    assert screenshot.stat().st_size > 10_000
    print(f"screenshot: {screenshot}")  # noqa: T201
