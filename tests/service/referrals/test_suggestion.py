import datetime as dt

from models.referral import Need
from service.referrals import ReferralSuggestion, suggest_referrals

from .factories import directory, referral, service


def test_matcher_suggestions_validate_and_keep_field_order():
    d = directory(
        service(
            "a",
            needs=(Need.housing, Need.food),
            minimum_age=0,
            maximum_age=17,
            requirements=("child-under-18", "income-low"),
            languages=("es", "en"),
            capacity="accepting",
            available=2,
            verified=dt.date(2025, 3, 1),
            at=(34.0, -118.0),
        ),
    )
    result = suggest_referrals(d, referral(allegation_types=["neglect", "inadequate_housing"]))

    assert len(result) == 1
    suggestion = result[0]
    assert list(suggestion.__dict__) == list(ReferralSuggestion.model_fields)
    assert ReferralSuggestion.model_validate(suggestion.model_dump()) == suggestion
    assert suggestion.languages == ["English", "Spanish"]
    assert suggestion.why == [
        "Meets food: allegation: neglect",
        "Serves ZIP 90001",
        "Serves ages 0-17; fits family member aged 7",
        "Eligible: child-under-18",
        "Eligibility to confirm: income-low",
        "Speaks English",
        "0.0 km from the centre of ZIP 90001",
        "Accepting new clients (2 open places)",
        "Record verified 2025-03-01",
        "Also meets: housing",
    ]
