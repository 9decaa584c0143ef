import datetime as dt
import itertools

from service.referrals.ranking import (
    _CAPACITY,
    DEFAULT_WEIGHTS,
    RankingWeights,
    Scorer,
    freshness,
    score,
)

AS_OF = dt.date(2026, 3, 1)


def reference(needs_met, needs_total, distance_km, capacity, verified, direct, weights):
    # The documented formula, written out once more the plain way.
    need_part = needs_met / needs_total if needs_total else 0.0
    distance_part = 0.0
    if distance_km is not None:
        distance_part = max(0.0, 1.0 - distance_km / weights.distance_scale_km)
    return (
        weights.need * need_part
        + weights.distance * distance_part
        + weights.capacity * _CAPACITY[capacity]
        + weights.freshness * freshness(verified, as_of=AS_OF, weights=weights)
        + weights.language * (1.0 if direct else 0.0)
    )


def test_scorer_gives_the_same_float_as_the_formula():
    odd = RankingWeights(need=0.3, distance=1.7, capacity=0.1, freshness=2.9, language=0.7)
    # Negative ages are dates after as_of: -1 is within the day allowed for time zones.
    days = (None, -400, -2, -1, 0, 1, 179, 180, 181, 400, 729, 730, 731, 2000)
    for weights, total in itertools.product((DEFAULT_WEIGHTS, odd), (0, 1, 3, 7)):
        scorer = Scorer(needs_total=total, as_of=AS_OF, weights=weights)
        for met, distance, capacity, age, direct in itertools.product(
            range(total + 1),
            (None, 0.0, 0.1, 3.3, 29.9, 30.0, 45.0),
            ("accepting", "waitlist", "unknown"),
            days,
            (False, True),
        ):
            verified = None if age is None else AS_OF - dt.timedelta(days=age)
            expected = reference(met, total, distance, capacity, verified, direct, weights)
            got = scorer.of(met, distance, capacity, verified, direct)
            assert got == expected


def test_a_date_after_as_of_is_a_verification_made_since():
    # as_of is the day the referral was received; a record checked since is as current as
    # one checked that day. (Dates after the day of loading are cut by the loader.)
    def fresh(days_after):
        verified = AS_OF + dt.timedelta(days=days_after)
        return freshness(verified, as_of=AS_OF, weights=DEFAULT_WEIGHTS)

    assert [fresh(d) for d in (-181, 0, 1, 2, 3650)] == [1.0 - 1 / 550, 1.0, 1.0, 1.0, 1.0]
    assert freshness(None, as_of=AS_OF, weights=DEFAULT_WEIGHTS) == 0.0


def test_score_of_a_record_verified_after_as_of_equals_one_verified_that_day():
    parts = {"needs_met": 1, "needs_total": 1, "distance_km": None, "capacity": "accepting"}
    later = dict(parts, verified=AS_OF + dt.timedelta(days=3), as_of=AS_OF, direct_language=True)
    that_day = dict(later, verified=AS_OF)
    never = dict(later, verified=None)

    assert score(**later) == score(**that_day) == 2.0 + 1.0 + 1.0 + 0.5
    assert score(**never) == 2.0 + 1.0 + 0.5
