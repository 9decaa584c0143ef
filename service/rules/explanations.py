"""Explanation templates: ``str.format``-style text filled with fact values, safely.

A template names fields in braces, e.g. ``"{prior_reports_same_household} prior reports in
{window_days} days"``. Only plain names are allowed: no attribute or index access (``{a.b}``,
``{a[0]}``), no conversions (``!r``) and no nested fields, because ``str.format`` on arbitrary
objects can reach attributes the rule author should not see. Templates are parsed with
:class:`string.Formatter` once at load time and rendered by concatenation, never by
``str.format`` on user text.

A field may be any fact without params, a fact with params that the rule's condition uses
with one set of params, or one of those params (e.g. ``window_days``). A format spec such as
``{probability:.2f}`` is allowed and checked against a sample value at load time.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from service.rules.errors import RuleInvalid
from service.rules.facts import FACTS, FactContext, FactRef, FactValue


@dataclass(frozen=True)
class _Field:
    ref: FactRef | None
    constant: int | None
    spec: str


@dataclass(frozen=True)
class ExplanationTemplate:
    """A checked template: literal text and the facts to fill in."""

    text: str
    parts: tuple[str | _Field, ...]

    def render(self, ctx: FactContext) -> str:
        """Fill the template with one referral's facts.

        Parameters
        ----------
        ctx : FactContext
            The referral's lazily computed facts.

        Returns
        -------
        str
            The explanation; unknown values read ``unknown``.
        """
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            elif part.ref is None:
                out.append(format_value(part.constant, part.spec))
            else:
                out.append(format_value(ctx.value(part.ref), part.spec))
        return "".join(out)


def format_value(value: FactValue, spec: str = "") -> str:
    """Show a fact value in an explanation.

    Parameters
    ----------
    value : FactValue
        A fact value.
    spec : str
        A format spec from the template (e.g. ``.2f``); empty for the default form.

    Returns
    -------
    str
        Booleans as yes/no, sets as a sorted comma list (or ``none``), unknown as ``unknown``,
        floats in the shortest of ``g`` form unless a spec is given.
    """
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, frozenset):
        return ", ".join(sorted(value)) or "none"
    if spec:
        return format(value, spec)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def compile_explanation(text: str, *, refs: Iterable[FactRef]) -> ExplanationTemplate:
    """Check an explanation template against the facts a rule's condition uses.

    Parameters
    ----------
    text : str
        The template.
    refs : iterable of FactRef
        The facts (with params) the rule's condition names.

    Returns
    -------
    ExplanationTemplate
        Ready to render.

    Raises
    ------
    RuleInvalid
        On malformed braces, attribute/index access, conversions, unknown field names,
        ambiguous params or a format spec that does not fit the value.
    """
    fields = _available_fields(refs)
    parts: list[str | _Field] = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise RuleInvalid(
            f"explanation: malformed template ({exc}); write {{{{ and }}}} for literal braces"
        ) from None
    for literal, name, raw_spec, conversion in parsed:
        spec = raw_spec or ""
        if literal:
            parts.append(literal)
        if name is None:
            continue
        where = f"explanation: field {{{name}}}"
        if not name:
            raise RuleInvalid(f"{where} has no name; name a fact, e.g. {{score}}")
        if any(mark in name for mark in ".[]"):
            raise RuleInvalid(
                f"{where} uses attribute or index access; only plain fact names are allowed"
            )
        if conversion is not None:
            raise RuleInvalid(f"{where} uses conversion !{conversion}; conversions are not allowed")
        if spec and ("{" in spec or "}" in spec):
            raise RuleInvalid(f"{where} has a nested field in its format spec; not allowed")
        if name not in fields:
            raise RuleInvalid(_unknown_field(name, where, fields))
        found = fields[name]
        if isinstance(found, str):
            raise RuleInvalid(f"{where} is ambiguous: {found}")
        ref, constant = (found, None) if isinstance(found, FactRef) else (None, found)
        _check_spec(name, spec, ref.spec.sample if ref is not None else constant, where)
        parts.append(_Field(ref=ref, constant=constant, spec=spec))
    return ExplanationTemplate(text=text, parts=tuple(parts))


def _unknown_field(name: str, where: str, fields: Mapping[str, object]) -> str:
    if name in FACTS:
        return (
            f"{where} names a fact with params that the condition does not use, so its "
            f"{', '.join(p.name for p in FACTS[name].params)} is unknown"
        )
    return f"{where} is not a known field; fields: {', '.join(sorted(fields))}"


_MAX_WIDTH: Final = 40
"""Widest field a format spec may ask for, and most digits after the point (an explanation is
one line of text; ``{score:>1000000000}`` would have built a gigabyte at load time)."""
_SPEC_NUMBERS: Final = re.compile(r"(?:[<>=^])?[+\- ]?z?#?0?(\d*)[_,]?(?:\.(\d+))?[a-zA-Z%]?$")


def _check_spec(name: str, spec: str, sample: FactValue, where: str) -> None:
    if not spec:
        return
    # Widths and precisions are read as the format mini-language does, after an optional
    # fill character (which may itself be a digit), before anything is formatted.
    numbers = _SPEC_NUMBERS.match(spec) or _SPEC_NUMBERS.match(spec, 1)
    if numbers and any(int(n or 0) > _MAX_WIDTH for n in numbers.groups()):
        raise RuleInvalid(
            f"{where}: format spec '{spec}' is too wide; widths and precisions go up to "
            f"{_MAX_WIDTH}"
        )
    if isinstance(sample, bool | frozenset):
        shape = "yes/no" if isinstance(sample, bool) else "a list"
        raise RuleInvalid(
            f"{where}: format spec '{spec}' does not fit {name}, which shows as {shape}"
        )
    try:
        format_value(sample, spec)
    except (ValueError, TypeError) as exc:
        raise RuleInvalid(f"{where}: format spec '{spec}' does not fit {name} ({exc})") from None


def _available_fields(refs: Iterable[FactRef]) -> dict[str, FactRef | int | str]:
    # A str value marks an ambiguous name and says why, so the error can be precise.
    fields: dict[str, FactRef | int | str] = {
        name: FactRef(spec) for name, spec in FACTS.items() if not spec.params
    }
    for ref in refs:
        if not ref.spec.params:
            continue
        name = ref.spec.name
        earlier = fields.get(name)
        if isinstance(earlier, FactRef) and earlier.params != ref.params:
            fields[name] = f"the condition uses '{name}' with different params"
        elif earlier is None:
            fields[name] = ref
        for param, value in ref.params:
            seen = fields.get(param)
            if isinstance(seen, int) and seen != value:
                fields[param] = f"the condition uses {param} {seen} and {value}"
            elif seen is None:
                fields[param] = value
    return fields
