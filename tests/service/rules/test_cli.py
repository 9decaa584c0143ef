"""`hotline rules check` and `hotline rules test` through click's CliRunner."""

# Exact one-line messages are asserted whole; wrapping them would hide what a user sees.
# ruff: noqa: E501

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from models import Referral, score_referral
from service.config import ServiceSettings, get_settings
from service.decision_log import migrate, open_log
from service.decision_log.rules_versions import claim_rules_version
from service.rules import DEFAULT_RULES_PATH
from service.rules.cli import rules
from tests.service.rules.factories import make_referral, one_rule_file, prior
from training.synthetic import SynthConfig, write_jsonl


def run(*args, env=None):
    # HOTLINE_RULES_FILE and HOTLINE_REGISTRY_DIR are unset unless a test sets them: they
    # change what `rules test` compares against and scores with, and the shell running the
    # tests may have them.
    unset = {"HOTLINE_RULES_FILE": None, "HOTLINE_REGISTRY_DIR": None}
    return CliRunner().invoke(rules, [str(arg) for arg in args], env={**unset, **(env or {})})


@pytest.fixture(autouse=True)
def _in_empty_directory(tmp_path, monkeypatch):
    # The default registry, var/registry, is read from the current directory: in a checkout
    # after `make run` it holds a champion. Each test runs where there is none.
    monkeypatch.chdir(tmp_path)


def test_check_ok_prints_one_line_summary(tmp_path):
    # No decision log there (an author's laptop): the file is checked, and the line says its
    # version was not; tests/service/decision_log/test_rules_versions.py checks against one.
    absent = tmp_path / "no-log" / "decisions.db"
    result = run("check", DEFAULT_RULES_PATH, "--database-url", f"sqlite:///{absent}")
    assert result.exit_code == 0
    assert result.stdout == (
        f"ok: {DEFAULT_RULES_PATH}: version 2026.1, 6 rules; not checked against a decision "
        f"log: no file {absent}\n"
    )
    assert result.stderr == ""
    assert not absent.parent.exists()  # nothing created to look


def test_check_in_a_production_shell_without_the_services_secrets(monkeypatch, tmp_path):
    # Reading a claim needs no pseudonym key: before, the command stopped on the settings'
    # refusal of the development key, and then skipped the check, passing a file the service
    # refuses (both found in review). The log's URL is read on its own.
    url = f"sqlite:///{tmp_path / 'decisions.db'}"
    log = open_log(url, key=b"k" * 32)
    migrate(log.engine)
    claim_rules_version(log, "2026.1", "0" * 64)
    log.dispose()
    monkeypatch.setenv("HOTLINE_ENVIRONMENT", "production")
    monkeypatch.delenv("HOTLINE_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        result = run("check", DEFAULT_RULES_PATH)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: {DEFAULT_RULES_PATH}: version '2026.1' was first served on "
    )


def test_check_names_a_database_url_it_cannot_use():
    result = run("check", DEFAULT_RULES_PATH, "--database-url", "mysql://u:secret@h/db")
    assert result.exit_code == 0
    assert result.stdout == (
        f"ok: {DEFAULT_RULES_PATH}: version 2026.1, 6 rules; not checked against a decision "
        "log: 'mysql://u:***@h/db' is not a database URL this service can use; accepted: "
        "sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB\n"
    )


