"""Read a rules file, check every rule, and compile it into a :class:`RuleSet`.

Every problem is refused at load with one line naming the file, the rule (by id, or by
position when it has no usable id), what is wrong and what is accepted, e.g.::

    rules.yaml: rule 'multiple-complaint': condition.all[0]: unknown fact 'prior_report'; ...

YAML is read with the safe loader, with two changes that matter for hand-edited policy files: a key
repeated in one mapping is an error (PyYAML would silently keep the last one), and dates are left
as text so that pydantic checks them with one clear message (PyYAML would raise a bare
``ValueError`` on ``2026-13-01``); a date field takes only ``YYYY-MM-DD`` text
(``service.days.Day``), never a number that pydantic would read as seconds since 1970. A document
nested too deeply for PyYAML's recursive reader is refused with one line too, not a
``RecursionError``, and so is an alias of a mapping or list (aliases to aliases can describe an
exponentially large condition), a number YAML 1.1 would read as other than written (``0365`` is
octal 245, ``1:30`` is base-60 90) and a value PyYAML's constructors cannot read (``!!bool maybe``,
an integer of 5,000 digits).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any, Final

import yaml
from pydantic import ValidationError

from service.rules.conditions import (
    MAX_CONDITION_DEPTH,
    compile_condition,
    fact_refs,
    parse_condition,
)
from service.rules.describe import described, kind_of
from service.rules.errors import RuleInvalid, RulesFileError
from service.rules.explanations import compile_explanation
from service.rules.ruleset import CompiledRule, RuleSet
from service.rules.schema import Rule, RulesDocument

DEFAULT_RULES_PATH: Final = Path(__file__).with_name("default_rules.yaml")
"""The rule set shipped with the service (documented in ``docs/rules.md``)."""

TOP_KEYS: Final = ("version", "name", "effective", "description", "band_defaults", "rules")
RULE_KEYS: Final = (
    "id",
    "title",
    "citation",
    "effective_from",
    "effective_to",
    "condition",
    "action",
    "explanation",
    "notes",
)
REQUIRED_RULE_KEYS: Final = tuple(key for key in RULE_KEYS if key not in ("effective_to", "notes"))
_RULE_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_ACCEPTED_KEYS: Final = {"action": "type, suggest_needs"}
_DATE_FIELDS: Final = frozenset({"effective", "effective_from", "effective_to"})


class _NotAccepted(yaml.MarkedYAMLError):
    """Valid YAML that a rules file may not use; the problem says why and what to write."""


class _PolicyLoader(yaml.SafeLoader):
    """Safe loader that refuses duplicate keys and repeated collections, keeps dates as text."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        # An alias shares the node it names, so a few lines of aliases to aliases describe a
        # condition with 10**9 comparisons that every later walk (checking, compiling, even
        # showing it in an error) expands. Text and numbers cannot grow that way, so only
        # aliases of mappings and lists are refused; the anchor is known by now (an alias may
        # only follow its anchor), which also catches an alias inside its own anchor.
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            target = self.anchors.get(str(event.anchor))
            if target is not None and not isinstance(target, yaml.ScalarNode):
                raise _NotAccepted(
                    None,
                    None,
                    f"alias *{event.anchor} repeats a mapping or list, which a rules file may "
                    "not do; write the repeated part out",
                    event.start_mark,
                )
        return super().compose_node(parent, index)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, KeyError, AttributeError):
            # PyYAML's scalar constructors raise bare Python errors on an explicitly tagged
            # value they cannot read (!!bool maybe, !!timestamp 2026-13-01) and on an integer
            # past Python's 4,300-digit limit; report those with a position like any YAML error.
            kind = node.tag.rsplit(":", 1)[-1]
            what = "this value"
            if isinstance(node, yaml.ScalarNode):
                value = str(node.value)
                what = "'" + (value if len(value) <= 20 else f"{value[:20]}...") + "'"
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {what} as {kind}", node.start_mark
            ) from None


def _mapping_without_duplicates(
    loader: _PolicyLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Hashable, Any]:
    loader.flatten_mapping(node)
    seen: set[Hashable] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
        if isinstance(key, Hashable):
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark
                )
            seen.add(key)
    return loader.construct_mapping(node, deep=deep)


