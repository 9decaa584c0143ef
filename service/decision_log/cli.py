"""`hotline log`, `hotline outcomes` and `hotline monitor`: the decision log from the shell."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import click

from service.config import get_settings
from service.decision_log.errors import DecisionLogError
from service.decision_log.migrate import migrate
from service.decision_log.outcomes import record_outcomes
from service.decision_log.reference import load_reference
from service.decision_log.startup import opened_log
from service.decision_log.verify import verify_chain

DATABASE_URL_OPTION = click.option(
    "--database-url", default=None, help="Default: HOTLINE_DATABASE_URL."
)


@click.group("log")
def log_group() -> None:
    """Migrate and verify the decision log."""


@log_group.command("migrate")
@DATABASE_URL_OPTION
def migrate_command(database_url: str | None) -> None:
    """Create or upgrade the decision-log tables."""
    try:
        with opened_log(database_url) as decision_log:
            migrate(decision_log.engine)
    except Exception as exc:  # noqa: BLE001 - any failure is reported in one line
        raise click.ClickException(f"migration failed: {exc}") from exc
    click.echo("ok: decision log at the latest schema")


@log_group.command("verify")
@DATABASE_URL_OPTION
def verify_command(database_url: str | None) -> None:
    """Walk the hash chain; print "ok: N records" or the first broken record (exit 1)."""
    try:
        with opened_log(database_url) as decision_log:
            report = verify_chain(decision_log)
    except DecisionLogError as exc:
        raise click.ClickException(str(exc)) from exc
    if not report.ok:
        click.echo(report.line(), err=True)
        sys.exit(1)
    click.echo(report.line())


@click.group("outcomes")
def outcomes_group() -> None:
    """Record later events (re-referral, substantiation, removal, injury)."""


@outcomes_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@DATABASE_URL_OPTION
def import_command(file: Path, database_url: str | None) -> None:
    """Import a CSV of referral_id/household_id, event, event_date; report bad rows."""
    with file.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    try:
        with opened_log(database_url) as decision_log:
            result = record_outcomes(decision_log, rows, first_row=2)
    except DecisionLogError as exc:
        raise click.ClickException(str(exc)) from exc
    for p in result.rejected:
        click.echo(f"row {p.row}, {p.column}: {p.message}", err=True)
    click.echo(
        f"{result.accepted} recorded, {result.duplicates} already on record, "
        f"{len({p.row for p in result.rejected})} rejected"
    )


@click.command("monitor")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path))
@DATABASE_URL_OPTION
def monitor(out: Path, database_url: str | None) -> None:
    """Write monitoring.html and monitoring.json for supervisors."""
    from service.decision_log.monitoring import decision_frame, monitoring_report
    from service.decision_log.render import write_monitoring

    settings = get_settings()
    try:
        with opened_log(database_url) as decision_log:
            frame = decision_frame(decision_log)
    except DecisionLogError as exc:
        raise click.ClickException(str(exc)) from exc
    reference = load_reference(settings.registry_dir, alias=settings.model_alias)
    report = monitoring_report(frame, reference, threshold=settings.monitor_threshold)
    json_path, html_path = write_monitoring(report, out)
    click.echo(f"wrote {html_path} and {json_path} ({len(frame)} decisions)")
