"""Promotion gates: what a candidate model must show before it becomes the champion.

A *gate* measures one property of a registered version on its held-out households and
compares it with a limit from the policy file (``training/gate_policy.yaml``): performance
floors and non-inferiority against the champion, disparity of selection and error rates,
calibration within groups among the highest scores, outcomes near the threshold, how well the
features predict race (proxies), and whether one feature dominates the score. Each yields
passed, failed or skipped (with the reason), the measured value, the limit and by how much.
"""

from training.gates.candidate import (
    HOLDOUT,
    HOLDOUT_FEATURES,
    Candidate,
    Champion,
    ChampionUnavailable,
    load_candidate,
)
from training.gates.policy import DEFAULT_POLICY_PATH, GatePolicy, load_policy, parse_policy
from training.gates.result import GateResult, Status
from training.gates.run import GateRun, gate_names, run_gates

__all__ = [
    "DEFAULT_POLICY_PATH",
    "HOLDOUT",
    "HOLDOUT_FEATURES",
    "Candidate",
    "Champion",
    "ChampionUnavailable",
    "GatePolicy",
    "GateResult",
    "GateRun",
    "Status",
    "gate_names",
    "load_candidate",
    "load_policy",
    "parse_policy",
    "run_gates",
]
