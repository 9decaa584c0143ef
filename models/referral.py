"""The referral data contract shared by training and serving.

One :class:`Referral` is one report to the hotline about one household. Every field is
bounded; unknown fields are rejected; no date may lie after the moment the referral was
received. Race, Hispanic ethnicity and disability are carried **for auditing only**: the
feature builder never reads them (a test proves it).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Final

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    field_validator,
    model_validator,
)

# Pseudonymous identifiers: agency keys, hashed or opaque. No names ever.
Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
IDENTIFIER_ACCEPTED: Final = "an agency identifier of 1-64 letters, digits or _ . : -"
"""What :data:`Identifier` accepts, in the words a refusal tells the client."""
# Numbers and flags are strict: pydantic would read true as the age 1, and "yes", "on" or 1 as
# true, so a client's wrong field type is scored as a real answer. A whole number is still a
# valid child's age; NaN and infinities are not ages (they failed the bound as "<= 21").
ChildAge = Annotated[
    float,
    Strict(),
    Field(ge=0, le=21, allow_inf_nan=False, description="Age in years (fractions allowed)."),
]


def _whole_number(value: object) -> object:
    # 29.0 is how json.dumps and pandas write a whole number held as a float: the age 29.
    # A bool is not a float, so true is still refused below.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


AdultAge = Annotated[
    int,
    Strict(),
    BeforeValidator(_whole_number),
    Field(ge=10, le=120, description="Age in whole years (29 or 29.0; not 29.5 or true)."),
]
Flag = StrictBool
"""A yes/no answer: JSON ``true`` or ``false`` only."""

EARLIEST_RECEIVED: Final = dt.date(1900, 1, 1)
"""The earliest day (in the referral's own offset) ``received_at`` may fall on.

No hotline record is that old, and it keeps the windows counted back from the day received
(up to 3,650 days for rules, 730 for needs) far from ``datetime.date.min``, where they would
overflow.
"""
LATEST_RECEIVED: Final = dt.date(2099, 12, 31)
"""The latest day ``received_at`` may fall on: a fixed bound, not the clock, so that the same
row validates the same way whenever it is read; later years are a typing or clock error."""


class ReporterType(StrEnum):
    """Who made the report."""

    law_enforcement = "law_enforcement"
    school = "school"
    medical = "medical"
    mental_health = "mental_health"
    social_services = "social_services"
    child_care = "child_care"
    family_member = "family_member"
    neighbor_friend = "neighbor_friend"
    anonymous = "anonymous"
    other = "other"


class AllegationType(StrEnum):
    """What the report alleges."""

    physical_abuse = "physical_abuse"
    sexual_abuse = "sexual_abuse"
    emotional_abuse = "emotional_abuse"
    neglect = "neglect"
    inadequate_supervision = "inadequate_supervision"
    medical_neglect = "medical_neglect"
    educational_neglect = "educational_neglect"
    substance_exposed_infant = "substance_exposed_infant"
    caregiver_substance_use = "caregiver_substance_use"
    domestic_violence = "domestic_violence"
    inadequate_housing = "inadequate_housing"
    abandonment = "abandonment"


class Race(StrEnum):
    """OMB race categories; a person may have several (multi-select)."""

    american_indian_alaska_native = "american_indian_alaska_native"
    asian = "asian"
    black = "black"
    native_hawaiian_pacific_islander = "native_hawaiian_pacific_islander"
    white = "white"
    other = "other"


class CaregiverRole(StrEnum):
    """A caregiver's relation to the children."""

    mother = "mother"
    father = "father"
    stepparent = "stepparent"
    grandparent = "grandparent"
    other_relative = "other_relative"
    partner = "partner"
    foster_parent = "foster_parent"
    other = "other"


class InvolvementKind(StrEnum):
    """Public-system records about a caregiver, each dated so features can be windowed."""

    behavioral_health_treatment = "behavioral_health_treatment"
    substance_use_treatment = "substance_use_treatment"
    public_benefits = "public_benefits"
    jail_booking = "jail_booking"


class Need(StrEnum):
    """Needs a caller may report; also the categories of community referrals."""

    home_visiting = "home_visiting"
    prenatal_home_visiting = "prenatal_home_visiting"
    substance_use_treatment = "substance_use_treatment"
    domestic_violence = "domestic_violence"
    housing = "housing"
    early_learning = "early_learning"
    parenting = "parenting"
    food = "food"
    mental_health = "mental_health"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Place(_Strict):
    """Where the household lives."""

    county: Annotated[str, Field(min_length=1, max_length=64)]
    zip: Annotated[str, Field(pattern=r"^[0-9]{5}$", description="5-digit ZIP code.")]


class Child(_Strict):
    """A child in the household named on the referral."""

    child_id: Identifier | None = None
    age_years: ChildAge
    alleged_victim: Flag = False
    race: Annotated[list[Race], Field(max_length=6, description="Audit only; multi-select.")] = []
    hispanic: Flag | None = Field(default=None, description="Audit only.")
    disability: Flag | None = Field(default=None, description="Audit only.")


def _check_ordered(start: dt.date, end: dt.date | None, what: str) -> None:
    if end is not None and end < start:
        raise ValueError(
            f"end_date {end} is before start_date {start}; {what} must end on or after its start"
        )


class Involvement(_Strict):
    """One dated episode of a caregiver's involvement with a public system."""

    kind: InvolvementKind
    start_date: dt.date
    end_date: dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Involvement:
        _check_ordered(self.start_date, self.end_date, "an episode")
        return self


class Caregiver(_Strict):
    """An adult caring for the children."""

    age_years: AdultAge
    role: CaregiverRole
    pregnant: Flag = False
    primary_language: Annotated[
        str, Field(pattern=r"^[a-z]{2,3}$", description="ISO 639 code, e.g. 'en', 'es'.")
    ] = "en"
    involvements: Annotated[list[Involvement], Field(max_length=200)] = []
    race: Annotated[list[Race], Field(max_length=6, description="Audit only; multi-select.")] = []
    hispanic: Flag | None = Field(default=None, description="Audit only.")


class PriorReport(_Strict):
    """An earlier report naming this family (the same household or another one)."""

    report_date: dt.date
    household_id: Identifier
    screened_in: Flag
    substantiated: Flag | None = None
    allegation_types: Annotated[list[AllegationType], Field(max_length=12)] = []


class PriorPlacement(_Strict):
    """An earlier out-of-home placement of a child in this family."""

    start_date: dt.date
    end_date: dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> PriorPlacement:
        _check_ordered(self.start_date, self.end_date, "a placement")
        return self


class Referral(_Strict):
    """One report to the hotline: the unit that is scored."""

    referral_id: Identifier
    received_at: AwareDatetime
    place: Place
    reporter_type: ReporterType
    allegation_types: Annotated[list[AllegationType], Field(min_length=1, max_length=12)]
    household_id: Identifier
    children: Annotated[list[Child], Field(min_length=1, max_length=20)]
    caregivers: Annotated[list[Caregiver], Field(max_length=10)] = []
    prior_reports: Annotated[list[PriorReport], Field(max_length=500)] = []
    prior_placements: Annotated[list[PriorPlacement], Field(max_length=100)] = []
    reported_needs: Annotated[list[Need], Field(max_length=9)] = []

    @field_validator("received_at")
    @classmethod
    def _plausible_day(cls, value: dt.datetime) -> dt.datetime:
        # The day in the referral's own offset: the same day every other date is checked
        # against and every window is counted back from.
        day = value.date()
        if not EARLIEST_RECEIVED <= day <= LATEST_RECEIVED:
            raise ValueError(
                f"day {day} is outside {EARLIEST_RECEIVED} to {LATEST_RECEIVED}; a referral "
                "must be received on a day in that range"
            )
        return value

    @field_validator("children")
    @classmethod
    def _each_child_once(cls, children: list[Child]) -> list[Child]:
        # A child listed twice (e.g. one row per child and allegation from the intake system's
        # join) is counted twice in the children and alleged-victim features.
        first_at: dict[str, int] = {}
        for i, child in enumerate(children):
            if child.child_id is None:
                continue
            j = first_at.setdefault(child.child_id, i)
            if j != i:
                raise ValueError(
                    f"children[{i}].child_id '{child.child_id}' repeats children[{j}]; "
                    "list each child once (child_id may be left out, never repeated)"
                )
        return children

    @model_validator(mode="after")
    def _nothing_after_receipt(self) -> Referral:
        # A record dated after the call would leak the future into the features. This runs
        # on every training row, so compare plain dates first and name the field only on failure.
        # An episode's end_date, when given, is its latest date: pydantic runs this validator
        # only once every nested model passed, and Involvement and PriorPlacement refuse an
        # end before the start.
        today = self.received_at.date()
        latest = max(
            (
                *(r.report_date for r in self.prior_reports),
                *(p.end_date or p.start_date for p in self.prior_placements),
                *(e.end_date or e.start_date for c in self.caregivers for e in c.involvements),
            ),
            default=today,
        )
        if latest > today:
            where, day = next((w, d) for w, d in _dated_fields(self) if d > today)
            raise ValueError(
                f"{where} is {day}, after received_at {today}; "
                "dates must be on or before the day the referral was received"
            )
        return self


def _dated_fields(referral: Referral) -> list[tuple[str, dt.date]]:
    found: list[tuple[str, dt.date]] = []
    for i, report in enumerate(referral.prior_reports):
        found.append((f"prior_reports[{i}].report_date", report.report_date))
    for i, placement in enumerate(referral.prior_placements):
        found.append((f"prior_placements[{i}].start_date", placement.start_date))
        if placement.end_date is not None:
            found.append((f"prior_placements[{i}].end_date", placement.end_date))
    for i, caregiver in enumerate(referral.caregivers):
        for j, episode in enumerate(caregiver.involvements):
            where = f"caregivers[{i}].involvements[{j}]"
            found.append((f"{where}.start_date", episode.start_date))
            if episode.end_date is not None:
                found.append((f"{where}.end_date", episode.end_date))
    return found
