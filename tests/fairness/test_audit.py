from collections import Counter

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
    # 0 of 300 vs 148 of 600, MOVER-R Wilson: the lower limit is 0, the upper the Wilson
    # upper limit of 0/300 over sqrt(l0 (2 p0 - l0)) for the Wilson lower limit l0 of 148/600.
    assert (selection["ci_low"], round(selection["ci_high"], 6)) == (0.0, 0.051715)
    assert result.ratio_ci["race"]["black"]["fpr"] == pytest.approx([0.0, 0.103463900], abs=1e-9)
    assert result.summary[1] == (
        "race: the selection (screen-in) rate for black is 0.0% (0 of 300 cases) vs 24.7% for "
        "white (148 of 600); 95% interval of the ratio 0.00-0.05, outside the 0.8-1.25 band."
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
    # The interval has no upper limit when the reference group's rate is 0 (null in JSON).
    assert (round(selection["ci_low"], 2), selection["ci_high"]) == (40.74, float("inf"))
    assert result.to_dict()["ratios"]["race"]["black"]["selection_rate"] is None
    assert result.to_dict()["ratio_ci"]["race"]["black"]["selection_rate"] == [
        pytest.approx(40.739637998),
        None,
    ]
    assert '<td class="flag">\u221e</td>' in render_report(audit=result)
    assert result.summary[1] == (
        "race: the selection (screen-in) rate for black is 26.3% (79 of 300 cases) vs 0.0% for "
        "white (0 of 600); 95% interval of the ratio 40.74 to infinity, outside the 0.8-1.25 "
        "band."
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
    # 0 of 60 (Wilson 0-6.0%) against 12 of 600 (1.15-3.46%): 0 to 3.33, which includes 1.
    assert result.ratio_ci["race"]["black"]["selection_rate"] == pytest.approx(
        [0.0, 3.32567318], abs=1e-8
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
    # FPR of b vs a: 20/68 vs 39/87; the interval 0.4226-0.99943 excludes 1 (so it is
    # flagged) and must not be printed as "0.42-1.00".
    result = disparity_audit(
        _top_bin_frame(1), label="removed", score="score", groups=["race"], threshold=5
    )
    fpr = next(f for f in result.flags if f["metric"] == "fpr")
    assert fpr["ci_high"] == pytest.approx(0.999426068, abs=1e-9)
    assert (
        "race: the false positive rate (selected, no later outcome) for b is 0.66 times that of "
        "a (29.4% vs 44.8%; 95% interval of the ratio 0.42-0.999), outside the 0.8-1.25 band."
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


def _small_groups_frame(seed: int) -> pd.DataFrame:
    # A fair score (the same distribution given the label in every group) and ten groups of
    # 60 cases with a 5% base rate, so each has about 3 positive cases and FNRs of 0 or 100%
    # are common, against 3,000 white cases with a 30% base rate.
    rng = np.random.default_rng(seed)
    race = np.array(["white"] * 3000 + [f"g{i}" for i in range(10) for _ in range(60)])
    removed = (rng.random(race.size) < np.where(race == "white", 0.3, 0.05)).astype(int)
    score = rng.normal(np.where(removed == 1, 0.6, 0.4), 0.25)
    return pd.DataFrame({"race": race, "removed": removed, "score": score})


def test_a_fair_score_is_flagged_at_most_at_the_nominal_rate():
    # 10 seeds x 10 groups = 100 comparisons per error rate, none with a real disparity: at
    # 95%, at most 5 may be flagged. Katz's interval, with no width at a rate of 100%, flagged
    # 31 of the 100 FNR comparisons here.
    flagged = Counter()
    for seed in range(10):
        result = disparity_audit(
            _small_groups_frame(seed),
            label="removed",
            score="score",
            groups=["race"],
            threshold=0.7,
        )
        flagged.update(f["metric"] for f in result.flags if f["metric"] in ("fpr", "fnr"))
    assert flagged == {"fpr": 4, "fnr": 1}


def test_a_planted_error_rate_near_100_percent_is_still_found():
    # 300 'pacific' cases whose positive cases score 0.2 lower: 76 of 85 missed (89.4%)
    # against 577 of 894 white cases (64.5%).
    rng = np.random.default_rng(0)
    race = np.array(["white"] * 3000 + ["pacific"] * 300)
    removed = (rng.random(race.size) < 0.3).astype(int)
    shift = np.where((race == "pacific") & (removed == 1), 0.2, 0.0)
    score = rng.normal(np.where(removed == 1, 0.6, 0.4) - shift, 0.25)
    frame = pd.DataFrame({"race": race, "removed": removed, "score": score})
    result = disparity_audit(frame, label="removed", score="score", groups=["race"], threshold=0.7)
    fnr = next(f for f in result.flags if f["metric"] == "fnr")
    assert (round(fnr["ratio"], 4), round(fnr["ci_low"], 4), round(fnr["ci_high"], 4)) == (
        1.3853,
        1.2435,
        1.4914,
    )


@pytest.mark.parametrize("not_recorded", [None, "unknown", "Unknown"])
def test_groups_without_a_recorded_value_are_shown_but_not_compared(not_recorded):
    # 3,000 cases with no recorded race, the largest group; 1,000 black cases selected twice
    # as often as 1,000 white ones. The reference is the largest recorded group.
    rng = np.random.default_rng(3)
    race = np.array([not_recorded] * 3000 + ["black"] * 1000 + ["white"] * 1000, dtype=object)
    p_selected = np.select([race == "black", race == "white"], [0.4, 0.2], 0.3)
    score = np.where(rng.random(race.size) < p_selected, 20, 1)
    frame = pd.DataFrame({"race": race, "removed": rng.integers(0, 2, race.size), "score": score})
    result = disparity_audit(frame, label="removed", score="score", groups=["race"], threshold=16)
    label = "(missing)" if not_recorded is None else not_recorded
    assert result.reference["race"] == "black"
    assert set(result.ratios["race"]) == {"black", "white"}
    assert not [f for f in result.flags if label in (f["group"], f["reference"])]
    assert [(f["group"], f["metric"]) for f in result.flags][0] == ("white", "selection_rate")
    missing = result.groups["race"][label]
    assert (missing["count"], missing["recorded"]) == (3000, False)
    assert missing["warning"] == "no recorded value (3000 cases): shown, not compared"
    assert f"race = {label}: no recorded value (3000 cases): shown, not compared" in (
        result.warnings
    )
    assert "not compared</span>" in render_report(audit=result)


def test_an_unrecorded_group_cannot_be_the_reference():
    frame = pd.DataFrame(
        {"race": ["unknown", "a", "b"] * 40, "removed": [0, 1] * 60, "score": [1, 20] * 60}
    )
    with pytest.raises(OptionError) as exc:
        disparity_audit(
            frame,
            label="removed",
            score="score",
            groups=["race"],
            threshold=16,
            reference="unknown",
        )
    assert str(exc.value) == (
        "--reference group 'unknown' of 'race' has no recorded value, so nothing is compared "
        "with it; choose one of: a, b"
    )


def test_intersections_with_an_unrecorded_part_are_not_compared():
    frame = audit_frame(4000, seed=11)
    frame.loc[:1999, "race"] = None
    result = disparity_audit(
        frame, label="removed", score="score", groups=["race", "sex"], threshold=16
    )
    assert result.reference["race & sex"] == "white & f"
    assert not [g for g in result.ratios["race & sex"] if g.startswith("(missing)")]
    assert result.groups["race & sex"]["(missing) & m"]["recorded"] is False


def test_fewer_than_two_comparable_groups_is_said_not_reported_as_no_difference():
    # One recorded group of 200 and one of 30 (small): nothing could be flagged.
    frame = pd.DataFrame(
        {
            "race": ["white"] * 200 + ["black"] * 30 + [None] * 100,
            "removed": [0, 1] * 165,
            "score": [1, 20] * 165,
        }
    )
    result = disparity_audit(frame, label="removed", score="score", groups=["race"], threshold=16)
    assert result.summary[1] == (
        "No groups were compared: no column has two or more groups with a recorded value and at "
        "least 50 cases, so this audit cannot say whether selection or error rates differ."
    )
    frame["sex"] = (["f", "f", "m", "m"] * 83)[:330]
    both = disparity_audit(
        frame, label="removed", score="score", groups=["race", "sex"], threshold=16
    )
    # sex and race & sex (white & f, white & m: 100 each) were compared; race was not.
    assert both.summary[1:3] == [
        "No group's selection or error rates differ from its reference group's by more than "
        "the 0.8-1.25 band with 95% confidence.",
        "race: fewer than two groups with a recorded value have 50 or more cases, so none was "
        "compared.",
    ]


def test_list_cells_are_multi_select_values():
    # A Parquet list column arrives as one array per cell; it means what "black|white" means.
    frame = pd.DataFrame(
        {
            "race": [np.array(v, dtype=object) for v in (["black"], ["white", "black"], [], [])]
            + [["white"], ("white",), None, "black|white"],
        }
    )
    views = build_views(frame, ["race"])
    assert [v.name for v in views] == ["race", "race (any mention)"]
    assert views[0].labels == ["(missing)", "black", "multiracial", "white"]
    assert views[0].codes.tolist() == [1, 2, 0, 0, 3, 3, 0, 2]
    assert split_cell(np.array(["white ", "black", None], dtype=object)) == ("black", "white")


def test_a_cell_that_cannot_be_grouped_names_the_column():
    with pytest.raises(ColumnError) as exc:
        build_views(pd.DataFrame({"race": [{"a": 1}, {"b": 2}]}), ["race"])
    assert str(exc.value) == (
        "--group column 'race' holds values that cannot be grouped (unhashable type: 'dict'); "
        "accepted: text or numbers, several values separated by | or ;, or a list of values per "
        "cell"
    )


def test_numeric_codes_read_the_same_with_and_without_blanks():
    # A code column with a blank is read as floats (1.0, 2.0, NaN): labels stay "1" and "2",
    # so --reference 1 works either way.
    whole = pd.DataFrame({"race": [1, 2, 2, 1]})
    blank = pd.DataFrame({"race": [1, 2, None, 1]})
    assert build_views(whole, ["race"])[0].labels == ["1", "2"]
    assert build_views(blank, ["race"])[0].labels == ["(missing)", "1", "2"]
    assert split_cell(2.5) == ("2.5",)
    frame = audit_frame(600, seed=12)
    frame["code"] = frame["race"].map({"white": 1, "black": 2}).astype(float)
    result = disparity_audit(
        frame, label="removed", score="score", groups=["code"], threshold=16, reference="1"
    )
    assert result.reference["code"] == "1"


def test_a_group_column_given_twice_is_refused():
    with pytest.raises(OptionError) as exc:
        disparity_audit(
            audit_frame(100, seed=13),
            label="removed",
            score="score",
            groups=["race", "sex", "race"],
            threshold=16,
        )
    assert str(exc.value) == "--group 'race' is given more than once; give each column once"


def test_a_column_with_no_recorded_value_has_no_reference_and_still_renders():
    frame = pd.DataFrame(
        {"race": [None] * 100 + ["unknown"] * 100, "removed": [0, 1] * 100, "score": [1, 20] * 100}
    )
    result = disparity_audit(frame, label="removed", score="score", groups=["race"], threshold=16)
    assert (result.reference, result.ratios, result.flags) == ({"race": None}, {"race": {}}, [])
    assert "(reference: none)" in render_report(audit=result)


def test_an_audit_that_selects_nobody_says_so_before_any_finding():
    # Before: "0.0% were selected ... No group's selection or error rates differ", a clean
    # report from a wrong column or threshold (a probability against a threshold of 16).
    frame = audit_frame(2000, shift=0.0, seed=5)
    frame["probability"] = frame["score"] / 20.0
    result = disparity_audit(
        frame, label="removed", score="probability", groups=["race"], threshold=16
    )
    low, high = frame["probability"].min(), frame["probability"].max()
    warning = (
        f"no audited case was selected (probability >= 16; probability runs from {low:g} to "
        f"{high:g}): the selection and error-rate comparisons cannot show a disparity (unless "
        "that is expected, check the score column and threshold)"
    )
    assert warning in result.warnings
    assert result.summary[1] == warning[0].upper() + warning[1:] + "."
    everyone = disparity_audit(frame, label="removed", score="score", groups=["race"], threshold=0)
    assert everyone.summary[1].startswith("Every audited case was selected (score >= 0; ")
