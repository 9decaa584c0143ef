"""The ``api_keys`` table: one row per key, the hash only, never the key.

It lives in the decision-log database so every replica sees the same keys, but outside the
hash chain: keys are revoked by updating ``revoked_at``, which the chain's append-only rule
would forbid, and key management is not part of the record of decisions.
"""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from service.decision_log.tables import Base


class ApiKey(Base):
    """One API key.

    Attributes
    ----------
    key_id : str
        Not secret; part of a generated key, how a request finds its row.
    name : str
        Who or what holds it (unique among active keys).
    role : str
        A :class:`service.auth.permissions.Role` value.
    key_hash : str
        SHA-256 hex digest of the whole key.
    created_at, revoked_at : str, str or None
        ISO 8601 UTC times.
    """

    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    role: Mapped[str] = mapped_column(String(32))
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(40))
    revoked_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
