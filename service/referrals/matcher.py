"""Match a family to services: hard filters, then the ranking, then a spread across needs.

For each derived need the candidates come from the directory's (need, ZIP) and (need,
county) buckets, so matching reads a few dozen services, not the whole directory. Options
are then taken round-robin across the family's needs in priority order (first option for
each need, then the second, ...), and a service meeting several needs is listed once, with
the others under ``also_meets``. When there are more needs than options, a need another
option already meets waits for the second round, so a later need still gets one; each need
left with no option is reported with why (:class:`~service.referrals.unmet.UnmetNeed`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from math import asin, radians, sin, sqrt

from models.referral import Need, Referral
from service.referrals.directory import Directory, MatchFacts, ZipCentroid
from service.referrals.eligibility import Requirement
from service.referrals.family import FamilyProfile, profile_from_referral
from service.referrals.filters import (
    age_fits,
    ages_fit,
    area_reason,
    clients_of,
    eligibility_ok,
    language_ok,
)
from service.referrals.languages import normalize_language
from service.referrals.needs import DerivedNeed, derive_needs, no_needs_reason
from service.referrals.ranking import DEFAULT_WEIGHTS, EARTH_RADIUS_KM, RankingWeights, Scorer
from service.referrals.reasons import NEED_TEXT, age_reason
from service.referrals.suggestion import ReferralMatch, ReferralSuggestion
from service.referrals.unmet import (
    Exclusion,
    UnmetNeed,
    none_in_directory,
    none_in_reach,
    over_limit,
)

MIN_LIMIT = 3
MAX_LIMIT = 50
_EARTH_DIAMETER_KM = 2 * EARTH_RADIUS_KM
_BAD_LIMIT = (
    "limit must be between {low} and {high} (I&R practice offers at least three options, "
    "never one 'best' pick), got {limit}"
)


def suggest_referrals(
    directory: Directory,
    referral: Referral,
    *,
    limit: int = 5,
    weights: RankingWeights = DEFAULT_WEIGHTS,
    rule_needs: Iterable[DerivedNeed] = (),
) -> list[ReferralSuggestion]:
    """Return only the options of :func:`match_referral` (same parameters).

    Returns
    -------
    list[ReferralSuggestion]
        Up to ``limit`` options spread across the family's needs; empty if no need is
        derived or nothing passes the filters.
    """
    return match_referral(
        directory, referral, limit=limit, weights=weights, rule_needs=rule_needs
    ).suggestions


def match_referral(
    directory: Directory,
    referral: Referral,
    *,
    limit: int = 5,
    weights: RankingWeights = DEFAULT_WEIGHTS,
    rule_needs: Iterable[DerivedNeed] = (),
) -> ReferralMatch:
    """Suggest community services for a referral, and say which needs got no option and why.

    Parameters
    ----------
    directory : Directory
        The loaded directory.
    referral : Referral
        The report to the hotline.
    limit : int
        Most options to return (3 to 50).
    weights : RankingWeights
        Ranking weights; see :mod:`service.referrals.ranking`.
    rule_needs : Iterable[DerivedNeed]
        Needs the policy rules that fired suggest (:func:`~service.referrals.needs_from_rules`);
        they rank first among the family's needs.

    Returns
    -------
    ReferralMatch
        The needs in priority order, the options (as :func:`suggest_referrals` returns
        them), each need no option meets with its cause, and, when no need was derived at
        all, a note saying why.

    Raises
    ------
    ValueError
        If ``limit`` is outside 3..50.
    """
    family = profile_from_referral(referral)
    needs = derive_needs(referral, rule_needs=rule_needs)
    found = _match(directory, family, needs, limit=limit, weights=weights)
    return ReferralMatch(
        needs=needs,
        county=found.county,
        suggestions=found.suggestions,
        unmet=found.unmet,
        note=None if needs else no_needs_reason(referral),
    )


def search_directory(
    directory: Directory,
    *,
    needs: Sequence[Need],
    zip_code: str,
    county: str | None = None,
    languages: Sequence[str] = (),
    ages: Sequence[float] | None = (),
    pregnant: bool | None = False,
    limit: int = 5,
    as_of: dt.date | None = None,
    weights: RankingWeights = DEFAULT_WEIGHTS,
) -> list[ReferralSuggestion]:
    """Search by hand, as a screener does: the same filters and ranking as for a referral.

    Parameters
    ----------
    directory : Directory
        The loaded directory.
    needs : Sequence[Need]
        Needs to look for.
    zip_code : str
        The family's ZIP code.
    county : str, optional
        The family's county; by default taken from the ZIP centroid table.
    languages : Sequence[str]
        ISO 639 codes the family speaks; empty means no language filter.
    ages : Sequence[float] or None
        Ages of the people to serve. None: not given, so neither age ranges nor "child
        under N" requirements are enforced. Empty (the default, kept for existing
        callers): no age filter, but no child counts for "child under N".
    pregnant : bool or None
        Whether a caregiver is pregnant. None: not given, so pregnancy requirements are
        not enforced (shown "Eligibility to confirm"). False (the default) excludes
        services for pregnant people only.
    limit : int
        Most options to return (3 to 50).
    as_of : datetime.date, optional
        Day to judge record freshness and opening hours on; today by default.
    weights : RankingWeights
        Ranking weights.

    Returns
    -------
    list[ReferralSuggestion]
        Up to ``limit`` options.
    """
    return match_search(
        directory,
        needs=needs,
        zip_code=zip_code,
        county=county,
        languages=languages,
        ages=ages,
        pregnant=pregnant,
        limit=limit,
        as_of=as_of,
        weights=weights,
    ).suggestions


def match_search(
    directory: Directory,
    *,
    needs: Sequence[Need],
    zip_code: str,
    county: str | None = None,
    languages: Sequence[str] = (),
    ages: Sequence[float] | None = (),
    pregnant: bool | None = False,
    limit: int = 5,
    as_of: dt.date | None = None,
    weights: RankingWeights = DEFAULT_WEIGHTS,
) -> ReferralMatch:
    """Search by hand, and say which needs searched for got no option and why.

    Parameters are those of :func:`search_directory`.

    Returns
    -------
    ReferralMatch
        The needs searched for, the county used, the options and the needs left unmet.
    """
    family = FamilyProfile(
        zip_code=zip_code,
        county=county,
        child_ages=(),
        caregiver_ages=(),
        other_ages=tuple(ages or ()),
        pregnant=pregnant,
        languages=tuple(dict.fromkeys(normalize_language(c) for c in languages)),
        as_of=as_of or dt.date.today(),
        ages_known=ages is not None,
    )
    derived = [DerivedNeed(need=n, reason="searched for") for n in dict.fromkeys(needs)]
    found = _match(directory, family, derived, limit=limit, weights=weights)
    return ReferralMatch(
        needs=derived, county=found.county, suggestions=found.suggestions, unmet=found.unmet
    )


def match(
    directory: Directory,
    family: FamilyProfile,
    needs: Sequence[DerivedNeed],
    *,
    limit: int = 5,
    weights: RankingWeights = DEFAULT_WEIGHTS,
) -> list[ReferralSuggestion]:
    """Filter, rank and spread options for a family's needs.

    Parameters
    ----------
    directory : Directory
        The loaded directory.
    family : FamilyProfile
        Place, ages, pregnancy, languages and the day to judge freshness and hours on.
    needs : Sequence[DerivedNeed]
        The needs, in priority order.
    limit : int
        Most options to return (3 to 50).
    weights : RankingWeights
        Ranking weights.

    Returns
    -------
    list[ReferralSuggestion]
        Options numbered from 1 in display order.

    Raises
    ------
    ValueError
        If ``limit`` is outside 3..50.
    """
    return _match(directory, family, needs, limit=limit, weights=weights).suggestions


@dataclass(frozen=True, slots=True)
class _Found:
    suggestions: list[ReferralSuggestion]
    unmet: list[UnmetNeed]
    county: str | None


def _match(
    directory: Directory,
    family: FamilyProfile,
    needs: Sequence[DerivedNeed],
    *,
    limit: int,
    weights: RankingWeights,
) -> _Found:
    if not MIN_LIMIT <= limit <= MAX_LIMIT:
        raise ValueError(_BAD_LIMIT.format(low=MIN_LIMIT, high=MAX_LIMIT, limit=limit))
    county_key, county = directory.resolve_county(family.zip_code, family.county)
    origin = directory.zip_centroids.get(family.zip_code)
    family_needs = frozenset(n.need for n in needs)
    # Everything but the age check is the same whichever need a service is a candidate
    # for, so each service is filtered and scored once per referral, not once per need.
    judged = _Judge(family, family_needs, origin, weights)
    ranked: list[tuple[DerivedNeed, list[_Ranked]]] = []
    # The services in the area of each need with no candidate, to say why it has none.
    none_fit: dict[Need, list[MatchFacts]] = {}
    for derived in needs:
        candidates: list[_Ranked] = []
        area = directory.candidates(derived.need, zip_code=family.zip_code, county_key=county_key)
        for facts in area:
            service = facts.service
            if facts.has_age_range and not judged.fits(
                derived.need, service.minimum_age, service.maximum_age
            ):
                continue
            entry = judged.rank(facts)
            if entry is not None:
                candidates.append(entry)
        if not candidates:
            none_fit[derived.need] = area
        # Keys (negated rounded score, casefolded name, id) are unique, so the service
        # objects after them are never compared.
        candidates.sort()
        ranked.append((derived, candidates))
    chosen = _spread(ranked, limit=limit)
    family_order = [n.need for n in needs]
    suggestions = [
        _suggestion(c[3], c[5], c[6], d, family, county, family_order, rank=i)
        for i, (d, c) in enumerate(chosen, start=1)
    ]
    met: set[Need] = set()
    for derived, candidate in chosen:
        met.add(derived.need)
        met.update(candidate[6])
    unmet: list[UnmetNeed] = []
    for derived in needs:
        need = derived.need
        if need in met:
            continue
        if need not in none_fit:
            unmet.append(over_limit(need, derived.reason, limit=limit))
        elif need not in directory.needs_offered:
            unmet.append(none_in_directory(need, derived.reason))
        else:
            excluded = Counter(judged.exclusion(need, facts) for facts in none_fit[need])
            unmet.append(
                none_in_reach(
                    need,
                    derived.reason,
                    zip_code=family.zip_code,
                    county=county,
                    excluded=excluded,
                )
            )
    return _Found(suggestions=suggestions, unmet=unmet, county=county)


_Ranked = tuple[float, str, str, MatchFacts, float, float | None, frozenset[Need]]
"""Sort key (negated rounded score, casefolded name, id), then facts, score, distance and
the family's needs the service meets."""


