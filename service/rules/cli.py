"""``hotline rules``: validate a rules file and preview a policy change before it goes live.

Usage::

    hotline rules check FILE [--database-url URL]
    hotline rules test FILE --cases CASES.jsonl [--active ACTIVE.yaml] [--registry DIR] [--show N]

``rules check`` also reads the decision log's claims (the content each version was first
served with) as found, creating and migrating nothing, and refuses a file whose version was
first served with other content, as the service would; without a log to read there (an
author's laptop) it checks the file alone and says so. ``rules test`` compares against
``--active``, else ``$HOTLINE_RULES_FILE`` (the file the service serves), else the shipped
default rules, and its header says which of the three it used. Cases given without a score
are scored with the champion of ``--registry`` (else ``$HOTLINE_REGISTRY_DIR``, the registry
the service scores from), as the service would score them; without a champion the output
counts them and names the rules that need a score.
Both commands print one line ``error: ...`` to stderr and exit 1 on any rules or cases error,
never a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final, NoReturn

import click
from click.core import ParameterSource
from pydantic import ValidationError

from models import ModelError, ModelRegistry, ScreeningModel
from service.config import ServiceSettings, get_settings
from service.decision_log.cli import DATABASE_URL_OPTION
from service.decision_log.errors import DecisionLogError
from service.decision_log.rules_versions import ClaimLookup, look_up_claim
from service.rules.errors import RulesError, RulesFileError
from service.rules.holder import claimed_for_other_content
from service.rules.loader import DEFAULT_RULES_PATH, load_rules
from service.rules.preview import Preview, compare_rule_sets, needs_model, read_cases
from service.rules.ruleset import RuleSet

RULES_FILE_ENV: Final = "HOTLINE_RULES_FILE"
"""The setting the service reads its rules file from (``ServiceSettings.rules_file``)."""
REGISTRY_ENV: Final = "HOTLINE_REGISTRY_DIR"
"""The setting the service reads its model registry from (``ServiceSettings.registry_dir``)."""
DEFAULT_REGISTRY: Final[Path] = ServiceSettings.model_fields["registry_dir"].default
"""The service's default registry (``ServiceSettings.registry_dir``)."""
DATABASE_URL_ENV: Final = "HOTLINE_DATABASE_URL"
"""The setting the service reads its decision log's URL from."""
_NO_KEY: Final = b"reading-claims-pseudonymizes-nothing"
"""Opening a log takes a pseudonym key; reading a version's claim uses none."""
MODEL_ALIAS: Final[str] = ServiceSettings.model_fields["model_alias"].default
"""The alias the service scores with by default (``ServiceSettings.model_alias``)."""


def _fail(exc: RulesError) -> NoReturn:
    click.echo(f"error: {exc}", err=True)
    raise SystemExit(1)


@click.group(name="rules")
def rules() -> None:
    """Check and preview screening policy rule sets."""


@rules.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
@DATABASE_URL_OPTION
def check(file: str, database_url: str | None) -> None:
    """Validate the rules FILE and its version against the decision log; print one line.

    The line is a summary that says whether the version was served already with this same
    content, is new, or could not be checked (no decision log there); or the first error,
    a version first served with other content included (the service would refuse the file).
    """
    try:
        ruleset = load_rules(file)
    except RulesError as exc:
        _fail(exc)
    n = len(ruleset.rules)
    summary = f"ok: {file}: version {ruleset.version}, {n} rule{'s' if n != 1 else ''}"
    try:
        lookup = _look_up_claim(ruleset, database_url)
    except DecisionLogError as exc:
        # Not an error: an author may check a file where there is no log (a laptop). The
        # line says the version was not checked, and why.
        click.echo(f"{summary}; not checked against a decision log: {exc}")
        return
    claim = lookup.claim
    if claim is None:
        click.echo(f"{summary}; a new version, not served yet (decision log {lookup.log})")
    elif claim.sha256 == ruleset.sha256:
        click.echo(
            f"{summary}; first served on {claim.first_served_at} with this same content "
            f"(decision log {lookup.log})"
        )
    else:
        # Said as `hotline serve` and a reload would refuse the file.
        _fail(claimed_for_other_content(ruleset, since=claim.first_served_at))


