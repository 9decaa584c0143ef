import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from fairness.cli import audit, threshold_near
from tests.fairness.factories import audit_frame, rd_frame


def _foreign_schema(n: int, seed: int) -> pd.DataFrame:
    """An agency's export with its own column names and word labels."""
    frame = audit_frame(n, shift=0.08, seed=seed)
    return pd.DataFrame(
        {
            "case_no": np.arange(n),
            "ethnicity": frame["race"].str.replace("|", "; ", regex=False).str.title(),
            "screen_score": frame["score"],
            "removed": np.where(frame["removed"] == 1, "yes", "no"),
        }
    )


def test_audit_on_a_csv_of_another_schema(tmp_path):
    path = tmp_path / "agency.csv"
    _foreign_schema(6000, seed=1).to_csv(path, index=False)
    result = CliRunner().invoke(
        audit,
        [
            "--data",
            str(path),
            "--label",
            "removed",
            "--score",
            "screen_score",
            "--threshold",
            "16",
            "--group",
            "ethnicity",
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "out" / "audit.json").read_text())
    assert set(data["groups"]["ethnicity"]) == {"Black", "Hispanic", "White", "multiracial"}
    black = data["groups"]["ethnicity"]["Black"]
    assert {"count", "selection_rate", "base_rate", "fpr", "fnr", "ppv", "npv", "auc"} <= set(black)
    assert data["ratios"]["ethnicity"]["Black"]["fpr"] > 1.25
    assert "ethnicity (any mention)" in data["groups"]
    assert (tmp_path / "out" / "audit.html").read_text().startswith("<!doctype html>")
    assert result.output.splitlines()[-1].startswith("wrote ")


def test_threshold_near_on_parquet(tmp_path):
    path = tmp_path / "decisions.parquet"
    rd_frame(4000, jump=-0.12, seed=2).rename(columns={"p": "probability"}).to_parquet(path)
    result = CliRunner().invoke(
        threshold_near,
        [
            "--data",
            str(path),
            "--running",
            "probability",
            "--cutoff",
            "0.5",
            "--outcome",
            "rereferred",
            "--treatment",
            "screened_in",
            "--group",
            "group",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "threshold_near.json").read_text())
    assert set(data["outcome_jump"]) >= {
        "estimate",
        "ci_low",
        "ci_high",
        "bandwidth",
        "n_below",
        "n_above",
    }
    assert set(data) >= {"first_stage", "effect", "density_test", "groups", "reading"}
    assert set(data["groups"]) == {"a", "b"}
    assert result.output.startswith("Families just below the threshold fare worse")


def test_audit_on_parquet(tmp_path):
    path = tmp_path / "agency.parquet"
    _foreign_schema(2000, seed=3).to_parquet(path)
    result = CliRunner().invoke(
        audit,
        [
            "--data",
            str(path),
            "--label",
            "removed",
            "--score",
            "screen_score",
            "--threshold",
            "16",
            "--group",
            "ethnicity",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "audit.json").read_text())
    assert data["reference"] == {"ethnicity": "White", "ethnicity (any mention)": "White"}
    groups = data["groups"]["ethnicity"]
    assert {g: groups[g]["count"] for g in groups} == {
        "Black": 594,
        "Hispanic": 302,
        "White": 1008,
        "multiracial": 96,
    }
    assert (groups["Black"]["selection_rate_n"], groups["White"]["selection_rate_n"]) == (
        [199, 594],
        [204, 1008],
    )
    assert round(data["ratios"]["ethnicity"]["Black"]["fpr"], 4) == 1.7886
    assert sorted((f["column"], f["group"], f["metric"]) for f in data["flags"]) == [
        (view, "Black", metric)
        for view in ("ethnicity", "ethnicity (any mention)")
        for metric in ("fnr", "fpr", "selection_rate")
    ]
    assert result.output.splitlines()[:3] == [
        "- Audited 2,000 cases; 25.0% were selected (screen_score >= 16.0) and 28.3% had the "
        "outcome 'removed'.",
        "- ethnicity: the false positive rate (selected, no later outcome) for Black is 1.79 "
        "times that of White (24.1% vs 13.5%; 95% interval of the ratio 1.39-2.29), outside the "
        "0.8-1.25 band.",
        "- ethnicity: the selection (screen-in) rate for Black is 1.66 times that of White "
        "(33.5% vs 20.2%; 95% interval of the ratio 1.40-1.95), outside the 0.8-1.25 band.",
    ]


