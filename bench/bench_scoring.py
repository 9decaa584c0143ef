"""Per-referral feature building + model evaluation, against scikit-learn on one row.

Prints microseconds per referral for: features alone, the fast path (features + folded
parameters), scikit-learn's predict_proba on the same single row, and the full
score_referral (with explanation); and the largest difference from scikit-learn.
Target (issue 8): fast path <= 50 us per referral, equal to scikit-learn to 1e-9.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from models import Referral, build_features, score_referral
from training.data import load_jsonl
from training.pipeline import train
from training.synthetic import SynthConfig, generate, write_jsonl


def _per_call_us(fn, items, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, (time.perf_counter() - t) / len(items) * 1e6)
    return best


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.jsonl"
        write_jsonl(SynthConfig(n_referrals=20_000, seed=1), path)
        model = train(load_jsonl(path), kind="logistic", seed=0).model
    referrals = [
        Referral.model_validate(r["referral"])
        for r in generate(SynthConfig(n_referrals=2_000, seed=2))
    ]
    X = np.vstack([build_features(r) for r in referrals])
    feats = _per_call_us(build_features, referrals)
    fast = _per_call_us(lambda r: model.predict_one(build_features(r)), referrals)
    sk = _per_call_us(lambda x: model.predict_proba(x.reshape(1, -1)), X[:300], repeat=1)
    full = _per_call_us(lambda r: score_referral(model, r), referrals)
    diff = max(
        abs(model.predict_one(x) - p) for x, p in zip(X, model.predict_proba(X), strict=True)
    )
    print(f"features only:                       {feats:8.1f} us/referral")
    print(f"features + fast model evaluation:    {fast:8.1f} us/referral   (target <= 50)")
    print(f"scikit-learn predict_proba, one row: {sk:8.1f} us/referral")
    print(f"score_referral (with explanation):   {full:8.1f} us/referral")
    print(
        f"speed-up of the fast path over scikit-learn's one-row call: {sk / (fast - feats):.0f}x "
        f"(model evaluation alone), {sk / fast:.1f}x (with features)"
    )
    print(f"max |fast - scikit-learn| over {len(X)} referrals: {diff:.2e}   (target <= 1e-9)")


if __name__ == "__main__":
    main()
