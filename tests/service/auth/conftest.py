"""Helpers for the auth tests (the app and its keys: tests/service/conftest.py)."""

from __future__ import annotations


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
