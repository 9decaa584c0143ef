import pytest

from service.referrals.languages import interpretation_offered


@pytest.mark.parametrize(
    "text",
    [
        "None",
        "No",
        "N/A",
        "n/a",
        "NA",
        "none available",
        "None available.",
        "No interpreters",
        "no interpretation services available",
        "Not offered",
        "-",
        "  ",
        None,
    ],
)
def test_text_saying_there_is_no_interpretation_is_none(text):
    assert interpretation_offered(text) is None


@pytest.mark.parametrize(
    "text", ["Free phone interpretation in any language", "Phone interpreters", "ASL on request"]
)
def test_other_text_is_interpretation_offered_and_kept(text):
    assert interpretation_offered(text) == text
