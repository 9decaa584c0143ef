import hashlib
import json

import pytest

from tests.factories import referral_dict
from training.data import load_jsonl
from training.errors import TrainingDataError


def test_invalid_lines_are_reported_with_line_and_field(tmp_path) -> None:
    good = json.dumps({"referral": referral_dict(), "screened_in": True})
    bad_age = referral_dict()
    bad_age["children"][0]["age_years"] = 40
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join([good, "{not json", json.dumps({"referral": bad_age}), good]) + "\n")
    with pytest.raises(TrainingDataError) as info:
        load_jsonl(path, workers=1)
    assert str(info.value) == (
        f"{path}: 2 invalid lines: line 2: not JSON (key must be a string at line 1 column 2); "
        "line 3: children.0.age_years: Input should be less than or equal to 21"
    )


def test_missing_file_says_how_to_make_one(tmp_path) -> None:
    with pytest.raises(TrainingDataError, match="does not exist; create one with `hotline synth`"):
        load_jsonl(tmp_path / "nope.jsonl")


def test_audit_columns_are_kept_apart_from_features(training_data) -> None:
    frame = training_data.frame
    assert {"race", "hispanic", "household_id", "screened_in", "removal_2y", "latent_risk"} <= set(
        frame.columns
    )
    assert set(frame["race"]) <= {
        "white",
        "black",
        "black|white",
        "asian",
        "american_indian_alaska_native",
        "native_hawaiian_pacific_islander",
        "other",
    }


def test_a_byte_order_mark_is_not_part_of_the_first_line(tmp_path) -> None:
    # Written by Windows editors and some exports: line 1 was "not JSON".
    line = json.dumps({"referral": referral_dict(), "screened_in": True})
    raw = b"\xef\xbb\xbf" + f"{line}\n{line}\n".encode()
    path = tmp_path / "bom.jsonl"
    path.write_bytes(raw)
    data = load_jsonl(path, workers=1)
    assert len(data.frame) == 2
    assert data.frame["screened_in"].tolist() == [True, True]
    assert data.sha256 == hashlib.sha256(raw).hexdigest()  # the file's bytes, as they are