class _Judge:
    """The need-independent filters and the score of each service, memoised per referral."""

    __slots__ = (
        "_clients",
        "_fits",
        "_eligible",
        "_family",
        "_family_needs",
        "_languages",
        "_origin",
        "_seen",
        "_score",
    )

    def __init__(
        self,
        family: FamilyProfile,
        family_needs: frozenset[Need],
        origin: ZipCentroid | None,
        weights: RankingWeights,
    ) -> None:
        self._family = family
        self._family_needs = family_needs
        self._clients = {need: clients_of(need, family)[0] for need in family_needs}
        self._fits: dict[tuple[Need, float | None, float | None], bool] = {}
        self._score = Scorer(needs_total=len(family_needs), as_of=family.as_of, weights=weights).of
        self._languages = frozenset(family.languages)
        self._origin = (
            None
            if origin is None
            else (
                math.radians(origin.latitude),
                math.cos(math.radians(origin.latitude)),
                origin.longitude,
            )
        )
        self._seen: dict[str, _Ranked | None] = {}
        self._eligible: dict[tuple[Requirement, ...], bool] = {}

    def fits(self, need: Need, low: float | None, high: float | None) -> bool:
        """Return whether an age range fits whom a need is for (no ages known: it does)."""
        # Few distinct age ranges exist, so each verdict is shared between services.
        key = (need, low, high)
        verdict = self._fits.get(key)
        if verdict is None:
            verdict = self._fits[key] = ages_fit(low, high, self._clients[need])
        return verdict

    def rank(self, facts: MatchFacts) -> _Ranked | None:
        """Return the service's ranking entry, or None if a family-wide filter excludes it."""
        service = facts.service
        key = service.id
        seen = self._seen
        if key in seen:
            return seen[key]
        entry = seen[key] = self._judge(facts)
        return entry

    def exclusion(self, need: Need, facts: MatchFacts) -> Exclusion:
        """Return the filter that excluded a service in the area (only for unmet needs)."""
        service = facts.service
        if facts.has_age_range and not self.fits(need, service.minimum_age, service.maximum_age):
            return "age range"
        if eligibility_ok(service, self._family, explain=False) is None:
            return "eligibility"
        return "language"

    def _judge(self, facts: MatchFacts) -> _Ranked | None:
        service = facts.service
        # Status needs no check here: the directory indexes only active services.
        if service.requirements:
            eligible = self._eligible.get(service.requirements)
            if eligible is None:
                eligible = eligibility_ok(service, self._family, explain=False) is not None
                self._eligible[service.requirements] = eligible
            if not eligible:
                return None
        # Same verdict as language_ok(explain=False), without building the list of codes.
        direct = False
        if self._languages:
            direct = not self._languages.isdisjoint(service.languages)
            if not direct and not service.interpretation:
                return None
        origin = self._origin
        distance = (
            None
            if origin is None or not facts.site_points
            else _nearest_km(origin, facts.site_points)
        )
        met = service.needs & self._family_needs
        if facts.has_age_range and len(met) > 1:
            # The age range is checked against whom each need is for, so an adults-only
            # programme tagged home visiting does not meet a toddler's home-visiting need;
            # it must not count in the need share nor be listed under "also meets".
            low, high = service.minimum_age, service.maximum_age
            met = frozenset(n for n in met if self.fits(n, low, high))
        value = self._score(
            len(met),
            distance,
            service.capacity,
            service.verified,
            direct,
        )
        return (-round(value, 9), facts.sort_name, service.id, facts, value, distance, met)


