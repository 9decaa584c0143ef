"""Read the places an HSDS service area covers, and compare county names.

HSDS leaves a service area's ``extent`` free: this module reads the text forms directories
use. A text extent lists 5-digit ZIP codes, ZIP ranges (``94401-94404``) and county names; a
``name`` may list counties (``Alameda County, San Mateo County``, ``Alameda and San Mateo
Counties``). County names are compared by :func:`county_key`, so "Demo", "Demo Co." and
"DEMO COUNTY" are one county.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

MAX_ZIP_RANGE = 1000
"""Most ZIP codes one range may expand to; a wider range is refused as a likely typo."""

# [0-9], not \d: \d also matches other scripts' digits, which are no US ZIP code.
_RANGE = re.compile(r"\b([0-9]{5})\s*(?:-|–|—|\bto\b|\bthrough\b|\bthru\b)\s*([0-9]{5})\b", re.I)
_ZIP = re.compile(r"\b([0-9]{5})(?:-[0-9]{4})?\b")
_PARTS = re.compile(r"[,;/|\n]")
_AND = re.compile(r"\s+(?:and|&)\s+", re.I)
# Words that may surround ZIP codes in a text extent without naming a place.
_FILLER = re.compile(
    r"\b(?:and|or|zips?|zip\s*codes?|zipcodes?|postal\s*codes?|codes?)\b|[^\w]+", re.I
)
_COUNTY = re.compile(r"^(.*\S)\s+(?:county|co\.?|parish)$", re.I)
_COUNTIES = re.compile(r"^(.*\S)\s+(counties|parishes)$", re.I)
_SUFFIXES = frozenset({"county", "co", "parish"})
_NEITHER = (
    "{where} {part!r} is neither a 5-digit ZIP code, a ZIP range such as '94401-94404' nor a "
    "county name such as 'Demo County'"
)
_BACKWARDS = "ZIP range {text!r} runs backwards"
_TOO_WIDE = "ZIP range {text!r} spans {count} codes, more than {most}"


@dataclass
class AreaReading:
    """What one service area covers, and the parts of its text that could not be read."""

    zips: set[str] = field(default_factory=set)
    counties: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.zips or self.counties)


def read_area(name: str | None, text_extent: str | None) -> AreaReading:
    """Read the places a service area covers from its name and text extent.

    Parameters
    ----------
    name : str or None
        The area's ``name``.
    text_extent : str or None
        The area's ``extent`` when its ``extent_type`` is text (or not given), else None.

    Returns
    -------
    AreaReading
        ZIP codes and county names (as written, stripped) from the text extent; when the
        extent gives none, county names from the name, which is otherwise a label. Problems
        name each ZIP range refused and each part of a list that is none of these.
    """
    reading = _read_extent(text_extent or "")
    if reading or not name:
        return reading
    counties, others = read_county_list(name)
    reading.counties = counties
    # A name with no county in it is a label ("Downtown"), not a list to complain about.
    if counties:
        reading.problems += [_NEITHER.format(where="name part", part=p) for p in others]
    return reading


def _read_extent(text: str) -> AreaReading:
    reading = AreaReading()
    for part in (p.strip() for p in _PARTS.split(text)):
        if not part:
            continue
        rest = _RANGE.sub(lambda m: _expand(m, reading), part)
        found = _ZIP.findall(rest)
        reading.zips.update(found)
        if found or rest != part:
            # ZIP codes with other words around them ("ZIP codes 94401 and 94402").
            rest = " ".join(_ZIP.sub(" ", rest).split())
            if not _FILLER.sub("", rest):
                continue
        counties, others = read_county_list(rest)
        reading.counties += counties
        reading.problems += [_NEITHER.format(where="text extent part", part=p) for p in others]
    return reading


def _expand(match: re.Match[str], reading: AreaReading) -> str:
    low, high = int(match.group(1)), int(match.group(2))
    text = match.group(0)
    if high < low:
        reading.problems.append(_BACKWARDS.format(text=text))
    elif high - low + 1 > MAX_ZIP_RANGE:
        reading.problems.append(
            _TOO_WIDE.format(text=text, count=high - low + 1, most=MAX_ZIP_RANGE)
        )
    else:
        reading.zips.update(f"{z:05d}" for z in range(low, high + 1))
    return " "


def read_county_list(text: str) -> tuple[list[str], list[str]]:
    """Split a list of county names.

    Parameters
    ----------
    text : str
        For example ``"Alameda County, San Mateo County"``, ``"Alameda County and San Mateo
        County"`` or ``"Alameda, San Mateo and Santa Clara Counties"``.

    Returns
    -------
    tuple[list[str], list[str]]
        The county names, each ending in its suffix (``"Santa Clara County"``), and the
        parts that are not county names. "and" splits a list only after a county suffix or
        before a plural one, so "Lewis and Clark County" stays one county.
    """
    parts = [p.strip() for p in _PARTS.split(text) if p.strip()]
    plural = _COUNTIES.match(parts[-1]) if parts else None
    if plural is not None:
        # "Alameda and San Mateo Counties": every part of the list is a county.
        parts[-1] = plural.group(1)
        suffix = "Parish" if plural.group(2).casefold() == "parishes" else "County"
        names = [piece.strip() for part in parts for piece in _AND.split(part)]
        return [n if _COUNTY.match(n) else f"{n} {suffix}" for n in names if n], []
    counties: list[str] = []
    others: list[str] = []
    for part in parts:
        pending = ""
        for piece in _AND.split(part):
            pending = f"{pending} and {piece}" if pending else piece
            if _COUNTY.match(pending):
                counties.append(pending)
                pending = ""
        if pending:
            others.append(pending)
    return counties, others


@lru_cache(maxsize=4096)
def county_key(name: str) -> str:
    """Return the form county names are compared in.

    Parameters
    ----------
    name : str
        A county name as written by a caller or a directory.

    Returns
    -------
    str
        Case-folded, accents, punctuation and extra spaces dropped, and a trailing
        "county", "co." or "parish" removed: ``"Demo Co."`` and ``" demo  COUNTY"`` both
        give ``"demo"``, ``"Prince George's County"`` gives ``"prince georges"``.
    """
    # Cached: a referral's county is normalised per request, and a few names recur.
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[-\u2013\u2014_]", " ", text)
    words = re.sub(r"[^\w\s]", "", text).split()
    if len(words) > 1 and words[-1] in _SUFFIXES:
        words.pop()
    return " ".join(words)
