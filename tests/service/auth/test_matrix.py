"""Every role against every protected route: allowed ones pass the gate, others get 403."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import APIRouter, Depends, FastAPI

from service.auth import PERMISSIONS, Permission, Role, check_routes, require, route_permissions
from service.auth.permissions import PUBLIC_PATHS

from .conftest import EXPECTED, bearer, concrete

ROOT = Path(__file__).resolve().parents[3]

DOCUMENTED_ROLES = {
    Permission.score: {"screener", "supervisor", "admin"},
    Permission.decisions_write: {"screener", "supervisor", "admin"},
    Permission.decisions_override: {"supervisor", "admin"},
    Permission.decisions_read: {"screener", "supervisor", "admin"},
    Permission.decisions_read_full: {"supervisor", "admin"},
    Permission.referrals_search: {"screener", "supervisor", "admin"},
    Permission.rules_read: {"screener", "supervisor", "data_scientist", "admin"},
    Permission.rules_preview: {"supervisor", "admin"},
    Permission.reports_read: {"supervisor", "data_scientist", "admin"},
    Permission.outcomes_write: {"supervisor", "admin"},
    Permission.models_read: {"data_scientist", "admin"},
    Permission.models_reload: {"data_scientist", "admin"},
    Permission.metrics_read: {"data_scientist", "admin"},
    Permission.keys_manage: {"admin"},
}


def _protected(app) -> dict[tuple[str, str], Permission]:
    return {k: v for k, v in route_permissions(app).items() if v is not None}


def test_every_route_is_public_or_in_the_documented_matrix(app_client) -> None:
    routes = route_permissions(app_client.app)
    public = {path for (_, path), permission in routes.items() if permission is None}
    assert public <= PUBLIC_PATHS
    protected = _protected(app_client.app)
    # Routes added by others (e.g. /metrics) must at least name a permission; ours match.
    assert {k: v for k, v in protected.items() if k in EXPECTED} == EXPECTED
    assert set(EXPECTED) <= set(protected)


def test_matrix_matches_the_documented_roles() -> None:
    assert {p: {r.value for r in roles} for p, roles in PERMISSIONS.items()} == DOCUMENTED_ROLES


def test_docs_list_every_permission_and_route() -> None:
    doc = (ROOT / "docs" / "security.md").read_text()
    for permission in Permission:
        assert f"`{permission.value}`" in doc
    for method, path in EXPECTED:
        assert f"`{method} {path}`" in doc


def test_a_route_without_a_permission_refuses_to_build() -> None:
    app = FastAPI()
    router = APIRouter()

    @router.get("/v1/open")
    def open_route() -> dict[str, str]:
        return {}

    @router.get("/v1/closed", dependencies=[Depends(require(Permission.score))])
    def closed_route() -> dict[str, str]:
        return {}

    app.include_router(router)
    with pytest.raises(RuntimeError, match=r"route GET /v1/open names no permission"):
        check_routes(app)


def _cases():
    return [
        pytest.param(method, path, role, id=f"{role.value}-{method}-{path}")
        for (method, path) in EXPECTED
        for role in Role
    ]


@pytest.mark.parametrize(("method", "path", "role"), _cases())
def test_role_against_route(app_client, role_keys, method, path, role) -> None:
    permission = EXPECTED[(method, path)]
    response = app_client.request(
        method,
        concrete(path),
        headers={**bearer(role_keys[role]), "content-type": "application/json"},
        content=b"{}" if method == "POST" else None,
    )
    if role in PERMISSIONS[permission]:
        assert response.status_code not in (401, 403), response.text
    else:
        assert response.status_code == 403
        error = response.json()["error"]
        assert error["code"] == "forbidden"
        assert f"needs the {permission.value} permission" in error["message"]
        assert f"this key's role is {role.value}" in error["message"]


@pytest.mark.parametrize(("method", "path"), list(EXPECTED))
def test_no_key_is_401_naming_the_header(app_client, method, path) -> None:
    response = app_client.request(method, concrete(path))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="hotline"'
    assert response.json()["error"] == {
        "code": "unauthenticated",
        "message": (
            "No API key was sent; send 'Authorization: Bearer <key>' (or 'X-API-Key: <key>')"
        ),
        "fields": [
            {
                "field": "header.authorization",
                "message": (
                    "No API key was sent; send 'Authorization: Bearer <key>' "
                    "(or 'X-API-Key: <key>')"
                ),
                "type": "unauthenticated",
            }
        ],
    }


@pytest.mark.parametrize("path", ["/health", "/ready", "/openapi.json"])
def test_public_paths_need_no_key(app_client, path) -> None:
    assert app_client.get(path).status_code == 200
