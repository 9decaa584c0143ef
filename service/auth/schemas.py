"""Request and response bodies of key management (``/v1/keys``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from service.auth.permissions import Role

KeyName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$",
        description="Who or what holds the key: letters, digits, . _ @ -",
    ),
]


class KeyCreate(BaseModel):
    """A key to create."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: KeyName
    role: Role


class KeyInfo(BaseModel):
    """A stored key, without its secret."""

    key_id: str
    name: str
    role: Role
    created_at: str
    revoked_at: str | None


class KeyCreated(KeyInfo):
    """A new key: ``key`` is shown this once and never stored."""

    key: str = Field(description="The API key; store it now, it cannot be shown again.")


class KeyList(BaseModel):
    """Keys, oldest first."""

    keys: list[KeyInfo]
