"""The tables of the decision log (SQLAlchemy 2 declarative).

One append-only table holds every kind of record in one hash chain; the columns besides
``payload`` exist to find records (by decision, by referral or household) and to refuse
duplicates (``dedupe_key`` is unique: one score and one screening decision per decision id,
one row per outcome event). Outside the chain: score summaries for reports, rules versions
(and API keys, :mod:`service.auth.table`).
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

KINDS: Final = ("score", "screening", "referral_status", "outcome")


class Base(DeclarativeBase):
    """Declarative base of the decision-log tables."""


class LogEntry(Base):
    """One record of the chain.

    Attributes
    ----------
    seq : int
        Position in the chain, from 1, without gaps.
    kind : str
        One of :data:`KINDS`.
    decision_id : str or None
        The scoring the record belongs to (None for outcomes).
    subject_key : str or None
        Keyed hash of the referral (score records) or of the referral or household an
        outcome is about.
    dedupe_key : str or None
        Unique key that makes a repeated write idempotent or refused.
    recorded_at : str
        ISO 8601 UTC time of the write.
    payload : str
        Canonical JSON of the content.
    prev_hash, hash : str
        Predecessor's hash and this record's hash (:func:`service.decision_log.chain.record_hash`).
    """

    __tablename__ = "log_entries"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    kind: Mapped[str] = mapped_column(String(16), index=True)
    decision_id: Mapped[str | None] = mapped_column(String(64), index=True)
    subject_key: Mapped[str | None] = mapped_column(String(64), index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    recorded_at: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class ScoreSummary(Base):
    """What reports read of one score record (see :mod:`service.decision_log.summary`).

    Outside the hash chain and derived from it: written in the same transaction as its
    record, append-only by trigger, and checked against its record by
    :func:`~service.decision_log.verify.verify_chain`. A score record without one (a log
    written by another path) is read whole.

    Attributes
    ----------
    seq : int
        The score record's ``seq``.
    household_key : str
        The record's ``household_id`` (a keyed hash): indexed, so outcomes about a household
        find its scored referrals without reading every summary.
    summary : str
        Canonical JSON of the summary.
    """

    __tablename__ = "score_summaries"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey(LogEntry.seq),
        primary_key=True,
        autoincrement=False,
    )
    household_key: Mapped[str] = mapped_column(String(64), index=True)
    summary: Mapped[str] = mapped_column(Text)


class RulesVersion(Base):
    """The content each rules version was first served with, by any worker of any replica.

    Outside the hash chain, like ``api_keys``: it guards what a version means (a version is
    claimed once and keeps its content); the score records carry version and SHA-256 each.

    Attributes
    ----------
    version : str
        The rules file's ``version``.
    sha256 : str
        SHA-256 of the file first served under it.
    first_served_at : str
        ISO 8601 UTC time of the claim.
    """

    __tablename__ = "rules_versions"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    first_served_at: Mapped[str] = mapped_column(String(40))