def test_check_says_why_a_file_that_is_no_database_was_not_read(tmp_path):
    garbage = tmp_path / "notes.db"
    garbage.write_text("not a database\n")
    result = run("check", DEFAULT_RULES_PATH, "--database-url", f"sqlite:///{garbage}")
    assert result.exit_code == 0
    assert result.stdout == (
        f"ok: {DEFAULT_RULES_PATH}: version 2026.1, 6 rules; not checked against a decision "
        f"log: {garbage} cannot be read: file is not a database\n"
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "version: [\n",
            "not valid YAML: expected the node content, but found '<stream end>' at line 2, column 1",
        ),
        (
            one_rule_file(condition='fact: score\n      op: ">="\n      value: high'),
            "rule 'r1': condition: fact 'score' is a number, so value must be a number; got text 'high'",
        ),
        (
            one_rule_file(action="maybe"),
            "rule 'r1': action.type: Input should be 'screen_in_required', 'screen_in_recommended', 'screen_out_with_referral' or 'flag'; got text 'maybe'",
        ),
        (
            one_rule_file(
                condition='fact: score\n      params: {1: 2}\n      op: ">="\n      value: 2'
            ),
            "rule 'r1': condition: fact 'score' takes no params; got 1",
        ),
        (
            one_rule_file(
                condition="{not: " * 300 + '{fact: score, op: ">=", value: 3}' + "}" * 300
            ),
            "the rules nest too deeply to read; a condition may have at most 32 levels",
        ),
    ],
    ids=["yaml", "type", "action", "number-param-key", "nested-300"],
)
def test_check_bad_file_exits_1_with_one_line(tmp_path, text, error):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = run("check", path)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"error: {path}: {error}\n"
    assert isinstance(result.exception, SystemExit)


def test_check_missing_file(tmp_path):
    result = run("check", tmp_path / "absent.yaml")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {tmp_path / 'absent.yaml'}: cannot read rules file: No such file or directory\n"
    )


NO_CHAMPION = "no model is promoted as 'champion' in var/registry"
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def write_cases(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return path


def case(referral, **model):
    return json.dumps({"referral": referral.model_dump(mode="json"), **model})


def bare(referral):
    return referral.model_dump_json()


# Proposed policy: the multiple-complaint rule with a one-year-longer window and a child under 6.
PROPOSED = (
    DEFAULT_RULES_PATH.read_text()
    .replace('version: "2026.1"', 'version: "2026.2"')
    .replace("params: {window_days: 365}", "params: {window_days: 730}")
    .replace(
        '        - fact: youngest_child_age\n          op: "<"\n          value: 3\n    action:\n'
        "      type: screen_in_required\n    explanation: >-\n      {prior_reports_same_household}",
        '        - fact: youngest_child_age\n          op: "<"\n          value: 6\n    action:\n'
        "      type: screen_in_required\n    explanation: >-\n      {prior_reports_same_household}",
    )
)


def test_rules_test_shows_changes_and_hit_counts(tmp_path):
    assert PROPOSED.count("value: 6") == 1
    proposed = tmp_path / "proposed.yaml"
    proposed.write_text(PROPOSED)
    cases = write_cases(
        tmp_path / "cases.jsonl",
        [
            # both sets: two priors in a year, child under 3
            bare(make_referral(referral_id="a", ages=(1.0,), priors=(prior(10), prior(20)))),
            # only proposed: child aged 4
            bare(make_referral(referral_id="b", ages=(4.0,), priors=(prior(10), prior(20)))),
            "",
            # only proposed: second prior 500 days ago, child aged 4; active falls back to the
            # very-high band default
            case(
                make_referral(referral_id="c", ages=(4.0,), priors=(prior(10), prior(500))),
                probability=0.5,
                score=19,
            ),
            # neither: a low-risk case unaffected
            case(make_referral(referral_id="d", ages=(14.0,)), score=2, band="low"),
        ],
    )
    result = run("test", proposed, "--cases", cases)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "proposed proposed.yaml (version 2026.2) vs the shipped default_rules.yaml "
        "(version 2026.1): 4 cases",
        # a and b give no score, and there is no registry here.
        "2 cases had no score and no model was available: rules high-risk-protocol, low-risk-protocol were not evaluated on them, and no band default applied",
        f"  ({NO_CHAMPION}; give the cases a score, or point --registry at a registry with a champion)",
        "recommendations changed: 2 of 4",
        "  screen_in_recommended -> screen_in_required: 1",
        "  screener_judgment -> screen_in_required: 1",
        "rule hits (active -> proposed):",
        "  multiple-complaint: 1 -> 3",
        "  high-risk-protocol: 0 -> 0",
        "  low-risk-protocol: 1 -> 1",
        "  law-requires-investigation: 0 -> 0",
        "  pregnant-caregiver: 0 -> 0",
        "  substance-exposed-infant: 0 -> 0",
        "changed cases:",
        "  line 2 b: screener_judgment -> screen_in_required by multiple-complaint",
        "  line 4 c: screen_in_recommended -> screen_in_required by multiple-complaint",
    ]


