"""Parse, type-check and compile condition trees; never ``eval``.

:func:`parse_condition` turns the YAML form into the typed tree of :mod:`.schema`, refusing
unknown facts, unknown operators, operators that do not fit the fact's kind and literals of
the wrong type or outside the fact's range. :func:`compile_condition` turns a checked tree
into a closure once, at load time, so evaluation on the request path is a few calls.

Evaluation uses three-valued logic because model facts are unknown when no model output is
given: a comparison on an unknown fact is *unknown* (``None``); ``all`` is false if any child is
false, else unknown if any is unknown; ``any`` is true if any child is true, else unknown if any
is unknown; ``not`` of unknown is unknown. A rule fires only when its condition is *true*, so a
missing score can neither fire nor, through ``not``, accidentally fire a rule.
"""

from __future__ import annotations

import difflib
import math
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final

from service.rules.describe import described, kind_of, show
from service.rules.errors import RuleInvalid
from service.rules.facts import FACTS, FactContext, FactKind, FactRef, FactSpec, FactValue
from service.rules.schema import AllOf, AnyOf, Comparison, Condition, Not, Operator, Scalar

Predicate = Callable[[FactContext], bool | None]

_ORDER: Final = (Operator.eq, Operator.ne, Operator.lt, Operator.le, Operator.gt, Operator.ge)
OPERATORS_BY_KIND: Final[Mapping[FactKind, tuple[Operator, ...]]] = {
    FactKind.number: _ORDER,
    FactKind.boolean: (Operator.eq, Operator.ne),
    FactKind.category: (Operator.eq, Operator.ne, Operator.in_, Operator.not_in),
    FactKind.set: (Operator.contains, Operator.contains_any, Operator.contains_all),
}
"""Which operators apply to each kind of fact."""

_LIST_OPS: Final = frozenset(
    {Operator.in_, Operator.not_in, Operator.contains_any, Operator.contains_all}
)
_COMPARISON_KEYS: Final = ("fact", "op", "value", "params")
_COMBINATORS: Final = ("all", "any", "not")
_FACT_LIST: Final = ", ".join(sorted(FACTS))
_OP_LIST: Final = ", ".join(op.value for op in Operator)

MAX_CONDITION_DEPTH: Final = 32
"""How many levels a condition tree may have (the rule's ``condition`` is level 1).

Policy conditions are shallow (the shipped rules use 2 levels), so 32 leaves ample room for a
hand-written one; a deeper tree is a mistake or an attack. Parsing, pydantic's checks,
compiling and evaluating each recurse once or a few times per level, so a bound far below
Python's recursion limit (1000 frames) makes a hostile file a clear error instead of a crash.
"""


def parse_condition(raw: object, *, where: str = "condition") -> Condition:
    """Check a condition in its YAML form and build the typed tree.

    Parameters
    ----------
    raw : object
        The value read from YAML.
    where : str
        The path of this node inside the rule, used in messages (e.g. ``condition.all[1]``).

    Returns
    -------
    Condition
        The typed condition tree.

    Raises
    ------
    RuleInvalid
        With the node's path, what is wrong and what is accepted; also when the tree has more
        than :data:`MAX_CONDITION_DEPTH` levels.
    """
    return _parse_node(raw, where, 1)


def _parse_node(raw: object, where: str, level: int) -> Condition:
    if level > MAX_CONDITION_DEPTH:
        raise RuleInvalid(
            f"{where}: the condition nests too deeply (more than {MAX_CONDITION_DEPTH} "
            "levels); flatten it, e.g. merge nested all or any lists"
        )
    if not isinstance(raw, dict):
        raise RuleInvalid(
            f"{where}: expected a mapping (a comparison with fact/op/value, or all/any/not); "
            f"got {kind_of(raw)}"
        )
    if "fact" in raw:
        return _parse_comparison(raw, where)
    keys = [str(key) for key in raw]
    if len(keys) != 1 or keys[0] not in _COMBINATORS:
        raise RuleInvalid(
            f"{where}: expected one of the keys all, any, not, or a comparison with keys "
            f"fact, op, value (and optional params); got {', '.join(sorted(keys)) or 'nothing'}"
        )
    key = keys[0]
    body = raw[key]
    if key == "not":
        return Not.model_validate({"not": _parse_node(body, f"{where}.not", level + 1)})
    if not isinstance(body, list) or not body:
        raise RuleInvalid(
            f"{where}.{key}: expected a non-empty list of conditions; got {kind_of(body)}"
            + (" (empty)" if isinstance(body, list) else "")
        )
    children = tuple(
        _parse_node(child, f"{where}.{key}[{i}]", level + 1) for i, child in enumerate(body)
    )
    if key == "all":
        return AllOf.model_validate({"all": children})
    return AnyOf.model_validate({"any": children})


