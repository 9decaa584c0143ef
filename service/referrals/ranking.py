"""The documented soft ranking applied after the hard filters.

Each candidate gets a score that is a weighted sum of five parts, each between 0 and 1:

========== ============================================================================
need match share of the family's derived needs this one service meets (one-stop help)
distance   1 at the family's ZIP centre, falling linearly to 0 at ``distance_scale_km``;
           0 when either end has no coordinates
capacity   1 accepting new clients, 0.5 not reported, 0 no open places (waitlist)
freshness  1 if verified (``assured_date`` or ``last_modified``) within ``fresh_days``
           before the day judged on, or after it; falling linearly to 0 at ``stale_days``;
           0 when never verified. A date in the future is a data error, cut by the loader
           against the day the directory was loaded (:mod:`service.referrals.verification`);
           a date after the day judged on but not after that load day is a real
           verification, made since the referral was received
language   1 if the service itself speaks a caregiver's language, 0 if only through
           interpretation (or no language given)
========== ============================================================================

Ties are broken by service name, then id, so the order never depends on load order. The
score only orders options; it is not shown as a judgement of quality, and it never depends
on the risk score.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from service.referrals.directory import Capacity

_CAPACITY: dict[Capacity, float] = {"accepting": 1.0, "unknown": 0.5, "waitlist": 0.0}
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class RankingWeights:
    """Weights of the score's parts and the scales they are judged on."""

    need: float = 2.0
    distance: float = 1.5
    capacity: float = 1.0
    freshness: float = 1.0
    language: float = 0.5
    distance_scale_km: float = 30.0
    fresh_days: int = 180
    stale_days: int = 730


DEFAULT_WEIGHTS = RankingWeights()


def score(
    *,
    needs_met: int,
    needs_total: int,
    distance_km: float | None,
    capacity: Capacity,
    verified: dt.date | None,
    as_of: dt.date,
    direct_language: bool,
    weights: RankingWeights = DEFAULT_WEIGHTS,
) -> float:
    """Return a candidate's ranking score (higher is listed first).

    Parameters
    ----------
    needs_met : int
        How many of the family's needs the service meets.
    needs_total : int
        How many needs the family has.
    distance_km : float or None
        Distance from the family's ZIP centre to the nearest site.
    capacity : {"accepting", "waitlist", "unknown"}
        Whether the service is taking new clients.
    verified : datetime.date or None
        When the record was last assured or modified.
    as_of : datetime.date
        The day to judge freshness on.
    direct_language : bool
        Whether the service speaks a caregiver's language itself.
    weights : RankingWeights
        Weights and scales.

    Returns
    -------
    float
        The weighted sum described in the module docstring.
    """
    scorer = Scorer(needs_total=needs_total, as_of=as_of, weights=weights)
    return scorer.of(needs_met, distance_km, capacity, verified, direct_language)


class Scorer:
    """:func:`score` for one family, with what is the same for every candidate set once.

    The matcher scores dozens of candidates per referral; working out here each weight
    times the few values its part can take, and the freshness bounds, cut a candidate's
    score from about 2.5 to 1 us. Every product and the order of the sum are those of
    :func:`score`'s formula, so the result is the same float.

    Parameters
    ----------
    needs_total : int
        How many needs the family has.
    as_of : datetime.date
        The day to judge freshness on.
    weights : RankingWeights
        Weights and scales.
    """

    __slots__ = (
        "_as_of",
        "_capacity",
        "_distance",
        "_fresh_days",
        "_freshness",
        "_language",
        "_need",
        "_needs_total",
        "_scale",
        "_stale_days",
    )

    def __init__(self, *, needs_total: int, as_of: dt.date, weights: RankingWeights) -> None:
        self._needs_total = needs_total
        self._as_of = as_of.toordinal()
        self._need = weights.need
        self._distance = weights.distance
        self._scale = weights.distance_scale_km
        self._capacity = {c: weights.capacity * part for c, part in _CAPACITY.items()}
        self._freshness = weights.freshness
        self._fresh_days = weights.fresh_days
        self._stale_days = weights.stale_days
        self._language = (weights.language * 0.0, weights.language * 1.0)

    def of(
        self,
        needs_met: int,
        distance_km: float | None,
        capacity: Capacity,
        verified: dt.date | None,
        direct_language: bool,
    ) -> float:
        """Return the candidate's score (arguments by position: it runs per candidate).

        Parameters
        ----------
        needs_met, distance_km, capacity, verified, direct_language
            As for :func:`score`.

        Returns
        -------
        float
            The score.
        """
        need_part = needs_met / self._needs_total if self._needs_total else 0.0
        distance_part = 0.0
        if distance_km is not None:
            distance_part = max(0.0, 1.0 - distance_km / self._scale)
        # freshness(), on day numbers: (as_of - verified).days is the difference of ordinals.
        fresh = 0.0
        if verified is not None:
            age = self._as_of - verified.toordinal()
            if age <= self._fresh_days:
                fresh = 1.0
            elif age < self._stale_days:
                fresh = 1.0 - (age - self._fresh_days) / (self._stale_days - self._fresh_days)
        return (
            self._need * need_part
            + self._distance * distance_part
            + self._capacity[capacity]
            + self._freshness * fresh
            + self._language[direct_language]
        )


def freshness(verified: dt.date | None, *, as_of: dt.date, weights: RankingWeights) -> float:
    """Return 1 for a recently verified record, falling to 0 for a stale or unverified one.

    A date after ``as_of`` counts as fresh: as_of is the day a referral was received, and a
    record verified since then (a referral screened after a weekend, or scored again later)
    is as current as one verified that day. Dates in the future of the real calendar, which
    are data errors, are left out when the directory is loaded
    (:mod:`service.referrals.verification`), not here: judged against the referral's day
    they would rank the records checked most recently as never verified.

    Parameters
    ----------
    verified : datetime.date or None
        When the record was last assured or modified.
    as_of : datetime.date
        The day to judge on.
    weights : RankingWeights
        Supplies ``fresh_days`` and ``stale_days``.

    Returns
    -------
    float
        Between 0 and 1.
    """
    if verified is None:
        return 0.0
    age = (as_of - verified).days
    if age <= weights.fresh_days:
        return 1.0
    if age >= weights.stale_days:
        return 0.0
    return 1.0 - (age - weights.fresh_days) / (weights.stale_days - weights.fresh_days)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the great-circle distance between two WGS84 points in kilometres.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : float
        Latitudes and longitudes in degrees.

    Returns
    -------
    float
        Distance in km.
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))
