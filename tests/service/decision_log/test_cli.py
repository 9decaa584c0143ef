import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from fastapi.testclient import TestClient

from hotline_cli import main
from service.config import ServiceSettings, get_settings
from service.main import create_app
from tests.backends import make_settings, pg_schema
from tests.factories import authorize
from tests.service.decision_log.factories import created_log, example, screening


def _three_records(registry, url: str) -> str:
    with TestClient(create_app(make_settings(registry.root, url))) as c:
        authorize(c, "screener")
        decision_id = c.post("/v1/score", json=example()).json()["decision_id"]
        c.post(f"/v1/decisions/{decision_id}/screening", json=screening())
        c.post("/v1/score", json=example())
    return decision_id


def test_verify_passes_then_names_the_edited_record(registry_with_champion, database_url) -> None:
    decision_id = _three_records(registry_with_champion, database_url)
    runner = CliRunner()
    ok = runner.invoke(main, ["log", "verify", "--database-url", database_url])
    assert (ok.exit_code, ok.output) == (0, "ok: 3 records\n")
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        # The trigger refuses edits; someone with DDL rights removes it first.
        if engine.dialect.name == "sqlite":
            conn.execute(sa.text("DROP TRIGGER log_entries_no_update"))
        else:
            conn.execute(sa.text("ALTER TABLE log_entries DISABLE TRIGGER log_entries_append_only"))
        conn.execute(
            sa.text(
                "UPDATE log_entries SET payload = replace(payload, 'screened_out', 'screened_in') "
                "WHERE seq = 2"
            )
        )
    engine.dispose()
    broken = runner.invoke(main, ["log", "verify", "--database-url", database_url])
    assert broken.exit_code == 1
    assert broken.output == (
        f"broken at record 2 (screening of decision {decision_id}): its content does not match "
        "its hash (edited after it was written)\n"
    )


def test_the_log_refuses_updates(registry_with_champion, database_url) -> None:
    _three_records(registry_with_champion, database_url)
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM log_entries WHERE seq = 1"))
    except sa.exc.DatabaseError as exc:
        assert "log_entries is append-only" in str(exc)
    else:
        raise AssertionError("delete was allowed")
    finally:
        engine.dispose()


def test_outcomes_import_reports_bad_rows_and_keeps_good_ones(
    registry_with_champion, database_url, tmp_path
) -> None:
    csv = tmp_path / "outcomes.csv"
    csv.write_text(
        "referral_id,household_id,event,event_date\n"
        "ref-0001,,substantiation,2025-12-03\n"
        ",hh 42,removal,2026-01-01\n"
        ",hh-0000042,injury,2026-02-30\n"
        ",hh-0000042,re_referral,2026-03-01\n"
        "ref-0001,,removal,9999-12-31\n"
    )
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    runner = CliRunner()
    args = ["outcomes", "import", str(csv), "--database-url", created_log(database_url)]
    first = runner.invoke(main, args)
    assert first.exit_code == 1  # good rows kept; a script still notices the bad ones
    assert first.output == (
        "row 3, household_id: 'hh 42' is not an identifier; accepted: an agency identifier of "
        "1-64 letters, digits or _ . : -\n"
        "row 4, event_date: '2026-02-30' is not a date; accepted: YYYY-MM-DD, e.g. 2026-03-31\n"
        f"row 6, event_date: 9999-12-31 is outside 1900-01-01 to {tomorrow}; accepted: the day "
        "the event happened (YYYY-MM-DD), not after tomorrow\n"
        "row 2: matches no scored decision (yet): recorded; check its id\n"
        "row 5: matches no scored decision (yet): recorded; check its id\n"
        "2 recorded (0 matching a scored decision, 2 matching none), 0 already on record, "
        "3 rejected\n"
    )
    again = runner.invoke(main, args)
    assert again.output.endswith(
        "0 recorded (0 matching a scored decision, 0 matching none), 2 already on record, "
        "3 rejected\n"
    )
    assert runner.invoke(main, ["log", "verify", "--database-url", database_url]).output == (
        "ok: 2 records\n"
    )


