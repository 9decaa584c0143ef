import asyncio
import datetime as dt

import httpx
import pytest
from fastapi import FastAPI

from service.api.referrals import get_today, router
from service.auth import Principal, Role, authenticate
from service.directory_holder import DirectoryHolder
from service.referrals import load_directory

from .factories import DEMO


class Client:
    """Calls the app through httpx's ASGI transport.

    Starlette's TestClient warns about plain httpx, and warnings are errors in this suite.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def get(self, url: str, params: dict[str, str] | None = None) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.get(url, params=params)

        return asyncio.run(call())


@pytest.fixture(scope="module")
def client():
    app = FastAPI()
    app.include_router(router)
    app.state.directory = DirectoryHolder(DEMO, load_directory(DEMO))
    app.dependency_overrides[get_today] = lambda: dt.date(2025, 4, 1)
    # Access control is tested in tests/service/auth; here every call is a screener's.
    app.dependency_overrides[authenticate] = lambda: Principal("k", "t", Role.screener)
    return Client(app)


def test_search_returns_ranked_options_with_next_steps(client):
    response = client.get(
        "/v1/referrals/search", params={"need": "food", "zip": "90012", "language": "es"}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["needs"], body["zip"], body["county"]) == (["food"], "90012", "Demo County")
    # Without ages or pregnancy given, the pregnancy-or-under-5 nutrition programme is
    # listed with its eligibility to confirm, not left out as if the answer were "no".
    assert [r["service_name"] for r in body["results"]] == [
        "Maple Street Family Resource Center",
        "Mobile Market",
        "Demo County Food Bank Pantry",
        "Nutrition for Women, Infants and Children",
        "Diaper and Formula Bank",
    ]
    assert body["results"][3]["why"][2] == (
        "Eligibility to confirm: Pregnant, or parenting a child under 5"
    )
    assert [r["rank"] for r in body["results"]] == [1, 2, 3, 4, 5]
    assert all(r["phone"] and r["hours"] for r in body["results"])
    # Said "not pregnant" and an adult's age, it is left out.
    response = client.get(
        "/v1/referrals/search",
        params={
            "need": "food",
            "zip": "90012",
            "language": "es",
            "pregnant": "false",
            "ages": "30",
        },
    )
    assert "Nutrition for Women, Infants and Children" not in response.text


def test_search_accepts_comma_lists_and_repeats(client):
    response = client.get(
        "/v1/referrals/search?need=early_learning,parenting&zip=90025&ages=4&ages=30&limit=3"
    )

    assert response.status_code == 200
    assert [(r["need"], r["service_name"]) for r in response.json()["results"]] == [
        ("early_learning", "Little Dragons Bilingual Preschool"),
        ("parenting", "Positive Parenting Classes"),
        ("early_learning", "Child Care Payment Help"),
    ]
    # Early Head Start serves ages 0-3: neither 4 nor 30 fits.


def test_search_names_each_need_once_and_accepts_region_subtags(client):
    response = client.get(
        "/v1/referrals/search?need=food,food&need=food&zip=90012&language=es-MX&limit=3"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["needs"] == ["food"]
    assert [r["service_name"] for r in body["results"]] == [
        "Maple Street Family Resource Center",
        "Mobile Market",
        "Demo County Food Bank Pantry",
    ]


@pytest.mark.parametrize(
    ("query", "loc", "msg"),
    [
        (
            "need=groceries&zip=90001",
            ["query", "need"],
            "'groceries' is not a need; accepted: home_visiting, prenatal_home_visiting, "
            "substance_use_treatment, domestic_violence, housing, early_learning, parenting, "
            "food, mental_health",
        ),
        (
            "need=food&zip=90001&ages=2,old",
            ["query", "ages"],
            "'old' is not an age; accepted: numbers of years from 0 to 120, e.g. 2 or 0.5",
        ),
        (
            "need=food&zip=90001&language=spanish!",
            ["query", "language"],
            "'spanish!' is not a language code; accepted: ISO 639 codes such as en, es, vi",
        ),
        ("need=food&zip=9001", ["query", "zip"], "String should match pattern '^[0-9]{5}$'"),
        (
            "need=food&zip=%D9%A9%D9%A0%D9%A0%D9%A0%D9%A4",  # Arabic-Indic digits
            ["query", "zip"],
            "String should match pattern '^[0-9]{5}$'",
        ),
        (
            "need=food&zip=90001&limit=1",
            ["query", "limit"],
            "Input should be greater than or equal to 3",
        ),
        ("zip=90001", ["query", "need"], "Field required"),
        (
            "need=&zip=90001",
            ["query", "need"],
            "at least one need is required; accepted: home_visiting, prenatal_home_visiting, "
            "substance_use_treatment, domestic_violence, housing, early_learning, parenting, "
            "food, mental_health",
        ),
        (
            "need=,&zip=90001",
            ["query", "need"],
            "at least one need is required; accepted: home_visiting, prenatal_home_visiting, "
            "substance_use_treatment, domestic_violence, housing, early_learning, parenting, "
            "food, mental_health",
        ),
        (
            "need=food&zip=90001&language=%C3%A9s",  # not ASCII, though str.isalpha() says so
            ["query", "language"],
            "'és' is not a language code; accepted: ISO 639 codes such as en, es, vi",
        ),
        (
            "need=food&zip=90001&language=es-",
            ["query", "language"],
            "'es-' is not a language code; accepted: ISO 639 codes such as en, es, vi",
        ),
    ],
)
def test_bad_parameters_give_422_naming_the_parameter(client, query, loc, msg):
    response = client.get(f"/v1/referrals/search?{query}")

    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert (detail["loc"], detail["msg"]) == (loc, msg)


def test_search_without_a_loaded_directory_is_503():
    app = FastAPI()
    app.include_router(router)
    app.dependency_overrides[authenticate] = lambda: Principal("k", "t", Role.screener)

    response = Client(app).get("/v1/referrals/search?need=food&zip=90001")

    assert response.status_code == 503
    assert response.json() == {
        "detail": "The community-services directory is not loaded; referral search is unavailable"
    }
    assert response.headers["retry-after"] == "30"