def test_audit_of_a_parquet_list_column_and_unrecorded_race(tmp_path):
    # Multi-select race stored as a Parquet list column, with many households whose race was
    # never recorded (empty lists): list cells group as "a|b" cells do, and the empty ones
    # are shown but never the reference group.
    rng = np.random.default_rng(5)
    choices = [[], [], [], ["black"], ["white"], ["white"], ["white", "black"]]
    race = [choices[i] for i in rng.integers(0, len(choices), 3000)]
    frame = pd.DataFrame(
        {"race": race, "removed": rng.integers(0, 2, 3000), "score": rng.integers(1, 21, 3000)}
    )
    frame.to_parquet(tmp_path / "lists.parquet")
    args = ["--data", str(tmp_path / "lists.parquet"), "--label", "removed", "--score", "score"]
    args += ["--threshold", "16", "--group", "race", "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(audit, args)
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "out" / "audit.json").read_text())
    counts = {g: v["count"] for g, v in data["groups"]["race"].items()}
    assert counts == {"(missing)": 1283, "black": 446, "multiracial": 440, "white": 831}
    assert data["reference"]["race"] == "white"
    assert set(data["ratios"]["race"]) == {"black", "multiracial", "white"}
    assert data["groups"]["race"]["(missing)"]["warning"] == (
        "no recorded value (1283 cases): shown, not compared"
    )


def test_audit_refuses_a_group_column_given_twice(tmp_path):
    path = tmp_path / "cases.csv"
    audit_frame(200, seed=3).to_csv(path, index=False)
    args = ["--data", str(path), "--label", "removed", "--score", "score", "--threshold", "16"]
    args += ["--group", "race", "--group", "race", "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(audit, args)
    assert (result.exit_code, result.output) == (
        1,
        "error: --group 'race' is given more than once; give each column once\n",
    )
    assert not (tmp_path / "out").exists()


def test_threshold_near_with_a_treatment_that_does_not_vary_writes_nothing(tmp_path):
    frame = rd_frame(3000, seed=6)
    frame["far"] = (frame["p"] > 0.95).astype(int)
    frame.to_csv(tmp_path / "rd.csv", index=False)
    args = ["--data", str(tmp_path / "rd.csv"), "--running", "p", "--cutoff", "0.5"]
    args += ["--outcome", "rereferred", "--treatment", "far", "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(threshold_near, args)
    assert result.exit_code == 1
    assert result.output.startswith("error: --treatment 'far' does not vary near the cutoff: ")
    assert len(result.output.splitlines()) == 1
    assert not (tmp_path / "out").exists()


ERRORS = [
    (
        ["--data", "missing.csv"],
        1,
        "error: data file 'missing.csv' does not exist; give a CSV or Parquet file",
    ),
    (
        ["--label", "nope"],
        1,
        "error: --label 'nope' is not a column of the data; columns are: case_no, ethnicity, "
        "screen_score, removed",
    ),
    (
        ["--score", "ethnicity"],
        1,
        "error: --score column 'ethnicity' must be numeric; found 'Hispanic' in row 0; accepted: "
        "numbers, with empty cells for missing",
    ),
]


@pytest.mark.parametrize(("override", "code", "message"), ERRORS)
def test_audit_errors_are_one_readable_line(tmp_path, monkeypatch, override, code, message):
    monkeypatch.chdir(tmp_path)
    _foreign_schema(50, seed=4).to_csv("agency.csv", index=False)
    args = {
        "--data": "agency.csv",
        "--label": "removed",
        "--score": "screen_score",
        "--threshold": "16",
        "--group": "ethnicity",
        "--out": "out",
    }
    args.update(dict(zip(override[::2], override[1::2], strict=True)))
    result = CliRunner().invoke(audit, [x for kv in args.items() for x in kv])
    assert result.exit_code == code
    assert result.output.strip() == message
    assert "Traceback" not in result.output


def test_missing_required_option_is_usage_error(tmp_path):
    result = CliRunner().invoke(threshold_near, ["--data", "x.csv", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "Missing option '--running'" in result.output


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_thresholds_cutoffs_and_margins_are_finite(tmp_path, value):
    # click reads "nan" and "inf" as floats; either would give an answer that reads like a
    # finding ("no group's rates differ"), so each is refused, naming the option.
    path = tmp_path / "cases.csv"
    audit_frame(200, seed=3).to_csv(path, index=False)
    common = ["--data", str(path), "--out", str(tmp_path / "out")]
    runs = {
        "--threshold": (audit, ["--label", "removed", "--score", "score", "--group", "race"]),
        "--cutoff": (threshold_near, ["--running", "score", "--outcome", "removed"]),
        "--margin": (
            threshold_near,
            ["--running", "score", "--outcome", "removed", "--cutoff", "10"],
        ),
    }
    if value == "-inf":
        del runs["--margin"]  # refused by its range (>= 0) already
    for option, (command, args) in runs.items():
        result = CliRunner().invoke(command, [*common, *args, option, value])
        assert result.exit_code == 2, (option, result.output)
        assert result.output.splitlines()[-1] == (
            f"Error: Invalid value for '{option}': {value!r} is not a finite number."
        )
    assert not (tmp_path / "out").exists()