def _parse_comparison(raw: Mapping[object, object], where: str) -> Comparison:
    unknown = sorted(str(key) for key in raw if key not in _COMPARISON_KEYS)
    if unknown:
        raise RuleInvalid(
            f"{where}: unknown key {', '.join(repr(k) for k in unknown)}; a comparison has "
            "fact, op, value and optional params"
        )
    name = raw["fact"]
    if not isinstance(name, str) or name not in FACTS:
        close = difflib.get_close_matches(str(name), list(FACTS), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise RuleInvalid(f"{where}: unknown fact {show(name)}{hint}; known facts: {_FACT_LIST}")
    spec = FACTS[name]
    params = _parse_params(spec, raw.get("params"), where)
    op = _parse_operator(spec, raw.get("op"), where)
    if "value" not in raw:
        raise RuleInvalid(f"{where}: comparison on '{name}' has no value")
    value = _parse_value(spec, op, raw["value"], where)
    return Comparison(fact=name, op=op, value=value, params=params)


def _parse_params(spec: FactSpec, raw: object, where: str) -> dict[str, int]:
    accepted = ", ".join(f"{p.name} ({p.minimum}-{p.maximum})" for p in spec.params)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise RuleInvalid(f"{where}.params: expected a mapping; got {kind_of(raw)}")
    if not spec.params and raw:
        # YAML keys need not be text ({1: 2}), so make them text before joining.
        keys = ", ".join(sorted(str(key) for key in raw))
        raise RuleInvalid(f"{where}: fact '{spec.name}' takes no params; got {keys}")
    wanted = {p.name: p for p in spec.params}
    extra = sorted(str(key) for key in raw if key not in wanted)
    if extra:
        raise RuleInvalid(
            f"{where}.params: unknown param {', '.join(extra)} for fact '{spec.name}'; "
            f"it takes {accepted}"
        )
    params: dict[str, int] = {}
    for name, param in wanted.items():
        if name not in raw:
            raise RuleInvalid(f"{where}: fact '{spec.name}' needs params: {accepted}")
        given = raw[name]
        if isinstance(given, bool) or not isinstance(given, int):
            raise RuleInvalid(
                f"{where}.params.{name}: expected a whole number; got {described(given)}"
            )
        if not param.minimum <= given <= param.maximum:
            raise RuleInvalid(
                f"{where}.params.{name}: {given} is outside {param.minimum}-{param.maximum} "
                f"({param.description})"
            )
        params[name] = given
    return params


def _parse_operator(spec: FactSpec, raw: object, where: str) -> Operator:
    fitting = OPERATORS_BY_KIND[spec.kind]
    fitting_list = ", ".join(op.value for op in fitting)
    if raw is None:
        raise RuleInvalid(
            f"{where}: comparison on '{spec.name}' has no op; use one of {fitting_list}"
        )
    try:
        op = Operator(str(raw) if isinstance(raw, str) else "")
    except ValueError:
        raise RuleInvalid(f"{where}: unknown operator {show(raw)}; operators: {_OP_LIST}") from None
    if op not in fitting:
        raise RuleInvalid(
            f"{where}: operator '{op.value}' does not apply to {spec.kind.value} fact "
            f"'{spec.name}'; use one of {fitting_list}"
        )
    return op


def _parse_value(
    spec: FactSpec, op: Operator, raw: object, where: str
) -> Scalar | tuple[Scalar, ...]:
    if op in _LIST_OPS:
        if not isinstance(raw, list) or not raw:
            raise RuleInvalid(
                f"{where}: operator '{op.value}' needs a non-empty list of values; got "
                f"{kind_of(raw)}" + (" (empty)" if isinstance(raw, list) else "")
            )
        return tuple(_parse_scalar(spec, item, where) for item in raw)
    return _parse_scalar(spec, raw, where)


def _parse_scalar(spec: FactSpec, raw: object, where: str) -> Scalar:
    shown = described(raw)
    if spec.kind is FactKind.number:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise RuleInvalid(
                f"{where}: fact '{spec.name}' is a number, so value must be a number; got {shown}"
            )
        if not math.isfinite(raw):
            # YAML reads .inf and .nan as numbers. A fact without an upper bound would accept
            # .inf, and JSON (GET /v1/rules) would show it as null.
            raise RuleInvalid(f"{where}: value {raw} is not a finite number")
        low = -float("inf") if spec.minimum is None else spec.minimum
        high = float("inf") if spec.maximum is None else spec.maximum
        if not low <= raw <= high:
            bounds = (
                f"{spec.minimum:g}-{spec.maximum:g}"
                if spec.maximum is not None
                else (f"at least {spec.minimum:g}")
            )
            raise RuleInvalid(
                f"{where}: value {raw} is outside the range of '{spec.name}' ({bounds})"
            )
        return raw
    if spec.kind is FactKind.boolean:
        if not isinstance(raw, bool):
            raise RuleInvalid(
                f"{where}: fact '{spec.name}' is a boolean, so value must be true or false; "
                f"got {shown}"
            )
        return raw
    choices = spec.choices or frozenset()
    if not isinstance(raw, str) or raw not in choices:
        raise RuleInvalid(
            f"{where}: {shown} is not a value of '{spec.name}'; accepted: "
            f"{', '.join(sorted(choices))}"
        )
    return raw


def fact_refs(condition: Condition) -> Iterator[FactRef]:
    """Yield every fact (with its params) a condition names, depth first.

    Parameters
    ----------
    condition : Condition
        A checked condition tree.

    Yields
    ------
    FactRef
        One per comparison, in the order they appear.
    """
    if isinstance(condition, Comparison):
        yield _ref(condition)
    elif isinstance(condition, Not):
        yield from fact_refs(condition.not_)
    else:
        children = condition.all_ if isinstance(condition, AllOf) else condition.any_
        for child in children:
            yield from fact_refs(child)


def _ref(comparison: Comparison) -> FactRef:
    return FactRef(FACTS[comparison.fact], tuple(sorted(comparison.params.items())))


_BINARY: Final[Mapping[Operator, Callable[[Any, Any], bool]]] = {
    Operator.eq: operator.eq,
    Operator.ne: operator.ne,
    Operator.lt: operator.lt,
    Operator.le: operator.le,
    Operator.gt: operator.gt,
    Operator.ge: operator.ge,
}


def compile_condition(condition: Condition) -> Predicate:
    """Turn a checked condition tree into a predicate over a :class:`FactContext`.

    Parameters
    ----------
    condition : Condition
        A tree from :func:`parse_condition`.

    Returns
    -------
    Predicate
        ``True``, ``False`` or ``None`` (unknown) for a referral's facts.
    """
    if isinstance(condition, Comparison):
        return _compile_comparison(condition)
    if isinstance(condition, Not):
        inner = compile_condition(condition.not_)

        def negate(ctx: FactContext) -> bool | None:
            found = inner(ctx)
            return None if found is None else not found

        return negate
    if isinstance(condition, AllOf):
        return _all(tuple(compile_condition(child) for child in condition.all_))
    return _any(tuple(compile_condition(child) for child in condition.any_))


def _all(children: Sequence[Predicate]) -> Predicate:
    def every(ctx: FactContext) -> bool | None:
        unknown = False
        for child in children:
            found = child(ctx)
            if found is False:
                return False
            unknown = unknown or found is None
        return None if unknown else True

    return every


def _any(children: Sequence[Predicate]) -> Predicate:
    def some(ctx: FactContext) -> bool | None:
        unknown = False
        for child in children:
            found = child(ctx)
            if found is True:
                return True
            unknown = unknown or found is None
        return None if unknown else False

    return some


def _compile_comparison(comparison: Comparison) -> Predicate:
    ref = _ref(comparison)
    op = comparison.op
    literal = comparison.value
    test: Callable[[FactValue], bool]
    if op in _BINARY:
        binary = _BINARY[op]

        def test(found: FactValue) -> bool:
            return binary(found, literal)

    elif op is Operator.contains:

        def test(found: FactValue) -> bool:
            return isinstance(found, frozenset) and literal in found

    else:
        wanted = frozenset(literal) if isinstance(literal, tuple) else frozenset((literal,))
        if op is Operator.in_:

            def test(found: FactValue) -> bool:
                return found in wanted

        elif op is Operator.not_in:

            def test(found: FactValue) -> bool:
                return found not in wanted

        elif op is Operator.contains_any:

            def test(found: FactValue) -> bool:
                return isinstance(found, frozenset) and not found.isdisjoint(wanted)

        else:

            def test(found: FactValue) -> bool:
                return isinstance(found, frozenset) and wanted <= found

    def compare(ctx: FactContext) -> bool | None:
        found = ctx.value(ref)
        return None if found is None else test(found)

    return compare
