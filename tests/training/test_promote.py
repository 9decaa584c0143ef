"""Promotion through the gates: refusal, promotion, waivers, rollback and the audit bundle."""

import hashlib
import json
import shutil
import threading

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from fairness import ColumnError
from hotline_cli import main
from models import (
    ModelError,
    ModelRegistry,
    RegistryError,
    feature_spec_hash,
    rollback_champion,
)
from training import promote as promote_module
from training.config import TrainingSettings
from training.data import load_jsonl
from training.errors import ChampionBroken, PromotionRefused, WaiverInvalid
from training.gates import DEFAULT_POLICY_PATH, load_candidate, load_policy, run_gates
from training.gates.candidate import Candidate, Champion
from training.gates.performance import performance_gates
from training.pipeline import train
from training.promote import Waiver, promote_version
from training.register import register_result
from training.synthetic import SynthConfig, write_jsonl

N = 8_000
# What the strongly biased candidate fails, and nothing else: its scores select the biased
# group 3.4 times as often, its features predict race (AUC 0.70), and prior reports carry
# 31% of the score.
BIASED_FAILURES = [
    "disparity.selection_rate",
    "disparity.fpr",
    "proxy.group_from_features",
    "dominance.single_feature_share",
]

PROMOTE_1 = ["promote", "1", "--by", "ana", "--reason", "release"]
"""The command line of a promotion: who and why are required."""


def _write(tmp_path_factory, *, surveillance_bias, label_bias):
    path = tmp_path_factory.mktemp("data") / "d.jsonl"
    config = SynthConfig(
        n_referrals=N, seed=1, surveillance_bias=surveillance_bias, label_bias=label_bias
    )
    write_jsonl(config, path)
    return path


def _trained(tmp_path_factory, *, surveillance_bias, label_bias, label="removal_2y"):
    path = _write(tmp_path_factory, surveillance_bias=surveillance_bias, label_bias=label_bias)
    return train(load_jsonl(path, workers=1), seed=0, label=label)


PASSED_WITHOUT_COMPARISONS = [
    "performance.auc_minimum",
    "performance.calibration_error_maximum",
    "disparity.selection_rate",
    "disparity.fpr",
    "disparity.fnr",
    "threshold_near",
    "proxy.group_from_features",
    "dominance.single_feature_share",
]
"""Every gate of a fair candidate but the champion comparisons (and calibration by group,
skipped on the small test data)."""


@pytest.fixture(scope="module")
def fair_path(tmp_path_factory):
    return _write(tmp_path_factory, surveillance_bias=1.0, label_bias=1.0)


@pytest.fixture(scope="module")
def fair(fair_path):
    return train(load_jsonl(fair_path, workers=1), seed=0)


@pytest.fixture(scope="module")
def fair_rereferral(tmp_path_factory):
    return _trained(tmp_path_factory, surveillance_bias=1.0, label_bias=1.0, label="rereferral_2y")


@pytest.fixture(scope="module")
def biased(tmp_path_factory):
    return _trained(tmp_path_factory, surveillance_bias=2.0, label_bias=3.0)


@pytest.fixture
def registry(tmp_path):
    return ModelRegistry(tmp_path / "reg")


def _as_registered_before_file_digests(registry, version) -> None:
    # A version from before `files` and `metadata_sha256` were recorded: not verified.
    path = registry.version_dir(version) / "metadata.json"
    meta = json.loads(path.read_text())
    del meta["files"], meta["metadata_sha256"]
    path.write_text(json.dumps(meta))


def test_strongly_biased_candidate_is_refused_with_the_failing_gates_named(
    registry, biased
) -> None:
    version = register_result(registry, biased)
    with pytest.raises(PromotionRefused) as exc:
        promote_version(registry, version, by="ana", reason="retrain")
    lines = str(exc.value).splitlines()
    assert (
        lines[0]
        == f"version 1 not promoted: 4 gate(s) failed (policy 2026.1, {DEFAULT_POLICY_PATH})"
    )
    assert [line.split(":")[0].strip() for line in lines[1:5]] == BIASED_FAILURES
    assert "selection rate of 'black' over 'white' is 3.427" in lines[1]
    assert "outside the band by 2.177" in lines[1]
    assert (
        lines[-1]
        == "to promote anyway, waive each failed gate: --waive GATE --by NAME --reason TEXT"
    )
    assert registry.alias("champion") is None
    event = registry.history()[-1]
    assert event["event"] == "refused" and event["by"] == "ana"
    assert [f["gate"] for f in event["failures"]] == BIASED_FAILURES
    gates = json.loads((registry.version_dir(1) / "audit" / "gates.json").read_text())
    assert gates["decision"] == "refused"
    assert [g["name"] for g in gates["gates"] if g["status"] == "failed"] == BIASED_FAILURES


