"""Time the disparity audit on 1M rows and compare MetricFrame+sklearn with the fast path.

Run: .venv/bin/python bench/bench_audit.py
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, selection_rate
from sklearn.metrics import confusion_matrix, precision_score, recall_score, roc_auc_score

from fairness import disparity_audit, threshold_near

N = 1_000_000
N_COMPARE = 200_000


def make(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    race = rng.choice(
        ["white", "black", "hispanic", "black|white", "asian"], n, p=[0.5, 0.28, 0.14, 0.05, 0.03]
    )
    risk = rng.beta(2, 5, n)
    reading = risk + rng.normal(0, 0.08, n) + np.where(race == "black", 0.05, 0.0)
    cuts = np.quantile(reading, np.arange(1, 20) / 20)
    treated = (rng.uniform(size=n) < np.where(reading >= cuts[14], 0.75, 0.2)).astype(int)
    return pd.DataFrame(
        {
            "race": race,
            "sex": rng.choice(["f", "m"], n),
            "removed": (rng.uniform(size=n) < risk).astype(int),
            "score": 1 + np.searchsorted(cuts, reading, side="right"),
            "probability": reading,
            "screened_in": treated,
            "rereferred": (rng.uniform(size=n) < 0.2 + 0.3 * risk - 0.05 * treated).astype(int),
        }
    )


def _fpr(y, p):
    tn, fp, _, _ = confusion_matrix(y, p, labels=[0, 1]).ravel()
    return fp / (fp + tn)


def _npv(y, p):
    tn, _, fn, _ = confusion_matrix(y, p, labels=[0, 1]).ravel()
    return tn / (tn + fn)


def main() -> None:
    frame = make(N)
    t = time.perf_counter()
    disparity_audit(frame, label="removed", score="score", groups=["race", "sex"], threshold=16)
    print(
        f"audit, {N:,} rows, race + sex + intersection + any-mention: "
        f"{time.perf_counter() - t:.2f} s"
    )
    t = time.perf_counter()
    disparity_audit(
        frame,
        label="removed",
        score="probability",
        groups=["race"],
        threshold=float(np.quantile(frame["probability"], 0.75)),
    )
    print(f"audit, {N:,} rows, continuous score, race only: {time.perf_counter() - t:.2f} s")

    small = frame.iloc[:N_COMPARE]
    y, sel = small["removed"], (small["score"] >= 16).astype(int)
    t = time.perf_counter()
    MetricFrame(
        metrics={
            "selection_rate": selection_rate,
            "fpr": _fpr,
            "fnr": lambda a, b: 1 - recall_score(a, b),
            "ppv": precision_score,
            "npv": _npv,
        },
        y_true=y,
        y_pred=sel,
        sensitive_features=small["race"],
    )
    MetricFrame(
        metrics=roc_auc_score, y_true=y, y_pred=small["score"], sensitive_features=small["race"]
    )
    slow = time.perf_counter() - t
    t = time.perf_counter()
    disparity_audit(small, label="removed", score="score", groups=["race"], threshold=16)
    fast = time.perf_counter() - t
    print(
        f"{N_COMPARE:,} rows by race: MetricFrame + sklearn metrics {slow:.2f} s; "
        f"fairness.disparity_audit (all views, CIs, calibration) {fast:.2f} s; "
        f"ratio {slow / fast:.1f}x"
    )

    for n in (100_000, N):
        part = frame.iloc[:n]
        t = time.perf_counter()
        threshold_near(
            part,
            running="probability",
            cutoff=float(np.quantile(part["probability"], 0.75)),
            outcome="rereferred",
            treatment="screened_in",
        )
        print(
            f"threshold-near (sharp + fuzzy rdrobust, rddensity), {n:,} rows: "
            f"{time.perf_counter() - t:.2f} s"
        )


if __name__ == "__main__":
    main()
