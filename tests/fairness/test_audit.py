import numpy as np
import pandas as pd
import pytest

from fairness import (
    ColumnError,
    OptionError,
    build_views,
    disparity_audit,
    render_report,
    split_cell,
)
from tests.fairness.factories import audit_frame


def _flags(result):
    return sorted((f["column"], f["group"], f["metric"], f["direction"]) for f in result.flags)


def test_planted_score_shift_flags_black_selection_and_fpr():
    frame = audit_frame(20000, shift=0.08, seed=1)
    result = disparity_audit(frame, label="removed", score="score", groups=["race"], threshold=16)
    assert result.reference["race"] == "white"
    assert _flags(result) == [
        ("race", "black", "fnr", "below"),
        ("race", "black", "fpr", "above"),
        ("race", "black", "selection_rate", "above"),
        ("race (any mention)", "black", "fnr", "below"),
        ("race (any mention)", "black", "fpr", "above"),
        ("race (any mention)", "black", "selection_rate", "above"),
    ]
    black = result.groups["race"]["black"]
    assert black["count"] == 5966
    assert round(result.ratios["race"]["black"]["fpr"], 3) == 1.823
    assert black["fpr_ci"][0] < black["fpr"] < black["fpr_ci"][1]
    assert result.summary[1] == (
        "race: the false positive rate (selected, no later outcome) for black is 1.82 times "
        "that of white (27.1% vs 14.9%; 95% interval of the ratio 1.69-1.96), outside the "
        "0.8-1.25 band."
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_planted_disparity_no_flags(seed):
    frame = audit_frame(20000, shift=0.0, seed=seed)
    result = disparity_audit(
        frame, label="removed", score="score", groups=["race", "sex"], threshold=16
    )
    assert result.flags == []
    assert result.summary[1] == (
        "No group's selection or error rates differ from its reference group's by more than "
        "the 0.8-1.25 band with 95% confidence."
    )


def test_multiracial_and_any_mention_views():
    frame = audit_frame(2000, seed=4)
    result = disparity_audit(frame, label="removed", score="score", groups=["race"], threshold=16)
    assert set(result.groups["race"]) == {"black", "hispanic", "multiracial", "white"}
    any_mention = result.groups["race (any mention)"]
    assert set(any_mention) == {"black", "hispanic", "white"}
    by_race = result.groups["race"]
    assert (
        any_mention["black"]["count"] == by_race["black"]["count"] + by_race["multiracial"]["count"]
    )
    assert result.meta["overlapping_views"] == ["race (any mention)"]


def test_split_cell_rule():
    assert split_cell(" white ; black") == ("black", "white")
    assert split_cell("black|black") == ("black",)
    assert split_cell(float("nan")) == ()
    assert split_cell("") == ()


def test_intersection_labels_and_missing_group():
    import pandas as pd

    frame = pd.DataFrame({"race": ["a", "b|c", None, "a"], "sex": ["f", "m", "f", "m"]})
    views = build_views(frame, ["race", "sex"])
    assert [v.name for v in views] == ["race", "race (any mention)", "sex", "race & sex"]
    assert views[0].labels == ["(missing)", "a", "multiracial"]
    assert views[-1].labels == ["(missing) & f", "a & f", "a & m", "multiracial & m"]
    assert views[1].labels == ["a", "b", "c", "(missing)"]


def test_small_group_is_shown_with_warning_and_never_flagged():
    frame = audit_frame(3000, shift=0.3, seed=6)
    result = disparity_audit(
        frame, label="removed", score="score", groups=["race"], threshold=16, min_group_size=200
    )
    multi = result.groups["race"]["multiracial"]
    assert multi["small"] is True
    assert multi["warning"] == f"only {multi['count']} cases (< 200): shown, not flagged"
    assert not [f for f in result.flags if f["group"] == "multiracial"]


def test_reference_override_and_unknown_reference():
    frame = audit_frame(3000, seed=7)
    result = disparity_audit(
        frame, label="removed", score="score", groups=["race"], threshold=16, reference="black"
    )
    assert result.reference["race"] == "black"
    assert result.ratios["race"]["black"]["selection_rate"] == 1.0
    with pytest.raises(OptionError) as exc:
        disparity_audit(
            frame, label="removed", score="score", groups=["race"], threshold=16, reference="x"
        )
    assert str(exc.value) == (
        "--reference group 'x' is not a group of any --group column; groups are: "
        "black, hispanic, multiracial, white"
    )


def test_decision_column_replaces_threshold():
    frame = audit_frame(3000, seed=8)
    frame["screened_in"] = (frame["score"] >= 10).astype(int)
    result = disparity_audit(
        frame, label="removed", score="score", groups=["race"], decision="screened_in"
    )
    assert result.meta["selection"] == "decision column 'screened_in' = 1"
    assert result.overall["selection_rate"] == pytest.approx(frame["screened_in"].mean())


def test_errors_name_the_column():
    frame = audit_frame(100, seed=9)
    with pytest.raises(OptionError, match="give --threshold T"):
        disparity_audit(frame, label="removed", score="score", groups=["race"])
    frame["removed"] = frame["removed"] * 2
    with pytest.raises(ColumnError) as exc:
        disparity_audit(frame, label="removed", score="score", groups=["race"], threshold=3)
    assert str(exc.value) == (
        "--label column 'removed' must be binary; found 2; accepted: 0/1, true/false, yes/no"
    )
    # A text column of other words (e.g. --label race by mistake) is named the same way.
    with pytest.raises(ColumnError) as exc:
        disparity_audit(frame, label="race", score="score", groups=["race"], threshold=3)
    assert str(exc.value).startswith("--label column 'race' must be binary; found '")


def _never_selected_frame(group="black"):
    # 600 white and 300 black cases with random labels and scores; no case of ``group``
    # ever reaches the threshold of 16.
    rng = np.random.default_rng(0)
    race = np.array(["white"] * 600 + ["black"] * 300)
    removed = rng.integers(0, 2, race.size)
    score = rng.integers(1, 21, race.size)
    score[race == group] = rng.integers(1, 16, int((race == group).sum()))
    return pd.DataFrame({"race": race, "removed": removed, "score": score})


def test_group_never_selected_is_flagged_with_a_finite_interval():
    result = disparity_audit(
        _never_selected_frame(), label="removed", score="score", groups=["race"], threshold=16
    )
    flags = {(f["group"], f["metric"]): f for f in result.flags}
    assert sorted(flags) == [("black", "fnr"), ("black", "fpr"), ("black", "selection_rate")]
    selection = flags[("black", "selection_rate")]
    assert (selection["ratio"], selection["direction"]) == (0.0, "below")
    # 0 of 300 vs 148 of 600, 0.5 added to every count and group size:
    # (0.5/300.5) / (148.5/600.5) * exp(+-1.96 * sqrt(1/0.5 - 1/300.5 + 1/148.5 - 1/600.5))
    assert (round(selection["ci_low"], 6), round(selection["ci_high"], 6)) == (0.00042, 0.1077)
    assert result.ratio_ci["race"]["black"]["fpr"] == pytest.approx(
        [0.000841742, 0.216015011], abs=1e-9
    )
    assert result.summary[1] == (
        "race: the selection (screen-in) rate for black is 0.0% (0 of 300 cases) vs 24.7% for "
        "white (148 of 600); 95% interval of the ratio 0.00-0.11, outside the 0.8-1.25 band."
    )


def test_reference_group_never_selected_makes_the_others_infinitely_above():
    result = disparity_audit(
        _never_selected_frame("white"),
        label="removed",
        score="score",
        groups=["race"],
        threshold=16,
        reference="white",
    )
    selection = next(
        f for f in result.flags if (f["group"], f["metric"]) == ("black", "selection_rate")
    )
    assert (selection["ratio"], selection["direction"]) == (float("inf"), "above")
    assert (round(selection["ci_low"], 2), round(selection["ci_high"], 2)) == (19.77, 5106.54)
    assert result.to_dict()["ratios"]["race"]["black"]["selection_rate"] is None
    assert '<td class="flag">\u221e</td>' in render_report(audit=result)
    assert result.summary[1] == (
        "race: the selection (screen-in) rate for black is 26.3% (79 of 300 cases) vs 0.0% for "
        "white (0 of 600); 95% interval of the ratio 19.77-5106.54, outside the 0.8-1.25 band."
    )


def test_a_few_cases_at_zero_by_chance_are_not_flagged():
    # White cases are selected 2% of the time; 60 black cases with none selected is what
    # chance gives about 30% of the time at that rate, and the interval says so.
    frame = pd.DataFrame(
        {
            "race": ["white"] * 600 + ["black"] * 60,
            "removed": ([0, 1] * 300) + ([0, 1] * 30),
            "score": [20] * 12 + [1] * 588 + [1] * 60,
        }
    )
    result = disparity_audit(frame, label="removed", score="score", groups=["race"], threshold=16)
    assert result.ratios["race"]["black"]["selection_rate"] == 0.0
    # (0.5/60.5) / (12.5/600.5) * exp(+-1.96 * sqrt(1/0.5 - 1/60.5 + 1/12.5 - 1/600.5))
    assert result.ratio_ci["race"]["black"]["selection_rate"] == pytest.approx(
        [0.02380007, 6.62303471], abs=1e-8
    )
    assert result.flags == []


def _top_bin_frame(top_positives_a: int) -> pd.DataFrame:
    # Two groups of 100 with identical outcomes at scores 1-4 (3 of 15 each); at the top
    # score 5 (40 cases each) group b has 20 outcomes and group a `top_positives_a`.
    rows = []
    for group, top in (("a", top_positives_a), ("b", 20)):
        for score in (1, 2, 3, 4):
            rows += [(group, score, 0)] * 12 + [(group, score, 1)] * 3
        rows += [(group, 5, 1)] * top + [(group, 5, 0)] * (40 - top)
    return pd.DataFrame(rows, columns=["race", "score", "removed"])


def test_calibration_gap_against_a_group_at_zero_in_the_top_bin_is_reported():
    # 0 of 40 (Wilson 0-8.8%) vs 20 of 40 (35.2-64.8%): the largest gap there can be, with
    # intervals far apart. It used to be skipped because the ratio 50%/0% has no finite value,
    # while the smaller gap 5% vs 50% was reported.
    result = disparity_audit(
        _top_bin_frame(0), label="removed", score="score", groups=["race"], threshold=5
    )
    top = {g: rows[-1] for g, rows in result.calibration["race"].items()}
    assert (top["a"]["observed_rate"], top["b"]["observed_rate"]) == (0.0, 0.5)
    assert result.summary[-1] == (
        "race: in the highest score bin (5), 50.0% of b cases vs 0.0% of a cases had the "
        "outcome; the same score does not mean the same risk for every group (see calibration "
        "below)."
    )
    smaller_gap = disparity_audit(
        _top_bin_frame(2), label="removed", score="score", groups=["race"], threshold=5
    )
    assert smaller_gap.summary[-1].startswith("race: in the highest score bin (5), 50.0% of b")


def test_flag_sentence_does_not_round_an_interval_excluding_1_to_1():
    # FPR of b vs a: 20/68 vs 40/88; Katz interval 0.4194-0.9982 excludes 1 (so it is flagged)
    # and must not be printed as "0.42-1.00".
    result = disparity_audit(
        _top_bin_frame(0), label="removed", score="score", groups=["race"], threshold=5
    )
    fpr = next(f for f in result.flags if f["metric"] == "fpr")
    assert fpr["ci_high"] == pytest.approx(0.998232140, abs=1e-9)
    assert (
        "race: the false positive rate (selected, no later outcome) for b is 0.65 times that of "
        "a (29.4% vs 45.5%; 95% interval of the ratio 0.42-0.998), outside the 0.8-1.25 band."
    ) in result.summary


def test_ratio_text_adds_digits_only_when_rounding_lands_on_an_edge():
    from fairness.report import _ratio_text
    from fairness.summary import ratio_text

    assert [ratio_text(v) for v in (0.998232, 1.0, 1.004, 0.42, 0.00042)] == [
        "0.998",
        "1.00",
        "1.004",
        "0.42",
        "0.00",
    ]
    band = (0.8, 1.25)
    assert [_ratio_text(v, edges=band) for v in (0.7996, 0.8, 1.2504, 1.2496, 0.81)] == [
        "0.7996",
        "0.80",
        "1.2504",
        "1.2496",
        "0.81",
    ]