def test_fair_candidate_is_promoted_and_the_bundle_is_written(registry, fair) -> None:
    version = register_result(registry, fair)
    outcome = promote_version(registry, version, by="ana", reason="first model")
    assert outcome.startswith(
        "version 1 is now the champion; gates: 8 passed, 4 skipped, 0 waived; fairness audit with "
    )
    assert registry.alias("champion") == 1
    audit = registry.version_dir(1) / "audit"
    for name in ("audit.html", "audit.json", "gates.json", "model_card.md", "model_card.html"):
        assert (audit / name).is_file(), name
    gates = {g["name"]: g for g in json.loads((audit / "gates.json").read_text())["gates"]}
    assert {g["status"] for g in gates.values()} == {"passed", "skipped"}
    assert gates["performance.auc_vs_champion"]["detail"] == (
        "skipped: there is no champion to compare with"
    )
    card = (audit / "model_card.md").read_text()
    for heading in (
        "## Model details",
        "## Intended use",
        "## Factors",
        "## Metrics",
        "## Evaluation data",
        "## Training data",
        "## Ethical considerations",
        "## Caveats and recommendations",
    ):
        assert heading in card
    assert "Content-Security-Policy" in (audit / "model_card.html").read_text()
    event = registry.history()[-1]
    assert (event["event"], event["action"], event["version"], event["by"]) == (
        "alias",
        "promote",
        1,
        "ana",
    )


def test_a_second_candidate_is_compared_with_the_champion_on_its_own_rows(registry, fair) -> None:
    register_result(registry, fair)
    promote_version(registry, 1, by="ana", reason="first")
    register_result(registry, fair)
    outcome = promote_version(registry, 2, by="ana", reason="same model again")
    assert outcome.startswith("version 2 is now the champion (was version 1); gates: 11 passed")
    gates = json.loads((registry.version_dir(2) / "audit" / "gates.json").read_text())["gates"]
    auc = next(g for g in gates if g["name"] == "performance.auc_vs_champion")
    assert auc["measured"] == 0.0 and auc["status"] == "passed"


def test_a_worse_candidate_fails_non_inferiority_by_how_much(fair) -> None:
    policy = load_policy()
    rng = np.random.default_rng(0)
    holdout = fair.holdout.copy()
    holdout["probability"] = rng.uniform(0.05, 0.2, size=len(holdout))  # no skill
    candidate = Candidate(2, fair.model, fair.metadata, holdout, fair.holdout_features)
    results = {
        r.name: r
        for r in performance_gates(candidate, Champion(1, fair.model), policy=policy.performance)
    }
    auc = results["performance.auc_vs_champion"]
    assert auc.status == "failed"
    assert auc.by == pytest.approx(-policy.performance.auc_margin - auc.measured)
    assert auc.detail.startswith("AUC 0.")
    assert "below the minimum by" in auc.detail
    assert results["performance.auc_minimum"].status == "failed"


def test_waivers_let_a_refused_model_through_and_are_recorded(registry, biased) -> None:
    register_result(registry, biased)
    with pytest.raises(PromotionRefused) as exc:
        promote_version(
            registry,
            1,
            by="Dana Reyes",
            reason="pilot",
            waivers=[
                Waiver("disparity.fpr", "Dana Reyes", "pilot"),
                Waiver("performance.auc_minimum", "Dana Reyes", "pilot"),
            ],
        )
    assert "3 gate(s) failed" in str(exc.value)
    assert "disparity.fpr" not in str(exc.value)
    # Before: a refusal did not say that a waiver had waived nothing.
    assert (
        "not waived performance.auc_minimum: it passed, so there is nothing to waive (not recorded)"
    ) in str(exc.value).splitlines()
    waivers = [
        Waiver(g, "Dana Reyes", "board approved a supervised pilot") for g in BIASED_FAILURES
    ] + [Waiver("performance.auc_minimum", "Dana Reyes", "just in case")]
    outcome = promote_version(registry, 1, by="Dana Reyes", reason="pilot", waivers=waivers)
    assert outcome.splitlines()[0] == (
        "not waived performance.auc_minimum: it passed, so there is nothing to waive (not recorded)"
    )
    assert outcome.splitlines()[1].startswith("waived disparity.selection_rate (selection rate of")
    assert outcome.splitlines()[1].endswith("by Dana Reyes: board approved a supervised pilot")
    assert "gates: 4 passed, 4 skipped, 4 waived" in outcome.splitlines()[-1]
    assert registry.alias("champion") == 1
    waived = [e for e in registry.history() if e["event"] == "waived"]
    assert [(e["gate"], e["by"], e["reason"]) for e in waived] == [
        (g, "Dana Reyes", "board approved a supervised pilot") for g in BIASED_FAILURES
    ]
    assert registry.history()[-1]["gates"] == {"passed": 4, "skipped": 4, "waived": 4}


