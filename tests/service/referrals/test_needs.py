import pytest

from models.referral import Need
from service.referrals import DerivedNeed, derive_needs, needs_from_rules
from service.referrals.needs import no_needs_reason
from service.rules.outcome import RuleHit

from .factories import referral


def test_needs_are_derived_from_every_source_with_reasons():
    family = referral(
        reported_needs=["food"],
        allegation_types=["domestic_violence", "substance_exposed_infant"],
        children=[{"age_years": 9}, {"age_years": 0.5}, {"age_years": 3}],
        caregivers=[
            {
                "age_years": 24,
                "role": "mother",
                "pregnant": True,
                "involvements": [
                    {
                        "kind": "substance_use_treatment",
                        "start_date": "2023-05-01",
                        "end_date": "2024-01-01",
                    },
                    {
                        "kind": "behavioral_health_treatment",
                        "start_date": "2019-01-01",
                        "end_date": "2020-01-01",
                    },
                ],
            }
        ],
    )

    # Priority order: pregnancy first (it cannot wait), then reported, allegations,
    # treatment, young children.
    assert derive_needs(family) == [
        DerivedNeed(need=Need.prenatal_home_visiting, reason="a caregiver is pregnant"),
        DerivedNeed(need=Need.food, reason="the caller reported this need"),
        DerivedNeed(need=Need.domestic_violence, reason="allegation: domestic violence"),
        DerivedNeed(
            need=Need.substance_use_treatment,
            reason="allegation: substance exposed infant; a caregiver had substance-use "
            "treatment in the last 2 years",
        ),
        DerivedNeed(need=Need.home_visiting, reason="children aged 0.5, 3 are under 5"),
        DerivedNeed(need=Need.early_learning, reason="children aged 0.5, 3 are under 5"),
    ]


def _father_in_treatment(*more_involvements: dict[str, str]):
    # A medical-neglect report on a father in behavioral-health treatment since 2024-06-01.
    return referral(
        allegation_types=["medical_neglect"],
        caregivers=[
            {
                "age_years": 40,
                "role": "father",
                "involvements": [
                    {"kind": "behavioral_health_treatment", "start_date": "2024-06-01"},
                    *more_involvements,
                ],
            }
        ],
    )


def test_ongoing_treatment_counts_and_the_window_is_configurable():
    family = _father_in_treatment(
        {"kind": "substance_use_treatment", "start_date": "2024-01-01", "end_date": "2024-06-01"}
    )

    assert [n.need for n in derive_needs(family)] == [
        Need.mental_health,
        Need.substance_use_treatment,
    ]
    assert [n.need for n in derive_needs(family, lookback_days=180)] == [Need.mental_health]


def test_no_needs_for_an_older_child_and_an_unmapped_allegation():
    assert derive_needs(referral(allegation_types=["medical_neglect"])) == []


@pytest.mark.parametrize(
    ("lookback_days", "window"),
    [(730, "2 years"), (365, "1 year"), (180, "180 days"), (400, "400 days")],
)
def test_treatment_reason_states_the_window_without_rounding_it_to_years(lookback_days, window):
    family = _father_in_treatment()

    assert derive_needs(family, lookback_days=lookback_days) == [
        DerivedNeed(
            need=Need.mental_health,
            reason=f"a caregiver had behavioral-health treatment in the last {window}",
        )
    ]


def _hit(rule_id: str, *needs: str) -> RuleHit:
    return RuleHit(
        id=rule_id,
        title=rule_id,
        action="flag",
        citation="test",
        explanation="test",
        suggest_needs=list(needs),
    )


def test_rule_needs_come_first_and_name_their_rules():
    rule_needs = needs_from_rules(
        [
            _hit("pregnant-caregiver", "prenatal_home_visiting"),
            _hit("no-needs"),
            _hit("housing-flag", "housing", "prenatal_home_visiting"),
        ]
    )
    family = referral(
        allegation_types=["neglect"],
        caregivers=[{"age_years": 24, "role": "mother", "pregnant": True}],
    )

    assert rule_needs == [
        DerivedNeed(
            need=Need.prenatal_home_visiting, reason="rule pregnant-caregiver; rule housing-flag"
        ),
        DerivedNeed(need=Need.housing, reason="rule housing-flag"),
    ]
    assert derive_needs(family, rule_needs=rule_needs) == [
        DerivedNeed(
            need=Need.prenatal_home_visiting,
            reason="rule pregnant-caregiver; rule housing-flag; a caregiver is pregnant",
        ),
        DerivedNeed(need=Need.housing, reason="rule housing-flag"),
        DerivedNeed(need=Need.food, reason="allegation: neglect"),
        DerivedNeed(need=Need.parenting, reason="allegation: neglect"),
    ]


def test_a_referral_without_needs_says_why():
    family = referral(allegation_types=["medical_neglect", "abandonment"])

    assert derive_needs(family) == []
    assert no_needs_reason(family) == (
        "No community-service need was derived from this referral: the caller reported none "
        "and no rule suggested one; the allegations (medical neglect, abandonment) map to "
        "none; no caregiver was in treatment in the last 2 years; no caregiver is pregnant; "
        "no child is under 5. Search the directory by need if the family needs help."
    )
