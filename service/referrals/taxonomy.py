"""Map need categories to taxonomy codes (Open Eligibility shipped, 211HSIS configured).

The project keeps its own small vocabulary of needs (:class:`models.referral.Need`). A
directory tags services with codes from an external taxonomy; a :class:`TaxonomyMap` says
which codes stand for which need. Open Eligibility is openly licensed and shipped in
``taxonomy.yaml``; 211HSIS is licensed, so a deployment supplies its own code prefixes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from models.referral import Need
from service.referrals.errors import TaxonomyConfigError

_SECTIONS = ("open_eligibility", "airs_211")
_UNKNOWN_SECTION = "taxonomy map {path}: unknown section {section!r}; accepted: {accepted}"
_UNKNOWN_NEED = "taxonomy map {path}: {section}.{need} is not a need; accepted: {accepted}"
_BAD_CODES = "taxonomy map {path}: {section}.{need} must be a list of code strings, got {value!r}"
# Characters that separate a parent code from its child in both taxonomies
# (Open Eligibility '108-07-03', 211HSIS 'BD-1800.2000').
_SEPARATORS = "-."


@dataclass(frozen=True)
class TaxonomyMap:
    """Which taxonomy codes stand for which need.

    Parameters
    ----------
    codes : Mapping[Need, tuple[str, ...]]
        For each need, the codes (or code prefixes) that mean it, from every taxonomy.
    """

    codes: Mapping[Need, tuple[str, ...]]

    def needs_for(self, code: str) -> frozenset[Need]:
        """Return the needs a service tagged with ``code`` meets.

        Parameters
        ----------
        code : str
            A ``taxonomy_term.code`` from the directory.

        Returns
        -------
        frozenset[Need]
            Empty when the code means none of the needs.
        """
        found = {need for need, prefixes in self.codes.items() if _matches(code, prefixes)}
        return frozenset(found)


def _matches(code: str, prefixes: Iterable[str]) -> bool:
    code = code.strip().upper()
    for prefix in prefixes:
        p = prefix.upper()
        if code == p or (code.startswith(p) and code[len(p)] in _SEPARATORS):
            return True
    return False


def load_taxonomy_map(*paths: Path) -> TaxonomyMap:
    """Read one or more taxonomy mapping YAML files and merge their codes.

    Parameters
    ----------
    *paths : Path
        Files shaped like the shipped ``taxonomy.yaml``: sections ``open_eligibility`` and
        ``airs_211``, each mapping a need name to a list of codes. With no paths, only the
        shipped Open Eligibility map is read.

    Returns
    -------
    TaxonomyMap
        The union of all codes per need.

    Raises
    ------
    TaxonomyConfigError
        If a section or need name is unknown or codes are not a list of strings.
    """
    merged: dict[Need, list[str]] = {need: [] for need in Need}
    shipped = resources.files("service.referrals").joinpath("taxonomy.yaml").read_text("utf-8")
    sources: list[tuple[str, Any]] = [("taxonomy.yaml", yaml.safe_load(shipped))]
    sources += [(str(p), yaml.safe_load(Path(p).read_text("utf-8"))) for p in paths]
    for name, document in sources:
        for need, codes in _parse(name, document or {}):
            merged[need].extend(c for c in codes if c not in merged[need])
    return TaxonomyMap(codes={need: tuple(codes) for need, codes in merged.items()})


def _parse(path: str, document: Mapping[str, Any]) -> Iterable[tuple[Need, list[str]]]:
    accepted_needs = ", ".join(n.value for n in Need)
    for section, body in document.items():
        if section not in _SECTIONS:
            raise TaxonomyConfigError(
                _UNKNOWN_SECTION.format(path=path, section=section, accepted=", ".join(_SECTIONS))
            )
        for need_name, codes in (body or {}).items():
            if need_name not in Need.__members__:
                raise TaxonomyConfigError(
                    _UNKNOWN_NEED.format(
                        path=path, section=section, need=need_name, accepted=accepted_needs
                    )
                )
            if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
                raise TaxonomyConfigError(
                    _BAD_CODES.format(path=path, section=section, need=need_name, value=codes)
                )
            yield Need(need_name), codes


DEFAULT_TAXONOMY = load_taxonomy_map()
"""The shipped map: Open Eligibility codes only, no 211HSIS prefixes."""
