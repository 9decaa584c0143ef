"""One gate run on a seeded candidate: its results, pinned, and the work it does only once."""

from collections import Counter

import pytest

from models import ModelRegistry
from training.gates import candidate as candidate_module
from training.gates import load_candidate, load_policy, run_gates
from training.gates.candidate import Champion
from training.promote import promote_version
from training.register import register_result

# The session's seeded candidate (12,000 synthetic referrals, seed 7; logistic, seed 0) put to
# the shipped policy with itself as the champion: (gate, status, measured, by, detail).
PINNED = [
    (
        "performance.auc_minimum",
        "passed",
        0.806483074023552,
        -0.156483074023552,
        "held-out AUC 0.8065 is at least 0.6500",
    ),
    (
        "performance.calibration_error_maximum",
        "passed",
        0.029154052934317363,
        -0.02084594706568264,
        "held-out expected calibration error 0.0292 is at most 0.0500",
    ),
    (
        "performance.auc_vs_champion",
        "passed",
        0.0,
        -0.02,
        "AUC 0.8065 vs 0.8065: difference 0.0000 is at least -0.0200 "
        "(than champion version 1 on the same 1,531 rows)",
    ),
    (
        "performance.brier_vs_champion",
        "passed",
        0.0,
        -0.005,
        "Brier 0.1061 vs 0.1061: difference 0.0000 is at most 0.0050 "
        "(than champion version 1 on the same 1,531 rows)",
    ),
    (
        "performance.calibration_error_vs_champion",
        "passed",
        0.0,
        -0.01,
        "calibration error 0.0292 vs 0.0292: difference 0.0000 is at most 0.0100 "
        "(than champion version 1 on the same 1,531 rows)",
    ),
    (
        "disparity.selection_rate",
        "passed",
        1.0546559823155568,
        -0.1953440176844432,
        "selection rate of 'black' over 'white' is 1.055 (98.33% interval 0.721-1.533): "
        "the ratio furthest from parity, inside the band",
    ),
    (
        "disparity.fpr",
        "passed",
        1.0814564564564564,
        -0.16854354354354362,
        "false-positive rate of 'black' over 'white' is 1.081 (98.33% interval 0.703-1.653): "
        "the ratio furthest from parity, inside the band",
    ),
    (
        "disparity.fnr",
        "passed",
        0.6564102564102564,
        0.14358974358974363,
        "false-negative rate of 'black' over 'white' is 0.656 (98.33% interval 0.214-1.598): "
        "outside the band, but the interval includes parity",
    ),
    (
        "disparity.calibration_high_scores",
        "skipped",
        None,
        None,
        "skipped: fewer than two groups with a recorded value have 50 labelled held-out rows "
        "with score >= 18",
    ),
    (
        "threshold_near",
        "passed",
        0.24459659185615298,
        -0.24459659185615298,
        "'rereferral_2y' jumps +0.066 at probability 0.1220 (score 16), interval -0.092 to "
        "+0.245; reading: keep",
    ),
    (
        "proxy.group_from_features",
        "passed",
        0.5268791968742044,
        -0.12312080312579565,
        "'black' is predicted from the features with cross-validated AUC 0.5269 is at most "
        "0.6500; carried most by substantiated_reports_5y (-0.89), reports_same_household_5y "
        "(+0.84), placements_5y (+0.39)",
    ),
    (
        "dominance.single_feature_share",
        "passed",
        0.11922578891561554,
        -0.13077421108438447,
        "'caregivers_public_benefits_1y' carries a share of the score's movement of 0.1192 is "
        "at most 0.2500",
    ),
]


@pytest.fixture
def registry(tmp_path, trained):
    # Version 1 is the champion, version 2 the same training run put to the gates: every
    # gate measures something, the comparisons included.
    registry = ModelRegistry(tmp_path / "reg")
    register_result(registry, trained)
    registry.set_alias("champion", 1, by="tests", reason="fixture")
    register_result(registry, trained)
    return registry


def _approx(value):
    return None if value is None else pytest.approx(value, rel=1e-6, abs=1e-12)


def test_the_gate_results_of_a_seeded_candidate_are_unchanged(registry) -> None:
    run = run_gates(
        load_candidate(registry, 2), champion=Champion(1, registry.load(1)), policy=load_policy()
    )
    assert [(r.name, r.status, r.measured, r.by, r.detail) for r in run.results] == [
        (name, status, _approx(measured), _approx(by), detail)
        for name, status, measured, by, detail in PINNED
    ]


def test_a_promotion_builds_the_labelled_rows_and_reads_each_metadata_once(
    registry, monkeypatch
) -> None:
    # Four gates read the labelled rows and two of them one row per household (a sort by
    # parsed instant over every held-out referral); all of it is built once per candidate.
    # metadata.json is read once for the candidate (load, label and model card) and once
    # for the champion.
    built: Counter[str] = Counter()
    reads: list[int] = []

    def counted(name, real):
        def wrapper(*args, **kwargs):
            built[name] += 1
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(
        candidate_module,
        "labelled_rows",
        counted("labelled", candidate_module.labelled_rows),
    )
    monkeypatch.setattr(
        candidate_module,
        "latest_per_household",
        counted("one per household", candidate_module.latest_per_household),
    )
    real_metadata = ModelRegistry.metadata

    def metadata(self, version):
        reads.append(version)
        return real_metadata(self, version)

    monkeypatch.setattr(ModelRegistry, "metadata", metadata)
    outcome = promote_version(registry, 2, by="ana", reason="retrain")
    audit = registry.root / "versions" / "2" / "audit"
    assert outcome == (
        "version 2 is now the champion (was version 1); gates: 11 passed, 1 skipped, 0 waived; "
        f"fairness audit with 2 flags in {audit / 'audit.html'}; "
        f"model card in {audit / 'model_card.html'}"
    )
    assert built == {"labelled": 1, "one per household": 1}
    assert reads == [2, 1]