def _number_as_written(loader: _PolicyLoader, node: yaml.ScalarNode) -> int | float:
    # YAML 1.1 reads 0365 as octal (245) and 1:30 as base 60 (90): a zero-padded window or a
    # value with a colon would load as a different number than the one on the page.
    text = str(node.value)
    digits = text.replace("_", "").lstrip("+-")
    if node.tag.endswith(":int"):
        number: int | float = loader.construct_yaml_int(node)
    else:
        number = loader.construct_yaml_float(node)
    if ":" in digits:
        reading = f"base 60 ({number})"
    elif len(digits) > 1 and digits[0] == "0" and digits[1].isdigit() and "." not in digits:
        reading = f"octal ({number})"
    else:
        return number
    raise _NotAccepted(
        None,
        None,
        f"'{text}' would be read as {reading}; write the number in decimal digits without "
        "leading zeros or colons",
        node.start_mark,
    )


_PolicyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _mapping_without_duplicates,  # type: ignore[arg-type]
)
_PolicyLoader.add_constructor("tag:yaml.org,2002:int", _number_as_written)  # type: ignore[arg-type]
_PolicyLoader.add_constructor("tag:yaml.org,2002:float", _number_as_written)  # type: ignore[arg-type]
_PolicyLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def default_rules_path() -> Path:
    """Return the path of the shipped default rule set.

    Returns
    -------
    pathlib.Path
        ``service/rules/default_rules.yaml``.
    """
    return DEFAULT_RULES_PATH


def load_rules(path: str | os.PathLike[str]) -> RuleSet:
    """Load, check and compile a rules file.

    Parameters
    ----------
    path : str or os.PathLike
        The YAML rules file.

    Returns
    -------
    RuleSet
        The compiled rule set.

    Raises
    ------
    RulesFileError
        If the file cannot be read or anything in it is invalid; the message names the file,
        the rule id and the problem.
    """
    source = os.fspath(path)
    try:
        data = Path(source).read_bytes()
    except OSError as exc:
        raise RulesFileError(f"{source}: cannot read rules file: {exc.strerror}") from None
    return parse_rules(data, source=source)


def parse_rules(text: str | bytes, *, source: str = "<string>") -> RuleSet:
    """Check and compile rules given as YAML text.

    Parameters
    ----------
    text : str or bytes
        The YAML document.
    source : str
        Name used in error messages and kept on the rule set.

    Returns
    -------
    RuleSet
        The compiled rule set.

    Raises
    ------
    RulesFileError
        If anything is invalid.
    """
    raw_bytes = text.encode("utf-8") if isinstance(text, str) else text
    try:
        decoded = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RulesFileError(f"{source}: not UTF-8 text (byte {exc.start})") from None
    top = _read_yaml(decoded, source)
    rules_raw = top.get("rules")
    if "rules" not in top:
        raise RulesFileError(f"{source}: missing 'rules'; give a list of rules (may be empty)")
    if not isinstance(rules_raw, list):
        raise RulesFileError(f"{source}: 'rules' must be a list; got {kind_of(rules_raw)}")
    seen: dict[str, int] = {}
    compiled = tuple(_compile_rule(raw, i, source, seen) for i, raw in enumerate(rules_raw))
    header = {key: value for key, value in top.items() if key != "rules"}
    try:
        document = RulesDocument.model_validate(
            {**header, "rules": tuple(rule.rule for rule in compiled)}
        )
    except ValidationError as exc:
        raise RulesFileError(f"{source}: {_first_error(exc)}") from None
    digest = hashlib.sha256(raw_bytes).hexdigest()
    return RuleSet(document=document, compiled=compiled, source=source, sha256=digest)


