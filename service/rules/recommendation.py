"""From the rules that fired (and the score's band) to one screening recommendation.

Rules and the model stay separate: a rule *action* says what one policy asks for; the
*recommendation* is the single answer shown to the screener, chosen by explicit precedence.

Precedence, highest first (:data:`ACTION_PRECEDENCE`)::

    screen_in_required > screen_in_recommended > screen_out_with_referral > flag

The recommendation follows the highest-precedence action among the rules that fired. A
``flag`` never decides: it only adds a note and suggested needs. When no rule decides, the
recommendation falls back to a default for the score's band (:data:`DEFAULT_BAND_RECOMMENDATIONS`,
which a rules file may override under ``band_defaults``); with no model score it is
``screener_judgment``.

Going against ``screen_in_required`` needs a supervisor's sign-off (as the Allegheny tool's
"mandatory screen-in" did); the other recommendations are advice the screener may disagree with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Final, Protocol

from pydantic import BaseModel, ConfigDict

from models.scoring import Band


class ActionType(StrEnum):
    """What a rule asks for when it fires."""

    screen_in_required = "screen_in_required"
    screen_in_recommended = "screen_in_recommended"
    screen_out_with_referral = "screen_out_with_referral"
    flag = "flag"


class RecommendationValue(StrEnum):
    """The documented set of recommendations shown to a screener."""

    screen_in_required = "screen_in_required"
    screen_in_recommended = "screen_in_recommended"
    screener_judgment = "screener_judgment"
    screen_out_with_referral = "screen_out_with_referral"


ACTION_PRECEDENCE: Final[tuple[ActionType, ...]] = (
    ActionType.screen_in_required,
    ActionType.screen_in_recommended,
    ActionType.screen_out_with_referral,
    ActionType.flag,
)
"""Actions from highest to lowest precedence."""

# A flag is absent on purpose: it informs the screener but never decides.
_DECIDES: Final[Mapping[ActionType, RecommendationValue]] = {
    ActionType.screen_in_required: RecommendationValue.screen_in_required,
    ActionType.screen_in_recommended: RecommendationValue.screen_in_recommended,
    ActionType.screen_out_with_referral: RecommendationValue.screen_out_with_referral,
}

DEFAULT_BAND_RECOMMENDATIONS: Final[Mapping[Band, RecommendationValue]] = {
    # Only the top band leans one way without a rule; below it the score is one input among
    # many and screeners decided on immediate safety (K22), so the tool stays neutral.
    Band.very_high: RecommendationValue.screen_in_recommended,
    Band.high: RecommendationValue.screener_judgment,
    Band.moderate: RecommendationValue.screener_judgment,
    Band.low: RecommendationValue.screener_judgment,
}
"""The recommendation for each band when no rule decides."""

_SIGNOFF: Final = frozenset({RecommendationValue.screen_in_required})


class Recommendation(BaseModel):
    """The one recommendation shown to the screener, with why and what it takes to go against."""

    model_config = ConfigDict(frozen=True)

    value: RecommendationValue
    reason: str
    supervisor_signoff_required: bool
    rule_ids: list[str] = []


class _Hit(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def action(self) -> ActionType: ...


def recommend(
    hits: Sequence[_Hit],
    *,
    band: Band | None,
    band_defaults: Mapping[Band, RecommendationValue] = DEFAULT_BAND_RECOMMENDATIONS,
) -> Recommendation:
    """Choose one recommendation from the rules that fired and the score's band.

    Parameters
    ----------
    hits : sequence of RuleHit
        The rules that fired, in rule-file order.
    band : Band or None
        The band of the model's score; ``None`` when there is no model output.
    band_defaults : mapping of Band to RecommendationValue
        The fallback for each band when no rule decides.

    Returns
    -------
    Recommendation
        The value, a one-sentence reason and whether going against it needs sign-off.
    """
    for action in ACTION_PRECEDENCE:
        value = _DECIDES.get(action)
        if value is None:
            continue
        deciding = [hit.id for hit in hits if hit.action is action]
        if deciding:
            return Recommendation(
                value=value,
                reason=f"{value.value} by rule {', '.join(deciding)}",
                supervisor_signoff_required=value in _SIGNOFF,
                rule_ids=deciding,
            )
    if band is None:
        return Recommendation(
            value=RecommendationValue.screener_judgment,
            reason="no rule decided and there is no model score",
            supervisor_signoff_required=False,
        )
    value = band_defaults.get(band, DEFAULT_BAND_RECOMMENDATIONS[band])
    return Recommendation(
        value=value,
        reason=f"no rule decided; default for band {band.value} is {value.value}",
        supervisor_signoff_required=value in _SIGNOFF,
    )
