"""``hotline rules``: validate a rules file and preview a policy change before it goes live.

Usage::

    hotline rules check FILE
    hotline rules test FILE --cases CASES.jsonl [--active ACTIVE.yaml] [--show N]

Both commands print one line ``error: ...`` to stderr and exit 1 on any rules or cases error,
never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click

from service.rules.errors import RulesError
from service.rules.loader import DEFAULT_RULES_PATH, load_rules
from service.rules.preview import Preview, compare_rule_sets, read_cases
from service.rules.ruleset import RuleSet


def _fail(exc: RulesError) -> NoReturn:
    click.echo(f"error: {exc}", err=True)
    raise SystemExit(1)


@click.group(name="rules")
def rules() -> None:
    """Check and preview screening policy rule sets."""


@rules.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
def check(file: str) -> None:
    """Validate the rules FILE; print a one-line summary or the first error."""
    try:
        ruleset = load_rules(file)
    except RulesError as exc:
        _fail(exc)
    n = len(ruleset.rules)
    click.echo(f"ok: {file}: version {ruleset.version}, {n} rule{'s' if n != 1 else ''}")


@rules.command("test")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--cases",
    required=True,
    type=click.Path(dir_okay=False),
    help='JSON Lines: a referral per line, or {"referral": ..., "score": ..., ...}.',
)
@click.option(
    "--active",
    type=click.Path(dir_okay=False),
    default=None,
    help="The rule set in use (default: the shipped default rules).",
)
@click.option(
    "--show",
    "show",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    help="List up to this many changed cases.",
)
def test(file: str, cases: str, active: str | None, show: int) -> None:
    """Run the proposed rules FILE over CASES and show which recommendations would change."""
    active_path = str(DEFAULT_RULES_PATH) if active is None else active
    try:
        proposed_set = load_rules(file)
        active_set = load_rules(active_path)
        preview = compare_rule_sets(proposed_set, active_set, read_cases(cases), source=cases)
    except RulesError as exc:
        _fail(exc)
    for line in render_preview(preview, proposed=proposed_set, active=active_set, show=show):
        click.echo(line)


def render_preview(preview: Preview, *, proposed: RuleSet, active: RuleSet, show: int) -> list[str]:
    """Lay out a preview as lines of text.

    Parameters
    ----------
    preview : Preview
        From :func:`service.rules.preview.compare_rule_sets`.
    proposed, active : RuleSet
        The two rule sets compared.
    show : int
        How many changed cases to list.

    Returns
    -------
    list of str
        Header, transitions (most frequent first), rule hits and changed cases.
    """
    lines = [
        f"proposed {Path(proposed.source).name} (version {proposed.version}) vs active "
        f"{Path(active.source).name} (version {active.version}): {preview.cases} cases",
        f"recommendations changed: {len(preview.changed)} of {preview.cases}",
    ]
    ordered = sorted(preview.transitions.items(), key=lambda kv: (-kv[1], kv[0]))
    lines.extend(f"  {old.value} -> {new.value}: {count}" for (old, new), count in ordered)
    lines.append("rule hits (active -> proposed):")
    ids = [rule.id for rule in active.rules]
    ids += [rule.id for rule in proposed.rules if rule.id not in ids]
    for rule_id in ids:
        before = preview.hits_active[rule_id] if rule_id in active.rules_by_id else "-"
        after = preview.hits_proposed[rule_id] if rule_id in proposed.rules_by_id else "-"
        lines.append(f"  {rule_id}: {before} -> {after}")
    if preview.changed and show:
        lines.append("changed cases:")
        for case in preview.changed[:show]:
            why = f" by {', '.join(case.rule_ids)}" if case.rule_ids else ""
            lines.append(
                f"  line {case.line} {case.referral_id}: {case.before.value} -> "
                f"{case.after.value}{why}"
            )
        if len(preview.changed) > show:
            lines.append(f"  ... and {len(preview.changed) - show} more")
    return lines
