"""Match a family to services: hard filters, then the ranking, then a spread across needs.

For each derived need the candidates come from the directory's (need, ZIP) and (need,
county) buckets, so matching reads a few dozen services, not the whole directory. Options
are then taken round-robin across the family's needs (first option for each need, then the
second, ...) so that every need gets options, and a service meeting several needs is listed
once, with the others under ``also_meets``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from models.referral import Need, Referral
from service.referrals.directory import Directory, IndexedService, MatchFacts, ZipCentroid
from service.referrals.eligibility import Requirement
from service.referrals.family import FamilyProfile, profile_from_referral
from service.referrals.filters import (
    age_ok,
    ages_fit,
    area_reason,
    clients_of,
    eligibility_ok,
    language_ok,
)
from service.referrals.languages import language_name, normalize_language
from service.referrals.needs import DerivedNeed, derive_needs
from service.referrals.ranking import DEFAULT_WEIGHTS, EARTH_RADIUS_KM, RankingWeights, Scorer
from service.referrals.suggestion import ReferralSuggestion

MIN_LIMIT = 3
MAX_LIMIT = 50
_EARTH_DIAMETER_KM = 2 * EARTH_RADIUS_KM
_BAD_LIMIT = (
    "limit must be between {low} and {high} (I&R practice offers at least three options, "
    "never one 'best' pick), got {limit}"
)


@dataclass(frozen=True, slots=True)
class _Candidate:
    service: IndexedService
    score: float
    distance_km: float | None


def suggest_referrals(
    directory: Directory,
    referral: Referral,
    *,
    limit: int = 5,
    weights: RankingWeights = DEFAULT_WEIGHTS,
) -> list[ReferralSuggestion]:
    """Suggest community services for the family named on a referral.

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

    Returns
    -------
    list[ReferralSuggestion]
        Up to ``limit`` options spread across the family's needs; empty if no need is
        derived or nothing passes the filters.

    Raises
    ------
    ValueError
        If ``limit`` is outside 3..50.
    """
    family = profile_from_referral(referral)
    return match(directory, family, derive_needs(referral), limit=limit, weights=weights)


def search_directory(
    directory: Directory,
    *,
    needs: Sequence[Need],
    zip_code: str,
    county: str | None = None,
    languages: Sequence[str] = (),
    ages: Sequence[float] = (),
    pregnant: bool = False,
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
    ages : Sequence[float]
        Ages of the people to serve; empty means no age filter.
    pregnant : bool
        Whether a caregiver is pregnant.
    limit : int
        Most options to return (3 to 50).
    as_of : datetime.date, optional
        Day to judge record freshness on; today by default.
    weights : RankingWeights
        Ranking weights.

    Returns
    -------
    list[ReferralSuggestion]
        Up to ``limit`` options.
    """
    family = FamilyProfile(
        zip_code=zip_code,
        county=county,
        child_ages=(),
        caregiver_ages=(),
        other_ages=tuple(ages),
        pregnant=pregnant,
        languages=tuple(dict.fromkeys(normalize_language(c) for c in languages)),
        as_of=as_of or dt.date.today(),
    )
    derived = [DerivedNeed(need=n, reason="searched for") for n in dict.fromkeys(needs)]
    return match(directory, family, derived, limit=limit, weights=weights)


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
        Place, ages, pregnancy, languages and the day to judge freshness on.
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
    if not MIN_LIMIT <= limit <= MAX_LIMIT:
        raise ValueError(_BAD_LIMIT.format(low=MIN_LIMIT, high=MAX_LIMIT, limit=limit))
    county = family.county
    if county is None and family.zip_code in directory.zip_centroids:
        county = directory.zip_centroids[family.zip_code].county
    origin = directory.zip_centroids.get(family.zip_code)
    family_needs = frozenset(n.need for n in needs)
    # Everything but the age check is the same whichever need a service is a candidate
    # for, so each service is filtered and scored once per referral, not once per need.
    judged = _Judge(family, family_needs, origin, weights)
    ranked: list[tuple[DerivedNeed, list[_Ranked]]] = []
    for derived in needs:
        ages = clients_of(derived.need, family)[0]
        age_verdicts: dict[tuple[float | None, float | None], bool] = {}
        candidates: list[_Ranked] = []
        for facts in directory.candidate_facts(
            derived.need, zip_code=family.zip_code, county=county
        ):
            service = facts.service
            if facts.has_age_range:
                # Few distinct age ranges exist, so the verdict is shared between services.
                span = (service.minimum_age, service.maximum_age)
                fits = age_verdicts.get(span)
                if fits is None:
                    fits = age_verdicts[span] = ages_fit(span[0], span[1], ages)
                if not fits:
                    continue
            entry = judged.rank(facts)
            if entry is not None:
                candidates.append(entry)
        # Keys (negated rounded score, casefolded name, id) are unique, so the service
        # objects after them are never compared.
        candidates.sort()
        ranked.append((derived, candidates))
    chosen = _spread(ranked, limit=limit)
    family_order = [n.need for n in needs]
    return [
        _suggestion(
            _Candidate(service=c[3], score=c[4], distance_km=c[5]),
            d,
            family,
            county,
            family_order,
            rank=i,
        )
        for i, (d, c) in enumerate(chosen, start=1)
    ]


