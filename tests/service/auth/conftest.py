"""The route-permission table and helpers of the auth tests (the app and its keys:
tests/service/conftest.py)."""

from __future__ import annotations

import re

from service.auth import Permission

# The matrix as documented in docs/security.md; a route added without updating it fails here.
EXPECTED = {
    ("POST", "/v1/score"): Permission.score,
    ("POST", "/v1/decisions/{decision_id}/screening"): Permission.decisions_write,
    ("POST", "/v1/decisions/{decision_id}/referrals"): Permission.decisions_write,
    ("GET", "/v1/decisions"): Permission.decisions_read,
    ("GET", "/v1/decisions/{decision_id}"): Permission.decisions_read,
    ("GET", "/v1/referrals/search"): Permission.referrals_search,
    ("GET", "/v1/rules"): Permission.rules_read,
    ("POST", "/v1/rules/preview"): Permission.rules_preview,
    ("GET", "/v1/reports/monitoring"): Permission.reports_read,
    ("GET", "/v1/reports/overrides"): Permission.decisions_read_full,
    ("GET", "/v1/reports/models/{version}"): Permission.reports_read,
    ("GET", "/v1/reports/models/{version}/{document}"): Permission.reports_read,
    ("POST", "/v1/outcomes"): Permission.outcomes_write,
    ("GET", "/v1/models"): Permission.models_read,
    ("POST", "/v1/admin/reload"): Permission.models_reload,
    ("GET", "/v1/keys"): Permission.keys_manage,
    ("POST", "/v1/keys"): Permission.keys_manage,
    ("DELETE", "/v1/keys/{name_or_id}"): Permission.keys_manage,
}


def concrete(path: str) -> str:
    """A URL that reaches a route's template, e.g. ``{decision_id}`` as ``no-such-thing``."""
    return re.sub(r"\{[^}]+\}", "no-such-thing", path)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
