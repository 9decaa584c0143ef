"""`GET /v1/referrals/search`: a screener looks up community services by hand."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from models.referral import Need
from service.api.query import refuse_query
from service.auth import GuardedRoute, Permission, require
from service.directory_holder import DirectoryHolder
from service.referrals import (
    Directory,
    ReferralSearchResponse,
    match_search,
)
from service.referrals.matcher import MAX_LIMIT, MIN_LIMIT

router = APIRouter(tags=["referrals"], route_class=GuardedRoute)

_NOT_LOADED = "The community-services directory is not loaded; referral search is unavailable"
_ACCEPTED_NEEDS = ", ".join(n.value for n in Need)
_BAD_NEED = "{value!r} is not a need; accepted: {accepted}"
_BAD_AGE = "{value!r} is not an age; accepted: numbers of years from 0 to 120, e.g. 2 or 0.5"
_BAD_LANGUAGE = "{value!r} is not a language code; accepted: ISO 639 codes such as en, es, vi"
_NO_NEED = f"at least one need is required; accepted: {_ACCEPTED_NEEDS}"
# ASCII only (str.isalpha() also passes 'és'): a primary ISO 639 code, then any subtags.
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*")


def get_directory(request: Request) -> Directory:
    """Return the directory the app loaded at startup (or last reload)."""
    holder = getattr(request.app.state, "directory", None)
    if not isinstance(holder, DirectoryHolder):
        raise HTTPException(status_code=503, detail=_NOT_LOADED, headers={"Retry-After": "30"})
    return holder.current


def get_today() -> dt.date:
    """Return the day record freshness is judged on (a dependency, so tests can pin it)."""
    return dt.date.today()


DirectoryDep = Annotated[Directory, Depends(get_directory)]
TodayDep = Annotated[dt.date, Depends(get_today)]


@router.get(
    "/v1/referrals/search",
    responses={422: {"description": "A parameter is invalid; the body names it."}},
    dependencies=[Depends(require(Permission.referrals_search))],
)
async def search_referrals(
    directory: DirectoryDep,
    today: TodayDep,
    need: Annotated[
        list[str],
        Query(description=f"Need(s), repeated or comma-separated: {_ACCEPTED_NEEDS}."),
    ],
    zip: Annotated[str, Query(pattern=r"^[0-9]{5}$", description="The family's 5-digit ZIP code.")],
    language: Annotated[
        list[str], Query(description="ISO 639 code(s) the family speaks; none = any.")
    ] = [],  # noqa: B006 - FastAPI copies query defaults per request
    ages: Annotated[
        list[str], Query(description="Ages in years of those to serve, repeated or comma list.")
    ] = [],  # noqa: B006
    pregnant: Annotated[
        bool | None,
        Query(
            description="A caregiver is pregnant (true) or not (false). Left out, services "
            "for pregnant people are listed with their eligibility to confirm."
        ),
    ] = None,
    limit: Annotated[int, Query(ge=MIN_LIMIT, le=MAX_LIMIT)] = 5,
) -> ReferralSearchResponse:
    """Search the community-services directory by need, ZIP, language and ages."""
    # Deduplicated, so the response names each need once, as the search looked for it.
    needs = list(dict.fromkeys(_parse("need", _split(need), _as_need)))
    if not needs:
        # "need=" or "need=," passes FastAPI's required check with nothing in it.
        refuse_query("need", _NO_NEED, need)
    languages = _parse("language", _split(language), _as_language)
    age_values = _parse("ages", _split(ages), _as_age)
    # What the screener did not say (ages, pregnancy) is unknown, not "no": a requirement
    # that depends on it is shown as eligibility to confirm rather than enforced.
    found = match_search(
        directory,
        needs=needs,
        zip_code=zip,
        languages=languages,
        ages=age_values or None,
        pregnant=pregnant,
        limit=limit,
        as_of=today,
    )
    return ReferralSearchResponse(
        needs=needs, zip=zip, county=found.county, results=found.suggestions, unmet=found.unmet
    )


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _parse(name: str, values: list[str], convert: Any) -> list[Any]:
    parsed = []
    for value in values:
        result = convert(value)
        if isinstance(result, str):
            refuse_query(name, result, value)
        parsed.append(result[0])
    return parsed


def _as_need(value: str) -> tuple[Need] | str:
    if value in Need.__members__:
        return (Need(value),)
    return _BAD_NEED.format(value=value, accepted=_ACCEPTED_NEEDS)


def _as_age(value: str) -> tuple[float] | str:
    try:
        age = float(value)
    except ValueError:
        return _BAD_AGE.format(value=value)
    return (age,) if 0 <= age <= 120 else _BAD_AGE.format(value=value)


def _as_language(value: str) -> tuple[str] | str:
    code = value.lower()
    return (code,) if _LANGUAGE.fullmatch(code) else _BAD_LANGUAGE.format(value=value)
