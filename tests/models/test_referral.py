import pytest
from pydantic import ValidationError

from models import Referral
from tests.factories import referral_dict


def _error(data: dict) -> dict:
    with pytest.raises(ValidationError) as info:
        Referral.model_validate(data)
    return info.value.errors()[0]


def test_valid_referral_round_trips() -> None:
    referral = Referral.model_validate(referral_dict())
    assert referral.children[0].age_years == 2.5
    assert Referral.model_validate_json(referral.model_dump_json()) == referral


def test_unknown_field_is_rejected_with_its_name() -> None:
    err = _error(referral_dict(family_name="Smith"))
    assert err["loc"] == ("family_name",)
    assert err["type"] == "extra_forbidden"


@pytest.mark.parametrize(
    ("mutate", "loc", "kind"),
    [
        (
            lambda d: d["children"][0].update(age_years=22),
            ("children", 0, "age_years"),
            "less_than_equal",
        ),
        (
            lambda d: d["children"][0].update(age_years=-1),
            ("children", 0, "age_years"),
            "greater_than_equal",
        ),
        (
            lambda d: d["caregivers"][0].update(age_years=121),
            ("caregivers", 0, "age_years"),
            "less_than_equal",
        ),
        (lambda d: d["place"].update(zip="9000"), ("place", "zip"), "string_pattern_mismatch"),
        (lambda d: d.update(children=[]), ("children",), "too_short"),
        (lambda d: d.update(allegation_types=[]), ("allegation_types",), "too_short"),
        (lambda d: d.update(reporter_type="psychic"), ("reporter_type",), "enum"),
        (lambda d: d.update(received_at="2024-03-15T10:30:00"), ("received_at",), "timezone_aware"),
        (lambda d: d["children"][0].update(race=["martian"]), ("children", 0, "race", 0), "enum"),
    ],
)
def test_bounds_name_the_field(mutate, loc, kind) -> None:
    data = referral_dict()
    mutate(data)
    err = _error(data)
    assert err["loc"] == loc
    assert err["type"] == kind


def test_dates_after_receipt_are_refused_with_the_path() -> None:
    data = referral_dict()
    data["prior_reports"][1]["report_date"] = "2024-03-16"
    err = _error(data)
    assert err["msg"] == (
        "Value error, prior_reports[1].report_date is 2024-03-16, after received_at 2024-03-15; "
        "dates must be on or before the day the referral was received"
    )


def test_involvement_end_before_start_is_refused() -> None:
    data = referral_dict()
    data["caregivers"][0]["involvements"][0]["end_date"] = "2022-01-01"
    err = _error(data)
    assert err["loc"] == ("caregivers", 0, "involvements", 0)
    assert "end_date 2022-01-01 is before start_date 2023-01-10" in err["msg"]


def test_list_lengths_are_bounded() -> None:
    data = referral_dict()
    data["children"] = data["children"] * 11
    err = _error(data)
    assert err["loc"] == ("children",)
    assert err["type"] == "too_long"
