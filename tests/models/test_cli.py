"""`hotline models list` shows what it can of every version, and never a traceback."""

import json

from click.testing import CliRunner

from models.cli import models_group


def _version(root, version, metadata) -> None:
    directory = root / "versions" / str(version)
    directory.mkdir(parents=True)
    if metadata is not None:
        text = metadata if isinstance(metadata, str) else json.dumps(metadata)
        (directory / "metadata.json").write_text(text)


def test_list_marks_missing_values_and_unreadable_versions(tmp_path) -> None:
    root = tmp_path / "reg"
    full = {"kind": "logistic", "label": "removal_2y", "metrics": {"auc": 0.8123}, "n_rows": 12000}
    _version(root, 1, full)
    _version(root, 2, {**full, "metrics": {"brier": 0.1}})  # no AUC
    _version(root, 3, {"kind": "boosting", "label": None, "metrics": None})
    _version(root, 4, None)  # a numbered directory without metadata.json
    _version(root, 5, "{not json")
    _version(root, 6, "[1, 2]")
    (root / "aliases").mkdir()
    (root / "aliases" / "champion.json").write_text(json.dumps({"version": 2}))
    result = CliRunner().invoke(models_group, ["--registry", str(root), "list"])
    assert result.exit_code == 0, result.output
    versions = root / "versions"
    assert result.output.splitlines() == [
        "version  kind      label             AUC  trained on  alias",
        "      1  logistic  removal_2y      0.812      12,000  ",
        "      2  logistic  removal_2y          -      12,000  champion",
        "      3  boosting  -                   -           -  ",
        f"      4  unreadable: model version 4 has no metadata.json in {versions / '4'}",
        f"      5  unreadable: {versions / '5' / 'metadata.json'} is not valid JSON: "
        "Expecting property name enclosed in double quotes",
        f"      6  unreadable: {versions / '6' / 'metadata.json'} holds a JSON list, not an object",
    ]


def test_list_still_lists_versions_when_the_champion_alias_is_malformed(tmp_path) -> None:
    root = tmp_path / "reg"
    _version(root, 1, {"kind": "logistic", "label": "removal_2y", "metrics": {"auc": 0.7}})
    (root / "aliases").mkdir()
    alias = root / "aliases" / "champion.json"
    alias.write_text("{}")
    result = CliRunner().invoke(models_group, ["--registry", str(root), "list"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"champion alias unreadable: alias file {alias} is malformed: 'version'",
        "version  kind      label             AUC  trained on  alias",
        "      1  logistic  removal_2y      0.700           -  ",
    ]


def test_history_says_when_nothing_is_recorded_and_names_a_corrupt_line(tmp_path) -> None:
    runner = CliRunner()
    result = runner.invoke(models_group, ["--registry", str(tmp_path), "history"])
    assert (result.exit_code, result.output) == (
        0,
        f"no promotions, refusals or rollbacks recorded in {tmp_path} yet\n",
    )
    raw = runner.invoke(models_group, ["--registry", str(tmp_path), "history", "--json"])
    assert (raw.exit_code, raw.output) == (0, "")  # JSON Lines: no events, no lines
    (tmp_path / "history.jsonl").write_text('{"action": "set", "alias": "champion", "ver\n')
    result = runner.invoke(models_group, ["--registry", str(tmp_path), "history"])
    assert (result.exit_code, result.output) == (
        1,
        f"Error: {tmp_path / 'history.jsonl'}, line 1: not a JSON object; the history is "
        "append-only, so repair or remove that line by hand (the alias files are "
        "unaffected)\n",
    )


def test_list_goes_on_past_metadata_in_another_encoding(tmp_path) -> None:
    root = tmp_path / "reg"
    _version(root, 1, {"kind": "logistic", "label": "removal_2y"})
    (root / "versions" / "1" / "metadata.json").write_bytes(
        b'{"kind": "logistic", "by": "M\xfcller"}'  # a hand edit saved in Latin-1
    )
    _version(root, 2, None)
    # Saved by an editor that writes a byte-order mark: still UTF-8, still read.
    (root / "versions" / "2" / "metadata.json").write_bytes(
        b'\xef\xbb\xbf{"kind": "boosting", "label": "removal_2y"}'
    )
    result = CliRunner().invoke(models_group, ["--registry", str(root), "list"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "version  kind      label             AUC  trained on  alias",
        f"      1  unreadable: {root / 'versions' / '1' / 'metadata.json'} is not valid JSON: "
        "byte 29 is not UTF-8 (invalid start byte)",
        "      2  boosting  removal_2y          -           -  ",
    ]
