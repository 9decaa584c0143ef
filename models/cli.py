"""`hotline models`: list and show registered model versions."""

from __future__ import annotations

import json
from pathlib import Path

import click

from models.errors import ModelError
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
    """List versions with their label, AUC and aliases."""
    versions = registry.versions()
    if not versions:
        click.echo(f"no models in {registry.root}; build one with `hotline demo`")
        return
    champion = registry.alias("champion")
    click.echo(f"{'version':>7}  {'kind':<9} {'label':<14} {'AUC':>6}  {'trained on':>10}  alias")
    for v in versions:
        meta = registry.metadata(v)
        auc = meta.get("metrics", {}).get("auc")
        click.echo(
            f"{v:>7}  {meta.get('kind', '?'):<9} {meta.get('label', '?'):<14} "
            f"{auc if auc is None else format(auc, '.3f'):>6}  {meta.get('n_rows', 0):>10,}  "
            + ("champion" if v == champion else "")
        )


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
@click.pass_obj
def history(registry: ModelRegistry) -> None:
    """Show every promotion, refusal and alias move, oldest first."""
    for event in registry.history():
        click.echo(json.dumps(event, sort_keys=True))