def test_outcomes_import_names_the_lines_no_scored_decision_matches(
    registry_with_champion, database_url, tmp_path
) -> None:
    # Before: "5 recorded", a mistyped id and an event dated before its referral was
    # received (which monitoring never counts) alike. Still recorded, exit 0 (one may match
    # a decision scored later), but named by line on standard error; never by id.
    _three_records(registry_with_champion, database_url)  # ref-0001, received 2026-11-20
    csv = tmp_path / "outcomes.csv"
    csv.write_text(
        "referral_id,household_id,event,event_date\n"
        "ref-0001,,removal,2026-11-21\n"  # 2
        "nope-123,,removal,2026-11-21\n"  # 3: no such referral scored
        "ref-0001,,re_referral,2026-11-02\n"  # 4: before the call
        ",hh-0000042,injury,2026-11-22\n"  # 5
        ",hh-nope,injury,2026-11-22\n"  # 6: no such household scored
        + "".join(f"nope-{i},,removal,2026-11-21\n" for i in range(20))  # 7-26
    )
    result = CliRunner().invoke(
        main, ["outcomes", "import", str(csv), "--database-url", database_url]
    )
    assert (result.exit_code, result.output) == (
        0,
        "row 3: matches no scored decision (yet): recorded; check its id\n"
        "row 4: dated before its referral was received: recorded, but will not count as its "
        "outcome\n"
        "row 6: matches no scored decision (yet): recorded; check its id\n"
        + "".join(
            f"row {n}: matches no scored decision (yet): recorded; check its id\n"
            for n in range(7, 25)
        )
        + "... and 2 more rows matching no scored decision\n"
        "25 recorded (3 matching a scored decision, 22 matching none), 0 already on record, "
        "0 rejected\n",
    )
    assert "nope" not in result.output


def test_monitor_writes_html_and_json(
    registry_with_champion, database_url, tmp_path, monkeypatch
) -> None:
    _three_records(registry_with_champion, database_url)
    with TestClient(create_app(make_settings(registry_with_champion.root, database_url))) as c:
        authorize(c, "screener")
        # Screened in at a score the tool alone would screen out: an override to list.
        other = c.post("/v1/score", json=example()).json()["decision_id"]
        body = screening(decision="screened_in")
        assert c.post(f"/v1/decisions/{other}/screening", json=body).status_code == 201
    monkeypatch.setenv("HOTLINE_REGISTRY_DIR", str(registry_with_champion.root))
    from service.config import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            main, ["monitor", "--out", str(tmp_path / "m"), "--database-url", database_url]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert result.output.endswith("and overrides.json (3 decisions, 1 against the tool alone)\n")
    page = (tmp_path / "m" / "monitoring.html").read_text()
    assert page.startswith("<!doctype html>") and 'href="overrides.json"' in page
    assert '"decisions": 3' in (tmp_path / "m" / "monitoring.json").read_text()
    # Before: the list of the overrides was only in the API.
    listed = json.loads((tmp_path / "m" / "overrides.json").read_text())
    assert [(o["decision_id"], o["decision"]) for o in listed["overrides"]] == [
        (other, "screened_in")
    ]