def test_rules_test_against_explicit_active_with_new_and_removed_rules(tmp_path):
    active = tmp_path / "active.yaml"
    active.write_text(one_rule_file(rule_id="old", version='"a1"'))
    proposed = tmp_path / "proposed.yaml"
    proposed.write_text(
        one_rule_file(
            rule_id="new",
            version='"p1"',
            condition="fact: allegation_types\n      op: contains\n      value: neglect",
            action="screen_out_with_referral",
            explanation="out",
        )
    )
    cases = write_cases(
        tmp_path / "cases.jsonl",
        [bare(make_referral(referral_id=f"r{i}", ages=(float(i),))) for i in range(1, 5)],
    )
    result = run("test", proposed, "--cases", cases, "--active", active, "--show", 1)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"proposed proposed.yaml (version p1) vs active {active} (version a1): 4 cases",
        # Neither set has a score rule, but a model's band would have given a default.
        "4 cases had no score and no model was available: no band default applied to them",
        f"  ({NO_CHAMPION}; give the cases a score, or point --registry at a registry with a champion)",
        "recommendations changed: 4 of 4",
        "  screen_in_required -> screen_out_with_referral: 2",
        "  screener_judgment -> screen_out_with_referral: 2",
        "rule hits (active -> proposed):",
        "  old: 2 -> -",
        "  new: - -> 4",
        "changed cases:",
        "  line 1 r1: screen_in_required -> screen_out_with_referral by new",
        "  ... and 3 more",
    ]


def test_rules_test_compares_against_the_file_the_service_reads(tmp_path, monkeypatch):
    active = tmp_path / "agency.yaml"
    active.write_text(one_rule_file(rule_id="agency", version='"a1"'))
    cases = write_cases(tmp_path / "cases.jsonl", [bare(make_referral(ages=(1.0,)))])
    env = {"HOTLINE_RULES_FILE": str(active)}
    monkeypatch.setenv("HOTLINE_RULES_FILE", str(active))
    assert ServiceSettings().rules_file == active  # the service reads the same variable

    result = run("test", DEFAULT_RULES_PATH, "--cases", cases, "--show", 0, env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:4] == [
        f"proposed default_rules.yaml (version 2026.1) vs active {active} from "
        "HOTLINE_RULES_FILE (version a1): 1 cases",
        "1 case had no score and no model was available: rules high-risk-protocol, low-risk-protocol were not evaluated on them, and no band default applied",
        f"  ({NO_CHAMPION}; give the cases a score, or point --registry at a registry with a champion)",
        "recommendations changed: 1 of 1",
    ]
    # --active wins over the environment, and the header says so.
    given = ["--active", DEFAULT_RULES_PATH]
    result = run("test", DEFAULT_RULES_PATH, "--cases", cases, *given, env=env)
    assert result.stdout.splitlines()[0] == (
        f"proposed default_rules.yaml (version 2026.1) vs active {DEFAULT_RULES_PATH} "
        "(version 2026.1): 1 cases"
    )

    absent = tmp_path / "absent.yaml"
    result = run(
        "test", DEFAULT_RULES_PATH, "--cases", cases, env={"HOTLINE_RULES_FILE": str(absent)}
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {absent}: cannot read rules file: No such file or directory (HOTLINE_RULES_FILE)\n"
    )


