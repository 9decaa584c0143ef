import json

from click.testing import CliRunner

from hotline_cli import main


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
    result = runner.invoke(main, ["promote", "1", "--registry", str(registry), "--by", "ana"])
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
    result = runner.invoke(main, ["promote", "7", "--registry", str(tmp_path / "reg")])
    assert result.exit_code == 1
    assert "model version 7 is not in the registry" in result.output
    assert "Traceback" not in result.output
