"""`hotline serve`: run the API with uvicorn."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from service.config import ServiceSettings, get_settings
from service.decision_log import InvalidDatabaseUrl, open_log
from service.decision_log.db import database_url_of, sqlite_file
from service.decision_log.errors import DecisionLogUnavailable
from service.decision_log.rules_versions import find_claim
from service.observability import log_config
from service.observability.metrics import MULTIPROC_ENV
from service.referrals import DirectoryError, load_directory
from service.rules import RulesError, RuleSet, RulesHolder
from service.rules.holder import claimed_for_other_content

WORKER_HEALTHCHECK_SECONDS = 60


@click.command()
@click.option("--host", default=None, help="Default: HOTLINE_HOST or 127.0.0.1.")
@click.option("--port", type=click.IntRange(1, 65535), default=None)
@click.option("--workers", type=click.IntRange(1, 64), default=None)
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the scoring API (http://127.0.0.1:8000 by default)."""
    import uvicorn

    settings = get_settings()
    _preflight(settings)
    workers = workers or settings.workers
    # One-row model evaluation gains nothing from OpenMP threads and loses CPU to them.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # One worker in a directory the operator chose is multiprocess mode too (the client reads
    # the variable): its files from an earlier run would be summed in all the same.
    if workers > 1 or os.environ.get(MULTIPROC_ENV):
        _prepare_multiprocess_metrics()
    click.echo(f"serving on http://{host or settings.host}:{port or settings.port}")
    uvicorn.run(
        "service.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        # The C parser and event loop (uvicorn[standard]); "auto" would pick them too, but
        # silently fall back to the slower pure-Python ones if they went missing.
        loop="uvloop",
        http="httptools",
        log_config=log_config("info"),
        # The observability middleware writes one JSON line per request, with its request id
        # and route template; uvicorn's own access line would repeat it without them.
        access_log=False,
        # The supervisor kills a worker that has not answered its ping within this many
        # seconds, and a spawned worker answers only once it has imported the whole service
        # (pandas, scikit-learn, the model): 4 s on an idle host here, 10-21 s on a busy one,
        # past uvicorn's default of 5, so workers were killed and respawned in a loop.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


def _preflight(settings: ServiceSettings) -> None:
    # What would stop every worker from starting is checked once here, so it is said in one
    # line instead of inside each worker's uvicorn traceback. (The model is not: without one
    # the service starts, /ready says why, and a promotion is picked up without a restart.)
    try:
        database_url_of(settings.database_url)
    except InvalidDatabaseUrl as exc:
        raise click.ClickException(f"HOTLINE_DATABASE_URL: {exc}") from None
    if not Path(settings.directory_path).exists():
        raise click.ClickException(
            f"no service directory at {settings.directory_path} (HOTLINE_DIRECTORY_PATH; "
            "relative paths are read from the current directory)"
        )
    # Read it as each worker will: an unreadable one would stop every worker in its own
    # traceback, and one with no active service would serve every family no suggestions.
    try:
        loaded = load_directory(settings.directory_path)
    except DirectoryError as exc:
        raise click.ClickException(f"HOTLINE_DIRECTORY_PATH: {exc}") from None
    if not loaded.directory.active_count:
        why = f" ({loaded.problems[0].message})" if loaded.problems else ""
        raise click.ClickException(
            f"HOTLINE_DIRECTORY_PATH: {settings.directory_path} holds no active service, so "
            f"no family would get a referral suggestion{why}"
        )
    try:
        rules = RulesHolder.from_path(settings.rules_file).current
    except RulesError as exc:
        raise click.ClickException(str(exc)) from exc
    _refuse_a_version_served_with_other_rules(settings, rules)


def _refuse_a_version_served_with_other_rules(settings: ServiceSettings, rules: RuleSet) -> None:
    # A worker started on such a file applies no rules and answers 503 (service.main): say
    # it once, here, and start none. A log that cannot be read, or holds no claims yet, is
    # left to the workers (/ready says why).
    key = settings.pseudonym_key.get_secret_value().encode()
    decision_log = open_log(settings.database_url, key=key, create=False)
    database = sqlite_file(decision_log.engine)
    try:
        if database is not None and not Path(database).is_file():
            return  # connecting would create it: a new log holds no claims anyway
        claim = find_claim(decision_log, rules.version)
    except DecisionLogUnavailable:
        return
    finally:
        decision_log.dispose()
    if claim is not None and claim.sha256 != rules.sha256:
        refusal = claimed_for_other_content(rules, since=claim.first_served_at)
        raise click.ClickException(f"HOTLINE_RULES_FILE: {refusal}")


def _prepare_multiprocess_metrics() -> None:
    # Each worker is a process with its own counters: Prometheus' multiprocess mode has them
    # write to files in one directory, which /metrics sums, whichever worker answers. Values
    # left by an earlier run would be summed too, so the directory starts empty.
    chosen = os.environ.get(MULTIPROC_ENV)
    if chosen:
        directory = Path(chosen)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
    else:
        os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="hotline-metrics-")