def test_rules_test_previews_a_training_file(tmp_path):
    # `hotline synth` output (and an agency's training extract) carries the recorded outcomes
    # beside each referral; they are accepted and do not change the preview. The synthetic
    # referrals are from 2019-2022, so the proposed rule starts before them.
    data = tmp_path / "train.jsonl"
    assert write_jsonl(SynthConfig(n_referrals=20, seed=3), data) == 20
    proposed = tmp_path / "proposed.yaml"
    proposed.write_text(
        one_rule_file(
            effective_from="2015-01-01",
            condition='fact: youngest_child_age\n      op: "<"\n      value: 6',
        )
    )
    empty = tmp_path / "empty.yaml"
    empty.write_text('version: "0"\nrules: []\n')
    result = run("test", proposed, "--cases", data, "--active", empty, "--show", 2)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"proposed proposed.yaml (version t1) vs active {empty} (version 0): 20 cases",
        # A training line records outcomes, not the model's output.
        "20 cases had no score and no model was available: no band default applied to them",
        f"  ({NO_CHAMPION}; give the cases a score, or point --registry at a registry with a champion)",
        # 13 of the 20 have a child under 6 (8 lines have removal_2y null: screened out).
        "recommendations changed: 13 of 20",
        "  screener_judgment -> screen_in_required: 13",
        "rule hits (active -> proposed):",
        "  r1: - -> 13",
        "changed cases:",
        "  line 1 ref-00000161: screener_judgment -> screen_in_required by r1",
        "  line 2 ref-00000056: screener_judgment -> screen_in_required by r1",
        "  ... and 11 more",
    ]


def high_risk_cut(cut):
    """The shipped rules with the high-risk protocol's score cut moved from 18 to `cut`."""
    text = DEFAULT_RULES_PATH.read_text()
    assert text.count("value: 18") == 1  # the high-risk protocol's cut
    return text.replace('version: "2026.1"', 'version: "2026.2"').replace(
        "value: 18", f"value: {cut}"
    )


def example_line(name, **changes):
    return json.dumps({**json.loads((EXAMPLES / name).read_text()), **changes})


def test_rules_test_scores_cases_without_a_score_with_the_champion(
    tmp_path, monkeypatch, registry_with_champion
):
    # The reviewer's report: a lower score cut previewed on referrals without a score changed
    # nothing ("recommendations changed: 0"), because score rules never fired on them.
    # examples/referral.json has a child aged 2.5; the fixture champion scores it 14 (as
    # tests/service/test_score_api.py pins), so a cut of 14 makes it screen_in_required.
    root = registry_with_champion.root
    version = registry_with_champion.alias("champion")
    model = registry_with_champion.load(version)
    example = Referral.model_validate_json((EXAMPLES / "referral.json").read_text())
    assert score_referral(model, example).score == 14
    proposed = tmp_path / "proposed.yaml"
    proposed.write_text(high_risk_cut(14))
    cases = write_cases(
        tmp_path / "cases.jsonl",
        [
            example_line("referral.json"),
            # The same referral with its own (low) score: kept, not scored again.
            json.dumps(
                {
                    "referral": json.loads(example_line("referral.json", referral_id="own")),
                    "score": 3,
                }
            ),
        ],
    )
    # As the service finds its registry: no --registry option.
    env = {"HOTLINE_REGISTRY_DIR": str(root)}
    monkeypatch.setenv("HOTLINE_REGISTRY_DIR", str(root))
    settings = ServiceSettings()
    assert (settings.registry_dir, settings.model_alias) == (root, "champion")

    result = run("test", proposed, "--cases", cases, env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "proposed proposed.yaml (version 2026.2) vs the shipped default_rules.yaml "
        "(version 2026.1): 2 cases",
        f"1 case had no score: scored with the champion model version {version} from {root}",
        "recommendations changed: 1 of 2",
        "  screener_judgment -> screen_in_required: 1",
        "rule hits (active -> proposed):",
        "  multiple-complaint: 0 -> 0",
        "  high-risk-protocol: 0 -> 1",
        "  low-risk-protocol: 0 -> 0",
        "  law-requires-investigation: 0 -> 0",
        "  pregnant-caregiver: 0 -> 0",
        "  substance-exposed-infant: 0 -> 0",
        "changed cases:",
        "  line 1 ref-0001: screener_judgment -> screen_in_required by high-risk-protocol",
    ]
    # --registry names it as well.
    given = run("test", proposed, "--cases", cases, "--registry", root)
    assert given.stdout == result.stdout


