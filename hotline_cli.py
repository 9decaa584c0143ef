"""The `hotline` command: a thin front door over each package's own CLI. No logic here."""

from __future__ import annotations

import click

from fairness.cli import audit, threshold_near
from models.cli import models_group
from service.auth.cli import keys_group
from service.cli import serve
from service.decision_log.cli import log_group, monitor, outcomes_group
from service.rules.cli import rules
from training.cli import demo, promote, synth, train_command


@click.group()
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
