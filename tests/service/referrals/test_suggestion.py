import datetime as dt

from models.referral import Need
from service.referrals import ReferralSuggestion, suggest_referrals
from service.referrals.suggestion import trusted_suggestion

from .factories import directory, referral, service


def test_trusted_suggestion_is_model_construct():
    # The shortcut holds only for a model without aliases, private attributes or hooks.
    fields = ReferralSuggestion.model_fields
    assert all(f.alias is None and f.validation_alias is None for f in fields.values())
    assert not ReferralSuggestion.__private_attributes__
    assert not ReferralSuggestion.__pydantic_post_init__
    values = {
        "rank": 1,
        "service_id": "s",
        "service_name": "S",
        "organization": "Org",
        "need": Need.food,
        "also_meets": [Need.housing],
        "why": ["a", "b"],
        "phone": None,
        "address": "1 Main St",
        "location_name": None,
        "hours": None,
        "distance_km": 1.5,
        "languages": ["English"],
        "capacity": "accepting",
        "eligibility": None,
        "next_step": "Call",
        "url": None,
        "last_verified": dt.date(2025, 1, 1),
    }
    assert list(values) == list(fields)

    fast = trusted_suggestion(dict(values))
    slow = ReferralSuggestion.model_construct(**values)

    assert fast == slow
    assert list(fast.__dict__.items()) == list(slow.__dict__.items())
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.__pydantic_extra__ is slow.__pydantic_extra__ is None
    assert fast.__pydantic_private__ is slow.__pydantic_private__ is None
    assert repr(fast) == repr(slow)
    assert fast.model_dump_json() == slow.model_dump_json()


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