def test_rules_test_without_a_champion_names_the_rules_it_could_not_evaluate(tmp_path):
    # The reviewer's reproduction as given (cut 16), where no model is promoted: the counts
    # cannot show the change, so the output says which rules were not evaluated and why.
    proposed = tmp_path / "my_rules.yaml"
    proposed.write_text(high_risk_cut(16))
    names = ("referral", "referral-multiple-complaint", "referral-substance-exposed-infant")
    cases = write_cases(tmp_path / "cases.jsonl", [example_line(f"{n}.json") for n in names])
    result = run("test", proposed, "--cases", cases)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "proposed my_rules.yaml (version 2026.2) vs the shipped default_rules.yaml "
        "(version 2026.1): 3 cases",
        "3 cases had no score and no model was available: rules high-risk-protocol, low-risk-protocol were not evaluated on them, and no band default applied",
        "  (no model is promoted as 'champion' in var/registry; give the cases a score, or point --registry at a registry with a champion)",
        "recommendations changed: 0 of 3",
        "rule hits (active -> proposed):",
        "  multiple-complaint: 1 -> 1",
        "  high-risk-protocol: 0 -> 0",
        "  low-risk-protocol: 0 -> 0",
        "  law-requires-investigation: 0 -> 0",
        "  pregnant-caregiver: 0 -> 0",
        "  substance-exposed-infant: 1 -> 1",
    ]


def test_rules_test_says_why_the_champion_could_not_score(tmp_path):
    registry = tmp_path / "registry"
    (registry / "aliases").mkdir(parents=True)
    (registry / "aliases" / "champion.json").write_text("{}")
    proposed = tmp_path / "proposed.yaml"
    proposed.write_text(
        one_rule_file(condition='fact: band\n      op: "=="\n      value: very_high')
    )
    cases = write_cases(
        tmp_path / "cases.jsonl",
        [bare(make_referral(referral_id="a")), case(make_referral(referral_id="b"), score=19)],
    )
    result = run("test", proposed, "--cases", cases, "--registry", registry, "--show", 0)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:4] == [
        "proposed proposed.yaml (version t1) vs the shipped default_rules.yaml (version "
        "2026.1): 2 cases",
        "1 case had no score and no model was available: rules high-risk-protocol, low-risk-protocol, r1 were not evaluated on them, and no band default applied",
        f"  (the champion model in {registry} cannot be loaded: alias file "
        f"{registry / 'aliases' / 'champion.json'} is malformed: 'version'; give the cases a "
        "score, or point --registry at a registry with a champion)",
        "recommendations changed: 1 of 2",
    ]


def test_rules_test_loads_no_model_when_every_case_has_a_score(tmp_path):
    # Nothing to score: the registry is not read (this one could not be), and nothing is said.
    registry = tmp_path / "registry"
    (registry / "aliases").mkdir(parents=True)
    (registry / "aliases" / "champion.json").write_text("{}")
    cases = write_cases(tmp_path / "cases.jsonl", [case(make_referral(), band="low")])
    result = run("test", DEFAULT_RULES_PATH, "--cases", cases, "--registry", registry)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1] == "recommendations changed: 0 of 1"