_Ranked = tuple[float, str, str, IndexedService, float, float | None]
"""Sort key (negated rounded score, casefolded name, id), then service, score, distance."""


class _Judge:
    """The need-independent filters and the score of each service, memoised per referral."""

    __slots__ = (
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
        self._score = Scorer(needs_total=len(family_needs), as_of=family.as_of, weights=weights)
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

    def rank(self, facts: MatchFacts) -> _Ranked | None:
        """Return the service's ranking entry, or None if a family-wide filter excludes it."""
        service = facts.service
        key = service.id
        if key in self._seen:
            return self._seen[key]
        entry = self._judge(facts)
        self._seen[key] = entry
        return entry

    def _judge(self, facts: MatchFacts) -> _Ranked | None:
        service = facts.service
        family = self._family
        # Status needs no check here: the directory indexes only active services.
        if service.requirements:
            eligible = self._eligible.get(service.requirements)
            if eligible is None:
                eligible = eligibility_ok(service, family, explain=False) is not None
                self._eligible[service.requirements] = eligible
            if not eligible:
                return None
        # Same verdict as language_ok(explain=False), without building the list of codes.
        direct = False
        if self._languages:
            direct = not self._languages.isdisjoint(service.languages)
            if not direct and not service.interpretation:
                return None
        distance = self._distance(facts)
        value = self._score(
            needs_met=len(service.needs & self._family_needs),
            distance_km=distance,
            capacity=service.capacity,
            verified=service.verified,
            direct_language=direct,
        )
        return (-round(value, 9), facts.sort_name, service.id, service, value, distance)

    def _distance(self, facts: MatchFacts) -> float | None:
        # The haversine formula of ranking.haversine_km, with each end's radians and cosine
        # worked out beforehand; the operations are the same, so the result is identical.
        if self._origin is None or not facts.site_points:
            return None
        p1, cos1, lon1 = self._origin
        nearest = min(
            _EARTH_DIAMETER_KM
            * math.asin(
                math.sqrt(
                    math.sin((p2 - p1) / 2) ** 2
                    + cos1 * cos2 * math.sin(math.radians(lon2 - lon1) / 2) ** 2
                )
            )
            for p2, cos2, lon2 in facts.site_points
        )
        return round(nearest, 1)


def _why(
    candidate: _Candidate, family: FamilyProfile, derived: DerivedNeed, county: str | None
) -> list[str]:
    service = candidate.service
    language = language_ok(service, family)
    why = [
        f"Meets {derived.need.value.replace('_', ' ')}: {derived.reason}",
        area_reason(service, family, county),
        age_ok(service, family, derived.need) or "",
        *(eligibility_ok(service, family) or []),
        language[0] if language else "",
    ]
    if candidate.distance_km is not None:
        why.append(f"{candidate.distance_km:.1f} km from the centre of ZIP {family.zip_code}")
    if service.capacity == "accepting":
        why.append(f"Accepting new clients ({service.capacity_available:g} open places)")
    elif service.capacity == "waitlist":
        why.append("No open places reported: expect a waitlist")
    if service.verified is not None:
        why.append(f"Record verified {service.verified.isoformat()}")
    return [w for w in why if w]


def _spread(
    ranked: list[tuple[DerivedNeed, list[_Ranked]]], *, limit: int
) -> list[tuple[DerivedNeed, _Ranked]]:
    chosen: list[tuple[DerivedNeed, _Ranked]] = []
    used: set[str] = set()
    positions = [0] * len(ranked)
    while len(chosen) < limit:
        progressed = False
        for index, (derived, candidates) in enumerate(ranked):
            while positions[index] < len(candidates) and candidates[positions[index]][2] in used:
                positions[index] += 1
            if positions[index] >= len(candidates) or len(chosen) >= limit:
                continue
            candidate = candidates[positions[index]]
            positions[index] += 1
            used.add(candidate[2])
            chosen.append((derived, candidate))
            progressed = True
        if not progressed:
            break
    return chosen


def _suggestion(
    candidate: _Candidate,
    derived: DerivedNeed,
    family: FamilyProfile,
    county: str | None,
    family_needs: list[Need],
    *,
    rank: int,
) -> ReferralSuggestion:
    service = candidate.service
    need = derived.need
    also = [n for n in family_needs if n != need and n in service.needs]
    why = _why(candidate, family, derived, county)
    if also:
        why.append("Also meets: " + ", ".join(n.value.replace("_", " ") for n in also))
    site = next(
        (s for s in service.sites if s.address), service.sites[0] if service.sites else None
    )
    # model_construct: every value is computed here from the loaded directory, not taken
    # from a request, and validating ~5 suggestions again per score cost more than ranking.
    return ReferralSuggestion.model_construct(
        rank=rank,
        service_id=service.id,
        service_name=service.name,
        organization=service.organization,
        need=need,
        also_meets=also,
        why=why,
        phone=service.phone,
        address=site.address if site else None,
        location_name=site.name if site else None,
        hours=service.hours,
        distance_km=candidate.distance_km,
        languages=sorted(language_name(c) for c in service.languages),
        capacity=service.capacity,
        eligibility=service.eligibility_description,
        next_step=service.application_process,
        url=service.url,
        last_verified=service.verified,
    )
