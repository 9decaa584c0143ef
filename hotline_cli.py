"""The `hotline` command: a thin front door over each package's own CLI.

Each command reports the errors it expects in one line. This is the backstop for the rest (a
setting the environment got wrong, a path that cannot be written): one line and exit 1
instead of a traceback; ``HOTLINE_DEBUG=1`` shows it.
"""

from __future__ import annotations

import os
from typing import Any

import click
from pydantic import ValidationError

from fairness.cli import audit, threshold_near
from models.cli import models_group
from service.auth.cli import keys_group
from service.cli import serve
from service.config import ServiceSettings
from service.decision_log.cli import log_group, monitor, outcomes_group
from service.rules.cli import rules
from training.cli import demo, promote, synth, train_command


def one_line(exc: Exception) -> str:
    """Say what went wrong in one line, for an error no command expected.

    Parameters
    ----------
    exc : Exception

    Returns
    -------
    str
    """
    if isinstance(exc, ValidationError) and exc.title == ServiceSettings.__name__:
        first = exc.errors()[0]
        prefix = ServiceSettings.model_config.get("env_prefix", "")
        name = prefix + "_".join(str(p) for p in first["loc"]).upper()
        return f"{name}: {first['msg']} (got {first.get('input')!r})"
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.strerror or type(exc).__name__}: {exc.filename}"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else 'no message'}"


class _Hotline(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if os.environ.get("HOTLINE_DEBUG"):
                raise
            raise click.ClickException(f"{one_line(exc)} (HOTLINE_DEBUG=1 shows where)") from exc


@click.group(cls=_Hotline)
@click.version_option(package_name="hotline-screening")
def main() -> None:
    """Hotline screening decision support: train, audit, promote and serve."""


for command in (
    synth,
    train_command,
    audit,
    threshold_near,
    promote,
    models_group,
    rules,
    serve,
    demo,
    log_group,
    outcomes_group,
    monitor,
    keys_group,
):
    main.add_command(command)
