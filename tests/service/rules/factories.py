"""Plain builders of referrals and rules files for the rules tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from models.referral import Referral

RECEIVED = dt.datetime(2026, 3, 15, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
RECEIVED_DAY = RECEIVED.date()
HOUSEHOLD = "hh-1"


def days_before(days: int) -> dt.date:
    return RECEIVED_DAY - dt.timedelta(days=days)


def prior(
    days_ago: int, *, household: str = HOUSEHOLD, screened_in: bool = False
) -> dict[str, Any]:
    return {
        "report_date": days_before(days_ago).isoformat(),
        "household_id": household,
        "screened_in": screened_in,
    }


def make_referral(
    *,
    ages: tuple[float, ...] = (7.0,),
    allegations: tuple[str, ...] = ("neglect",),
    priors: tuple[dict[str, Any], ...] = (),
    pregnant: bool = False,
    received: dt.datetime = RECEIVED,
    referral_id: str = "r-1",
) -> Referral:
    return Referral.model_validate(
        {
            "referral_id": referral_id,
            "received_at": received.isoformat(),
            "place": {"county": "Allegheny", "zip": "15213"},
            "reporter_type": "school",
            "allegation_types": list(allegations),
            "household_id": HOUSEHOLD,
            "children": [{"age_years": age} for age in ages],
            "caregivers": [{"age_years": 30, "role": "mother", "pregnant": pregnant}],
            "prior_reports": list(priors),
        }
    )


def one_rule_file(
    *,
    rule_id: str = "r1",
    condition: str = 'fact: youngest_child_age\n      op: "<"\n      value: 3',
    action: str = "screen_in_required",
    explanation: str = '"youngest {youngest_child_age}"',
    extra: str = "",
    version: str = '"t1"',
    effective_from: str = "2026-01-01",
    effective_to: str | None = None,
) -> str:
    """Build a one-rule YAML file; `condition` is indented for the 'condition:' block."""
    to = f"\n    effective_to: {effective_to}" if effective_to is not None else ""
    return (
        f"version: {version}\n"
        "rules:\n"
        f"  - id: {rule_id}\n"
        "    title: A rule\n"
        "    citation: Test policy, section 1\n"
        f"    effective_from: {effective_from}{to}\n"
        "    condition:\n"
        f"      {condition}\n"
        "    action:\n"
        f"      type: {action}\n"
        f"    explanation: {explanation}\n"
        f"{extra}"
    )
