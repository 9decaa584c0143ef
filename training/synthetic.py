"""A seeded generator of realistic referral histories for a county-sized agency.

Every household has a latent risk ``z``. It drives how often the household is reported, the
public-system records of its caregivers, the allegations, the historical screening decision and
the outcomes. Reports are simulated on one timeline per household from five years before the
window to two years after it, so that prior reports, prior placements and later re-referrals of
an emitted referral are all consistent with each other.

Two knobs plant known disparities against one group (``biased_group``):

* ``surveillance_bias``: that group's households are reported this many times as often at equal
  latent risk (over-reporting);
* ``label_bias``: multiplies that group's odds of removal at equal latent risk (the outcome
  itself is biased).

Removal is observed only for screened-in referrals (the "selective labels" problem).
``latent_risk`` is the true probability of removal within two years if screened in, *without*
label bias: the best any model could do. See docs/synthetic-data.md for the targets.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import numpy.typing as npt

from models import AllegationType, InvolvementKind, Race, ReporterType
from training.seeds import MAX_SEED

FloatArray = npt.NDArray[np.float64]

DEMO_COUNTY = "Demo County"
DEMO_ZIPS = tuple(f"{90001 + i:05d}" for i in range(30))

# Shares of households by the children's race (multi-select) in the demo county.
RACE_GROUPS: tuple[tuple[tuple[Race, ...], float], ...] = (
    ((Race.white,), 0.55),
    ((Race.black,), 0.28),
    ((Race.black, Race.white), 0.06),
    ((Race.asian,), 0.05),
    ((Race.american_indian_alaska_native,), 0.02),
    ((Race.native_hawaiian_pacific_islander,), 0.01),
    ((Race.other,), 0.03),
)

_ALLEGATIONS = tuple(AllegationType)
# Base log-weights of each allegation, and how each leans on latent risk (z), on caregiver
# substance use (su) and on poverty (pov).
_ALLEGATION_MODEL: dict[AllegationType, tuple[float, float, float, float]] = {
    AllegationType.physical_abuse: (-1.2, 0.3, 0.0, 0.0),
    AllegationType.sexual_abuse: (-3.0, 0.2, 0.0, 0.0),
    AllegationType.emotional_abuse: (-2.0, 0.1, 0.0, 0.0),
    AllegationType.neglect: (0.0, 0.2, 0.3, 0.5),
    AllegationType.inadequate_supervision: (-0.7, 0.2, 0.2, 0.2),
    AllegationType.medical_neglect: (-2.4, 0.2, 0.0, 0.2),
    AllegationType.educational_neglect: (-1.8, 0.0, 0.0, 0.2),
    AllegationType.substance_exposed_infant: (-4.5, 0.3, 2.0, 0.0),
    AllegationType.caregiver_substance_use: (-2.4, 0.3, 1.8, 0.0),
    AllegationType.domestic_violence: (-1.6, 0.4, 0.4, 0.0),
    AllegationType.inadequate_housing: (-2.0, 0.1, 0.0, 1.0),
    AllegationType.abandonment: (-3.8, 0.4, 0.3, 0.0),
}
_SEVERITY = {
    AllegationType.physical_abuse: 0.5,
    AllegationType.sexual_abuse: 1.2,
    AllegationType.substance_exposed_infant: 1.0,
    AllegationType.abandonment: 0.8,
    AllegationType.domestic_violence: 0.3,
    AllegationType.caregiver_substance_use: 0.3,
    AllegationType.medical_neglect: 0.2,
}
_REPORTERS = tuple(ReporterType)
_REPORTER_WEIGHTS = np.array([0.18, 0.2, 0.1, 0.06, 0.1, 0.04, 0.08, 0.07, 0.09, 0.08])
_LANGUAGES = ("en", "es", "vi", "zh", "ar")
_LANGUAGE_WEIGHTS = np.array([0.82, 0.12, 0.025, 0.02, 0.015])


@dataclass(frozen=True)
class SynthConfig:
    """Knobs of the generator; the defaults are realistic with modest planted disparities.

    Attributes
    ----------
    n_referrals : int
        Referrals to emit inside the window.
    start : datetime.date
        First day of the window.
    years : int
        Length of the window in years.
    seed : int
        Seed of every random draw.
    biased_group : Race
        The group the planted disparities act against.
    surveillance_bias : float
        Reporting-rate multiplier for that group at equal latent risk (1 = none).
    label_bias : float
        Odds multiplier on that group's removal at equal latent risk (1 = none).
    screen_in_rate, removal_rate : float
        Targets: share of referrals screened in; share of screened-in referrals removed
        within two years.
    """

    n_referrals: int = 50_000
    start: dt.date = dt.date(2019, 1, 1)
    years: int = 4
    seed: int = 0
    biased_group: Race = Race.black
    surveillance_bias: float = 1.25
    label_bias: float = 1.25
    screen_in_rate: float = 0.5
    removal_rate: float = 0.13

    def __post_init__(self) -> None:
        if self.n_referrals < 1:
            raise ValueError(f"n_referrals is {self.n_referrals}; it must be at least 1")
        if self.years < 1:
            raise ValueError(f"years is {self.years}; it must be at least 1")
        if not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed is {self.seed}; it must be between 0 and {MAX_SEED}")
        for name in ("surveillance_bias", "label_bias"):
            # `not > 0` and isfinite: NaN passes every comparison, and inf makes NaN odds.
            if not (getattr(self, name) > 0 and math.isfinite(getattr(self, name))):
                raise ValueError(f"{name} is {getattr(self, name)}; it must be a positive number")
        for name in ("screen_in_rate", "removal_rate"):
            if not 0 < getattr(self, name) < 1:
                raise ValueError(f"{name} is {getattr(self, name)}; it must be in (0, 1)")


@dataclass
class _Households:
    z: FloatArray
    race: npt.NDArray[np.int64]
    hispanic: npt.NDArray[np.bool_]
    zip_idx: npt.NDArray[np.int64]
    su: FloatArray  # caregiver substance-use propensity
    pov: FloatArray  # poverty
    n_caregivers: npt.NDArray[np.int64]
    cg_age0: FloatArray  # first caregiver's age at window start
    language: npt.NDArray[np.int64]


def generate(config: SynthConfig) -> Iterator[dict[str, Any]]:
    """Yield synthetic records, one per referral, in the order they were received.

    Parameters
    ----------
    config : SynthConfig

    Yields
    ------
    dict
        ``{"referral": <Referral as JSON>, "screened_in": bool, "removal_2y": bool | None,
        "rereferral_6m": bool, "rereferral_2y": bool, "substantiated_rereport_2y": bool,
        "latent_risk": float}``.
    """
    return _Simulation(config).records()


def write_jsonl(
    config: SynthConfig,
    path: Path,
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Generate and write JSON Lines; return the number of records written.

    Parameters
    ----------
    config : SynthConfig
    path : pathlib.Path
        Destination; written to a temporary file first and renamed, so a failed run
        leaves no half-written file.
    progress : callable, optional
        Called with the count written so far, every 10,000 records.

    Returns
    -------
    int
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    n = 0
    with tmp.open("w") as fh:
        n = _write(generate(config), fh, progress)
    tmp.replace(path)
    return n


def _write(
    records: Iterator[dict[str, Any]], fh: TextIO, progress: Callable[[int], None] | None
) -> int:
    n = 0
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    for record in records:
        fh.write(dumps(record))
        fh.write("\n")
        n += 1
        if progress is not None and n % 10_000 == 0:
            progress(n)
    return n


def _sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def _solve_intercept(linear: FloatArray, target: float) -> float:
    """Find b such that mean(sigmoid(linear + b)) == target (bisection; it is monotone)."""
    lo, hi = -20.0, 20.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if float(np.mean(_sigmoid(linear + mid))) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


class _Simulation:
    """One seeded run: households, then one event timeline, then emitted referrals."""

    LOOKBACK_YEARS = 5
    FOLLOW_UP_YEARS = 2

    def __init__(self, config: SynthConfig) -> None:
        self.c = config
        self.rng = np.random.default_rng(config.seed)
        self.t0 = config.start.toordinal()
        self.t_end = self.t0 + 365 * config.years

    # -- households -----------------------------------------------------------------------
    def _households(self, n: int) -> _Households:
        rng = self.rng
        shares = np.array([s for _, s in RACE_GROUPS])
        race = rng.choice(len(RACE_GROUPS), size=n, p=shares / shares.sum())
        z = rng.normal(size=n)
        pov = 0.6 * z + rng.normal(scale=0.8, size=n)
        # Residential segregation: the biased group lives more often in the first ten ZIPs.
        biased = np.array([self.c.biased_group in g for g, _ in RACE_GROUPS])[race]
        zip_idx = np.where(
            biased & (rng.random(n) < 0.6),
            rng.integers(0, 10, size=n),
            rng.integers(0, len(DEMO_ZIPS), size=n),
        )
        return _Households(
            z=z,
            race=race,
            hispanic=rng.random(n) < 0.18,
            zip_idx=zip_idx,
            su=0.8 * z + rng.normal(scale=0.8, size=n),
            pov=pov,
            n_caregivers=np.where(rng.random(n) < 0.55, 2, 1),
            cg_age0=np.clip(rng.normal(31 - 2.5 * z, 7, size=n), 15, 70),
            language=rng.choice(len(_LANGUAGES), size=n, p=_LANGUAGE_WEIGHTS),
        )

    def _report_rates(self, hh: _Households) -> FloatArray:
        biased = np.array([self.c.biased_group in g for g, _ in RACE_GROUPS])[hh.race]
        rate = 0.22 * np.exp(0.75 * hh.z + 0.2 * hh.pov)
        return np.asarray(np.where(biased, rate * self.c.surveillance_bias, rate))

    # -- events ---------------------------------------------------------------------------
    def records(self) -> Iterator[dict[str, Any]]:
        c, rng = self.c, self.rng
        span_days = 365 * (c.years + self.LOOKBACK_YEARS + self.FOLLOW_UP_YEARS)
        window_share = c.years / (c.years + self.LOOKBACK_YEARS + self.FOLLOW_UP_YEARS)
        # Size the population so the window holds a little more than asked, then trim.
        probe = self._report_rates(self._households(20_000))
        per_hh = float(np.mean(probe)) * span_days / 365 * window_share
        n_hh = int(c.n_referrals / per_hh * 1.08) + 50
        hh = self._households(n_hh)
        rates = self._report_rates(hh)
        counts = rng.poisson(rates * span_days / 365)
        ev_hh = np.repeat(np.arange(n_hh), counts)
        ev_t = self.t0 - 365 * self.LOOKBACK_YEARS + rng.integers(0, span_days, size=len(ev_hh))
        order = np.lexsort((ev_t, ev_hh))
        ev_hh, ev_t = ev_hh[order], ev_t[order]
        events = self._event_attributes(hh, ev_hh, ev_t)
        in_window = (ev_t >= self.t0) & (ev_t < self.t_end)
        # Keep whole households, in random order, until the window holds n_referrals.
        hh_window = np.bincount(ev_hh[in_window], minlength=n_hh)
        perm = rng.permutation(n_hh)
        cum = np.cumsum(hh_window[perm])
        last = int(np.searchsorted(cum, c.n_referrals))
        if last >= n_hh:
            raise RuntimeError("population too small for n_referrals; this is a bug")
        keep_hh = np.zeros(n_hh, dtype=bool)
        keep_hh[perm[: last + 1]] = True
        emit = np.flatnonzero(in_window & keep_hh[ev_hh])
        # Trim the surplus from the last household's latest referrals.
        surplus = int(cum[last]) - c.n_referrals
        if surplus > 0:
            last_hh = perm[last]
            drop = emit[ev_hh[emit] == last_hh][-surplus:]
            emit = np.setdiff1d(emit, drop)
        emit = emit[np.argsort(ev_t[emit], kind="stable")]
        starts = np.searchsorted(ev_hh, np.arange(n_hh))
        builder = _RecordBuilder(self, hh, ev_hh, ev_t, events, starts)
        for i in emit:
            yield builder.record(int(i))

    def _event_attributes(
        self, hh: _Households, ev_hh: npt.NDArray[np.int64], ev_t: npt.NDArray[np.int64]
    ) -> dict[str, Any]:
        rng, c = self.rng, self.c
        n = len(ev_hh)
        z, su, pov = hh.z[ev_hh], hh.su[ev_hh], hh.pov[ev_hh]
        # Allegations: one or two types, drawn by a softmax over the allegation model.
        logits = np.stack(
            [b + wz * z + ws * su + wp * pov for b, wz, ws, wp in _ALLEGATION_MODEL.values()],
            axis=1,
        )
        gumbel = logits + rng.gumbel(size=logits.shape)
        top2 = np.argsort(-gumbel, axis=1)[:, :2]
        two = rng.random(n) < 0.3
        severity_by_type = np.array([_SEVERITY.get(a, 0.0) for a in _ALLEGATIONS])
        severity = severity_by_type[top2[:, 0]] + np.where(two, severity_by_type[top2[:, 1]], 0.0)
        reporter = rng.choice(len(_REPORTERS), size=n, p=_REPORTER_WEIGHTS)
        # The historical screen-in decision sees risk through a screener's noisy judgement.
        perceived = z + rng.normal(scale=0.9, size=n)
        si_linear = 0.9 * perceived + 1.2 * severity
        si_b = _solve_intercept(si_linear, c.screen_in_rate)
        screened_in = rng.random(n) < _sigmoid(si_linear + si_b)
        substantiated = screened_in & (rng.random(n) < _sigmoid(-0.5 + 0.8 * z + severity))
        # True removal risk if screened in (the latent risk), then label bias on top.
        young = rng.random(n) < 0.4  # refined per record from the children's ages below
        rm_linear = 1.15 * z + 0.35 * su + 0.25 * pov + 0.6 * severity
        rm_b = _solve_intercept(rm_linear[screened_in], c.removal_rate)
        latent = _sigmoid(rm_linear + rm_b)
        biased = np.array([c.biased_group in g for g, _ in RACE_GROUPS])[hh.race[ev_hh]]
        odds = latent / (1 - latent) * np.where(biased, c.label_bias, 1.0)
        observed_p = odds / (1 + odds)
        removed = screened_in & (rng.random(n) < observed_p)
        pregnant = rng.random(n) < np.where(hh.cg_age0[ev_hh] < 25, 0.09, 0.04)
        del young
        return {
            "alleg": top2,
            "two": two,
            "reporter": reporter,
            "screened_in": screened_in,
            "substantiated": substantiated,
            "removed": removed,
            "latent": latent,
            "pregnant": pregnant,
            "placement_delay": rng.integers(7, 700, size=n),
            "placement_length": rng.integers(60, 900, size=n),
        }


class _RecordBuilder:
    """Turns one event into a contract-shaped referral with its history and outcomes."""

    def __init__(
        self,
        sim: _Simulation,
        hh: _Households,
        ev_hh: npt.NDArray[np.int64],
        ev_t: npt.NDArray[np.int64],
        events: dict[str, Any],
        starts: npt.NDArray[np.int64],
    ) -> None:
        self.sim, self.hh, self.ev_hh, self.ev_t, self.ev = sim, hh, ev_hh, ev_t, events
        self.starts = starts
        self.family: dict[int, dict[str, Any]] = {}
        # Per-event Python lists: indexing numpy scalars one at a time is slow.
        self.t_list = ev_t.tolist()
        self.hh_list = ev_hh.tolist()
        self.si = events["screened_in"].tolist()
        self.sub = events["substantiated"].tolist()
        self.rem = events["removed"].tolist()
        self.alleg = events["alleg"].tolist()
        self.two = events["two"].tolist()

    def _family(self, h: int) -> dict[str, Any]:
        """Stable per-household facts, drawn from a generator seeded by the household."""
        fam = self.family.get(h)
        if fam is not None:
            return fam
        rng = np.random.default_rng([self.sim.c.seed, 7, h])
        z, su, pov = float(self.hh.z[h]), float(self.hh.su[h]), float(self.hh.pov[h])
        n_kids = 1 + min(int(rng.poisson(1.1)), 7)
        # Birth dates spread so that most events have at least one child under 18;
        # higher-risk households skew younger.
        t0 = self.sim.t0
        births = sorted(
            int(t0 - rng.uniform(-3.0, 14.0 - 2.0 * max(min(z, 2), -2)) * 365)
            for _ in range(n_kids)
        )
        n_cg = int(self.hh.n_caregivers[h])
        ages0 = [float(self.hh.cg_age0[h])] + [float(rng.uniform(20, 55)) for _ in range(n_cg - 1)]
        roles = ["mother", "father" if rng.random() < 0.6 else "partner"][:n_cg]
        if rng.random() < 0.08:
            roles[0] = "grandparent"
            ages0[0] = max(ages0[0], 45.0)
        episodes: list[list[tuple[str, int, int]]] = []
        span_lo = t0 - 365 * 7
        span = 365 * (self.sim.c.years + 9)
        for k in range(n_cg):
            eps: list[tuple[str, int, int]] = []
            for kind, base, w_su, w_z, w_pov, length in (
                (InvolvementKind.substance_use_treatment, -2.0, 1.2, 0.2, 0.0, 120),
                (InvolvementKind.behavioral_health_treatment, -1.6, 0.3, 0.6, 0.0, 200),
                (InvolvementKind.public_benefits, -0.2, 0.0, 0.2, 1.0, 500),
                (InvolvementKind.jail_booking, -2.6, 0.6, 0.6, 0.2, 30),
            ):
                lam = float(np.exp(base + w_su * su + w_z * z + w_pov * pov)) * (
                    1.0 if k == 0 else 0.6
                )
                for _ in range(int(rng.poisson(lam))):
                    s = span_lo + int(rng.integers(0, span))
                    eps.append((kind.value, s, s + int(rng.integers(1, 2 * length))))
            episodes.append(sorted(eps, key=lambda e: e[1]))
        race = [r.value for r in RACE_GROUPS[int(self.hh.race[h])][0]]
        fam = {
            "births": births,
            "disability": [bool(rng.random() < 0.08) for _ in births],
            "cg_ages0": ages0,
            "roles": roles,
            "episodes": episodes,
            "race": race,
            "hispanic": bool(self.hh.hispanic[h]),
            "zip": DEMO_ZIPS[int(self.hh.zip_idx[h])],
            "language": _LANGUAGES[int(self.hh.language[h])],
            "other_hh": [
                (t0 - int(rng.integers(30, 365 * 6)), bool(rng.random() < 0.4))
                for _ in range(int(rng.poisson(0.25 + 0.2 * max(z, 0))))
            ],
        }
        self.family[h] = fam
        return fam

    def _allegations(self, i: int) -> list[str]:
        first, second = self.alleg[i]
        names = [_ALLEGATIONS[first].value]
        if self.two[i]:
            names.append(_ALLEGATIONS[second].value)
        return names

    def record(self, i: int) -> dict[str, Any]:
        h, t = self.hh_list[i], self.t_list[i]
        fam = self._family(h)
        day = dt.date.fromordinal(t)
        hh_id = f"hh-{h:07d}"
        kids = [
            (j, (t - b) / 365.25) for j, b in enumerate(fam["births"]) if 0 <= (t - b) / 365.25 < 18
        ]
        if not kids:
            # A report names at least one child; a household whose children are not yet born
            # or grown is reported about a newborn.
            kids = [(-1, 0.1)]
        n_alleged = 1 + (len(kids) > 1 and bool(self.sim.rng.random() < 0.5))
        children = [
            {
                "child_id": f"{hh_id}-c{j if j >= 0 else 9}",
                "age_years": round(age, 2),
                "alleged_victim": k < n_alleged,
                "race": fam["race"],
                "hispanic": fam["hispanic"],
                "disability": fam["disability"][j] if j >= 0 else False,
            }
            for k, (j, age) in enumerate(kids)
        ]
        years_in = (t - self.sim.t0) / 365.25
        caregivers = []
        for k, age0 in enumerate(fam["cg_ages0"]):
            involvements = [
                {
                    "kind": kind,
                    "start_date": dt.date.fromordinal(s).isoformat(),
                    "end_date": dt.date.fromordinal(e).isoformat() if e <= t else None,
                }
                for kind, s, e in fam["episodes"][k]
                if s <= t
            ]
            caregivers.append(
                {
                    "age_years": int(min(max(age0 + years_in, 14), 110)),
                    "role": fam["roles"][k],
                    "pregnant": bool(k == 0 and self.ev["pregnant"][i]),
                    "primary_language": fam["language"],
                    "involvements": involvements,
                    "race": fam["race"],
                    "hispanic": fam["hispanic"],
                }
            )
        lo = int(self.starts[h])
        prior_reports = [
            {
                "report_date": dt.date.fromordinal(self.t_list[p]).isoformat(),
                "household_id": hh_id,
                "screened_in": self.si[p],
                "substantiated": self.sub[p] if self.si[p] else None,
                "allegation_types": self._allegations(p),
            }
            for p in range(lo, i)
            if self.t_list[p] < t
        ]
        prior_reports += [
            {
                "report_date": dt.date.fromordinal(s).isoformat(),
                "household_id": f"hh-o{h:07d}",
                "screened_in": si,
                "substantiated": False if si else None,
                "allegation_types": ["neglect"],
            }
            for s, si in fam["other_hh"]
            if s < t
        ]
        prior_placements = []
        for p in range(lo, i):
            if self.rem[p]:
                s = self.t_list[p] + int(self.ev["placement_delay"][p])
                if s <= t:
                    e = s + int(self.ev["placement_length"][p])
                    prior_placements.append(
                        {
                            "start_date": dt.date.fromordinal(s).isoformat(),
                            "end_date": dt.date.fromordinal(e).isoformat() if e <= t else None,
                        }
                    )
        # Outcomes from the same timeline: later reports on this household.
        hi = int(self.starts[h + 1]) if h + 1 < len(self.starts) else len(self.t_list)
        later = [p for p in range(i + 1, hi) if self.t_list[p] > t]
        nxt = self.t_list[later[0]] - t if later else None
        referral = {
            "referral_id": f"ref-{i:08d}",
            "received_at": f"{day.isoformat()}T{9 + i % 9:02d}:{i % 60:02d}:00-05:00",
            "place": {"county": DEMO_COUNTY, "zip": fam["zip"]},
            "reporter_type": _REPORTERS[int(self.ev["reporter"][i])].value,
            "allegation_types": self._allegations(i),
            "household_id": hh_id,
            "children": children,
            "caregivers": caregivers,
            "prior_reports": prior_reports[-500:],
            "prior_placements": prior_placements[-100:],
            "reported_needs": [],
        }
        return {
            "referral": referral,
            "screened_in": self.si[i],
            "removal_2y": self.rem[i] if self.si[i] else None,
            "rereferral_6m": nxt is not None and nxt <= 182,
            "rereferral_2y": nxt is not None and nxt <= 730,
            "substantiated_rereport_2y": any(
                self.sub[p] for p in later if self.t_list[p] - t <= 730
            ),
            "latent_risk": round(float(self.ev["latent"][i]), 6),
        }
