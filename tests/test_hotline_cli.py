import json

from click.testing import CliRunner

from hotline_cli import main
from service.config import get_settings
from tests.factories import referral_dict
from training.config import TrainingSettings
from training.errors import PromotionRefused


def test_help_lists_every_contracted_subcommand() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in (
        "synth",
        "train",
        "audit",
        "threshold-near",
        "promote",
        "models",
        "rules",
        "serve",
    ):
        assert f"  {name} " in result.output


def test_synth_train_promote_list_show(tmp_path) -> None:
    runner = CliRunner()
    data, registry = tmp_path / "d.jsonl", tmp_path / "reg"
    result = runner.invoke(main, ["synth", "--n", "4000", "--seed", "2", "--out", str(data)])
    assert result.exit_code == 0, result.output
    assert f"wrote 4,000 referrals to {data}" in result.output
    result = runner.invoke(main, ["train", "--data", str(data), "--registry", str(registry)])
    assert result.exit_code == 0, result.output
    assert "registered version 1: AUC " in result.output
    result = runner.invoke(
        main, ["promote", "1", "--registry", str(registry), "--by", "ana", "--reason", "first"]
    )
    assert result.exit_code == 0, result.output
    # 4,000 referrals leave too few held-out households for most gates: they are skipped
    # (and say so), never passed; there is no champion to compare with.
    assert result.output.startswith(
        "version 1 is now the champion; gates: 4 passed, 8 skipped, 0 waived; fairness audit with "
    )
    assert (registry / "versions" / "1" / "audit" / "audit.json").is_file()
    result = runner.invoke(main, ["models", "--registry", str(registry), "list"])
    assert result.output.splitlines()[1].split()[:3] == ["1", "logistic", "removal_2y"]
    assert result.output.splitlines()[1].endswith("champion")
    result = runner.invoke(main, ["models", "--registry", str(registry), "show", "champion"])
    assert json.loads(result.output)["version"] == 1
    result = runner.invoke(main, ["models", "--registry", str(registry), "history", "--json"])
    assert json.loads(result.output.splitlines()[-1])["by"] == "ana"


def test_errors_are_one_readable_line_with_exit_1(tmp_path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main, ["train", "--data", str(tmp_path / "none.jsonl"), "--registry", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        f"Error: data file {tmp_path / 'none.jsonl'} does not exist; create one with `hotline synth`"
    )
    args = ["promote", "7", "--registry", str(tmp_path / "reg"), "--by", "a", "--reason", "r"]
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    assert "model version 7 is not in the registry" in result.output
    assert "Traceback" not in result.output


def test_training_data_that_cannot_train_is_one_line_saying_what_is_needed(tmp_path) -> None:
    # It was scikit-learn's "n_splits=5 greater than the number of groups" through the
    # catch-all handler.
    data = tmp_path / "four.jsonl"
    lines = []
    for i in range(40):
        referral = referral_dict()
        referral["referral_id"], referral["household_id"] = f"r-{i}", f"hh-{i % 4}"
        lines.append(json.dumps({"referral": referral, "removal_2y": i % 3 == 0}))
    data.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(
        main, ["train", "--data", str(data), "--registry", str(tmp_path / "reg")]
    )
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "Error: the data has referrals of 4 households; training needs at least 7 (25% of "
        "households are held out, and calibration uses 5 household-grouped folds of the rest); "
        "generate more data"
    )
    assert not (tmp_path / "reg").exists()


def test_demo_refuses_too_few_referrals_for_the_gates_before_anything_runs(tmp_path) -> None:
    # From 1,000 up it synthesized and trained, and then the gates refused the model.
    args = ["demo", "--n", "9999", "--registry", str(tmp_path / "reg")]
    result = CliRunner().invoke(main, args)
    assert (result.exit_code, result.output.splitlines()[-1]) == (
        2,
        "Error: Invalid value for '--n': 9999 is not in the range x>=10000.",
    )
    assert sorted(tmp_path.iterdir()) == []


def test_a_refused_demo_on_small_data_says_why(tmp_path, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise PromotionRefused("version 1 not promoted: 1 gate(s) failed (policy 2026.1, p.yaml)")

    monkeypatch.setattr(
        "training.cli.get_settings", lambda: TrainingSettings(data_dir=tmp_path / "data")
    )
    monkeypatch.setattr("training.cli.write_jsonl", lambda config, path: None)
    monkeypatch.setattr("training.cli._train", lambda *args, **kwargs: (1, None))
    monkeypatch.setattr("training.cli.promote_version", refuse)
    result = CliRunner().invoke(main, ["demo", "--n", "12000", "--registry", str(tmp_path)])
    assert (result.exit_code, result.output.splitlines()[-2:]) == (
        1,
        [
            "Error: version 1 not promoted: 1 gate(s) failed (policy 2026.1, p.yaml)",
            "the demo data has 12,000 referrals: on fewer held-out households the gates measure "
            "less precisely and refuse more often; the default --n 30,000 passes them",
        ],
    )


def test_an_unexpected_error_is_one_line_not_a_traceback(tmp_path, monkeypatch) -> None:
    # What no command expected (a setting out of range, a path that cannot be written) still
    # ends in one readable line and exit 1.
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'd.db'}")
    runner = CliRunner()
    cases = {
        ("synth", "--n", "100", "--out", str(tmp_path / "a-file" / "out.jsonl")): (
            f"Error: File exists: {tmp_path / 'a-file'} (HOTLINE_DEBUG=1 shows where)\n"
        ),
    }
    (tmp_path / "a-file").write_text("not a directory")
    for args, expected in cases.items():
        result = runner.invoke(main, list(args))
        assert result.exit_code == 1, result.output
        assert result.output.splitlines()[-1] + "\n" == expected
        assert "Traceback" not in result.output
    monkeypatch.setenv("HOTLINE_MONITOR_THRESHOLD", "1")
    get_settings.cache_clear()  # settings are read once per process
    try:
        result = runner.invoke(main, ["keys", "list"])
        assert (result.exit_code, result.output) == (
            1,
            "Error: HOTLINE_MONITOR_THRESHOLD: Input should be greater than or equal to 2 "
            "(got '1') (HOTLINE_DEBUG=1 shows where)\n",
        )
        monkeypatch.setenv("HOTLINE_DEBUG", "1")  # for whoever fixes it: the whole error
        result = runner.invoke(main, ["keys", "list"])
        assert type(result.exception).__name__ == "ValidationError"
    finally:
        get_settings.cache_clear()


