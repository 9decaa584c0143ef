"""Settings of the service, read only at the edges (app factory, CLI). Prefix ``HOTLINE_``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent


class ServiceSettings(BaseSettings):
    """Everything the service needs to start.

    Attributes
    ----------
    registry_dir : pathlib.Path
        Model registry; the service scores with its ``model_alias``.
    model_alias : str
        Alias to load (``champion``).
    rules_file : pathlib.Path
        Policy rules (YAML). The service refuses to start on an invalid file.
    directory_path : pathlib.Path
        Community-services directory (HSDS 3.0, tabular package or JSON).
    host, port, workers : str, int, int
        Where `hotline serve` listens.
    """

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    registry_dir: Path = Path("var/registry")
    model_alias: str = "champion"
    rules_file: Path = PACKAGE_DIR / "rules" / "default_rules.yaml"
    directory_path: Path = Path("data/directory")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    referral_limit: int = Field(default=5, ge=3, le=50)


@lru_cache
def get_settings() -> ServiceSettings:
    """Return the process-wide settings.

    Returns
    -------
    ServiceSettings
    """
    return ServiceSettings()