@pytest.mark.parametrize(
    ("waiver", "message"),
    [
        (
            Waiver("disparity.tpr", "ana", "x"),
            "--waive 'disparity.tpr' is not a gate of policy 2026.1; gates: "
            "performance.auc_minimum, performance.calibration_error_maximum, "
            "performance.auc_vs_champion, performance.brier_vs_champion, "
            "performance.calibration_error_vs_champion, disparity.selection_rate, disparity.fpr, "
            "disparity.fnr, disparity.calibration_high_scores, threshold_near, "
            "proxy.group_from_features, dominance.single_feature_share",
        ),
        (
            Waiver("disparity.fpr", "", "x"),
            "waiving 'disparity.fpr' needs --by NAME and --reason TEXT (both recorded)",
        ),
    ],
)
def test_invalid_waivers_are_refused_before_anything_runs(registry, waiver, message) -> None:
    with pytest.raises(WaiverInvalid) as exc:
        promote_version(registry, 1, by="ana", reason="x", waivers=[waiver])
    assert str(exc.value) == message


def test_rollback_returns_to_the_previous_champion(registry, fair) -> None:
    for _ in range(3):
        register_result(registry, fair)
    for v in (1, 2, 3):
        promote_version(registry, v, by="ana", reason=f"release {v}")
    assert rollback_champion(registry, by="bo", reason="complaints") == (3, 2)
    assert rollback_champion(registry, by="bo", reason="still") == (2, 1)
    assert registry.alias("champion") == 1
    with pytest.raises(RegistryError) as exc:
        rollback_champion(registry, by="bo")
    assert str(exc.value) == (
        f"no earlier 'champion' to roll back to in {registry.root} (current: 1; history: 1)"
    )
    last = registry.history()[-1]
    assert (last["action"], last["version"], last["previous"], last["by"]) == (
        "rollback",
        1,
        2,
        "bo",
    )


