"""The model card names the training data by file name and SHA-256, new metadata or old."""

import pytest

from training.gates import GateRun, load_policy
from training.model_card import build_model_card, render_html, render_markdown

DIGEST = "bda91a8547712cc0cdc6ac53f97146c120cd4943f2ecd1c82e9c18f37d5f8df1"


def _training_data(metadata):
    run = GateRun(results=[], audit=None, threshold_near=None, audit_skipped="not run")
    sections = build_model_card(metadata, run=run, policy=load_policy(), decision="refused")
    markdown = render_markdown(sections, title="card")
    html = render_html(sections, title="card")
    (paragraph,) = next(s for s in sections if s.heading == "Training data").blocks
    return paragraph, markdown + html


@pytest.mark.parametrize(
    ("metadata", "said"),
    [
        # As every version registered with `hotline train` records it, before and after the
        # card stopped printing the path: the full path stays in metadata.json.
        (
            {"n_rows": 30000, "data_path": "/srv/hotline/var/data/train.jsonl"},
            f"30000 referrals from `train.jsonl` (SHA-256 {DIGEST}); ",
        ),
        (
            {"n_rows": 30000, "data_path": "C:\\Users\\ana\\extracts\\train.jsonl"},
            f"30000 referrals from `train.jsonl` (SHA-256 {DIGEST}); ",
        ),
        # Registered without a file (e.g. from a data frame): no name to give.
        ({"n_rows": 30000}, f"30000 referrals from an unrecorded file (SHA-256 {DIGEST}); "),
    ],
)
def test_the_training_data_is_named_by_file_name_and_full_digest(metadata, said) -> None:
    paragraph, rendered = _training_data({**metadata, "data_sha256": DIGEST, "n_fit_rows": 9})
    assert paragraph.startswith(said)
    assert "/srv/hotline" not in rendered and "extracts" not in rendered


def test_metadata_without_a_digest_says_so() -> None:
    paragraph, _ = _training_data({"n_rows": 5, "data_path": "/old/train.jsonl"})
    assert paragraph.startswith("5 referrals from `train.jsonl` (SHA-256 not recorded); ")
