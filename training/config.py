"""Settings of the training side, read only by its CLI (prefix ``HOTLINE_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class TrainingSettings(BaseSettings):
    """Where training reads and writes; flags on the command line override these.

    Attributes
    ----------
    registry_dir : pathlib.Path
        The model registry (shared with the service).
    data_dir : pathlib.Path
        Where `hotline synth` and `hotline demo` write data.
    """

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    registry_dir: Path = Path("var/registry")
    data_dir: Path = Path("var/data")


@lru_cache
def get_settings() -> TrainingSettings:
    """Return the process-wide training settings.

    Returns
    -------
    TrainingSettings
    """
    return TrainingSettings()