def _nearest_km(
    origin: tuple[float, float, float], points: tuple[tuple[float, float, float], ...]
) -> float:
    # The haversine formula of ranking.haversine_km, with each end's radians and cosine
    # worked out beforehand; the operations are the same, so the result is identical. A
    # loop, not min() over a generator, as most services have one site (~0.5 us a
    # candidate); it keeps min()'s rule (the first site, replaced only by a nearer one).
    p1, cos1, lon1 = origin
    nearest: float | None = None
    for p2, cos2, lon2 in points:
        km = _EARTH_DIAMETER_KM * asin(
            sqrt(sin((p2 - p1) / 2) ** 2 + cos1 * cos2 * sin(radians(lon2 - lon1) / 2) ** 2)
        )
        if nearest is None or km < nearest:
            nearest = km
    assert nearest is not None  # the caller passes at least one point
    return round(nearest, 1)


def _spread(
    ranked: list[tuple[DerivedNeed, list[_Ranked]]], *, limit: int
) -> list[tuple[DerivedNeed, _Ranked]]:
    # Round-robin over the needs in priority order. In the first round a need that an
    # earlier option already meets (under also_meets) waits for the second round when
    # taking a place now would leave a later need with none; otherwise it takes its own
    # first option, as every need does.
    chosen: list[tuple[DerivedNeed, _Ranked]] = []
    used: set[str] = set()
    met: set[Need] = set()
    positions = [0] * len(ranked)
    first_round = True
    while len(chosen) < limit:
        progressed = False
        for index, (derived, candidates) in enumerate(ranked):
            if len(chosen) >= limit:
                break
            position = _next_unused(candidates, positions[index], used)
            positions[index] = position
            if position >= len(candidates):
                continue
            if (
                first_round
                and derived.need in met
                and limit - len(chosen) <= _waiting(ranked, index, positions, used, met)
            ):
                continue
            candidate = candidates[position]
            positions[index] += 1
            used.add(candidate[2])
            met.add(derived.need)
            met.update(candidate[6])
            chosen.append((derived, candidate))
            progressed = True
        first_round = False
        if not progressed:
            break
    return chosen