@pytest.mark.parametrize(
    ("line", "error"),
    [
        (
            "{not json",
            "line 1: not valid JSON: Expecting property name enclosed in double quotes at column 2",
        ),
        ("[1, 2]", 'line 1: expected a JSON object (a referral, or {"referral": ...})'),
        ('{"referral_id": "x"}', "line 1: referral.received_at: Field required"),
        (
            case(make_referral(), score=99),
            "line 1: score: Input should be less than or equal to 20",
        ),
        (
            case(make_referral(), band="extreme"),
            "line 1: band: Input should be 'low', 'moderate', 'high' or 'very_high'",
        ),
        (
            case(make_referral(), score=3, band="very_high"),
            "line 1: band: band 'very_high' does not fit score 3, which is in band 'low'; give the score's band or leave band out",
        ),
        (
            case(make_referral(), screened_in=True, outcome="ok"),
            "line 1: unknown key 'outcome'; accepted keys: referral, probability, score, band, screened_in, removal_2y, rereferral_6m, rereferral_2y, substantiated_rereport_2y, latent_risk",
        ),
        (
            case(make_referral(), worker="w1", unit=3),
            "line 1: unknown keys 'worker', 'unit'; accepted keys: referral, probability, score, band, screened_in, removal_2y, rereferral_6m, rereferral_2y, substantiated_rereport_2y, latent_risk",
        ),
        (
            case(make_referral(), removal_2y="maybe"),
            "line 1: removal_2y: Input should be a valid boolean, unable to interpret input",
        ),
        # Hostile lines are one line too, not a traceback.
        ("[" * 100_000 + "]" * 100_000, "line 1: not valid JSON: it nests too deeply to read"),
        (
            case(make_referral())[:-1] + ', "score": 1' + "0" * 5000 + "}",
            "line 1: not valid JSON: a number has more than 4300 digits",
        ),
    ],
    ids=[
        "not-json",
        "not-an-object",
        "no-received-at",
        "score-99",
        "band-unknown",
        "band-not-the-scores",
        "unknown-key",
        "unknown-keys",
        "outcome-not-boolean",
        "nested",
        "long-number",
    ],
)
def test_rules_test_bad_case_line(tmp_path, line, error):
    cases = write_cases(tmp_path / "cases.jsonl", [line])
    result = run("test", DEFAULT_RULES_PATH, "--cases", cases)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"error: {cases} {error}\n"


def test_rules_test_bad_proposed_file(tmp_path):
    proposed = tmp_path / "p.yaml"
    proposed.write_text('version: "1"\n')
    cases = write_cases(tmp_path / "cases.jsonl", [bare(make_referral())])
    result = run("test", proposed, "--cases", cases)
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"error: {proposed}: missing 'rules'; give a list of rules (may be empty)\n"
    )


def test_rules_test_on_a_file_without_cases_says_so(tmp_path):
    # "0 cases, nothing changes" would read as a passed test of the proposed rules.
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n\n")
    result = run("test", DEFAULT_RULES_PATH, "--cases", cases)
    assert result.exit_code == 1
    assert result.stderr == f"error: {cases}: no cases; give one referral (JSON) per line\n"


def test_rules_test_reads_json_lines_as_json_does(tmp_path):
    # A byte-order mark, CRLF line ends, and characters JSON allows inside a string that
    # str.splitlines would have taken for line breaks (U+2028, U+0085, form feed).
    referral = make_referral(referral_id="a", ages=(1.0,), priors=(prior(10), prior(20)))
    data = referral.model_dump(mode="json")
    data["place"]["county"] = "Alle\u2028gh\x85e\x0cny"
    other = make_referral(referral_id="b", ages=(1.0,), priors=(prior(10), prior(20)))
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes(
        b"\xef\xbb\xbf"
        + json.dumps(data, ensure_ascii=False).encode()
        + b"\r\n\r\n"
        + bare(other).encode()
        + b"\r\n"
    )
    active = tmp_path / "active.yaml"
    active.write_text('version: "0"\nrules: []\n')
    result = run("test", DEFAULT_RULES_PATH, "--cases", cases, "--active", active)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-3:] == [
        "changed cases:",
        "  line 1 a: screener_judgment -> screen_in_required by multiple-complaint",
        "  line 3 b: screener_judgment -> screen_in_required by multiple-complaint",
    ]
