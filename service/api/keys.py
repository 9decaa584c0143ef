"""`/v1/keys`: list, create and revoke API keys (admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.concurrency import run_in_threadpool

from service.api.log_deps import DecisionLogDep
from service.auth import (
    GuardedRoute,
    KeyRecord,
    Permission,
    create_key,
    list_keys,
    require,
    revoke_key,
)
from service.auth.schemas import KeyCreate, KeyCreated, KeyInfo, KeyList

router = APIRouter(
    prefix="/v1/keys",
    tags=["keys"],
    dependencies=[Depends(require(Permission.keys_manage))],
    route_class=GuardedRoute,
)
KeyRef = Annotated[
    str,
    Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$"),
]


def _info(record: KeyRecord) -> dict[str, Any]:
    return {
        "key_id": record.key_id,
        "name": record.name,
        "role": record.role,
        "created_at": record.created_at,
        "revoked_at": record.revoked_at,
    }


@router.get("")
def read_keys(log: DecisionLogDep, include_revoked: bool = False) -> KeyList:
    """List API keys (never their secrets)."""
    records = list_keys(log, include_revoked=include_revoked)
    return KeyList(keys=[KeyInfo(**_info(r)) for r in records])


@router.post(
    "",
    status_code=201,
    responses={409: {"description": "An active key has this name."}},
)
def post_key(body: KeyCreate, log: DecisionLogDep) -> KeyCreated:
    """Create a key; the response is the only time it is shown."""
    record, token = create_key(log, name=body.name, role=body.role)
    return KeyCreated(**_info(record), key=token)


@router.delete(
    "/{name_or_id}",
    responses={404: {"description": "No active key has this name or id."}},
)
async def delete_key(name_or_id: KeyRef, log: DecisionLogDep, request: Request) -> KeyInfo:
    """Revoke a key; every replica stops accepting it within the key cache TTL."""
    record = await run_in_threadpool(revoke_key, log, name_or_id)
    # This worker at once; its other workers and other replicas within the key cache TTL.
    request.app.state.keys.forget()
    return KeyInfo(**_info(record))
