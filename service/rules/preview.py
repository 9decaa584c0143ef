"""Preview a policy change: run two rule sets over the same cases and count what changes.

A *cases file* is JSON Lines, one case per line, blank lines ignored. A line is either a bare
referral (the :class:`models.referral.Referral` contract) or an object that adds the model's
output::

    {"referral": {...}, "probability": 0.41, "score": 18, "band": "very_high"}

``probability``, ``score`` and ``band`` are optional; when ``band`` is missing it is derived from
``score``, and a case with both must give the score's band. A case that gives none of the three
is scored with the model in service, when there is one, so that score-based rules and the band
defaults apply to it as they would in production; without a model such cases are counted and
the rules that need a score are named (:attr:`Preview.rules_not_evaluated`).

A line of a training file (the output of ``hotline synth`` or an agency's extract) is a case
too: its recorded outcomes (``screened_in``, ``removal_2y``, ...) are accepted and play no part
in the preview. Any other key is refused, naming it and the accepted keys.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from models.artifact import ScreeningModel
from models.referral import Referral
from models.scorer import score_referral
from models.scoring import Band, Probability, ScreeningScore
from service.rules.conditions import fact_refs
from service.rules.engine import band_of, evaluate_rules
from service.rules.errors import CasesError, FactInputError
from service.rules.outcome import RulesOutcome
from service.rules.recommendation import RecommendationValue
from service.rules.ruleset import RuleSet

_OUTCOME = "recorded on a training line; accepted so such a file can be previewed, not used"


class Case(BaseModel):
    """One referral, the model output to evaluate it with, and outcomes recorded with it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    referral: Referral
    probability: Probability | None = None
    score: ScreeningScore | None = None
    band: Band | None = None
    # The training data contract's outcomes (training.data.OUTCOME_COLUMNS, which service may
    # not import; a test keeps the two equal), typed as training reads them: a training file
    # previews line for line, and a value training would refuse is refused here too.
    screened_in: bool | None = Field(default=None, description=_OUTCOME)
    removal_2y: bool | None = Field(default=None, description=_OUTCOME)
    rereferral_6m: bool | None = Field(default=None, description=_OUTCOME)
    rereferral_2y: bool | None = Field(default=None, description=_OUTCOME)
    substantiated_rereport_2y: bool | None = Field(default=None, description=_OUTCOME)
    latent_risk: float | None = Field(default=None, description=_OUTCOME)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        # pydantic's own "Extra inputs are not permitted" says neither which keys a case may
        # have nor that a training line's outcomes are among them.
        if isinstance(data, dict):
            unknown = [key for key in data if key not in cls.model_fields]
            if unknown:
                raise PydanticCustomError(
                    "extra_forbidden",
                    "unknown {keys}; accepted keys: {accepted}",
                    {
                        "keys": ("key " if len(unknown) == 1 else "keys ")
                        + ", ".join(f"'{key}'" for key in unknown),
                        "accepted": ", ".join(cls.model_fields),
                    },
                )
        return data

    @field_validator("band")
    @classmethod
    def _band_fits_score(cls, band: Band | None, info: ValidationInfo) -> Band | None:
        # The band is the score's band. A case with both must agree, or score rules and band
        # rules (and the band default) would each see a different referral.
        try:
            band_of(info.data.get("score"), None if band is None else band.value)
        except FactInputError as exc:
            raise ValueError(f"{exc}; give the score's band or leave band out") from None
        return band

    @property
    def has_model_output(self) -> bool:
        """Whether the case gives any of ``probability``, ``score`` or ``band``."""
        return self.probability is not None or self.score is not None or self.band is not None


@dataclass(frozen=True)
class NumberedCase:
    """A case and the line it came from (1-based), for messages."""

    line: int
    case: Case


@dataclass(frozen=True)
class ChangedCase:
    """A case whose recommendation differs between the two rule sets."""

    line: int
    referral_id: str
    before: RecommendationValue
    after: RecommendationValue
    rule_ids: list[str]


@dataclass
class Preview:
    """What a proposed rule set would change against the active one."""

    cases: int = 0
    transitions: Counter[tuple[RecommendationValue, RecommendationValue]] = field(
        default_factory=Counter
    )
    hits_active: Counter[str] = field(default_factory=Counter)
    hits_proposed: Counter[str] = field(default_factory=Counter)
    changed: list[ChangedCase] = field(default_factory=list)
    scored: int = 0
    """Cases given without model output and scored with the model passed in."""
    unscored: int = 0
    """Cases given without model output when no model was passed in."""
    rules_not_evaluated: list[str] = field(default_factory=list)
    """With ``unscored`` cases: the rules of either set whose condition names ``score``,
    ``band`` or ``probability`` (active set's first), which could not be evaluated on them."""


