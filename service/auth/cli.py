"""`hotline keys`: create, list and revoke API keys; `ensure-demo` for `make run`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import click
from pydantic import TypeAdapter, ValidationError

from service.auth.errors import AuthError, KeyNotFound
from service.auth.keys import MAX_KEY_CHARS, key_id_of, presentable
from service.auth.permissions import Role
from service.auth.schemas import KeyName
from service.auth.store import create_key, find_key, list_keys, revoke_key
from service.config import get_settings
from service.decision_log import DecisionLog, DecisionLogError
from service.decision_log.cli import DATABASE_URL_OPTION
from service.decision_log.startup import opened_log

DEMO_NAME = "demo"


@contextmanager
def _open(database_url: str | None, *, create: bool = False) -> Iterator[DecisionLog]:
    try:
        with opened_log(database_url, create=create) as decision_log:
            yield decision_log
    except (AuthError, DecisionLogError) as exc:
        raise click.ClickException(str(exc)) from exc


def _key_name(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    # The same rule as POST /v1/keys: a blank name, or one holding a line break, would make
    # `keys list` unreadable and `keys revoke ''` revoke something.
    try:
        return str(TypeAdapter(KeyName).validate_python(value))
    except ValidationError as exc:
        raise click.BadParameter(
            "letters, digits, . _ @ - (starting with a letter or digit), at most 100"
        ) from exc


@click.group("keys")
def keys_group() -> None:
    """Create, list and revoke API keys (stored only as hashes)."""


@keys_group.command("create")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option(
    "--name",
    required=True,
    callback=_key_name,
    help="Who or what holds the key (unique while active): letters, digits, . _ @ -",
)
@DATABASE_URL_OPTION
def create_command(role: str, name: str, database_url: str | None) -> None:
    """Create a key and print it once; only its hash is stored."""
    with _open(database_url) as decision_log:
        record, token = create_key(decision_log, name=name, role=Role(role))
        where = decision_log.engine.url.render_as_string(hide_password=True)
    # Which database: a service started elsewhere, on another URL, would not know this key.
    click.echo(
        f"created key {record.key_id} ({record.name}, {record.role}) in {where}; shown once:",
        err=True,
    )
    click.echo(token)


@keys_group.command("list")
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked keys.")
@DATABASE_URL_OPTION
def list_command(include_revoked: bool, database_url: str | None) -> None:
    """List keys: id, name, role, created, revoked (never the secret)."""
    with _open(database_url) as decision_log:
        records = list_keys(decision_log, include_revoked=include_revoked)
    for r in records:
        revoked = f"  revoked {r.revoked_at}" if r.revoked_at else ""
        click.echo(f"{r.key_id}  {r.name:<24} {r.role:<15} created {r.created_at}{revoked}")
    if not records:
        click.echo("no keys; create one with `hotline keys create --role R --name N`", err=True)


@keys_group.command("revoke")
@click.argument("name_or_id")
@DATABASE_URL_OPTION
def revoke_command(name_or_id: str, database_url: str | None) -> None:
    """Revoke a key by name or id (every replica refuses it within the key cache TTL)."""
    with _open(database_url) as decision_log:
        record = revoke_key(decision_log, name_or_id)
    ttl = get_settings().key_cache_seconds
    click.echo(f"revoked {record.key_id} ({record.name}); refused everywhere within {ttl:g} s")


@keys_group.command("ensure-demo")
@DATABASE_URL_OPTION
def ensure_demo(database_url: str | None) -> None:
    """Make a demo screener key and print it with a curl example (`make run`).

    HOTLINE_DEMO_KEY, if set, is used as the key itself, so scripts know it in advance.
    Otherwise a fresh random key replaces the previous demo key (only hashes are stored, so
    an old key cannot be shown again). Refused when HOTLINE_ENVIRONMENT is production.
    """
    settings = get_settings()
    if settings.environment == "production":
        raise click.ClickException("no demo key in production; use `hotline keys create`")
    wanted = os.environ.get("HOTLINE_DEMO_KEY", "").strip() or None
    if wanted is not None and not presentable(wanted):
        # Stored as it is, it would be printed as the demo key and then refused (401) on
        # every request: a request cannot carry it unchanged, or it is over the length limit.
        raise click.ClickException(
            f"HOTLINE_DEMO_KEY must be 1 to {MAX_KEY_CHARS} printable ASCII characters "
            "(letters, digits, punctuation, spaces); a request header cannot carry others"
        )
    # Creates the log on a fresh clone: `make run` makes the demo key before the service starts.
    with _open(database_url, create=True) as decision_log:
        existing = find_key(decision_log, key_id_of(wanted)) if wanted else None
        if existing is not None and existing.active and existing.role is Role.screener:
            token = wanted
        elif existing is not None:
            raise click.ClickException(
                "HOTLINE_DEMO_KEY names a key that is revoked or not a screener's; choose another"
            )
        else:
            with suppress(KeyNotFound):
                revoke_key(decision_log, DEMO_NAME)
            _, token = create_key(decision_log, name=DEMO_NAME, role=Role.screener, token=wanted)
    url = f"http://{settings.host}:{settings.port}"
    click.echo(
        "\n"
        f"  Demo screener API key: {token}\n"
        f"  Try:  curl -s -X POST {url}/v1/score -H 'Authorization: Bearer {token}' \\\n"
        "             -H 'content-type: application/json' -d @examples/referral.json\n"
        "  (set HOTLINE_DEMO_KEY to choose it; `hotline keys create` for other roles)\n"
    )
