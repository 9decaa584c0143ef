"""Views of a decision record that carry no more personal data than a role needs.

A screener reads back what the tool told them and what was recorded about their decision.
They do not need the logged input (which keeps race, ethnicity and disability for monitoring
only), the model's feature vector, or later outcomes about the household (removal,
substantiation), which are for supervisors' review.
"""

from __future__ import annotations

from typing import Final

from service.decision_log.schemas import DecisionRecord

SCREENER_WITHHELD: Final = ("score.referral", "score.features", "outcomes")


def screener_view(record: DecisionRecord) -> DecisionRecord:
    """Return the record without the logged input, the features and the outcomes.

    Parameters
    ----------
    record : DecisionRecord

    Returns
    -------
    DecisionRecord
        ``withheld`` lists what was removed.
    """
    score = {k: v for k, v in record.score.items() if k not in ("referral", "features")}
    chain = [entry for entry in record.chain if entry.get("kind") != "outcome"]
    return record.model_copy(
        update={
            "score": score,
            "outcomes": [],
            "chain": chain,
            "withheld": list(SCREENER_WITHHELD),
        }
    )
