import dataclasses
import datetime as dt

import pytest

from models.referral import Need
from service.referrals import (
    DerivedNeed,
    UnmetNeed,
    load_directory,
    match_referral,
    match_search,
    search_directory,
    suggest_referrals,
)
from service.referrals.hours import DatedHours

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

    # Pregnancy ranks first among the needs (docs/referrals.md, "Needs").
    assert [(s.need.value, s.service_name) for s in result] == [
        ("prenatal_home_visiting", "Prenatal Home Visiting Program"),
        ("food", "Maple Street Family Resource Center"),
        ("parenting", "Positive Parenting Classes"),
        ("substance_use_treatment", "Harbor Outpatient Recovery"),
        ("home_visiting", "Nurse Home Visiting for New Families"),
        ("early_learning", "Early Head Start Demo County"),
    ]
    assert all(s.phone and s.hours for s in result)
    assert result[1].model_dump(mode="json")["last_verified"] == "2025-03-03"


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


def test_needs_suggested_by_rules_are_matched_with_the_rule_as_reason():
    d = directory(service("h", needs=HOUSING), service("f", needs=(Need.food,)))
    # Medical neglect of a 7-year-old derives no need of its own.
    family = referral(allegation_types=["medical_neglect"])
    rule_needs = [DerivedNeed(need=Need.housing, reason="rule housing-flag")]

    assert suggest_referrals(d, family) == []
    result = suggest_referrals(d, family, rule_needs=rule_needs)

    assert [(s.service_id, s.need) for s in result] == [("h", Need.housing)]
    assert result[0].why[0] == "Meets housing: rule housing-flag"


def _one_per_need(*needs: Need):
    return directory(*(service(n.value, needs=(n,)) for n in needs))


def test_over_the_limit_rules_and_pregnancy_come_first_and_the_rest_are_reported():
    d = _one_per_need(
        Need.prenatal_home_visiting,
        Need.housing,
        Need.food,
        Need.parenting,
        Need.domestic_violence,
        Need.mental_health,
    )
    family = referral(
        allegation_types=["neglect", "domestic_violence", "emotional_abuse"],
        caregivers=[{"age_years": 30, "role": "mother", "pregnant": True}],
    )
    rule_needs = [DerivedNeed(need=Need.housing, reason="rule housing-flag")]

    result = match_referral(d, family, limit=3, rule_needs=rule_needs)

    assert [(s.rank, s.service_id) for s in result.suggestions] == [
        (1, "housing"),
        (2, "prenatal_home_visiting"),
        (3, "food"),
    ]
    message = (
        "No option listed: all 3 options went to needs ranked higher; search the directory "
        "for {} to see its options"
    )
    assert result.unmet == [
        UnmetNeed(
            need=Need.parenting,
            reason="allegation: neglect; allegation: emotional abuse",
            cause="over_limit",
            message=message.format("parenting"),
        ),
        UnmetNeed(
            need=Need.domestic_violence,
            reason="allegation: domestic violence",
            cause="over_limit",
            message=message.format("domestic violence"),
        ),
        UnmetNeed(
            need=Need.mental_health,
            reason="allegation: emotional abuse",
            cause="over_limit",
            message=message.format("mental health"),
        ),
    ]
    assert result.suggestions == suggest_referrals(d, family, limit=3, rule_needs=rule_needs)


def test_a_need_another_option_meets_waits_when_options_are_scarce():
    d = directory(
        service("hf", needs=(Need.housing, Need.food), name="A hf"),
        service("f1", needs=(Need.food,), name="B f1"),
        service("p1", needs=(Need.parenting,), name="C p1"),
        service("m1", needs=(Need.mental_health,), name="D m1"),
    )
    # Housing, food, parenting, mental health: four needs, three options.
    family = referral(allegation_types=["inadequate_housing", "neglect", "sexual_abuse"])

    result = match_referral(d, family, limit=3)

    # Food is met by the housing option, so its own option waits and mental health gets one.
    assert [(s.service_id, s.need, s.also_meets) for s in result.suggestions] == [
        ("hf", Need.housing, [Need.food]),
        ("p1", Need.parenting, []),
        ("m1", Need.mental_health, []),
    ]
    assert result.unmet == []
    # With room for every need, the food option is listed in the first round as before.
    assert ids(suggest_referrals(d, family, limit=5)) == ["hf", "f1", "p1", "m1"]


def test_needs_without_an_option_say_whether_none_is_near_fits_or_exists():
    d = directory(
        service("far-food", needs=(Need.food,), zips=("90002",)),
        service("teen-housing", needs=HOUSING, minimum_age=13, maximum_age=17),
        service("pregnant-housing", needs=HOUSING, requirements=("pregnant",)),
        service("spanish-housing", needs=HOUSING, languages=("es",)),
        service("kids-parenting", needs=(Need.parenting,), maximum_age=12),
    )
    family = referral(
        allegation_types=["inadequate_housing", "neglect", "sexual_abuse"],
        children=[{"age_years": 7}],
        caregivers=[{"age_years": 30, "role": "mother", "primary_language": "en"}],
    )

    result = match_referral(d, family)

    assert ids(result.suggestions) == ["kids-parenting"]
    assert [(u.need, u.cause, u.message) for u in result.unmet] == [
        (
            Need.housing,
            "none_in_reach",
            "3 housing services serve ZIP 90001 or Demo County, but none fits this family: "
            "1 by age range, 1 by eligibility, 1 by language",
        ),
        (Need.food, "none_in_reach", "No active food service serves ZIP 90001 or Demo County"),
        (
            Need.mental_health,
            "none_in_directory",
            "The directory lists no active mental health service",
        ),
    ]
    assert result.note is None