@pytest.mark.parametrize("literal", ["NaN", "-Infinity", "1e999"])
def test_an_edit_that_parses_like_the_original_is_still_caught(
    registry_with_champion, tmp_path, literal
) -> None:
    # orjson writes non-finite numbers as null, so re-serializing the parsed payload alone
    # would hash these edits like the original: verify compares the stored text too.
    url = f"sqlite:///{tmp_path / 'd.db'}"
    decision_id = _three_records(registry_with_champion, url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TRIGGER log_entries_no_update"))
        changed = conn.execute(
            sa.text("UPDATE log_entries SET payload = replace(payload, :old, :edit) WHERE seq = 1"),
            {"old": ":null", "edit": f":{literal}"},
        )
        assert changed.rowcount == 1
        stored = conn.execute(sa.text("SELECT payload FROM log_entries WHERE seq = 1")).scalar()
        assert f":{literal}" in stored
    engine.dispose()
    broken = CliRunner().invoke(main, ["log", "verify", "--database-url", url])
    assert (broken.exit_code, broken.output) == (
        1,
        f"broken at record 1 (score of decision {decision_id}): its content does not match "
        "its hash (edited after it was written)\n",
    )


def test_commands_on_a_missing_file_create_nothing_and_name_where_they_looked(
    tmp_path, monkeypatch
) -> None:
    missing = tmp_path / "typo" / "decisions.db"
    csv = tmp_path / "in" / "outcomes.csv"
    csv.parent.mkdir()
    csv.write_text("referral_id,event,event_date\nref-1,removal,2025-12-01\n")
    commands = (
        ["log", "verify"],
        ["monitor", "--out", str(tmp_path / "m")],
        ["keys", "create", "--role", "admin", "--name", "ana"],
        ["keys", "list"],
        ["keys", "revoke", "ana"],
        ["outcomes", "import", str(csv)],
    )
    for command in commands:
        result = CliRunner().invoke(main, [*command, "--database-url", f"sqlite:///{missing}"])
        assert (result.exit_code, result.output) == (
            1,
            f"Error: no decision log at {missing}: the file does not exist; check "
            "--database-url or HOTLINE_DATABASE_URL (`hotline log migrate` creates one)\n",
        ), command
    # Before: verify made the directory and a migrated, empty log, and said "ok: 0 records";
    # a key or outcomes went into a new, empty log that no service read.
    assert list(tmp_path.iterdir()) == [csv.parent]
    # The default URL is relative: run from elsewhere, the line says where it looked.
    monkeypatch.chdir(tmp_path / "in")
    monkeypatch.setenv("HOTLINE_DATABASE_URL", ServiceSettings.model_fields["database_url"].default)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["keys", "list"])
    finally:
        get_settings.cache_clear()
    assert result.output.startswith(
        f"Error: no decision log at {tmp_path / 'in' / 'var' / 'decisions.db'}: "
    )
    assert not (tmp_path / "in" / "var").exists()


def test_verify_of_a_database_without_the_log_migrates_nothing(database_url) -> None:
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).touch()  # an empty SQLite database
    result = CliRunner().invoke(main, ["log", "verify", "--database-url", database_url])
    assert (result.exit_code, result.output) == (
        1,
        f"Error: no decision log in {database_url}: it has no log_entries table; check "
        "--database-url or HOTLINE_DATABASE_URL (`hotline log migrate` creates one)\n",
    )
    engine = sa.create_engine(database_url)
    try:
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_outcomes_import_reads_excel_csv_utf8_with_its_byte_order_mark(tmp_path) -> None:
    csv = tmp_path / "outcomes.csv"
    csv.write_text(
        "referral_id,household_id,event,event_date\n"
        "ref-0001,,substantiation,2025-12-03\n"
        "ref-0002,,removal,2026-01-01\n",
        encoding="utf-8-sig",
    )
    url = created_log(f"sqlite:///{tmp_path / 'd.db'}")
    result = CliRunner().invoke(main, ["outcomes", "import", str(csv), "--database-url", url])
    # Before: the mark stuck to "referral_id", so both rows had no identifier.
    assert (result.exit_code, result.output) == (
        0,
        "row 2: matches no scored decision (yet): recorded; check its id\n"
        "row 3: matches no scored decision (yet): recorded; check its id\n"
        "2 recorded (0 matching a scored decision, 2 matching none), 0 already on record, "
        "0 rejected\n",
    )


