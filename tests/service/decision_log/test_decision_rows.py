"""Reports read each record of the log once: later reports read only what is new."""

from __future__ import annotations

import shutil

import pandas as pd

from service.decision_log import decision_rows as rows_module
from service.decision_log import migrate, open_log, record_outcomes
from service.decision_log.monitoring import decision_frame
from service.decision_log.repository import record_screening
from service.decision_log.schemas import ScreeningRequest
from tests.service.decision_log.conftest import PSEUDONYM_KEY
from tests.service.decision_log.factories import append_scores, score_payload

COMMON = {"screener_risk": "high", "screener_safety": "no_threat", "screener_id": "s1"}


def _ids(start: int, stop: int) -> list[str]:
    return [f"{n:032x}" for n in range(start, stop)]


def _fill(log, ids: list[str]) -> None:
    payloads = [score_payload(d, 10 + n % 10, "screener_judgment") for n, d in enumerate(ids)]
    for payload in payloads:  # keyed as the service keys them, so outcomes find them
        payload["referral_id"] = log.pseudonymizer("referral", payload["referral_id"])
    append_scores(log, payloads)
    for d in ids[::2]:
        record_screening(log, d, ScreeningRequest(**COMMON, decision="screened_in", unit="u1"))


def _parsed(monkeypatch) -> list[int]:
    calls: list[int] = []
    loads = rows_module.orjson.loads

    def counting(text):
        calls.append(1)
        return loads(text)

    monkeypatch.setattr(rows_module.orjson, "loads", counting)
    return calls


def test_a_second_report_parses_only_the_new_records_and_sees_the_same_frame(
    log, database_url, monkeypatch
) -> None:
    _fill(log, _ids(1, 41))  # 40 scores, 20 screenings
    parsed = _parsed(monkeypatch)
    first = decision_frame(log)
    assert len(parsed) == 60 and len(first) == 40
    assert decision_frame(log).equals(first)
    assert len(parsed) == 60  # nothing new, nothing parsed

    _fill(log, _ids(41, 45))  # 4 scores, 2 screenings
    record_screening(
        log, _ids(2, 3)[0], ScreeningRequest(**COMMON, decision="screened_out", unit="u2")
    )
    outcome = {"referral_id": f"r-{_ids(3, 4)[0]}", "event": "substantiation"}
    assert record_outcomes(log, [{**outcome, "event_date": "2026-03-05"}]).accepted == 1
    later = decision_frame(log)
    assert len(parsed) == 60 + 8
    # The same frame as a log opened afresh reads from the start.
    fresh = open_log(database_url, key=PSEUDONYM_KEY)
    try:
        pd.testing.assert_frame_equal(later, decision_frame(fresh))
    finally:
        fresh.dispose()
    assert len(later) == 44
    assert later.loc[later["decision_id"] == _ids(2, 3)[0], "unit"].item() == "u2"
    assert later.loc[later["decision_id"] == _ids(3, 4)[0], "substantiation"].item() == 1.0


def test_a_database_replaced_underneath_is_read_again_from_the_start(tmp_path) -> None:
    path, other = tmp_path / "d.db", tmp_path / "other.db"
    # As long as the first and longer: the record read last is there, with another hash.
    for file, ids in ((path, _ids(1, 11)), (other, _ids(101, 113))):
        log = open_log(f"sqlite:///{file}", key=PSEUDONYM_KEY)
        migrate(log.engine)
        _fill(log, ids)
        log.dispose()
    log = open_log(f"sqlite:///{path}", key=PSEUDONYM_KEY)
    try:
        assert decision_frame(log)["decision_id"].tolist() == _ids(1, 11)
        log.engine.dispose()  # a restore: the file swapped while the service runs
        for suffix in ("-wal", "-shm"):
            (tmp_path / f"d.db{suffix}").unlink(missing_ok=True)
        shutil.copy(other, path)
        assert decision_frame(log)["decision_id"].tolist() == _ids(101, 113)
    finally:
        log.dispose()


def test_outcomes_before_any_score_make_an_empty_report_frame(sqlite_log) -> None:
    # Outcomes imported before the first score: no decision to join them to, no failure.
    rows = [{"referral_id": "R-1", "event": "removal", "event_date": "2026-03-05"}]
    assert record_outcomes(sqlite_log, rows).accepted == 1
    frame = decision_frame(sqlite_log)
    assert len(frame) == 0 and frame["removal"].tolist() == []


def test_batches_of_different_shapes_make_the_frame_one_read_makes(sqlite_log) -> None:
    # Records written before model_version was logged, or before a feature existed, have
    # None there: read as a batch of their own, the column was left as objects where one
    # read of everything gives numbers.
    old = [score_payload(d, 12, "screener_judgment") for d in _ids(1, 4)]
    for payload in old:
        del payload["model_version"]
        del payload["features"]["youngest_child_age"]
    append_scores(sqlite_log, old)
    decision_frame(sqlite_log)
    _fill(sqlite_log, _ids(4, 8))
    later = decision_frame(sqlite_log)
    fresh = open_log(str(sqlite_log.engine.url), key=PSEUDONYM_KEY)
    try:
        pd.testing.assert_frame_equal(later, decision_frame(fresh))
    finally:
        fresh.dispose()
    assert later["model_version"].dtype == "float64"
    assert later["model_version"].isna().tolist() == [True] * 3 + [False] * 4
    assert later["youngest_child_age"].isna().tolist() == [True] * 3 + [False] * 4
    assert (later["n_children"] == 0.0).all()  # the other features were read


def test_an_empty_log_gives_the_numeric_columns_as_numbers(sqlite_log) -> None:
    assert decision_frame(sqlite_log)["tool_in"].dtype == "float64"
