"""`hotline log`, `hotline outcomes` and `hotline monitor`: the decision log from the shell."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import click

from service.config import get_settings
from service.days import parse_day
from service.decision_log.errors import DecisionLogError
from service.decision_log.outcomes import ROWS_LISTED, OutcomeImport, record_outcomes
from service.decision_log.reference import load_reference
from service.decision_log.startup import existing_log, opened_log
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
        with opened_log(database_url, create=True):  # which brings the schema up to date
            pass
    except DecisionLogError as exc:  # already one line naming the database
        raise click.ClickException(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - any failure is reported in one line
        raise click.ClickException(f"migration failed: {exc}") from exc
    click.echo("ok: decision log at the latest schema")


@log_group.command("verify")
@DATABASE_URL_OPTION
def verify_command(database_url: str | None) -> None:
    """Walk the hash chain; print "ok: N records" or the first broken record (exit 1)."""
    try:
        # As found: verifying must not create (or upgrade) the log it is asked about.
        with existing_log(database_url) as decision_log:
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
    """Import a CSV of referral_id/household_id, event, event_date; report bad rows.

    Good rows are kept; the exit code is 1 if any row was rejected, so a script notices.
    New rows that match no scored decision, or are dated before their referral was
    received, are kept too, and named by line (the first 20 of each) on standard error.
    """
    reader = csv.DictReader(io.StringIO(_read_utf8(file), newline=""))
    _require_header(file, reader.fieldnames)
    rows, numbers = _rows_and_lines(reader)
    try:
        with opened_log(database_url) as decision_log:
            result = record_outcomes(decision_log, rows, row_numbers=numbers)
    except DecisionLogError as exc:
        raise click.ClickException(str(exc)) from exc
    for p in result.rejected:
        click.echo(f"row {p.row}, {p.column}: {p.message}", err=True)
    for line in _notices(result):
        click.echo(line, err=True)
    unmatched = len(result.unmatched_rows)
    click.echo(
        f"{result.accepted} recorded ({result.matched} matching a scored decision, "
        f"{unmatched} matching none), {result.duplicates} already on record, "
        f"{len({p.row for p in result.rejected})} rejected"
    )
    # Not a failure: such rows are recorded, and one may match a decision scored later.
    if result.rejected:
        raise click.exceptions.Exit(1)


_UNMATCHED: Final = "matches no scored decision (yet): recorded; check its id"
_BEFORE: Final = (
    "dated before its referral was received: recorded, but will not count as its outcome"
)


def _notices(result: OutcomeImport) -> list[str]:
    # By line number, and never the ids: the file has them, and a terminal may be logged.
    listed = [(n, _UNMATCHED) for n in result.unmatched_rows[:ROWS_LISTED]]
    listed += [(n, _BEFORE) for n in result.before_received_rows[:ROWS_LISTED]]
    lines = [f"row {n}: {message}" for n, message in sorted(listed)]
    for rows, what in (
        (result.unmatched_rows, "matching no scored decision"),
        (result.before_received_rows, "dated before their referral was received"),
    ):
        if len(rows) > ROWS_LISTED:
            lines.append(f"... and {len(rows) - ROWS_LISTED} more rows {what}")
    return lines


_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")


def _rows_and_lines(reader: csv.DictReader[str]) -> tuple[list[dict[str, Any]], list[int]]:
    # Each row with the line it starts on, as an editor numbers the file: the reader skips
    # blank lines, and a quoted value may hold line breaks, so a row's index says neither.
    # line_num is the record's last line; its own line breaks are counted back from it.
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    for row in reader:
        values = [v for v in row.values() if isinstance(v, str)]
        values += [v for extra in row.values() if isinstance(extra, list) for v in extra]
        rows.append(row)
        numbers.append(reader.line_num - sum(len(_LINE_BREAK.findall(v)) for v in values))
    return rows, numbers


def _require_header(file: Path, found: Sequence[str] | None) -> None:
    # A file without these columns (another delimiter, another file) would otherwise have
    # every row blamed for a missing event instead of the header once.
    columns = set(found or ())
    missing = [c for c in ("event", "event_date") if c not in columns]
    if not columns & {"referral_id", "household_id"}:
        missing.insert(0, "referral_id or household_id")
    if missing:
        shown = ", ".join(found) if found else "nothing"
        raise click.ClickException(
            f"{file}: the header has no {' and no '.join(missing)} column (found: {shown}); "
            "expected comma-separated columns referral_id and/or household_id, event, "
            "event_date"
        )


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    # click.DateTime would take 2026-3-1 and, refusing, print the usage over three lines;
    # the API takes YYYY-MM-DD only, and a refusal here is one line like the others.
    if value is None:
        return None
    try:
        return parse_day(value)
    except ValueError:
        raise click.ClickException(
            f"--{param.name} {value!r} is not a day; accepted: YYYY-MM-DD, e.g. 2026-03-31"
        ) from None


@click.command("monitor")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--since", callback=_day, help="First received day of the period (YYYY-MM-DD), included."
)
@click.option(
    "--until", callback=_day, help="Last received day of the period (YYYY-MM-DD), included."
)
@DATABASE_URL_OPTION
def monitor(
    out: Path, since: dt.date | None, until: dt.date | None, database_url: str | None
) -> None:
    """Write monitoring.html, monitoring.json and overrides.json, over a period if given."""
    from service.decision_log.decision_rows import read_decisions
    from service.decision_log.monitoring import (
        PeriodError,
        check_period,
        frame_of,
        monitoring_report,
    )
    from service.decision_log.overrides import overrides_in
    from service.decision_log.render import write_monitoring

    try:
        check_period(since=since, until=until)  # before the log is read
    except PeriodError as exc:
        raise click.ClickException(str(exc)) from exc
    settings = get_settings()
    try:
        with existing_log(database_url) as decision_log:
            decisions = read_decisions(decision_log)
    except DecisionLogError as exc:
        raise click.ClickException(str(exc)) from exc
    # One read for both: the report's frame and the cases behind its override counts.
    frame = frame_of(decisions)
    overrides = overrides_in(
        decisions, threshold=settings.monitor_threshold, since=since, until=until
    )
    reference = load_reference(settings.registry_dir, alias=settings.model_alias)
    report = monitoring_report(
        frame,
        reference,
        threshold=settings.monitor_threshold,
        min_cell=settings.report_min_cell,
        since=since,
        until=until,
    )
    json_path, html_path = write_monitoring(report, out, overrides=overrides)
    decisions = report["counts"]["decisions"]
    click.echo(
        f"wrote {html_path}, {json_path} and overrides.json ({decisions} decisions, "
        f"{overrides.total} against the tool alone)"
    )


def _read_utf8(file: Path) -> str:
    # utf-8-sig: Excel's "CSV UTF-8" starts with a byte-order mark, which plain utf-8 keeps
    # as part of the first column's name (every row then lacked "referral_id"). Decoded
    # whole, so the bad byte's line can be named (the error's offset is into what was
    # decoded: after the mark, if there is one).
    try:
        return file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        decoded = bytes(exc.object)
        line = decoded.count(b"\n", 0, exc.start) + 1
        raise click.ClickException(
            f"{file} is not UTF-8 text (byte 0x{decoded[exc.start]:02x} on line {line}); save "
            'it as "CSV UTF-8" and import it again'
        ) from exc
