"""The gate policy file: the shipped one loads; every kind of mistake is refused exactly."""

import pytest

from training.errors import GatePolicyError
from training.gates import DEFAULT_POLICY_PATH, load_policy, parse_policy

SHIPPED = DEFAULT_POLICY_PATH.read_text()


def test_the_shipped_policy_loads_with_its_version_and_hash() -> None:
    policy = load_policy()
    assert policy.version == "2026.1"
    assert policy.disparity.band == (0.8, 1.25)
    assert policy.disparity.metrics == ["selection_rate", "fpr", "fnr"]
    assert policy.source == str(DEFAULT_POLICY_PATH)
    assert len(policy.sha256) == 64


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "band: [0.8, 1.25]",
            "band: [1.2, 1.1]",
            "p.yaml: gate 'disparity': band: the band [1.2, 1.1] must have 0 < low < 1 < high "
            "(got [1.2, 1.1]); accepted: [low, high] with 0 < low < 1 < high",
        ),
        (
            "max_share: 0.25",
            "max_share: 2",
            "p.yaml: gate 'dominance': max_share: Input should be less than 1 (got 2); "
            "accepted: a number between 0 and 1",
        ),
        (
            "max_share: 0.25",
            "max_shar: 0.25",
            "p.yaml: gate 'dominance': unknown key 'max_shar'; accepted keys: max_share",
        ),
        (
            "folds: 5",
            "folds: five",
            "p.yaml: gate 'proxy': folds: Input should be a valid integer, unable to parse "
            "string as an integer (got 'five'); accepted: a whole number from 2 to 20",
        ),
        (
            "metrics: [selection_rate, fpr, fnr]",
            "metrics: [selection_rate, tpr]",
            "p.yaml: gate 'disparity': metrics.1: Input should be 'selection_rate', 'fpr', "
            "'fnr', 'ppv' or 'npv' (got 'tpr'); accepted: a list of selection_rate, fpr, fnr, "
            "ppv, npv",
        ),
        (
            'version: "2026.1"',
            "version: 2026.1",
            "p.yaml: version: Input should be a valid string (got 2026.1); "
            'accepted: text, e.g. "2026.1"',
        ),
        (
            "dominance:\n  max_share: 0.25",
            "dominanse:\n  max_share: 0.25",
            "p.yaml: unknown gate 'dominanse'; accepted: version, name, performance, disparity, "
            "calibration_within_groups, threshold_near, proxy, dominance",
        ),
        (
            "dominance:\n  max_share: 0.25",
            "",
            "p.yaml: gate 'dominance': missing; give the section with keys max_share",
        ),
    ],
)
def test_bad_policies_are_refused_naming_file_gate_and_what_is_accepted(old, new, message) -> None:
    assert old in SHIPPED
    with pytest.raises(GatePolicyError) as exc:
        parse_policy(SHIPPED.replace(old, new), source="p.yaml")
    assert str(exc.value) == message


def test_unreadable_and_non_mapping_files(tmp_path) -> None:
    with pytest.raises(GatePolicyError) as exc:
        load_policy(tmp_path / "none.yaml")
    assert (
        str(exc.value)
        == f"{tmp_path / 'none.yaml'}: cannot read gate policy: No such file or directory"
    )
    with pytest.raises(GatePolicyError) as exc:
        parse_policy("- a\n- b\n", source="p.yaml")
    assert str(exc.value) == (
        "p.yaml: expected a mapping with 'version' and the sections performance, disparity, "
        "calibration_within_groups, threshold_near, proxy, dominance; got list"
    )
