"""The declared registry of facts that rule conditions and explanations may name.

A *fact* is one typed value about a referral (or about the model's output for it), such as
``youngest_child_age`` or ``prior_reports_same_household``. Rules can only name facts listed in
:data:`FACTS`; each has a kind that fixes which operators and literals a condition may use with
it. Some facts take integer parameters (``window_days``), given in the rule.

Facts are computed lazily and at most once per referral and parameter set
(:class:`FactContext`), so a rule set of any size costs one pass over the prior reports per
distinct window. A model-derived fact (``score``, ``band``, ``probability``) is ``None`` when no
model output was given; conditions treat ``None`` as *unknown* (see :mod:`.conditions`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from models.referral import AllegationType, Need, Referral, ReporterType
from models.scoring import N_SCORES, Band

FactValue = bool | int | float | str | frozenset[str] | None
Params = tuple[tuple[str, int], ...]


class FactKind(StrEnum):
    """What kind of value a fact has; it decides the operators a condition may use."""

    number = "number"
    boolean = "boolean"
    category = "category"
    set = "set"


@dataclass(frozen=True)
class ParamSpec:
    """An integer parameter of a fact, with its accepted range."""

    name: str
    minimum: int
    maximum: int
    description: str


@dataclass(frozen=True)
class FactInputs:
    """Everything facts are computed from: the referral and, if available, the model output."""

    referral: Referral
    probability: float | None = None
    score: int | None = None
    band: str | None = None


@dataclass(frozen=True)
class FactSpec:
    """The declaration of one fact: name, kind, accepted literals and how to compute it."""

    name: str
    kind: FactKind
    description: str
    compute: Callable[[FactInputs, Mapping[str, int]], FactValue]
    params: tuple[ParamSpec, ...] = ()
    choices: frozenset[str] | None = None
    minimum: float | None = None
    maximum: float | None = None
    from_model: bool = False
    sample: FactValue = field(default=None, compare=False)


@dataclass(frozen=True)
class FactRef:
    """A fact named in a condition together with its parameter values.

    ``key`` (the per-referral cache key) and ``kwargs`` are worked out once here, at load
    time, because :meth:`FactContext.value` runs on the request path.
    """

    spec: FactSpec
    params: Params = ()
    key: tuple[str, Params] = field(init=False, compare=False)
    kwargs: Mapping[str, int] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", (self.spec.name, self.params))
        object.__setattr__(self, "kwargs", dict(self.params))


class FactContext:
    """Lazily computed fact values for one referral; each value is computed at most once.

    Parameters
    ----------
    inputs : FactInputs
        The referral and the model output, if any.
    """

    __slots__ = ("inputs", "_cache")

    def __init__(self, inputs: FactInputs) -> None:
        self.inputs = inputs
        self._cache: dict[tuple[str, Params], FactValue] = {}

    def value(self, ref: FactRef) -> FactValue:
        """Return the value of a fact, computing it on first use.

        Parameters
        ----------
        ref : FactRef
            The fact and its parameters.

        Returns
        -------
        FactValue
            The value; ``None`` when it is unknown (e.g. no model score).
        """
        cache = self._cache
        key = ref.key
        if key in cache:
            return cache[key]
        found = ref.spec.compute(self.inputs, ref.kwargs)
        cache[key] = found
        return found


def _received_day(inputs: FactInputs) -> dt.date:
    # The contract validates dates against received_at.date() in the referral's own offset,
    # so windows use the same day to agree with it.
    return inputs.referral.received_at.date()


def _count_prior(
    inputs: FactInputs, window_days: int, *, keep: Callable[[bool, bool | None], bool]
) -> int:
    referral = inputs.referral
    last = _received_day(inputs)
    first = last - dt.timedelta(days=window_days)
    return sum(
        1
        for report in referral.prior_reports
        # Only the same household: reports on other households the person appears in do not
        # count, to avoid "risk by association" (ACLU/HRDAG audit of the AFST).
        if report.household_id == referral.household_id
        and first <= report.report_date <= last
        and keep(report.screened_in, report.substantiated)
    )


def _prior_reports(inputs: FactInputs, params: Mapping[str, int]) -> int:
    return _count_prior(inputs, params["window_days"], keep=lambda _s, _u: True)


def _prior_screened_in(inputs: FactInputs, params: Mapping[str, int]) -> int:
    return _count_prior(inputs, params["window_days"], keep=lambda s, _u: s)


def _prior_substantiated(inputs: FactInputs, params: Mapping[str, int]) -> int:
    return _count_prior(inputs, params["window_days"], keep=lambda _s, u: u is True)


def _youngest(inputs: FactInputs, _params: Mapping[str, int]) -> float:
    return min(child.age_years for child in inputs.referral.children)


def _oldest(inputs: FactInputs, _params: Mapping[str, int]) -> float:
    return max(child.age_years for child in inputs.referral.children)


def _n_children(inputs: FactInputs, _params: Mapping[str, int]) -> int:
    return len(inputs.referral.children)


def _allegations(inputs: FactInputs, _params: Mapping[str, int]) -> frozenset[str]:
    return frozenset(str(kind) for kind in inputs.referral.allegation_types)


def _needs(inputs: FactInputs, _params: Mapping[str, int]) -> frozenset[str]:
    return frozenset(str(need) for need in inputs.referral.reported_needs)


def _pregnant(inputs: FactInputs, _params: Mapping[str, int]) -> bool:
    return any(caregiver.pregnant for caregiver in inputs.referral.caregivers)


def _sei(inputs: FactInputs, _params: Mapping[str, int]) -> bool:
    return AllegationType.substance_exposed_infant in inputs.referral.allegation_types


def _reporter(inputs: FactInputs, _params: Mapping[str, int]) -> str:
    return str(inputs.referral.reporter_type)


def _n_placements(inputs: FactInputs, _params: Mapping[str, int]) -> int:
    return len(inputs.referral.prior_placements)


def _score(inputs: FactInputs, _params: Mapping[str, int]) -> int | None:
    return inputs.score


def _band(inputs: FactInputs, _params: Mapping[str, int]) -> str | None:
    return inputs.band


def _probability(inputs: FactInputs, _params: Mapping[str, int]) -> float | None:
    return inputs.probability


_WINDOW = ParamSpec(
    name="window_days",
    minimum=1,
    maximum=3650,
    description="days before the day the referral was received, inclusive",
)
_ALLEGATIONS: Final = frozenset(str(kind) for kind in AllegationType)
_NEEDS: Final = frozenset(str(need) for need in Need)

_SPECS: tuple[FactSpec, ...] = (
    FactSpec(
        "prior_reports_same_household",
        FactKind.number,
        "prior reports on the referral's own household dated within window_days before the "
        "day it was received (that day included)",
        _prior_reports,
        params=(_WINDOW,),
        minimum=0,
        sample=2,
    ),
    FactSpec(
        "prior_screened_in_same_household",
        FactKind.number,
        "as prior_reports_same_household, counting only reports that were screened in",
        _prior_screened_in,
        params=(_WINDOW,),
        minimum=0,
        sample=1,
    ),
    FactSpec(
        "prior_substantiated_same_household",
        FactKind.number,
        "as prior_reports_same_household, counting only reports that were substantiated",
        _prior_substantiated,
        params=(_WINDOW,),
        minimum=0,
        sample=1,
    ),
    FactSpec(
        "youngest_child_age",
        FactKind.number,
        "age in years (fractions allowed) of the youngest child on the referral",
        _youngest,
        minimum=0,
        maximum=21,
        sample=2.5,
    ),
    FactSpec(
        "oldest_child_age",
        FactKind.number,
        "age in years (fractions allowed) of the oldest child on the referral",
        _oldest,
        minimum=0,
        maximum=21,
        sample=9.0,
    ),
    FactSpec(
        "number_of_children",
        FactKind.number,
        "how many children the referral names",
        _n_children,
        minimum=1,
        maximum=20,
        sample=2,
    ),
    FactSpec(
        "number_of_prior_placements",
        FactKind.number,
        "how many earlier out-of-home placements the referral lists",
        _n_placements,
        minimum=0,
        sample=0,
    ),
    FactSpec(
        "allegation_types",
        FactKind.set,
        "the allegation types on the referral",
        _allegations,
        choices=_ALLEGATIONS,
        sample=frozenset({"neglect"}),
    ),
    FactSpec(
        "reported_needs",
        FactKind.set,
        "the needs the caller reported",
        _needs,
        choices=_NEEDS,
        sample=frozenset({"housing"}),
    ),
    FactSpec(
        "reporter_type",
        FactKind.category,
        "who made the report",
        _reporter,
        choices=frozenset(str(kind) for kind in ReporterType),
        sample="school",
    ),
    FactSpec(
        "any_caregiver_pregnant",
        FactKind.boolean,
        "whether any caregiver on the referral is pregnant",
        _pregnant,
        sample=True,
    ),
    FactSpec(
        "substance_exposed_infant",
        FactKind.boolean,
        "whether the referral alleges a substance-exposed infant (allegation type "
        "substance_exposed_infant)",
        _sei,
        sample=True,
    ),
    FactSpec(
        "score",
        FactKind.number,
        "the model's 1-20 screening score; unknown without a model",
        _score,
        minimum=1,
        maximum=N_SCORES,
        from_model=True,
        sample=18,
    ),
    FactSpec(
        "band",
        FactKind.category,
        "the band of the model's score; unknown without a model",
        _band,
        choices=frozenset(str(band) for band in Band),
        from_model=True,
        sample="very_high",
    ),
    FactSpec(
        "probability",
        FactKind.number,
        "the model's calibrated probability; unknown without a model",
        _probability,
        minimum=0,
        maximum=1,
        from_model=True,
        sample=0.25,
    ),
)

FACTS: Final[Mapping[str, FactSpec]] = {spec.name: spec for spec in _SPECS}
"""Every fact a rule may name, by name."""
