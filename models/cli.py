"""`hotline models`: list, show and trace registered versions; roll the champion back."""

from __future__ import annotations

import json
from pathlib import Path

import click

from models.errors import ModelError
from models.history import describe_event, rollback_champion
from models.registry import ModelRegistry

_DEFAULT_REGISTRY = Path("var/registry")


@click.group(name="models")
@click.option(
    "--registry",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="HOTLINE_REGISTRY_DIR",
    default=_DEFAULT_REGISTRY,
    show_default=True,
)
@click.pass_context
def models_group(ctx: click.Context, registry: Path) -> None:
    """List, show and trace registered models."""
    ctx.obj = ModelRegistry(registry)


@models_group.command(name="list")
@click.pass_obj
def list_command(registry: ModelRegistry) -> None:
    """List versions with their label, AUC and aliases ('-' where metadata lacks a value)."""
    versions = registry.versions()
    if not versions:
        click.echo(f"no models in {registry.root}; build one with `hotline demo`")
        return
    try:
        champion = registry.alias("champion")
    except ModelError as exc:
        # One bad file must not hide every version: list them, and say what is wrong.
        champion = None
        click.echo(f"champion alias unreadable: {exc}")
    click.echo(f"{'version':>7}  {'kind':<9} {'label':<14} {'AUC':>6}  {'trained on':>10}  alias")
    for v in versions:
        try:
            meta = registry.metadata(v)
        except ModelError as exc:
            click.echo(f"{v:>7}  unreadable: {exc}" + ("  champion" if v == champion else ""))
            continue
        metrics = meta.get("metrics")
        auc = metrics.get("auc") if isinstance(metrics, dict) else None
        click.echo(
            f"{v:>7}  {_text(meta.get('kind')):<9} {_text(meta.get('label')):<14} "
            f"{_number(auc, '.3f'):>6}  {_number(meta.get('n_rows'), ','):>10}  "
            + ("champion" if v == champion else "")
        )


def recorded_text(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """Refuse a blank ``--by`` or ``--reason``: the history records them as given.

    Parameters
    ----------
    _ctx, _param
        Click's callback arguments.
    value : str

    Returns
    -------
    str
        ``value`` without surrounding white space.

    Raises
    ------
    click.BadParameter
        ``value`` is blank.
    """
    if not value.strip():
        raise click.BadParameter("must not be blank: it is recorded in the models' history")
    return value.strip()


def say_waiting(holder: str) -> None:
    """Tell the person at the terminal who holds the registry lock they are waiting for.

    Parameters
    ----------
    holder : str
        From :meth:`ModelRegistry.lock`: pid, what it does, since when.
    """
    # Otherwise an urgent rollback behind a promotion's gates would sit silent for minutes.
    click.echo(f"waiting for the model registry's lock, held by {holder}", err=True)


def _text(value: object) -> str:
    return "-" if value is None else str(value)


def _number(value: object, spec: str) -> str:
    # Metadata is hand-editable JSON: a missing or non-numeric value is shown as '-'.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "-"
    return format(value, spec)


@models_group.command()
@click.argument("version")
@click.pass_obj
def show(registry: ModelRegistry, version: str) -> None:
    """Show one version's metadata as JSON (VERSION may be a number or an alias)."""
    try:
        meta = registry.metadata(registry.resolve(version))
    except ModelError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(meta, indent=2, sort_keys=True))


@models_group.command()
@click.option("--json", "as_json", is_flag=True, help="One raw JSON record per line.")
@click.pass_obj
def history(registry: ModelRegistry, as_json: bool) -> None:
    """Show every promotion, refusal, waiver and rollback, oldest first."""
    try:
        events = registry.history()
    except ModelError as exc:
        raise click.ClickException(str(exc)) from exc
    if not events and not as_json:
        # Said, not left blank: an empty answer reads like a wrong --registry or a failure.
        click.echo(f"no promotions, refusals or rollbacks recorded in {registry.root} yet")
    for event in events:
        click.echo(json.dumps(event, sort_keys=True) if as_json else describe_event(event))


@models_group.command()
# Required, as for a promotion: a rollback changes what every screener sees.
@click.option("--by", required=True, callback=recorded_text, help="Who rolls back (recorded).")
@click.option("--reason", required=True, callback=recorded_text, help="Why (recorded).")
@click.pass_obj
def rollback(registry: ModelRegistry, by: str, reason: str) -> None:
    """Return the champion to the version it was before the current one."""
    try:
        was, now = rollback_champion(registry, by=by, reason=reason, on_wait=say_waiting)
    except ModelError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"champion is version {now} again (was version {was})")
