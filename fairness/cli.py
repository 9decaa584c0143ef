"""Command-line entry points: ``audit`` and ``threshold-near``.

Each command parses its options, reads the file, calls one library function, writes JSON and
HTML, and prints a short summary. Errors of this package print as one line and exit 1; bad
option syntax exits 2 (click's usage error). The ``hotline`` front door adds both commands.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from fairness.audit import disparity_audit
from fairness.errors import FairnessError
from fairness.io import read_table
from fairness.report import write_audit, write_threshold_near
from fairness.threshold_near import threshold_near as run_threshold_near
from models.cli_types import FiniteFloat

_DATA = click.option(
    "--data",
    "data",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV or Parquet file, one row per case.",
)
_OUT = click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the JSON and HTML outputs (created if needed).",
)


def _fail(exc: FairnessError) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(1)


def _parse_reference(values: tuple[str, ...]) -> str | dict[str, str] | None:
    if not values:
        return None
    if len(values) == 1 and "=" not in values[0]:
        return values[0]
    mapping: dict[str, str] = {}
    for value in values:
        view, sep, group = value.partition("=")
        if not sep:
            raise click.BadParameter(
                f"'{value}': with several --reference give each as COLUMN=GROUP",
                param_hint="--reference",
            )
        mapping[view] = group
    return mapping


@click.command("audit")
@_DATA
@click.option("--label", required=True, help="Binary outcome column (1 = adverse outcome).")
@click.option("--score", required=True, help="Numeric score column (1-20 score or probability).")
@click.option("--threshold", type=FiniteFloat(), help="Select a case when score >= threshold.")
@click.option(
    "--group", "groups", multiple=True, required=True, help="Group column; repeat for several."
)
@click.option("--decision", help="Binary column of what people decided (replaces --threshold).")
@click.option(
    "--reference",
    multiple=True,
    help="Reference group (default: the largest), or COLUMN=GROUP per column.",
)
@click.option(
    "--min-group-size",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Smaller groups are shown with a warning, never flagged.",
)
@click.option(
    "--multi-label",
    default="multiracial",
    show_default=True,
    help="Group name for cells holding several values (a|b).",
)
@_OUT
def audit(
    data: Path,
    label: str,
    score: str,
    threshold: float | None,
    groups: tuple[str, ...],
    decision: str | None,
    reference: tuple[str, ...],
    min_group_size: int,
    multi_label: str,
    out: Path,
) -> None:
    """Audit selection and error rates by group; write audit.json and audit.html."""
    try:
        frame = read_table(data)
        result = disparity_audit(
            frame,
            label=label,
            score=score,
            groups=list(groups),
            threshold=threshold,
            decision=decision,
            reference=_parse_reference(reference),
            min_group_size=min_group_size,
            multi_label=multi_label,
        )
        json_path, html_path = write_audit(result, out)
    except FairnessError as exc:
        _fail(exc)
        return
    for line in result.summary:
        click.echo(f"- {line}")
    click.echo(f"wrote {json_path} and {html_path}")


@click.command("threshold-near")
@_DATA
@click.option("--running", required=True, help="Running variable (best: the probability).")
@click.option(
    "--cutoff",
    required=True,
    type=FiniteFloat(),
    help="Cases with running >= cutoff are above.",
)
@click.option("--outcome", required=True, help="Outcome column (e.g. re-referral, 0/1).")
@click.option("--treatment", help="Binary column of what was done (e.g. screened in): fuzzy RD.")
@click.option("--group", help="Group column for per-group estimates.")
@click.option(
    "--higher-is-better",
    is_flag=True,
    help="The outcome is good news (default: higher outcome is worse).",
)
@click.option(
    "--margin",
    type=FiniteFloat(min=0.0),
    default=0.02,
    show_default=True,
    help="Smallest benefit of being above the cutoff that matters (outcome units).",
)
@_OUT
def threshold_near(
    data: Path,
    running: str,
    cutoff: float,
    outcome: str,
    treatment: str | None,
    group: str | None,
    higher_is_better: bool,
    margin: float,
    out: Path,
) -> None:
    """Compare outcomes just below and above a cutoff (regression discontinuity)."""
    try:
        frame = read_table(data)
        result = run_threshold_near(
            frame,
            running=running,
            cutoff=cutoff,
            outcome=outcome,
            treatment=treatment,
            group=group,
            higher_is_worse=not higher_is_better,
            margin=margin,
        )
        json_path, html_path = write_threshold_near(result, out)
    except FairnessError as exc:
        _fail(exc)
        return
    click.echo(result.reading["text"])
    click.echo(f"Density test: {result.density_test['reading']}.")
    click.echo(f"wrote {json_path} and {html_path}")


@click.group()
def main() -> None:
    """Fairness audit and threshold-near outcomes (also available as ``hotline``)."""


main.add_command(audit)
main.add_command(threshold_near)
