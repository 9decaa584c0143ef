"""Eligibility requirements carried as HSDS attributes, and the check against a family.

HSDS 3.0 has no structured fields for pregnancy or household make-up, so a directory states
them as ``attribute`` records with ``link_type`` ``eligibility`` whose taxonomy term code is
one of:

- ``pregnant``: a caregiver must be pregnant;
- ``child-under-N``: a child younger than N years must live in the household;
- ``pregnant-or-child-under-N``: either of the above.

Codes outside this list are kept as text for the screener but not enforced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

RequirementKind = Literal["pregnant", "child_under", "pregnant_or_child_under", "unchecked"]
_PATTERN = re.compile(r"^(pregnant-or-)?child-under-(\d+(?:\.\d+)?)$")


@dataclass(frozen=True, slots=True)
class Requirement:
    """One eligibility requirement of a service."""

    kind: RequirementKind
    years: float | None
    label: str

    def met_by(self, *, pregnant: bool | None, child_ages: tuple[float, ...] | None) -> bool | None:
        """Return whether a household with these facts meets the requirement.

        Parameters
        ----------
        pregnant : bool or None
            Whether a caregiver is pregnant; None if not known.
        child_ages : tuple[float, ...] or None
            The children's ages in years; None if not known.

        Returns
        -------
        bool or None
            None when the facts it depends on are not known (the requirement is then not
            enforced); True for ``unchecked`` requirements, which the screener reads as text.
        """
        young = None
        if self.years is not None and child_ages is not None:
            young = any(age < self.years for age in child_ages)
        if self.kind == "pregnant":
            return pregnant
        if self.kind == "child_under":
            return young
        if self.kind == "pregnant_or_child_under":
            if pregnant or young:
                return True
            return None if pregnant is None or young is None else False
        return True


def parse_requirement(code: str, *, label: str) -> Requirement:
    """Parse an eligibility attribute's term code.

    Parameters
    ----------
    code : str
        The ``taxonomy_term.code`` (or name, when there is no code).
    label : str
        Text shown to the screener, normally the term's name.

    Returns
    -------
    Requirement
        Kind ``unchecked`` for codes outside the documented list.
    """
    normal = code.strip().lower()
    if normal == "pregnant":
        return Requirement(kind="pregnant", years=None, label=label)
    match = _PATTERN.match(normal)
    if match is None:
        return Requirement(kind="unchecked", years=None, label=label)
    kind: RequirementKind = "pregnant_or_child_under" if match.group(1) else "child_under"
    return Requirement(kind=kind, years=float(match.group(2)), label=label)
