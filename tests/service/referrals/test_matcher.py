import datetime as dt

import pytest

from models.referral import Need
from service.referrals import load_directory, search_directory, suggest_referrals

from .factories import DEMO, directory, referral, service

HOUSING = (Need.housing,)


def ids(suggestions):
    return [s.service_id for s in suggestions]


def test_area_filter_keeps_zip_listed_and_county_wide_services():
    d = directory(
        service("a", needs=HOUSING, zips=("90001",)),
        service("b", needs=HOUSING, zips=("90002",)),
        service("c", needs=HOUSING, zips=(), counties=("Demo County",)),
        service("d", needs=HOUSING, zips=(), counties=("Other County",)),
    )

    result = suggest_referrals(d, referral())

    assert ids(result) == ["a", "c"]
    assert result[0].why[1] == "Serves ZIP 90001"
    assert result[1].why[1] == "Serves Demo County"


def test_status_filter_keeps_only_active_services():
    d = directory(
        service("a", needs=HOUSING),
        service("b", needs=HOUSING, status="inactive"),
        service("c", needs=HOUSING, status="temporarily closed"),
        service("d", needs=HOUSING, status="defunct"),
    )

    assert ids(suggest_referrals(d, referral())) == ["a"]


def test_age_filter_checks_children_for_child_needs():
    needs = (Need.home_visiting,)
    d = directory(
        service("x", needs=needs, minimum_age=0, maximum_age=5),
        service("y", needs=needs, minimum_age=6, maximum_age=12),
        service("z", needs=needs, minimum_age=13, maximum_age=17),
        service("w", needs=needs, minimum_age=18),
    )
    family = referral(children=[{"age_years": 2}, {"age_years": 7}])

    result = suggest_referrals(d, family)

    assert ids(result) == ["x", "y"]
    assert result[0].why[2] == "Serves ages 0-5; fits child aged 2"


def test_age_filter_checks_caregivers_for_treatment_needs():
    needs = (Need.substance_use_treatment,)
    d = directory(
        service("adult", needs=needs, minimum_age=18),
        service("teen", needs=needs, minimum_age=12, maximum_age=17),
    )
    family = referral(allegation_types=["caregiver_substance_use"], children=[{"age_years": 13}])

    assert ids(suggest_referrals(d, family)) == ["adult"]


def test_maximum_age_counts_whole_years():
    d = directory(service("x", needs=HOUSING, maximum_age=5))

    assert ids(suggest_referrals(d, referral(children=[{"age_years": 5.9}], caregivers=[]))) == [
        "x"
    ]
    assert ids(suggest_referrals(d, referral(children=[{"age_years": 6}], caregivers=[]))) == []


def test_pregnancy_and_household_eligibility():
    needs = (Need.prenatal_home_visiting,)
    d = directory(
        service("p", needs=needs, requirements=("pregnant",)),
        service("q", needs=needs, requirements=("pregnant-or-child-under-2",)),
        service("r", needs=needs, requirements=("child-under-1",)),
        service("s", needs=needs),
    )
    family = referral(
        children=[{"age_years": 3}],
        caregivers=[{"age_years": 25, "role": "mother", "pregnant": True}],
    )

    result = suggest_referrals(d, family)

    assert ids(result) == ["p", "q", "s"]
    assert "Eligible: pregnant" in result[0].why


def test_pregnancy_requirement_excludes_families_without_a_pregnancy():
    d = directory(
        service("p", needs=HOUSING, requirements=("pregnant",)),
        service("u", needs=HOUSING, requirements=("veterans",)),
    )

    result = suggest_referrals(d, referral())

    assert ids(result) == ["u"]
    assert "Eligibility to confirm: veterans" in result[0].why


def test_language_filter_accepts_spoken_language_or_interpretation():
    d = directory(
        service("en-only", needs=HOUSING, languages=("en",)),
        service("interp", needs=HOUSING, languages=("en",), interpretation="Phone interpreters"),
        service("spanish", needs=HOUSING, languages=("es", "en")),
    )
    family = referral(caregivers=[{"age_years": 30, "role": "father", "primary_language": "es"}])

    result = suggest_referrals(d, family)

    assert ids(result) == ["spanish", "interp"]
    assert "Speaks Spanish" in result[0].why
    assert "Interpretation offered: Phone interpreters" in result[1].why


def test_ranking_by_distance_puts_unknown_distance_last():
    d = directory(
        service("far", needs=HOUSING, at=(34.2, -118.0)),
        service("nowhere", needs=HOUSING),
        service("near", needs=HOUSING, at=(34.0, -118.0)),
        service("mid", needs=HOUSING, at=(34.1, -118.0)),
    )

    result = suggest_referrals(d, referral())

    assert ids(result) == ["near", "mid", "far", "nowhere"]
    assert [s.distance_km for s in result] == [0.0, 11.1, 22.2, None]


def test_ranking_by_capacity():
    d = directory(
        service("waitlist", needs=HOUSING, capacity="waitlist", available=0),
        service("unknown", needs=HOUSING),
        service("open", needs=HOUSING, capacity="accepting", available=3),
    )

    result = suggest_referrals(d, referral())

    assert ids(result) == ["open", "unknown", "waitlist"]
    assert "Accepting new clients (3 open places)" in result[0].why
    assert "No open places reported: expect a waitlist" in result[2].why


def test_ranking_by_freshness_then_name():
    d = directory(
        service("never", needs=HOUSING, name="B never"),
        service("old", needs=HOUSING, name="A old", verified=dt.date(2020, 1, 1)),
        service("year", needs=HOUSING, verified=dt.date(2024, 4, 1)),
        service("fresh", needs=HOUSING, verified=dt.date(2025, 3, 1)),
    )

    assert ids(suggest_referrals(d, referral())) == ["fresh", "year", "old", "never"]


