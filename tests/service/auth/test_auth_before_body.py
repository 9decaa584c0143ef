"""The key and the role are checked before the body: 401/403 whatever was sent, never a 422.

FastAPI reads and validates a route's JSON body before its dependencies run, so a caller with
no key who sent malformed JSON used to get a 422 describing the body: a stranger learned the
validation rules, and the answer depended on the body.
"""

from __future__ import annotations

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from service.auth import PERMISSIONS, GuardedRoute, Permission, Role, check_routes, require
from service.errors import install_error_handlers
from tests.backends import ROOT

from .conftest import EXPECTED, bearer, concrete

NO_KEY = "No API key was sent; send 'Authorization: Bearer <key>' (or 'X-API-Key: <key>')"
UNKNOWN = (
    "The API key is unknown or revoked; send a valid key as 'Authorization: Bearer <key>' "
    "or 'X-API-Key: <key>' (an admin creates one with `hotline keys create`)"
)
JSON = {"content-type": "application/json"}
BODIES = {
    "malformed": b'{"name": ',
    "schema-invalid": b'{"no_such_field": [1, 2, 3]}',
    "not-an-object": b"[[[[[[[[[[]]]]]]]]]]",
    "empty": b"",
}
# The routes that take a body: FastAPI parses all but /v1/score's (read in the route).
WRITES = sorted(path for method, path in EXPECTED if method == "POST")
TAKE_A_BODY = [path for path in WRITES if path != "/v1/admin/reload"]


def _error(code: str, message: str) -> dict:
    field = {"field": "header.authorization", "message": message, "type": code}
    return {"code": code, "message": message, "fields": [field]}


@pytest.mark.parametrize("path", WRITES)
@pytest.mark.parametrize("body", list(BODIES.values()), ids=list(BODIES))
@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        ({}, NO_KEY),
        (bearer("hlk_0000000000000000_" + "a" * 43), UNKNOWN),
        ({"X-API-Key": "not-a-key"}, UNKNOWN),
        # Basic is never a key on a write (a browser sends it with forged forms too).
        ({"Authorization": "Basic dXNlcjpwYXNz"}, NO_KEY),
    ],
    ids=["no-key", "unknown-bearer", "unknown-x-api-key", "basic-on-a-write"],
)
def test_no_valid_key_is_401_whatever_the_body(app_client, path, body, credentials, message):
    response = app_client.post(concrete(path), content=body, headers={**JSON, **credentials})
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == 'Bearer realm="hotline"'
    assert response.json()["error"] == _error("unauthenticated", message)


@pytest.mark.parametrize("path", WRITES)
@pytest.mark.parametrize("body", list(BODIES.values()), ids=list(BODIES))
def test_a_role_without_the_permission_is_403_whatever_the_body(app_client, role_keys, path, body):
    permission = EXPECTED[("POST", path)]
    role = next(role for role in Role if role not in PERMISSIONS[permission])
    response = app_client.post(
        concrete(path), content=body, headers={**JSON, **bearer(role_keys[role])}
    )
    roles = ", ".join(r.value for r in Role if r in PERMISSIONS[permission])
    message = (
        f"This needs the {permission.value} permission (roles: {roles}); "
        f"this key's role is {role.value}"
    )
    assert response.status_code == 403, response.text
    assert "www-authenticate" not in response.headers
    assert response.json()["error"] == _error("forbidden", message)


@pytest.mark.parametrize("path", TAKE_A_BODY)
def test_a_key_that_may_still_gets_the_422_naming_the_body(app_client, role_keys, path) -> None:
    headers = {**JSON, **bearer(role_keys[Role.admin])}
    response = app_client.post(concrete(path), content=BODIES["malformed"], headers=headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert [field["type"] for field in error["fields"]] == ["json_invalid"]


def test_a_query_or_path_that_is_invalid_is_401_without_a_key(app_client) -> None:
    page = {"Accept": "text/html"}
    for url in ["/v1/reports/monitoring?format=xml", "/v1/reports/models/..v1/audit.exe"]:
        response = app_client.get(url, headers=page)
        assert response.status_code == 401, url
        assert response.headers["www-authenticate"] == 'Basic realm="hotline", charset="UTF-8"'
        assert response.json()["error"] == _error("unauthenticated", NO_KEY)


def test_a_score_checks_the_key_once(app_client, role_keys, monkeypatch) -> None:
    # The guard checks the key before the body is read; require(...) and the route then use
    # the principal it found instead of hashing and comparing the key again.
    verifier = app_client.app.state.keys
    checks = []
    check = verifier.check

    def counted(token, record):
        checks.append(token)
        return check(token, record)

    monkeypatch.setattr(verifier, "check", counted)
    key = role_keys[Role.screener]
    referral = (ROOT / "examples" / "referral.json").read_bytes()
    response = app_client.post("/v1/score", content=referral, headers={**JSON, **bearer(key)})
    assert response.status_code == 200, response.text
    assert checks == [key]


def _app_with(router: APIRouter, **include) -> FastAPI:
    app = FastAPI()
    app.include_router(router, **include)
    return app


def test_a_protected_route_that_reads_its_body_first_refuses_to_build() -> None:
    plain = APIRouter()

    @plain.post("/v1/things", dependencies=[Depends(require(Permission.score))])
    def post_thing() -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match=r"route POST /v1/things would read its body before"):
        check_routes(_app_with(plain))


def test_a_permission_named_only_in_include_router_refuses_to_build() -> None:
    # The guard reads the permission from the route as declared, not from the inclusion.
    guarded = APIRouter(route_class=GuardedRoute)

    @guarded.post("/v1/things")
    def post_thing() -> dict[str, str]:
        return {}

    app = _app_with(guarded, dependencies=[Depends(require(Permission.score))])
    with pytest.raises(RuntimeError, match=r"name score:create on the route or that router"):
        check_routes(app)


class _Thing(BaseModel):
    name: str


def test_every_permission_a_route_names_is_checked_before_the_body(app_client, role_keys):
    # One permission on the router, another on the route: the guard checked only the first,
    # so a data scientist (models:read, not keys:manage) sending malformed JSON got the 422
    # describing the body, and a 403 only once the body was valid.
    router = APIRouter(
        prefix="/v1/things",
        route_class=GuardedRoute,
        dependencies=[Depends(require(Permission.models_read))],
    )

    @router.post("", dependencies=[Depends(require(Permission.keys_manage))])
    def post_thing(thing: _Thing) -> dict[str, str]:
        return {"name": thing.name}

    app = _app_with(router)
    check_routes(app)
    install_error_handlers(app)
    app.state.keys = app_client.app.state.keys  # the keys issued on the service's log
    client = TestClient(app)
    scientist = {**JSON, **bearer(role_keys[Role.data_scientist])}
    for body in BODIES.values():
        response = client.post("/v1/things", content=body, headers=scientist)
        assert response.status_code == 403, response.text
        assert "keys:manage" in response.json()["error"]["message"]
    admin = {**JSON, **bearer(role_keys[Role.admin])}
    assert client.post("/v1/things", content=b'{"name": "x"}', headers=admin).json() == {
        "name": "x"
    }