def test_cli_refusal_waiver_history_and_rollback(tmp_path, fair, biased) -> None:
    runner = CliRunner()
    reg = ModelRegistry(tmp_path / "reg")
    register_result(reg, fair)
    register_result(reg, biased)
    common = ["--registry", str(reg.root)]
    result = runner.invoke(main, ["promote", "1", *common, "--by", "ana", "--reason", "v1"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["promote", "2", *common, "--by", "ana", "--reason", "v2"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.startswith("Error: version 2 not promoted: 4 gate(s) failed")
    for gate in BIASED_FAILURES:
        assert f"\n  {gate}: " in result.output
    waive = [arg for g in BIASED_FAILURES for arg in ("--waive", g)]
    result = runner.invoke(
        main, ["promote", "2", *common, *waive, "--by", "Dana", "--reason", "pilot"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["models", *common, "rollback", "--by", "bo", "--reason", "bad"])
    assert result.output == "champion is version 1 again (was version 2)\n"
    lines = runner.invoke(main, ["models", *common, "history"]).output.splitlines()
    assert [line.split("  ", 1)[1].split(" ")[0] for line in lines] == [
        "set",
        "refused",
        "waived",
        "waived",
        "waived",
        "waived",
        "set",
        "rolled",
    ]
    assert lines[0].endswith(
        "set champion -> version 1 by ana: v1 [gates 8 passed, 4 skipped, 0 waived]"
    )
    assert "refused version 2 by ana: disparity.selection_rate (" in lines[1]
    assert "waived disparity.selection_rate for version 2 by Dana: pilot (measured 3.42" in lines[2]
    assert lines[-1].endswith("rolled back champion -> version 1 (was 2) by bo: bad")
    raw = runner.invoke(main, ["models", *common, "history", "--json"]).output.splitlines()
    assert json.loads(raw[-1])["action"] == "rollback"


def test_gate_run_on_the_fair_candidate_measures_every_gate(registry, fair) -> None:
    register_result(registry, fair)
    run = run_gates(load_candidate(registry, 1), champion=None, policy=load_policy())
    by_name = {r.name: r for r in run.results}
    assert by_name["dominance.single_feature_share"].measured == pytest.approx(0.1356, abs=1e-4)
    assert by_name["proxy.group_from_features"].status == "passed"
    assert by_name["threshold_near"].detail.endswith("reading: keep")
    assert run.threshold_near is not None


def test_a_champion_on_an_old_feature_spec_skips_only_the_comparisons(registry, fair) -> None:
    register_result(registry, fair)
    registry.set_alias("champion", 1, by="ana", extra={"action": "promote"})
    # As after a FEATURE_CODE_VERSION bump: version 1 was trained on another spec.
    meta_path = registry.version_dir(1) / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["feature_spec_hash"] = "0" * 64
    meta_path.write_text(json.dumps(meta))
    register_result(registry, fair)
    outcome = promote_version(registry, 2, by="ana", reason="retrained after the feature change")
    assert outcome.startswith(
        "version 2 is now the champion (was version 1); gates: 8 passed, 4 skipped, 0 waived; "
        "fairness audit with "
    )
    assert registry.alias("champion") == 2
    gates = json.loads((registry.version_dir(2) / "audit" / "gates.json").read_text())["gates"]
    comparisons = [g for g in gates if g["name"].endswith("_vs_champion")]
    assert [g["status"] for g in comparisons] == ["skipped"] * 3
    assert {g["detail"] for g in comparisons} == {
        "skipped: champion version 1 cannot be loaded to re-score these rows: model version 1 "
        f"was trained on feature spec 000000000000…, but this code builds "
        f"{feature_spec_hash()[:12]}…; retrain it with `hotline train`"
    }
    assert [g["name"] for g in gates if g["status"] == "passed"] == PASSED_WITHOUT_COMPARISONS


@pytest.mark.parametrize("group", ["ethnicity", "household_id"])
def test_cli_refuses_a_policy_that_groups_by_anything_but_an_audit_column(
    registry, tmp_path, fair, group
) -> None:
    # A mistyped group (no such column) or a wrong one (a column with no groups worth the
    # name) would leave the fairness gates unmeasured or skipped: the policy is refused.
    reg = registry
    register_result(reg, fair)
    policy = tmp_path / "policy.yaml"
    policy.write_text(DEFAULT_POLICY_PATH.read_text().replace("group: race", f"group: {group}"))
    args = [*PROMOTE_1, "--registry", str(reg.root), "--policy", str(policy)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert result.output == (
        f"Error: {policy}: gate 'disparity': group: Input should be 'race' or 'hispanic' "
        f"(got '{group}'); accepted: race or hispanic (the held-out data's audit columns)\n"
    )
    assert reg.alias("champion") is None


def test_cli_promote_of_a_version_whose_rows_lack_the_group_column(
    registry, tmp_path, fair
) -> None:
    # A fairness gate that cannot be measured fails (it is not skipped): held-out rows
    # without the policy's group (e.g. saved by an older version) promote nothing unaudited.
    # A recorded waiver can still promote it.
    reg = registry
    register_result(reg, fair)
    _as_registered_before_file_digests(reg, 1)  # its rows may be rewritten, as then
    holdout = reg.version_dir(1) / "holdout.parquet"
    pd.read_parquet(holdout).drop(columns=["race"]).to_parquet(holdout)
    args = [*PROMOTE_1, "--registry", str(reg.root)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    audit = reg.version_dir(1) / "audit"
    unmeasured = (
        "disparity.selection_rate",
        "disparity.fpr",
        "disparity.fnr",
        "disparity.calibration_high_scores",
        "proxy.group_from_features",
    )
    missing = "not measured: the held-out data has no 'race' column"
    assert result.output == (
        f"Error: version 1 not promoted: 5 gate(s) failed (policy 2026.1, {DEFAULT_POLICY_PATH})\n"
        + "".join(f"  {name}: {missing}\n" for name in unmeasured)
        + f"audit bundle: {audit}\n"
        "to promote anyway, waive each failed gate: --waive GATE --by NAME --reason TEXT\n"
    )
    assert reg.alias("champion") is None
    gates = json.loads((audit / "gates.json").read_text())
    assert gates["audit_skipped"] == "the held-out data has no 'race' column"
    failed = {g["name"]: g["detail"] for g in gates["gates"] if g["status"] == "failed"}
    assert failed == dict.fromkeys(unmeasured, missing)
    assert not (audit / "audit.json").exists()
    assert "Per group: not audited (the held-out data has no 'race' column)." in (
        (audit / "model_card.md").read_text()
    )
    waivers = [a for name in unmeasured for a in ("--waive", name)]
    waived = CliRunner().invoke(main, [*args, *waivers, "--by", "ana", "--reason", "no data"])
    assert waived.exit_code == 0, waived.output
    assert reg.alias("champion") == 1


def test_cli_prints_a_fairness_error_as_one_line(registry, tmp_path, monkeypatch, fair) -> None:
    def fail(*args, **kwargs):
        raise ColumnError("--score column 'score' must be numeric")

    monkeypatch.setattr("training.cli.promote_version", fail)
    reg = registry
    register_result(reg, fair)
    result = CliRunner().invoke(main, [*PROMOTE_1, "--registry", str(reg.root)])
    assert result.exit_code == 1
    assert result.output == "Error: --score column 'score' must be numeric\n"


def test_a_champion_of_another_label_skips_only_the_comparisons(
    registry, fair, fair_rereferral
) -> None:
    register_result(registry, fair)
    promote_version(registry, 1, by="ana", reason="removal model")
    register_result(registry, fair_rereferral)
    outcome = promote_version(registry, 2, by="ana", reason="re-referral model")
    assert outcome.startswith(
        "version 2 is now the champion (was version 1); gates: 8 passed, 4 skipped, 0 waived; "
    )
    gates = json.loads((registry.version_dir(2) / "audit" / "gates.json").read_text())["gates"]
    comparisons = {g["name"]: g for g in gates if g["name"].endswith("_vs_champion")}
    reason = (
        "skipped: champion version 1 predicts 'removal_2y', the candidate 'rereferral_2y': "
        "metrics of different labels are not comparable"
    )
    assert [(g["status"], g["measured"], g["detail"]) for g in comparisons.values()] == [
        ("skipped", None, reason)
    ] * 3
    assert [g["name"] for g in gates if g["status"] == "passed"] == PASSED_WITHOUT_COMPARISONS


@pytest.mark.parametrize("damage", ["no file", "no probability column"])
def test_cli_refuses_a_version_without_usable_held_out_rows_in_one_line(
    registry, tmp_path, fair, damage
) -> None:
    reg = registry
    register_result(reg, fair)
    path = reg.version_dir(1) / "holdout.parquet"
    if damage == "no file":
        path.unlink()
        message = (
            f"model version 1 has no held-out rows ({path}), which the promotion gates "
            "measure on; retrain it with `hotline train`"
        )
    else:
        fair.holdout.drop(columns="probability").to_parquet(path, index=False)
        message = (
            f"model version 1: {path} has no column 'probability', which the promotion gates "
            "need; retrain it with `hotline train`"
        )
    result = CliRunner().invoke(main, [*PROMOTE_1, "--registry", str(reg.root)])
    assert result.exit_code == 1
    assert result.output == f"Error: {message}\n"
    assert reg.alias("champion") is None
    assert reg.history() == []
    assert not (reg.version_dir(1) / "audit").exists()


def test_history_names_the_policy_by_its_hash_as_gates_json_does(
    tmp_path, registry, fair, biased
) -> None:
    # A lenient copy that keeps the version string "2026.1": only the hash tells them apart.
    shipped = DEFAULT_POLICY_PATH.read_bytes()
    lenient_path = tmp_path / "lenient.yaml"
    lenient_path.write_bytes(shipped.replace(b"max_share: 0.25", b"max_share: 0.9"))
    lenient = load_policy(lenient_path)
    assert lenient.version == load_policy().version == "2026.1"
    register_result(registry, fair)
    register_result(registry, biased)
    register_result(registry, fair)
    promote_version(registry, 1, by="ana", reason="shipped policy")
    with pytest.raises(PromotionRefused):
        promote_version(registry, 2, by="ana", reason="shipped policy")
    promote_version(registry, 3, by="ana", reason="lenient policy", policy=lenient)
    events = [
        (e["event"], e["version"], e["policy"], e["policy_sha256"]) for e in registry.history()
    ]
    shipped_sha = hashlib.sha256(shipped).hexdigest()
    lenient_sha = hashlib.sha256(lenient_path.read_bytes()).hexdigest()
    assert shipped_sha != lenient_sha
    assert events == [
        ("alias", 1, "2026.1", shipped_sha),
        ("refused", 2, "2026.1", shipped_sha),
        ("alias", 3, "2026.1", lenient_sha),
    ]
    for version, sha in ((1, shipped_sha), (2, shipped_sha), (3, lenient_sha)):
        gates = json.loads((registry.version_dir(version) / "audit" / "gates.json").read_text())
        assert gates["policy"]["sha256"] == sha


def _break(registry, version, damage) -> str:
    # Returns what loading the broken version says.
    path = registry.version_dir(version) / "model.joblib"
    if damage == "altered":
        with path.open("ab") as artifact:
            artifact.write(b"x")
    else:
        path.unlink()
    try:
        registry.load(version)
    except ModelError as exc:
        return str(exc)
    raise AssertionError("not broken")


@pytest.mark.parametrize("damage", ["altered", "deleted"])
def test_a_broken_champion_refuses_the_promotion_naming_the_champion_and_the_way_out(
    registry, fair, damage
) -> None:
    # Only a champion built on an older feature spec lets the comparisons be skipped
    # silently; a missing or altered one is a problem to look into. The message said only
    # "model version 1: ... refusing to load it", as if the candidate were at fault.
    register_result(registry, fair)
    promote_version(registry, 1, by="ana", reason="first")
    error = _break(registry, 1, damage)
    register_result(registry, fair)
    with pytest.raises(ChampionBroken) as refused:
        promote_version(registry, 2, by="ana", reason="second")
    assert str(refused.value) == (
        f"the champion, version 1, is broken: {error}. Version 2 was not promoted (nothing was "
        "written). Restore version 1's files, or replace it: hotline promote 2 "
        "--replace-broken-champion --by NAME --reason TEXT (the comparisons with the champion "
        "are then skipped, and who and why recorded)"
    )
    assert registry.alias("champion") == 1
    assert [e["event"] for e in registry.history()] == ["alias"]
    assert not (registry.version_dir(2) / "audit").exists()


def test_cli_replaces_a_broken_champion_and_records_it(tmp_path, fair) -> None:
    # With only version 1 ever promoted and its artifact gone, nothing could replace it:
    # the promotion failed on the champion, and a rollback had nowhere to go.
    reg = ModelRegistry(tmp_path / "reg")
    register_result(reg, fair)
    promote_version(reg, 1, by="ana", reason="first")
    error = _break(reg, 1, "deleted")
    register_result(reg, fair)
    common = ["--registry", str(reg.root)]
    args = ["promote", "2", *common, "--replace-broken-champion"]
    result = CliRunner().invoke(main, [*args, "--by", "ana", "--reason", "v1's artifact lost"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "version 2 is now the champion (was version 1, broken); gates: 8 passed, 4 skipped, "
        "0 waived; "
    )
    assert reg.alias("champion") == 2
    gates = json.loads((reg.version_dir(2) / "audit" / "gates.json").read_text())["gates"]
    comparisons = [g for g in gates if g["name"].endswith("_vs_champion")]
    assert {(g["status"], g["detail"]) for g in comparisons} == {
        (
            "skipped",
            f"skipped: champion version 1 cannot be loaded to re-score these rows: {error} "
            "(replaced as broken by ana: v1's artifact lost)",
        )
    }
    last = reg.history()[-1]
    assert (last["action"], last["by"], last["reason"], last["replaced_broken_champion"]) == (
        "promote",
        "ana",
        "v1's artifact lost",
        {"version": 1, "error": error},
    )
    lines = CliRunner().invoke(main, ["models", *common, "history"]).output.splitlines()
    assert lines[-1].endswith(f"[replaced broken version 1: {error}]")


@pytest.mark.parametrize(
    ("setup", "by", "message"),
    [
        (
            "champion loads",
            "ana",
            "--replace-broken-champion: the champion, version 1, loads; promote version 2 "
            "without that option, so it is compared with the champion",
        ),
        (
            "no champion",
            "ana",
            "--replace-broken-champion: there is no champion to replace; promote version 2 "
            "without it",
        ),
        (
            "champion loads",
            "",
            "--replace-broken-champion needs --by NAME and --reason TEXT (both recorded)",
        ),
    ],
)
def test_replacing_a_champion_that_is_not_broken_is_refused(
    registry, fair, setup, by, message
) -> None:
    register_result(registry, fair)
    register_result(registry, fair)
    if setup == "champion loads":
        promote_version(registry, 1, by="ana", reason="first")
    events = registry.history()
    with pytest.raises(WaiverInvalid) as refused:
        promote_version(registry, 2, by=by, reason="x", replace_broken_champion=True)
    assert str(refused.value) == message
    assert registry.history() == events
    assert not (registry.version_dir(2) / "audit").exists()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            "features deleted",
            "model version 1: holdout_features.npy is missing from {directory} (written at "
            "registration with SHA-256 {features}…); restore it or retrain with `hotline train`",
        ),
        (
            "held-out rows changed",
            "model version 1: {directory}/holdout.parquet has SHA-256 {changed}…, but "
            "{holdout}… was recorded at registration; restore it or retrain with "
            "`hotline train`",
        ),
        (
            "label changed",
            "model version 1: {directory}/metadata.json was changed after registration (it no "
            "longer matches its metadata_sha256); restore it or retrain with `hotline train`",
        ),
    ],
)
def test_cli_refuses_a_version_whose_files_changed_since_registration_before_any_gate(
    registry, fair, damage, message
) -> None:
    # Without its features five gates (the race-proxy gate among them) "skipped" and the
    # model was promoted: "gates: 6 passed, 6 skipped".
    register_result(registry, fair)
    directory = registry.version_dir(1)
    recorded = registry.metadata(1)["files"]
    changed = ""
    if damage == "features deleted":
        (directory / "holdout_features.npy").unlink()
    elif damage == "held-out rows changed":
        fair.holdout.iloc[1:].to_parquet(directory / "holdout.parquet", index=False)
        changed = hashlib.sha256((directory / "holdout.parquet").read_bytes()).hexdigest()
    else:
        meta = json.loads((directory / "metadata.json").read_text())
        meta["label"] = "rereferral_2y"
        (directory / "metadata.json").write_text(json.dumps(meta, indent=2))
    result = CliRunner().invoke(main, [*PROMOTE_1, "--registry", str(registry.root)])
    assert (result.exit_code, result.output) == (
        1,
        "Error: "
        + message.format(
            directory=directory,
            features=recorded["holdout_features.npy"][:12],
            holdout=recorded["holdout.parquet"][:12],
            changed=changed[:12],
        )
        + "\n",
    )
    assert registry.alias("champion") is None
    assert registry.history() == []
    assert not (directory / "audit").exists()


def _strict(tmp_path):
    path = tmp_path / "strict.yaml"
    path.write_text(
        DEFAULT_POLICY_PATH.read_text()
        .replace('version: "2026.1"', 'version: "strict-1"')
        .replace("auc_minimum: 0.65", "auc_minimum: 0.95")
    )
    return path


def test_re_running_the_gates_never_rewrites_a_promoted_versions_bundle(
    tmp_path, registry, fair
) -> None:
    # A refused re-run on the champion rewrote gates.json, the audit and the model card:
    # the card the service shows said "refused" about the model it served.
    register_result(registry, fair)
    promote_version(registry, 1, by="ana", reason="first")
    audit = registry.version_dir(1) / "audit"
    promoted = {p.name: p.read_bytes() for p in audit.iterdir()}
    args = [*PROMOTE_1, "--registry", str(registry.root)]
    result = CliRunner().invoke(main, [*args, "--policy", str(_strict(tmp_path))])
    assert result.exit_code == 1
    (run,) = (audit / "runs").iterdir()
    lines = result.output.splitlines()
    assert lines[0] == (
        f"Error: version 1 not promoted: 1 gate(s) failed (policy strict-1, {tmp_path}/strict.yaml)"
    )
    assert lines[-3:] == [
        f"audit bundle: {run}",
        "version 1 is still the champion; the bundle of its promotion, which the service "
        f"shows, stays in {audit}",
        "to promote anyway, waive each failed gate: --waive GATE --by NAME --reason TEXT",
    ]
    assert {p.name: p.read_bytes() for p in audit.iterdir() if p.is_file()} == promoted
    assert json.loads((run / "gates.json").read_text())["decision"] == "refused"
    assert "Decision: **refused**" in (run / "model_card.md").read_text()
    assert registry.history()[-1]["bundle"] == f"audit/runs/{run.name}"
    assert registry.alias("champion") == 1
    # A re-run that passes is kept beside it too.
    outcome = promote_version(registry, 1, by="ana", reason="again")
    second = next(p for p in (audit / "runs").iterdir() if p != run)
    assert outcome.startswith(
        "version 1 is still the champion (its gates were run again); gates: 8 passed"
    )
    assert outcome.endswith(
        f"model card in {second / 'model_card.html'}; the bundle of its earlier promotion, "
        f"which the service shows, stays in {audit}"
    )
    assert {p.name: p.read_bytes() for p in audit.iterdir() if p.is_file()} == promoted


def test_a_history_cut_short_refuses_the_promotion_before_any_gate(registry, fair) -> None:
    # The next append continued the cut line, swallowing the promotion's record, and
    # `models history` and rollbacks failed from then on.
    register_result(registry, fair)
    path = registry.root / "history.jsonl"
    path.write_bytes(b'{"event": "refused", "vers')
    with pytest.raises(RegistryError) as refused:
        promote_version(registry, 1, by="ana", reason="first")
    assert str(refused.value) == (
        f"{path}, line 1: cut short (no newline at its end: a write was interrupted); nothing "
        "was recorded or moved: repair or remove that line by hand, then run this again"
    )
    assert path.read_bytes() == b'{"event": "refused", "vers'
    assert registry.alias("champion") is None
    assert not (registry.version_dir(1) / "audit").exists()


def test_cli_demo_if_missing_builds_when_the_champion_cannot_be_loaded(
    tmp_path, fair, fair_path, monkeypatch
) -> None:
    # It said "champion is version 1; nothing to build", and `make run` served no model.
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copyfile(fair_path, data_dir / "demo-10000-unbiased.jsonl")  # no synthesis here
    monkeypatch.setattr("training.cli.get_settings", lambda: TrainingSettings(data_dir=data_dir))
    reg = ModelRegistry(tmp_path / "reg")
    register_result(reg, fair)
    promote_version(reg, 1, by="ana", reason="first")
    args = ["demo", "--if-missing", "--n", "10000", "--registry", str(reg.root)]
    result = CliRunner().invoke(main, args)
    assert (result.exit_code, result.output) == (0, "champion is version 1; nothing to build\n")
    error = _break(reg, 1, "altered")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        f"champion version 1 cannot be loaded ({error}); building a demo model to replace it"
    )
    assert lines[-1].startswith("version 2 is now the champion (was version 1, broken); gates: ")
    assert reg.alias("champion") == 2
    last = reg.history()[-1]
    assert (last["by"], last["reason"], last["replaced_broken_champion"]) == (
        "make run",
        f"demo model; champion version 1 cannot be loaded: {error}",
        {"version": 1, "error": error},
    )


def test_two_promotions_at_once_are_each_compared_with_the_champion_before_them(
    registry, fair, monkeypatch
) -> None:
    # As two processes would (separate registry objects): the first is held inside its gates.
    # Without the lock the second was compared with version 1 too, and became champion
    # without ever being compared with version 2.
    for _ in range(3):
        register_result(registry, fair)
    promote_version(registry, 1, by="ana", reason="first")
    held, release = threading.Event(), threading.Event()
    real_run_gates = promote_module.run_gates

    def slow_gates(candidate, **kwargs):
        if candidate.version == 2:
            held.set()
            release.wait(30)
        return real_run_gates(candidate, **kwargs)

    monkeypatch.setattr(promote_module, "run_gates", slow_gates)
    first, second = ModelRegistry(registry.root), ModelRegistry(registry.root)
    a = threading.Thread(target=promote_version, args=(first, 2), kwargs={"by": "a", "reason": "x"})
    b = threading.Thread(
        target=promote_version, args=(second, 3), kwargs={"by": "b", "reason": "y"}
    )
    a.start()
    assert held.wait(30)
    b.start()
    b.join(0.5)
    assert b.is_alive()  # waiting for the first promotion, not running its gates
    release.set()
    a.join(60)
    b.join(60)
    assert registry.alias("champion") == 3
    moves = [(e["version"], e["previous"]) for e in registry.history() if e["event"] == "alias"]
    assert moves == [(1, None), (2, 1), (3, 2)]
    gates = json.loads((registry.version_dir(3) / "audit" / "gates.json").read_text())
    assert gates["champion_before"] == 2
    compared = {g["name"]: g["status"] for g in gates["gates"]}
    assert compared["performance.auc_vs_champion"] == "passed"


def test_a_threshold_near_analysis_from_an_earlier_run_is_not_left_in_the_bundle(
    tmp_path, registry, fair
) -> None:
    # The bundle is served as a whole (GET /v1/reports/models/N): an analysis from an
    # earlier (refused) run must not sit next to a gates.json that says this run skipped it.
    register_result(registry, fair)
    with pytest.raises(PromotionRefused):
        promote_version(
            registry, 1, by="ana", reason="first", policy=load_policy(_strict(tmp_path))
        )
    audit = registry.version_dir(1) / "audit"
    assert (audit / "threshold_near.html").is_file()
    policy = load_policy()
    near = policy.threshold_near.model_copy(update={"min_rows_per_side": 10**6})
    promote_version(
        registry,
        1,
        by="ana",
        reason="again, under a policy that cannot run it",
        policy=policy.model_copy(update={"threshold_near": near}),
    )
    assert not (audit / "runs").exists()  # never promoted before: its own bundle
    gates = json.loads((audit / "gates.json").read_text())["gates"]
    assert next(g for g in gates if g["name"] == "threshold_near")["status"] == "skipped"
    assert not (audit / "threshold_near.html").exists()
    assert not (audit / "threshold_near.json").exists()


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["promote", "1", "--reason", "r"], "Error: Missing option '--by'."),
        (["promote", "1", "--by", "ana"], "Error: Missing option '--reason'."),
        (
            ["promote", "1", "--by", " ", "--reason", "r"],
            "Error: Invalid value for '--by': must not be blank: it is recorded in the models' "
            "history",
        ),
        (["models", "rollback", "--by", "ana"], "Error: Missing option '--reason'."),
        (
            ["models", "rollback", "--by", "ana", "--reason", "\t"],
            "Error: Invalid value for '--reason': must not be blank: it is recorded in the "
            "models' history",
        ),
    ],
)
def test_promotion_and_rollback_need_who_and_why(registry, fair, args, error) -> None:
    # Before: both went through with nobody and no reason on record, though each changes
    # what every screener sees.
    register_result(registry, fair)
    promote_version(registry, 1, by="ana", reason="first")
    register_result(registry, fair)
    history = registry.history()
    at = args.index("promote") + 1 if "promote" in args else args.index("rollback")
    args = [
        *args[:at],
        *(["--registry", str(registry.root)] if "promote" in args else []),
        *args[at:],
    ]
    if "rollback" in args:
        args = ["models", "--registry", str(registry.root), *args[1:]]
    result = CliRunner().invoke(main, args)
    assert (result.exit_code, result.output.splitlines()[-1]) == (2, error)
    assert registry.history() == history and registry.alias("champion") == 1
