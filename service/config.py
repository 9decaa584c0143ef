"""Settings of the service, read only at the edges (app factory, CLI). Prefix ``HOTLINE_``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Final, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent

DATABASE_URL_FORMS: Final = "sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB"
"""The decision-log URLs the service takes, as error messages name them."""
DEV_PSEUDONYM_KEY: Final = "dev-only-pseudonym-key-NOT-A-SECRET-change-me"
"""Lets `make run` work out of the box; refused when ``environment`` is ``production``."""


class ServiceSettings(BaseSettings):
    """Everything the service needs to start.

    Attributes
    ----------
    registry_dir : pathlib.Path
        Model registry; the service scores with its ``model_alias``.
    model_alias : str
        Alias to load (``champion``).
    model_poll_seconds : float
        How often each worker checks whether the alias moved and whether the rules file or
        the directory changed (``HOTLINE_MODEL_POLL_SECONDS``).
    rules_file : pathlib.Path
        Policy rules (YAML). The service refuses to start on an invalid file.
    directory_path : pathlib.Path
        Community-services directory (HSDS 3.0, tabular package or JSON).
    host, port, workers : str, int, int
        Where `hotline serve` listens.
    environment : {"dev", "test", "production"}
        ``production`` refuses the development pseudonym key.
    database_url : str
        Decision log: ``sqlite:///path.db`` (default ``var/decisions.db``) or a PostgreSQL URL.
    pseudonym_key : pydantic.SecretStr
        HMAC key replacing family identifiers in the log (``HOTLINE_PSEUDONYM_KEY``).
    monitor_threshold : int
        Score at or above which the tool alone counts as "screen in" in monitoring, 2-20
        (at 1 every score is "screen in" and there is no threshold to compare families near).
    report_min_cell : int
        Fewest decisions a race group or unit row of the monitoring report may describe
        (smaller ones are pooled, or left out); 1 pools none.
    key_cache_seconds : float
        How long a replica trusts a looked-up API key; a revoke takes effect within this.
    max_body_bytes : int
        Largest request body accepted (413 beyond), ``HOTLINE_MAX_BODY_BYTES``.
    body_timeout_seconds : float
        Longest a request's whole body may take to arrive (408 beyond),
        ``HOTLINE_BODY_TIMEOUT_SECONDS``.
    max_in_flight : int
        Requests one worker handles at once; the excess gets 503 ``overloaded`` with
        ``Retry-After`` at once (``HOTLINE_MAX_IN_FLIGHT``).
    log_max_batch : int
        Most score records per decision-log transaction (group commit); 1 disables batching.
    """

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    registry_dir: Path = Path("var/registry")
    model_alias: str = "champion"
    model_poll_seconds: float = Field(default=2.0, gt=0, le=3600)
    rules_file: Path = PACKAGE_DIR / "rules" / "default_rules.yaml"
    directory_path: Path = Path("data/directory")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    referral_limit: int = Field(default=5, ge=3, le=50)
    environment: Literal["dev", "test", "production"] = "dev"
    database_url: str = "sqlite:///var/decisions.db"
    pseudonym_key: SecretStr = SecretStr(DEV_PSEUDONYM_KEY)
    monitor_threshold: int = Field(default=16, ge=2, le=20)
    report_min_cell: int = Field(default=10, ge=1, le=1000)
    key_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, le=64 * 1024 * 1024)
    body_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    max_in_flight: int = Field(default=32, ge=1, le=10_000)
    log_max_batch: int = Field(default=256, ge=1, le=10_000)

    @model_validator(mode="after")
    def _enforce_secret_pseudonym_key(self) -> ServiceSettings:
        # A known key lets anyone recompute the hash of a household id and find its records.
        key = self.pseudonym_key.get_secret_value()
        if self.environment == "production" and (key == DEV_PSEUDONYM_KEY or len(key) < 32):
            raise ValueError(
                "HOTLINE_PSEUDONYM_KEY is the development default or shorter than 32 characters; "
                "set a random secret of at least 32 characters, e.g. from "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        return self


@lru_cache
def get_settings() -> ServiceSettings:
    """Return the process-wide settings.

    Returns
    -------
    ServiceSettings
    """
    return ServiceSettings()
