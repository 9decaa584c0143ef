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
        # Digits of other scripts are digits to a Unicode \d, not a ZIP code.
        (
            lambda d: d["place"].update(zip="\u0669\u0660\u0660\u0660\u0664"),
            ("place", "zip"),
            "string_pattern_mismatch",
        ),
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


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2030-01-01", "2020-01-01"),  # starts after receipt; the early end hid it
        ("2024-03-10", "2024-03-01"),  # both before receipt, but out of order
    ],
)
def test_placement_end_before_start_is_refused(start, end) -> None:
    err = _error(referral_dict(prior_placements=[{"start_date": start, "end_date": end}]))
    assert err["loc"] == ("prior_placements", 0)
    assert err["type"] == "value_error"
    assert err["msg"] == (
        f"Value error, end_date {end} is before start_date {start}; "
        "a placement must end on or after its start"
    )


@pytest.mark.parametrize(
    ("placement", "where", "day"),
    [
        ({"start_date": "2024-03-16"}, "prior_placements[0].start_date", "2024-03-16"),
        (
            {"start_date": "2024-03-01", "end_date": "2024-03-20"},
            "prior_placements[0].end_date",
            "2024-03-20",
        ),
    ],
)
def test_placement_dated_after_receipt_is_refused(placement, where, day) -> None:
    err = _error(referral_dict(prior_placements=[placement]))
    assert err["loc"] == ()
    assert err["msg"] == (
        f"Value error, {where} is {day}, after received_at 2024-03-15; "
        "dates must be on or before the day the referral was received"
    )


# Nothing else dated, so only received_at's own bounds apply.
UNDATED = {"caregivers": [], "prior_reports": [], "prior_placements": []}


@pytest.mark.parametrize(
    ("received_at", "day"),
    [
        ("0001-01-01T00:00:00+00:00", "0001-01-01"),
        ("0002-06-01T10:00:00+00:00", "0002-06-01"),
        ("1899-12-31T23:59:59-05:00", "1899-12-31"),
        ("2100-01-01T00:00:00+00:00", "2100-01-01"),
        ("9999-12-31T23:59:59+00:00", "9999-12-31"),
    ],
)
def test_received_at_outside_plausible_days_is_refused(received_at, day) -> None:
    err = _error(referral_dict(received_at=received_at, **UNDATED))
    assert err["loc"] == ("received_at",)
    assert err["type"] == "value_error"
    assert err["msg"] == (
        f"Value error, day {day} is outside 1900-01-01 to 2099-12-31; "
        "a referral must be received on a day in that range"
    )


@pytest.mark.parametrize(
    "received_at",
    # The day counts in the referral's own offset: the first is 1899-12-31 in UTC.
    ["1900-01-01T00:00:00+05:00", "2099-12-31T23:59:59-05:00"],
)
def test_received_at_bounds_are_inclusive(received_at) -> None:
    referral = Referral.model_validate(referral_dict(received_at=received_at, **UNDATED))
    assert referral.received_at.isoformat() == received_at


def test_list_lengths_are_bounded() -> None:
    data = referral_dict()
    data["children"] = data["children"] * 11
    err = _error(data)
    assert err["loc"] == ("children",)
    assert err["type"] == "too_long"


def test_a_child_listed_twice_is_refused_with_both_places() -> None:
    data = referral_dict()
    data["children"].append(dict(data["children"][0]))  # e.g. one row per child and allegation
    err = _error(data)
    assert err["loc"] == ("children",)
    assert err["msg"] == (
        "Value error, children[2].child_id 'c1' repeats children[0]; "
        "list each child once (child_id may be left out, never repeated)"
    )


def test_children_without_ids_may_be_alike() -> None:
    data = referral_dict()
    data["children"] = [{"age_years": 4.0}, {"age_years": 4.0}]  # twins, no ids
    assert len(Referral.model_validate(data).children) == 2