def _look_up_claim(ruleset: RuleSet, database_url: str | None) -> ClaimLookup:
    # The log the service writes (HOTLINE_DATABASE_URL) unless --database-url names another.
    # Settings that do not load (production without its pseudonym key, in an author's shell)
    # must not skip the check: reading a claim needs no key, only the log's URL, read then
    # on its own (skipping it passed a file the service refuses; found in review).
    if database_url is None:
        try:
            database_url = get_settings().database_url
        except ValidationError:
            default = ServiceSettings.model_fields["database_url"].default
            database_url = os.environ.get(DATABASE_URL_ENV, default)
    return look_up_claim(database_url, ruleset.version, key=_NO_KEY)


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
    envvar=RULES_FILE_ENV,
    show_envvar=True,
    help="The rule set in use (default: the file the service reads, else the shipped default).",
)
@click.option(
    "--registry",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_REGISTRY,
    envvar=REGISTRY_ENV,
    show_envvar=True,
    show_default=True,
    help=f"Model registry whose {MODEL_ALIAS} scores the cases given without a score.",
)
@click.option(
    "--show",
    "show",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    help="List up to this many changed cases.",
)
def test(file: str, cases: str, active: str | None, registry: Path, show: int) -> None:
    """Run the proposed rules FILE over CASES and show which recommendations would change."""
    source = click.get_current_context().get_parameter_source("active")
    from_env = source is ParameterSource.ENVIRONMENT
    try:
        proposed_set = load_rules(file)
        active_set = _load_active(active, from_env=from_env)
        numbered = read_cases(cases)
    except RulesError as exc:
        _fail(exc)
    # The model is loaded (hashed and unpickled) only when a case needs it.
    model, model_label = _load_champion(registry) if needs_model(numbered) else (None, "")
    try:
        preview = compare_rule_sets(proposed_set, active_set, numbered, model=model, source=cases)
    except RulesError as exc:
        _fail(exc)
    # The header says which file was compared against and why: the shipped default is not
    # the active set when the service reads another file, so it is not called "active".
    if active is None:
        active_label = f"the shipped {DEFAULT_RULES_PATH.name}"
    else:
        active_label = f"active {active}" + (f" from {RULES_FILE_ENV}" if from_env else "")
    lines = render_preview(
        preview,
        proposed=proposed_set,
        active=active_set,
        active_label=active_label,
        model_label=model_label,
        show=show,
    )
    for line in lines:
        click.echo(line)


def _load_champion(registry: Path) -> tuple[ScreeningModel | None, str]:
    # The champion and how to name it, or None and why there is none. No model is not an
    # error: the preview still runs, and says which rules it could not evaluate.
    models = ModelRegistry(registry)
    try:
        version = models.alias(MODEL_ALIAS)
        if version is None:
            return None, f"no model is promoted as '{MODEL_ALIAS}' in {registry}"
        return models.load(version), f"{MODEL_ALIAS} model version {version} from {registry}"
    except ModelError as exc:
        return None, f"the {MODEL_ALIAS} model in {registry} cannot be loaded: {exc}"


def _load_active(path: str | None, *, from_env: bool) -> RuleSet:
    try:
        return load_rules(DEFAULT_RULES_PATH if path is None else path)
    except RulesFileError as exc:
        if not from_env:
            raise
        # A path read from the environment is one the user may not know is set.
        raise RulesFileError(f"{exc} ({RULES_FILE_ENV})") from None


def render_preview(
    preview: Preview,
    *,
    proposed: RuleSet,
    active: RuleSet,
    active_label: str,
    show: int,
    model_label: str = "",
) -> list[str]:
    """Lay out a preview as lines of text.

    Parameters
    ----------
    preview : Preview
        From :func:`service.rules.preview.compare_rule_sets`.
    proposed, active : RuleSet
        The two rule sets compared.
    active_label : str
        How the header names the active set and where it came from, e.g. ``active
        agency.yaml from HOTLINE_RULES_FILE``; its version is added.
    show : int
        How many changed cases to list.
    model_label : str
        The model that scored the cases given without a score (``champion model version 3
        from var/registry``), or why there was none.

    Returns
    -------
    list of str
        Header, how cases without a score were handled, transitions (most frequent first),
        rule hits and changed cases.
    """
    lines = [
        f"proposed {Path(proposed.source).name} (version {proposed.version}) vs "
        f"{active_label} (version {active.version}): {preview.cases} cases",
        *_scoring_lines(preview, model_label),
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


def _scoring_lines(preview: Preview, model_label: str) -> list[str]:
    # Said before the counts: they mean something else when score rules could not fire.
    if preview.scored:
        return [f"{_n_cases(preview.scored)} no score: scored with the {model_label}"]
    if not preview.unscored:
        return []
    ids = preview.rules_not_evaluated
    if ids:
        named = f"rule {ids[0]} was" if len(ids) == 1 else f"rules {', '.join(ids)} were"
        missed = f"{named} not evaluated on them, and no band default applied"
    else:
        missed = "no band default applied to them"
    return [
        f"{_n_cases(preview.unscored)} no score and no model was available: {missed}",
        f"  ({model_label}; give the cases a score, or point --registry at a registry "
        f"with a {MODEL_ALIAS})",
    ]


def _n_cases(n: int) -> str:
    return f"{n} case had" if n == 1 else f"{n} cases had"