def _read_yaml(text: str, source: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_PolicyLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        what = "" if isinstance(exc, _NotAccepted) else "not valid YAML: "
        raise RulesFileError(f"{source}: {what}{exc.problem}{where}") from None
    except yaml.YAMLError as exc:
        raise RulesFileError(f"{source}: not valid YAML: {exc}") from None
    except RecursionError:
        # PyYAML composes and constructs nodes recursively, so a few hundred nested levels
        # exhaust Python's stack before parse_condition could refuse the depth itself.
        raise RulesFileError(
            f"{source}: the rules nest too deeply to read; a condition may have at most "
            f"{MAX_CONDITION_DEPTH} levels"
        ) from None
    if not isinstance(data, dict):
        raise RulesFileError(
            f"{source}: expected a mapping with 'version' and 'rules' at the top; "
            f"got {kind_of(data)}"
        )
    unknown = sorted(str(key) for key in data if key not in TOP_KEYS)
    if unknown:
        raise RulesFileError(
            f"{source}: unknown top-level key '{unknown[0]}'; accepted keys: {', '.join(TOP_KEYS)}"
        )
    if "version" not in data:
        raise RulesFileError(
            f"{source}: missing 'version'; give the rule set a version such as '2026.1'"
        )
    version = data["version"]
    if not isinstance(version, str):
        raise RulesFileError(
            f"{source}: version must be text such as '2026.1' (quote it in YAML); "
            f"got {described(version)}"
        )
    return {str(key): value for key, value in data.items()}


def _compile_rule(raw: object, index: int, source: str, seen: dict[str, int]) -> CompiledRule:
    at = f"{source}: rules[{index}]"
    if not isinstance(raw, dict):
        raise RulesFileError(
            f"{at}: expected a mapping with {', '.join(REQUIRED_RULE_KEYS)}; got {kind_of(raw)}"
        )
    rule_id = raw.get("id")
    if rule_id is None:
        raise RulesFileError(f"{at}: missing 'id'; every rule needs a unique id")
    if not isinstance(rule_id, str):
        raise RulesFileError(f"{at}: id must be text; got {described(rule_id)}")
    if not _RULE_ID.fullmatch(rule_id) or len(rule_id) > 64:
        raise RulesFileError(
            f"{at}: id '{rule_id}' is not accepted; use up to 64 letters, digits, '_', '.' "
            "or '-', starting with a letter or digit"
        )
    label = f"{source}: rule '{rule_id}'"
    if rule_id in seen:
        raise RulesFileError(
            f"{label}: duplicate id (rules[{seen[rule_id]}] and rules[{index}]); "
            "rule ids must be unique"
        )
    seen[rule_id] = index
    unknown = sorted(str(key) for key in raw if key not in RULE_KEYS)
    if unknown:
        raise RulesFileError(
            f"{label}: unknown key '{unknown[0]}'; accepted keys: {', '.join(RULE_KEYS)}"
        )
    missing = [key for key in REQUIRED_RULE_KEYS if key not in raw]
    if missing:
        raise RulesFileError(
            f"{label}: missing '{missing[0]}'; every rule needs {', '.join(REQUIRED_RULE_KEYS)}"
        )
    try:
        condition = parse_condition(raw["condition"])
        rule = Rule.model_validate({**raw, "condition": condition})
        if rule.effective_to is not None and rule.effective_to < rule.effective_from:
            raise RuleInvalid(
                f"effective_to {rule.effective_to} is before effective_from "
                f"{rule.effective_from}; a rule must end on or after the day it starts"
            )
        explanation = compile_explanation(rule.explanation, refs=fact_refs(condition))
    except RuleInvalid as exc:
        raise RulesFileError(f"{label}: {exc}") from None
    except ValidationError as exc:
        raise RulesFileError(f"{label}: {_first_error(exc)}") from None
    return CompiledRule(rule=rule, predicate=compile_condition(condition), explanation=explanation)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    # "[key]" marks a bad mapping key; the key itself is already in the path.
    loc = ".".join(str(part) for part in error["loc"] if part != "[key]")
    if error["type"] == "extra_forbidden":
        accepted = _ACCEPTED_KEYS.get(str(error["loc"][0]))
        return f"{loc}: unknown key" + (f"; accepted keys: {accepted}" if accepted else "")
    # Our own validators' messages come as "Value error, ..."; the reader needs only the rest.
    said = str(error["msg"]).removeprefix("Value error, ")
    message = f"{loc}: {said}; got {described(error['input'])}"
    if error["loc"] and error["loc"][-1] in _DATE_FIELDS and "YYYY-MM-DD" not in said:
        message += " (write dates as YYYY-MM-DD)"
    return message