@pytest.mark.parametrize("mark", [b"", b"\xef\xbb\xbf"], ids=["plain", "byte-order-mark"])
def test_outcomes_import_of_a_file_not_in_utf8_is_one_line(tmp_path, mark) -> None:
    csv = tmp_path / "outcomes.csv"
    csv.write_bytes(
        mark
        + "referral_id,household_id,event,event_date\n"
        "ref-0001,,substantiation,2025-12-03\n"
        ",hh-Müller,removal,2026-01-01\n".encode("latin-1")
    )
    url = f"sqlite:///{tmp_path / 'd.db'}"
    result = CliRunner().invoke(main, ["outcomes", "import", str(csv), "--database-url", url])
    # Before: a UnicodeDecodeError traceback.
    assert (result.exit_code, result.output) == (
        1,
        f'Error: {csv} is not UTF-8 text (byte 0xfc on line 3); save it as "CSV UTF-8" and '
        "import it again\n",
    )
    assert not (tmp_path / "d.db").exists()


def test_outcomes_import_names_a_header_it_cannot_use_once(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    cases = {
        "referral_id;event;event_date\nref-1;removal;2025-12-01\n": (
            "the header has no referral_id or household_id and no event and no event_date "
            "column (found: referral_id;event;event_date)"
        ),
        "household_id,event\nhh-1,removal\n": (
            "the header has no event_date column (found: household_id, event)"
        ),
        "": "the header has no referral_id or household_id and no event and no event_date "
        "column (found: nothing)",
    }
    for i, (text, problem) in enumerate(cases.items()):
        csv = tmp_path / f"outcomes-{i}.csv"
        csv.write_text(text)
        result = CliRunner().invoke(main, ["outcomes", "import", str(csv), "--database-url", url])
        assert (result.exit_code, result.output) == (
            1,
            f"Error: {csv}: {problem}; expected comma-separated columns referral_id and/or "
            "household_id, event, event_date\n",
        )
    assert not (tmp_path / "d.db").exists()  # refused before the log was opened


def test_a_database_that_cannot_be_reached_is_one_line_for_every_command(tmp_path) -> None:
    # Nothing listens on port 1: the command stops there, in one line naming the database
    # (not the service's "scores will be refused" log line, nor its 503 message).
    url = "postgresql+psycopg://postgres@127.0.0.1:1/hotline"
    csv = tmp_path / "outcomes.csv"
    csv.write_text("referral_id,event,event_date\nref-1,removal,2025-12-01\n")
    expected = (
        "Error: the decision log at postgresql+psycopg://postgres@127.0.0.1:1/hotline cannot be "
        'opened: connection failed: connection to server at "127.0.0.1", port 1 failed: '
        "Connection refused\n"
    )
    for args in (["keys", "list"], ["outcomes", "import", str(csv)]):
        result = CliRunner().invoke(main, [*args, "--database-url", url])
        assert (result.exit_code, result.output) == (1, expected), args


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_a_postgresql_url_without_a_driver_uses_the_installed_one(scheme) -> None:
    # The usual spelling (libpq's, Heroku's) would make SQLAlchemy look for psycopg2, which is
    # not installed: it means psycopg 3 here, and the log is created and verified through it.
    with pg_schema("drv") as (url, engine, schema):
        plain = url.replace("postgresql+psycopg://", f"{scheme}://")
        runner = CliRunner()
        migrated = runner.invoke(main, ["log", "migrate", "--database-url", plain])
        assert (migrated.exit_code, migrated.output) == (
            0,
            "ok: decision log at the latest schema\n",
        )
        verified = runner.invoke(main, ["log", "verify", "--database-url", plain])
        assert (verified.exit_code, verified.output) == (0, "ok: 0 records\n")
        with engine.connect() as conn:
            tables = conn.execute(
                sa.text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
                {"s": schema},
            ).scalars()
            assert {"log_entries", "api_keys"} <= set(tables)


def test_monitor_over_a_period(registry_with_champion, database_url, tmp_path, monkeypatch) -> None:
    with TestClient(create_app(make_settings(registry_with_champion.root, database_url))) as c:
        authorize(c, "screener")
        for day in ("2026-11-18", "2026-11-19", "2026-11-20"):
            body = {**example(), "received_at": f"{day}T10:30:00-05:00"}
            assert c.post("/v1/score", json=body).status_code == 200
    monkeypatch.setenv("HOTLINE_REGISTRY_DIR", str(registry_with_champion.root))
    from service.config import get_settings

    get_settings.cache_clear()
    out = tmp_path / "m"
    args = ["monitor", "--out", str(out), "--database-url", database_url]
    try:
        result = CliRunner().invoke(main, [*args, "--since", "2026-11-19", "--until", "2026-11-20"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert result.output.endswith("(2 decisions, 0 against the tool alone)\n")
    report = json.loads((out / "monitoring.json").read_text())
    assert report["counts"]["decisions"] == 2
    assert report["meta"]["period"] == {"since": "2026-11-19", "until": "2026-11-20"}
    page = " ".join((out / "monitoring.html").read_text().split())
    assert "Period: referrals received from 2026-11-19 to 2026-11-20, both days included." in page


@pytest.mark.parametrize(
    ("period", "line"),
    [
        (
            ["--since", "2026-13-01"],
            "Error: --since '2026-13-01' is not a day; accepted: YYYY-MM-DD, e.g. 2026-03-31\n",
        ),
        (
            ["--until", "1700000000"],
            "Error: --until '1700000000' is not a day; accepted: YYYY-MM-DD, e.g. 2026-03-31\n",
        ),
        (
            ["--since", "2026-03-05", "--until", "2026-03-01"],
            "Error: since 2026-03-05 is after until 2026-03-01; accepted: since on or before "
            "until (YYYY-MM-DD, both days included)\n",
        ),
    ],
)
def test_monitor_refuses_a_bad_period_in_one_line(tmp_path, period, line) -> None:
    # Refused before the log is opened: this one does not exist.
    url = f"sqlite:///{tmp_path / 'absent.db'}"
    result = CliRunner().invoke(
        main, ["monitor", "--out", str(tmp_path / "m"), "--database-url", url, *period]
    )
    assert (result.exit_code, result.output) == (1, line)
    assert list(tmp_path.iterdir()) == []


def test_outcomes_import_names_the_line_each_bad_row_starts_on(tmp_path) -> None:
    # Before: row numbers were counted from the header as if every row were one line, so
    # a blank line or a quoted line break shifted every later number.
    csv = tmp_path / "outcomes.csv"
    csv.write_bytes(
        b"referral_id,event,event_date\n"  # line 1
        b"\n"  # 2: blank, skipped by the reader
        b"ref-1,removal,2026-01-02\n"  # 3
        b'"ref\n2",removal,2026-01-02\n'  # 4-5: a quoted line break
        b"ref-3,arrest,2026-01-02\n"  # 6
        b"\r\n\r\n"  # 7-8
        b"ref-4,removal,2026-13-01\r\n"  # 9
    )
    url = created_log(f"sqlite:///{tmp_path / 'd.db'}")
    result = CliRunner().invoke(main, ["outcomes", "import", str(csv), "--database-url", url])
    assert (result.exit_code, result.output) == (
        1,
        "row 4, referral_id: 'ref\\n2' is not an identifier; accepted: an agency identifier of "
        "1-64 letters, digits or _ . : -\n"
        "row 6, event: 'arrest' is not an event; accepted: re_referral, substantiation, "
        "removal, injury\n"
        "row 9, event_date: '2026-13-01' is not a date; accepted: YYYY-MM-DD, e.g. 2026-03-31\n"
        "row 3: matches no scored decision (yet): recorded; check its id\n"
        "1 recorded (0 matching a scored decision, 1 matching none), 0 already on record, "
        "3 rejected\n",
    )
