import pytest
from pydantic import ValidationError

from service.referrals import ReferralStatus, ReferralStatusUpdate


def test_status_vocabulary():
    assert [s.value for s in ReferralStatus] == ["made", "accepted", "declined", "unreachable"]


def test_status_update_parses_and_refuses_unknown_status():
    update = ReferralStatusUpdate.model_validate(
        {"service_id": "svc-001", "status": "accepted", "recorded_at": "2025-04-02T09:00:00Z"}
    )
    assert update.status is ReferralStatus.accepted
    assert update.note is None

    with pytest.raises(ValidationError) as info:
        ReferralStatusUpdate.model_validate({"service_id": "svc-001", "status": "done"})
    assert info.value.errors()[0]["msg"] == (
        "Input should be 'made', 'accepted', 'declined' or 'unreachable'"
    )