def test_a_record_verified_since_the_referral_was_received_ranks_as_fresh():
    # Received on Friday, screened on Monday against the directory loaded on Monday: the
    # record checked on Sunday passed the loader (not after the day of loading) and is the
    # most current one. Judged as never verified, it ranked below one 18 months stale while
    # its suggestion said "Record verified 2026-03-08".
    d = directory(
        service("stale", needs=HOUSING, name="A stale", verified=dt.date(2024, 9, 1)),
        service("never", needs=HOUSING, name="B never"),
        service("sunday", needs=HOUSING, name="C sunday", verified=dt.date(2026, 3, 8)),
    )
    friday = referral(received_at="2026-03-06T16:00:00-08:00")

    result = suggest_referrals(d, friday)

    assert ids(result) == ["sunday", "stale", "never"]
    assert "Record verified 2026-03-08" in result[0].why


def test_options_are_spread_across_needs_and_multi_need_services_listed_once():
    d = directory(
        service("h1", needs=(Need.housing,)),
        service("h2", needs=(Need.housing,)),
        service("hf", needs=(Need.housing, Need.food)),
        service("f1", needs=(Need.food,)),
        service("p1", needs=(Need.parenting,)),
    )

    result = suggest_referrals(d, referral(allegation_types=["inadequate_housing", "neglect"]))

    assert [(s.rank, s.service_id, s.need) for s in result] == [
        (1, "hf", Need.housing),
        (2, "f1", Need.food),
        (3, "p1", Need.parenting),
        (4, "h1", Need.housing),
        (5, "h2", Need.housing),
    ]
    assert result[0].also_meets == [Need.food]
    assert result[0].why[-1] == "Also meets: food"


@pytest.mark.parametrize("limit", [1, 2, 51])
def test_limit_outside_three_to_fifty_is_refused(limit):
    with pytest.raises(ValueError) as info:
        suggest_referrals(directory(), referral(), limit=limit)
    assert str(info.value) == (
        "limit must be between 3 and 50 (I&R practice offers at least three options, never "
        f"one 'best' pick), got {limit}"
    )


def test_search_treats_ages_as_people_to_serve_and_uses_the_zip_county():
    d = directory(
        service("kids", needs=HOUSING, zips=(), counties=("Demo County",), maximum_age=17),
        service("adults", needs=HOUSING, minimum_age=18),
    )

    result = search_directory(d, needs=[Need.housing], zip_code="90001", ages=[40])

    assert ids(result) == ["adults"]
    assert result[0].why[2] == "Serves ages 18-any; fits person aged 40"


def test_demo_directory_gives_several_options_for_a_realistic_referral():
    demo = load_directory(DEMO).directory
    family = referral(
        place={"county": "Demo County", "zip": "90012"},
        allegation_types=["neglect", "caregiver_substance_use"],
        children=[{"age_years": 2}, {"age_years": 7}],
        caregivers=[
            {"age_years": 28, "role": "mother", "pregnant": True, "primary_language": "es"}
        ],
    )

    result = suggest_referrals(demo, family, limit=6)

    assert [(s.need.value, s.service_name) for s in result] == [
        ("food", "Maple Street Family Resource Center"),
        ("parenting", "Positive Parenting Classes"),
        ("substance_use_treatment", "Harbor Outpatient Recovery"),
        ("prenatal_home_visiting", "Prenatal Home Visiting Program"),
        ("home_visiting", "Nurse Home Visiting for New Families"),
        ("early_learning", "Early Head Start Demo County"),
    ]
    assert all(s.phone and s.hours for s in result)
    assert result[0].model_dump(mode="json")["last_verified"] == "2025-03-03"


def test_fractional_maximum_age_is_exact_not_whole_years():
    # 0-18 months: a child of 1 year 10 months is past it, though int(1.83) <= 1.5.
    d = directory(service("infant", needs=HOUSING, minimum_age=0, maximum_age=1.5))

    too_old = referral(children=[{"age_years": 1.83}], caregivers=[])
    young = referral(children=[{"age_years": 1.5}], caregivers=[])

    assert ids(suggest_referrals(d, too_old)) == []
    assert ids(search_directory(d, needs=[Need.housing], zip_code="90001", ages=[1.83])) == []
    result = suggest_referrals(d, young)
    assert ids(result) == ["infant"]
    assert result[0].why[2] == "Serves ages 0-1.5; fits family member aged 1.5"


def test_also_meets_and_need_share_leave_out_needs_the_age_range_excludes():
    # An adults-only recovery programme also tagged home visiting: the family's home
    # visiting is for a child of 2, whom its age range (18+) excludes.
    both = (Need.substance_use_treatment, Need.home_visiting)
    d = directory(
        service("adult-both", needs=both, minimum_age=18, name="A adult both"),
        service("adult-sud", needs=(Need.substance_use_treatment,), name="B adult sud"),
        service("any-both", needs=both, name="C any both"),
    )
    family = referral(allegation_types=["caregiver_substance_use"], children=[{"age_years": 2}])

    result = suggest_referrals(d, family)

    assert [(s.service_id, s.need, s.also_meets) for s in result] == [
        ("any-both", Need.substance_use_treatment, [Need.home_visiting]),
        ("adult-both", Need.substance_use_treatment, []),
        ("adult-sud", Need.substance_use_treatment, []),
    ]
    assert result[1].why == [
        "Meets substance use treatment: allegation: caregiver substance use",
        "Serves ZIP 90001",
        "Serves ages 18-any; fits caregiver aged 30",
        "Speaks English",
    ]