def test_a_referral_from_which_no_need_is_derived_gets_a_note():
    result = match_referral(
        directory(service("h", needs=HOUSING)), referral(allegation_types=["abandonment"])
    )

    assert (result.needs, result.suggestions, result.unmet) == ([], [], [])
    assert result.note is not None
    assert result.note.startswith(
        "No community-service need was derived from this referral: the caller reported none"
    )


def test_an_unknown_zip_and_county_are_reported_per_need():
    d = directory(service("h", needs=HOUSING, zips=(), counties=("Demo County",)))
    family = referral(place={"county": "Nowhere", "zip": "99999"})

    result = match_referral(d, family)

    assert (result.suggestions, result.county) == ([], "Nowhere")
    assert [u.message for u in result.unmet] == [
        "No active housing service serves ZIP 99999 or Nowhere"
    ]


@pytest.mark.parametrize(
    "county", ["Demo County", "Demo", "Demo Co.", "DEMO  COUNTY", "demo county.", "Demo-County"]
)
def test_a_county_is_found_however_it_is_spelt(county):
    d = directory(service("c", needs=HOUSING, zips=(), counties=("Demo County",)))

    result = match_referral(d, referral(place={"county": county, "zip": "90009"}))

    assert ids(result.suggestions) == ["c"]
    assert result.suggestions[0].why[1] == "Serves Demo County"


def test_a_county_no_area_covers_falls_back_to_the_zip_codes_county():
    d = directory(
        service("c", needs=HOUSING, zips=(), counties=("Demo County",)),
        service("o", needs=HOUSING, zips=(), counties=("Other County",)),
    )

    # A county some area covers is used as given, even where the ZIP table says otherwise.
    assert ids(suggest_referrals(d, referral(place={"county": "Other", "zip": "90001"}))) == ["o"]
    result = match_referral(d, referral(place={"county": "Nowhere County", "zip": "90001"}))
    assert (ids(result.suggestions), result.county) == (["c"], "Demo County")


def test_search_without_pregnancy_or_ages_does_not_enforce_what_was_not_said():
    d = directory(
        service("pregnant", needs=HOUSING, requirements=("pregnant",)),
        service("under-2", needs=HOUSING, requirements=("child-under-2",)),
        service("either", needs=HOUSING, requirements=("pregnant-or-child-under-5",)),
        service("adults", needs=HOUSING, minimum_age=18),
    )

    def search(**given):
        return match_search(d, needs=[Need.housing], zip_code="90001", limit=10, **given)

    # Not given: unknown, so shown "to confirm", as an age range is not checked.
    unknown = search(pregnant=None, ages=None).suggestions
    assert ids(unknown) == ["adults", "either", "pregnant", "under-2"]
    assert [s.why[2:] for s in unknown] == [
        ["Serves ages 18-any (ages not given)"],
        ["Eligibility to confirm: pregnant-or-child-under-5"],
        ["Eligibility to confirm: pregnant"],
        ["Eligibility to confirm: child-under-2"],
    ]
    # Given, they are enforced; the old defaults (pregnant=False, ages=()) are unchanged.
    assert ids(search(pregnant=False, ages=[1]).suggestions) == ["either", "under-2"]
    assert ids(search(pregnant=True, ages=[40]).suggestions) == ["adults", "either", "pregnant"]
    assert ids(search().suggestions) == ["adults"]
    # One fact known, the other not: "pregnant or a child under 5" is met by either.
    assert ids(search(pregnant=True, ages=None).suggestions) == [
        "adults",
        "either",
        "pregnant",
        "under-2",
    ]
    assert ids(search(pregnant=False, ages=None).suggestions) == ["adults", "either", "under-2"]


def test_opening_hours_are_those_valid_on_the_referrals_day():
    dated = DatedHours(
        changes=(dt.date(2025, 4, 1), dt.date(2025, 5, 1)),
        texts=("Mon 09:00-12:00", "Tue 09:00-12:00", None),
    )
    d = directory(dataclasses.replace(service("h", needs=HOUSING), dated_hours=dated))

    def hours(received_at):
        return suggest_referrals(d, referral(received_at=received_at))[0].hours

    assert hours("2025-03-31T23:00:00+00:00") == "Mon 09:00-12:00"
    assert hours("2025-04-30T10:00:00+00:00") == "Tue 09:00-12:00"
    assert hours("2025-05-01T10:00:00+00:00") is None