def test_seeds_and_biases_out_of_range_are_named_before_anything_is_written(tmp_path) -> None:
    # A seed scikit-learn cannot take, or a bias of NaN or inf (which generated NaN odds and
    # a file of garbage), is refused by the option itself: exit 2, one line naming it.
    out = tmp_path / "out.jsonl"
    cases = {
        ("synth", "--seed", "-1"): "'--seed': -1 is not in the range 0<=x<=4294967295.",
        ("synth", "--seed", "4294967296"): (
            "'--seed': 4294967296 is not in the range 0<=x<=4294967295."
        ),
        (
            "synth",
            "--surveillance-bias",
            "nan",
        ): "'--surveillance-bias': 'nan' is not a finite number.",
        ("synth", "--label-bias", "inf"): "'--label-bias': 'inf' is not a finite number.",
        ("train", "--seed", "-1", "--data", str(out)): (
            "'--seed': -1 is not in the range 0<=x<=4294967295."
        ),
    }
    for args, expected in cases.items():
        result = CliRunner().invoke(
            main, [*args, "--out", str(out)] if args[0] == "synth" else list(args)
        )
        assert result.exit_code == 2, result.output
        assert result.output.splitlines()[-1] == f"Error: Invalid value for {expected}"
    assert not out.exists()


def test_a_url_that_is_not_a_usable_database_is_named_by_every_command(tmp_path) -> None:
    # The engine refuses it itself (service.decision_log.db), so each command that opens the
    # log says so in its own line, with what is accepted, and creates nothing.
    runner = CliRunner()
    accepted = "accepted: sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB\n"
    commands = [
        ["keys", "list"],
        ["log", "verify"],
        ["log", "migrate"],
        ["monitor", "--out", str(tmp_path / "report")],
    ]
    urls = {
        str(tmp_path / "x.db"): repr(str(tmp_path / "x.db")),
        "mysql://u:secret@h/db": "'mysql://u:***@h/db'",  # the password is not echoed
        "postgresql+psycopg2://h/db": "'postgresql+psycopg2://h/db'",  # not installed
        # Not parsed (no "://"; a port that is not a number): the password is masked all
        # the same.
        "postgresql+psycopg//ana:s3cret@db/x": "'postgresql+psycopg//ana:***@db/x'",
        "postgresql://ana:s3cret@db:54x2/x": "'postgresql://ana:***@db:54x2/x'",
    }
    for url, shown in urls.items():
        for command in commands:
            result = runner.invoke(main, [*command, "--database-url", url])
            assert (result.exit_code, result.output) == (
                1,
                f"Error: {shown} is not a database URL this service can use; {accepted}",
            ), command
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_serve_says_what_stops_it_in_one_line_before_starting(tmp_path, monkeypatch) -> None:
    # Otherwise every worker would fail inside its own uvicorn traceback.
    bad_rules = tmp_path / "rules.yaml"
    bad_rules.write_text("rules: [\n")
    unreadable, empty = tmp_path / "directory.json", tmp_path / "empty"
    unreadable.write_text('{"x": ')
    empty.mkdir()
    cases = {
        "HOTLINE_RULES_FILE": (
            str(bad_rules),
            f"Error: {bad_rules}: not valid YAML: expected the node content, but found "
            "'<stream end>' at line 2, column 1\n",
        ),
        "HOTLINE_DIRECTORY_PATH": (
            str(tmp_path / "nowhere"),
            f"Error: no service directory at {tmp_path / 'nowhere'} (HOTLINE_DIRECTORY_PATH; "
            "relative paths are read from the current directory)\n",
        ),
        "HOTLINE_DIRECTORY_PATH=unreadable": (
            str(unreadable),
            f"Error: HOTLINE_DIRECTORY_PATH: {unreadable}: not readable as JSON (Expecting "
            "value: line 1 column 7 (char 6))\n",
        ),
        "HOTLINE_DIRECTORY_PATH=empty": (
            str(empty),
            f"Error: HOTLINE_DIRECTORY_PATH: {empty} holds no active service, so no family "
            "would get a referral suggestion (no service records were found; expected a datapackage.json with a 'service' resource, or .json files "
            "holding services; the directory is empty)\n",
        ),
        "HOTLINE_DATABASE_URL": (
            str(tmp_path / "d.db"),
            f"Error: HOTLINE_DATABASE_URL: '{tmp_path / 'd.db'}' is not a database URL this "
            "service can use; accepted: sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB\n",
        ),
    }
    for name, (value, expected) in cases.items():
        with monkeypatch.context() as env:
            env.setenv(name.partition("=")[0], value)
            get_settings.cache_clear()
            try:
                result = CliRunner().invoke(main, ["serve", "--port", "1"])
            finally:
                get_settings.cache_clear()
        assert (result.exit_code, result.output) == (1, expected), name