def _next_unused(candidates: list[_Ranked], position: int, used: set[str]) -> int:
    while position < len(candidates) and candidates[position][2] in used:
        position += 1
    return position


def _waiting(
    ranked: list[tuple[DerivedNeed, list[_Ranked]]],
    index: int,
    positions: list[int],
    used: set[str],
    met: set[Need],
) -> int:
    """Count the needs after ``index`` that no option meets yet and that have one left."""
    return sum(
        1
        for later in range(index + 1, len(ranked))
        if ranked[later][0].need not in met
        and _next_unused(ranked[later][1], positions[later], used) < len(ranked[later][1])
    )


def _suggestion(
    facts: MatchFacts,
    distance_km: float | None,
    met: frozenset[Need],
    derived: DerivedNeed,
    family: FamilyProfile,
    county: str | None,
    family_needs: list[Need],
    *,
    rank: int,
) -> ReferralSuggestion:
    service = facts.service
    need = derived.need
    also = [n for n in family_needs if n != need and n in met]
    # The lines in display order; the family-independent ones were written at load
    # (MatchFacts). Every filter has passed, so the eligibility lines are all of them.
    why = [f"Meets {NEED_TEXT[need]}: {derived.reason}", area_reason(service, family, county)]
    if facts.age_span is not None:
        low, high = service.minimum_age, service.maximum_age
        ages, who = clients_of(need, family)
        youngest = min((a for a in ages if age_fits(a, low, high)), default=None)
        why.append(age_reason(facts.age_span, youngest, who))
    if service.requirements and family.has_unknowns:
        # Some requirement may be unjudged ("to confirm"), so the lines are written now.
        why += eligibility_ok(service, family) or []
    else:
        why += facts.eligibility_reasons
    language = language_ok(service, family)
    if language and language[0]:
        why.append(language[0])
    if distance_km is not None:
        why.append(f"{distance_km:.1f} km from the centre of ZIP {family.zip_code}")
    why += facts.record_reasons
    if also:
        why.append("Also meets: " + ", ".join(NEED_TEXT[n] for n in also))
    # Validated, not model_construct: pydantic 2.14 validates these values (~2 us) faster than
    # model_construct walks the fields (~4 us).
    return ReferralSuggestion(
        rank=rank,
        service_id=service.id,
        service_name=service.name,
        organization=service.organization,
        need=need,
        also_meets=also,
        why=why,
        phone=service.phone,
        address=facts.address,
        location_name=facts.location_name,
        hours=service.hours_on(family.as_of),
        distance_km=distance_km,
        languages=list(facts.language_names),
        capacity=service.capacity,
        eligibility=service.eligibility_description,
        next_step=service.application_process,
        url=service.url,
        last_verified=service.verified,
    )
