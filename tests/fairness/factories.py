"""Seeded synthetic data for the fairness tests (plain functions, no fixtures)."""

from __future__ import annotations

import numpy as np
import pandas as pd

RACES = ("white", "black", "hispanic", "black|white")
RACE_P = (0.5, 0.3, 0.15, 0.05)


def audit_frame(n: int, *, shift: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """Cases with equal true risk across races; ``shift`` raises Black children's scores.

    The score is the 1-20 ventile of a noisy reading of the true risk; with ``shift`` > 0 a
    Black child's reading is moved up at the same true risk, the disparity the audit must find.
    """
    rng = np.random.default_rng(seed)
    race = rng.choice(RACES, size=n, p=RACE_P)
    sex = rng.choice(("f", "m"), size=n)
    risk = rng.beta(2, 5, size=n)
    removed = (rng.uniform(size=n) < risk).astype(int)
    reading = risk + rng.normal(0, 0.08, size=n) + np.where(race == "black", shift, 0.0)
    cuts = np.quantile(reading, np.arange(1, 20) / 20)
    score = 1 + np.searchsorted(cuts, reading, side="right")
    return pd.DataFrame(
        {"race": race, "sex": sex, "removed": removed, "score": score, "risk": risk}
    )


def rd_frame(n: int, *, jump: float = 0.0, first_stage: float = 0.6, seed: int = 0) -> pd.DataFrame:
    """Running variable on [0, 1], cutoff 0.5; screening in lowers the outcome by ``-jump/fs``.

    ``jump`` is the planted outcome jump at the cutoff (above minus below); the treatment
    probability jumps by ``first_stage``, so the fuzzy effect is ``jump / first_stage``.
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=n)
    p_treat = np.where(x >= 0.5, 0.2 + first_stage, 0.2)
    treated = (rng.uniform(size=n) < p_treat).astype(int)
    effect = jump / first_stage
    p_out = 0.2 + 0.2 * x + effect * treated
    outcome = (rng.uniform(size=n) < p_out).astype(int)
    group = rng.choice(("a", "b"), size=n)
    return pd.DataFrame({"p": x, "screened_in": treated, "rereferred": outcome, "group": group})