def read_cases(path: str | os.PathLike[str]) -> list[NumberedCase]:
    """Read a JSON Lines cases file.

    Parameters
    ----------
    path : str or os.PathLike
        The cases file.

    Returns
    -------
    list of NumberedCase
        The cases in file order.

    Raises
    ------
    CasesError
        Naming the file and line of the first bad case, or saying it holds none.
    """
    source = os.fspath(path)
    try:
        # utf-8-sig: editors on Windows may start the file with a byte-order mark. Lines end
        # at "\n" only, as in JSON Lines: str.splitlines would also break a line at characters
        # JSON allows inside a string (U+2028, U+0085, form feed) and miscount the lines.
        # A "\r" left by CRLF line ends is JSON whitespace.
        lines = Path(source).read_text(encoding="utf-8-sig").split("\n")
    except OSError as exc:
        raise CasesError(f"{source}: cannot read cases file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise CasesError(f"{source}: not UTF-8 text") from None
    cases: list[NumberedCase] = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            cases.append(NumberedCase(number, _parse_case(line, f"{source} line {number}")))
    if not cases:
        # "0 cases, nothing changes" would read as a passed test of the proposed rules.
        raise CasesError(f"{source}: no cases; give one referral (JSON) per line")
    return cases


def _parse_case(line: str, where: str) -> Case:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CasesError(f"{where}: not valid JSON: {exc.msg} at column {exc.colno}") from None
    except ValueError:
        # The one other ValueError json raises: an integer past Python's digit limit.
        raise CasesError(
            f"{where}: not valid JSON: a number has more than {sys.get_int_max_str_digits()} digits"
        ) from None
    except RecursionError:
        raise CasesError(f"{where}: not valid JSON: it nests too deeply to read") from None
    if not isinstance(data, dict):
        raise CasesError(f'{where}: expected a JSON object (a referral, or {{"referral": ...}})')
    wrapped = data if "referral" in data else {"referral": data}
    try:
        return Case.model_validate(wrapped)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = ".".join(str(part) for part in error["loc"])
        # As the API's errors: a validator's message is shown as written.
        message = str(error["msg"]).removeprefix("Value error, ")
        # An unknown key is the whole case's error (empty loc); its message names the key.
        raise CasesError(f"{where}: {loc}: {message}" if loc else f"{where}: {message}") from None


def needs_model(cases: list[NumberedCase]) -> bool:
    """Whether any case gives no model output, so that the model would score it.

    Parameters
    ----------
    cases : list of NumberedCase

    Returns
    -------
    bool
        For a caller that loads the model only when it is used.
    """
    return any(not item.case.has_model_output for item in cases)


def rules_needing_model(*rulesets: RuleSet) -> list[str]:
    """Name the rules whose condition uses a model fact (``score``, ``band``, ``probability``).

    Parameters
    ----------
    *rulesets : RuleSet
        The rule sets to look through, in order.

    Returns
    -------
    list of str
        Rule ids in file order, each once: a rule of the same id in a later set is not
        repeated.
    """
    found: dict[str, None] = {}  # an ordered set
    for ruleset in rulesets:
        for rule in ruleset.rules:
            if any(ref.spec.from_model for ref in fact_refs(rule.condition)):
                found.setdefault(rule.id)
    return list(found)


def _scored(case: Case, model: ScreeningModel) -> Case:
    # As POST /v1/score does: the model's probability, score and band, so score rules and the
    # band defaults see what a screener's referral would. No explanation is needed here.
    result = score_referral(model, case.referral, top_k=0)
    return case.model_copy(
        update={"probability": result.probability, "score": result.score, "band": result.band}
    )


def _evaluate(ruleset: RuleSet, line: int, case: Case, where: str) -> RulesOutcome:
    try:
        return evaluate_rules(
            ruleset,
            case.referral,
            probability=case.probability,
            score=case.score,
            band=None if case.band is None else case.band.value,
        )
    except FactInputError as exc:
        raise CasesError(f"{where} line {line}: {exc}") from None


def compare_rule_sets(
    proposed: RuleSet,
    active: RuleSet,
    cases: list[NumberedCase],
    *,
    model: ScreeningModel | None = None,
    source: str = "cases",
) -> Preview:
    """Evaluate both rule sets on every case and count the differences.

    Parameters
    ----------
    proposed : RuleSet
        The rule set being considered.
    active : RuleSet
        The rule set in use.
    cases : list of NumberedCase
        From :func:`read_cases`.
    model : ScreeningModel or None
        The model in service. It scores each case that gives no ``probability``, ``score`` or
        ``band``; a case that gives any of them is evaluated as given. ``None``: no model is
        available, and such cases are evaluated without a score (counted in ``unscored``).
    source : str
        The cases file's name, for messages.

    Returns
    -------
    Preview
        Counts per from->to recommendation, hits per rule under each set, the changed cases,
        and how the cases without model output were handled.
    """
    preview = Preview(cases=len(cases))
    for item in cases:
        case = item.case
        if not case.has_model_output:
            if model is None:
                preview.unscored += 1
            else:
                case = _scored(case, model)
                preview.scored += 1
        before = _evaluate(active, item.line, case, source)
        after = _evaluate(proposed, item.line, case, source)
        preview.hits_active.update(hit.id for hit in before.rule_hits)
        preview.hits_proposed.update(hit.id for hit in after.rule_hits)
        old, new = before.recommendation.value, after.recommendation.value
        if old != new:
            preview.transitions[(old, new)] += 1
            preview.changed.append(
                ChangedCase(
                    line=item.line,
                    referral_id=case.referral.referral_id,
                    before=old,
                    after=new,
                    rule_ids=after.recommendation.rule_ids,
                )
            )
    if preview.unscored:
        # A rule on the score does not fire without one: a preview that said only "nothing
        # changes" would read as a passed test of a changed score rule.
        preview.rules_not_evaluated = rules_needing_model(active, proposed)
    return preview
