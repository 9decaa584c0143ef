"""The preview's case contract stays in step with the training data contract."""

from __future__ import annotations

from service.rules.preview import Case
from training.data import OUTCOME_COLUMNS


def test_a_case_accepts_exactly_the_outcomes_a_training_line_records():
    # service may not import training, so Case repeats the outcome keys; this keeps them equal.
    model_output = ["referral", "probability", "score", "band"]
    assert list(Case.model_fields) == model_output + list(OUTCOME_COLUMNS)
