"""The family-independent parts of the "why" lines shown with a suggestion.

The filters (explaining a verdict) and the directory (working these out once per service at
load, so the matcher only joins them) both read these, so a text is written in one place.
"""

from __future__ import annotations

import datetime as dt

from models.referral import Need
from service.referrals.eligibility import Requirement

NEED_TEXT: dict[Need, str] = {need: need.value.replace("_", " ") for need in Need}
"""Each need as a screener reads it ("substance use treatment")."""


def number(value: float) -> str:
    """Return a number as the reasons print it (``5``, ``0.5``), without a trailing ``.0``."""
    return f"{value:g}"


def age_span(low: float | None, high: float | None) -> str:
    """Return a service's age range as shown to the screener.

    Parameters
    ----------
    low, high : float or None
        Minimum and maximum age; None is open-ended.

    Returns
    -------
    str
        For example ``'0-5'`` or ``'18-any'``.
    """
    return f"{number(low) if low is not None else 0}-{number(high) if high is not None else 'any'}"


def age_reason(span: str, youngest_fitting: float | None, who: str) -> str:
    """Return the reason an age range passed.

    Parameters
    ----------
    span : str
        The range, from :func:`age_span`.
    youngest_fitting : float or None
        The youngest age that fits the range; None when no ages are known.
    who : str
        What to call those people (see ``filters.clients_of``).

    Returns
    -------
    str
        For example ``'Serves ages 0-5; fits child aged 2'``.
    """
    if youngest_fitting is None:
        return f"Serves ages {span} (ages not given)"
    return f"Serves ages {span}; fits {who} aged {number(youngest_fitting)}"


def requirement_reason(requirement: Requirement, *, known: bool = True) -> str:
    """Return the line for an eligibility requirement the family meets.

    Parameters
    ----------
    requirement : Requirement
        The requirement.
    known : bool
        False when the facts the requirement depends on were not given (a search).

    Returns
    -------
    str
        ``'Eligible: ...'``, or ``'Eligibility to confirm: ...'`` for unchecked ones and
        ones not known.
    """
    if requirement.kind == "unchecked" or not known:
        return f"Eligibility to confirm: {requirement.label}"
    return f"Eligible: {requirement.label}"


def record_reasons(
    capacity: str, capacity_available: float | None, verified: dt.date | None
) -> tuple[str, ...]:
    """Return the lines on a service's capacity and record date, in display order.

    Parameters
    ----------
    capacity : {"accepting", "waitlist", "unknown"}
        Whether the service takes new clients.
    capacity_available : float or None
        Open places reported; set whenever ``capacity`` is ``"accepting"``.
    verified : datetime.date or None
        When the record was last assured or modified.

    Returns
    -------
    tuple[str, ...]
        No line for an unknown capacity or a record never verified.
    """
    lines: list[str] = []
    if capacity == "accepting":
        lines.append(f"Accepting new clients ({capacity_available:g} open places)")
    elif capacity == "waitlist":
        lines.append("No open places reported: expect a waitlist")
    if verified is not None:
        lines.append(f"Record verified {verified.isoformat()}")
    return tuple(lines)
