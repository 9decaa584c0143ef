"""Synthesis and training cost as data grows: wall time and peak memory per step.

Usage: python bench/bench_training.py [N ...]   (default: 100000 1000000)
Each size runs in a fresh subprocess so peak memory (ru_maxrss) is per size.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEP = r"""
import json, resource, sys, time
from pathlib import Path
from training.synthetic import SynthConfig, write_jsonl
from training.data import load_jsonl
from training.pipeline import train
n, out = int(sys.argv[1]), Path(sys.argv[2])
t = time.perf_counter(); write_jsonl(SynthConfig(n_referrals=n, seed=0), out); synth = time.perf_counter() - t
t = time.perf_counter(); data = load_jsonl(out, workers=2); load = time.perf_counter() - t
t = time.perf_counter(); result = train(data, kind="logistic", seed=0); fit = time.perf_counter() - t
m = result.metrics
print(json.dumps({"n": n, "synth_s": synth, "load_s": load, "train_s": fit,
  "file_mb": out.stat().st_size / 1e6, "auc": m["auc"], "latent_auc": m["latent_auc"],
  "auc_ratio": m["auc_ratio"], "brier": m["brier"], "ece": m["expected_calibration_error"],
  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
  "peak_children_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [100_000, 1_000_000]
    print(
        f"{'referrals':>10} {'synth s':>8} {'load+features s':>16} {'fit+eval s':>11} "
        f"{'file MB':>8} {'peak MB':>8} {'AUC':>6} {'latent':>7} {'ratio':>6} {'ECE':>6}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            started = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", STEP, str(n), str(Path(tmp) / f"{n}.jsonl")],
                check=True,
                capture_output=True,
                text=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            peak = max(r["peak_rss_mb"], r["peak_children_rss_mb"])
            print(
                f"{n:>10,} {r['synth_s']:>8.1f} {r['load_s']:>16.1f} {r['train_s']:>11.1f} "
                f"{r['file_mb']:>8.0f} {peak:>8.0f} {r['auc']:>6.3f} {r['latent_auc']:>7.3f} "
                f"{r['auc_ratio']:>6.3f} {r['ece']:>6.4f}   (total {time.perf_counter() - started:.0f}s)"
            )


if __name__ == "__main__":
    main()
