"""The supervisors' monitoring report counts overrides against the tool alone."""

import shutil
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest
from pydantic import ValidationError

from models import FEATURE_SPEC
from service.config import ServiceSettings
from service.decision_log.db import lock_chain
from service.decision_log.monitoring import _reportable, decision_frame, monitoring_report
from service.decision_log.reference import load_reference
from service.decision_log.render import render_monitoring
from service.decision_log.repository import append, record_screening, transaction
from service.decision_log.schemas import ScreeningRequest


def _score(decision_id: str, score: int, recommendation: str) -> dict:
    return {
        "decision_id": decision_id,
        "referral_id": f"r-{decision_id}",
        "household_id": f"h-{decision_id}",
        "referral": {"children": [{"race": ["white"]}], "received_at": "2026-03-01T10:00:00Z"},
        "probability": 0.3,
        "score": score,
        "recommendation": {"value": recommendation},
        "features": {f.name: 0.0 for f in FEATURE_SPEC},
    }


def test_overrides_follow_the_threshold_not_only_the_rules(sqlite_log) -> None:
    # Score 17 with the rules leaving it to the screener: with the threshold at 16 the tool
    # alone says "screen in", so screening in follows it and screening out goes against it.
    d1, d2, d3, d4 = (f"{n:032x}" for n in range(1, 5))  # ids as the service issues them
    scored = [(d1, 17, "screener_judgment"), (d2, 17, "screener_judgment")]
    scored += [(d3, 9, "screen_in_required"), (d4, 9, "screener_judgment")]
    with transaction(sqlite_log) as session:
        lock_chain(session)
        for decision_id, score, recommendation in scored:
            append(
                session,
                _score(decision_id, score, recommendation),
                kind="score",
                decision_id=decision_id,
                dedupe_key=f"score:{decision_id}",
            )
    common = {"screener_risk": "high", "screener_safety": "no_threat", "screener_id": "s1"}
    decisions = {
        d1: {"decision": "screened_in", "unit": "unit-a"},
        d2: {"decision": "screened_out", "reason_code": "other", "unit": "unit-a"},
        d3: {"decision": "screened_in", "unit": "unit-b"},
        d4: {"decision": "screened_in", "reason_code": "other", "unit": "unit-b"},
    }
    for decision_id, decision in decisions.items():
        record_screening(sqlite_log, decision_id, ScreeningRequest(**common, **decision))
    # min_cell=1: these two-decision units would otherwise be left out (see below).
    report = monitoring_report(decision_frame(sqlite_log), None, threshold=16, min_cell=1)
    assert report["overrides"]["by_unit"] == [
        {
            "unit": "unit-a",
            "screened": 2,
            "overrides": 1,  # d2 only
            "override_rate": 0.5,
            "reasons": {"other": 1},
        },
        {
            "unit": "unit-b",
            "screened": 2,
            "overrides": 1,  # d4: screened in below the threshold, no rule asking for it
            "override_rate": 0.5,
            "reasons": {"other": 1},
        },
    ]


def test_groups_and_units_under_the_minimum_are_pooled_or_left_out(sqlite_log) -> None:
    # 14 white and 11 black families in unit-a; 3 asian, 2 multiracial and 2 with no race
    # recorded (7 together, under 10) and a unit-b of 4: no row may describe so few.
    cells = [("white", "unit-a")] * 14 + [("black", "unit-a")] * 11 + [("asian", "unit-a")] * 3
    cells += [("black|white", "unit-b")] * 2 + [("", "unit-b")] * 2
    ids = [f"{n:032x}" for n in range(1, len(cells) + 1)]
    with transaction(sqlite_log) as session:
        lock_chain(session)
        for (race, _), decision_id in zip(cells, ids, strict=True):
            payload = _score(decision_id, 12, "screener_judgment")
            payload["referral"]["children"] = [{"race": race.split("|") if race else []}]
            append(
                session,
                payload,
                kind="score",
                decision_id=decision_id,
                dedupe_key=f"score:{decision_id}",
            )
    common = {"screener_risk": "high", "screener_safety": "no_threat", "screener_id": "s1"}
    for n, ((_, unit), decision_id) in enumerate(zip(cells, ids, strict=True)):
        decision = {"decision": "screened_in"} if n % 2 else {"decision": "screened_out"}
        record_screening(sqlite_log, decision_id, ScreeningRequest(**common, **decision, unit=unit))
    frame = decision_frame(sqlite_log)
    report = monitoring_report(frame, None, threshold=16, min_cell=10)
    assert report["meta"]["min_cell"] == 10
    assert report["meta"]["left_out"] == {"not_yet_screened": 0, "in_small_cells": 7}
    assert report["counts"] == {"decisions": 32, "screened": 25, "with_outcome": 0}
    by_group = {row["race"]: row["screened"] for row in report["overrides"]["by_group"]}
    assert by_group == {"black": 11, "white": 14}
    # The 3 asian families of unit-a are left out of the unit's row too: otherwise unit-a's
    # 28 less the groups' 25 would single them out.
    assert [(r["unit"], r["screened"]) for r in report["overrides"]["by_unit"]] == [("unit-a", 25)]
    for key in ("audit_tool", "audit_decisions"):
        audit = report[key]["_result"].to_dict()
        assert {name: g["count"] for name, g in audit["groups"]["race"].items()} == {
            "black": 11,
            "white": 14,
        }
        assert audit["overall"]["count"] == 25
    # A limit of 5: the 7 make a pooled row, until unit-b's 4 (under 5, alone) are left out
    # and the pool keeps only the 3 asian families; then it is left out too.
    pooled = monitoring_report(frame, None, threshold=16, min_cell=5)
    by_group = {row["race"]: row["screened"] for row in pooled["overrides"]["by_group"]}
    assert by_group == {"black": 11, "white": 14}
    units = {row["unit"]: row["screened"] for row in pooled["overrides"]["by_unit"]}
    assert units == {"unit-a": 25}
    # The tool's view is taken over the same rows: a difference between the two views
    # cannot single out a family either.
    tool = pooled["audit_tool"]["_result"].to_dict()["groups"]["race"]
    assert {name: g["count"] for name, g in tool.items()} == {"black": 11, "white": 14}


def test_a_group_that_falls_under_the_limit_later_joins_the_pool() -> None:
    # A 20, B 10, C 6, D 6; one B family in a unit of its own. Leaving that unit out takes B
    # to 9: B then joins C and D's pool (21) rather than being left out with its unit.
    cells = [("A", "u1")] * 20 + [("B", "u1")] * 9 + [("B", "u2")]
    cells += [("C", "u1")] * 6 + [("D", "u1")] * 6
    rows = pd.DataFrame(cells, columns=["race", "unit"])
    kept = _reportable(rows, ["race", "unit"], min_cell=10)
    assert kept["race"].value_counts().to_dict() == {"other (each under 10)": 21, "A": 20}
    assert kept["unit"].value_counts().to_dict() == {"u1": 41}


def _append_score(log, number: int, score: int) -> str:
    decision_id = f"{number:032x}"
    with transaction(log) as session:
        lock_chain(session)
        append(
            session,
            _score(decision_id, score, "screener_judgment"),
            kind="score",
            decision_id=decision_id,
            dedupe_key=f"score:{decision_id}",
        )
    return decision_id


def test_the_report_reads_without_waiting_for_the_write_lock(sqlite_log) -> None:
    # A report over a long log is a long read: on SQLite it must not queue behind (or hold
    # up) the appends of scores. Here another connection holds the write lock throughout.
    decision_id = _append_score(sqlite_log, 1, 12)
    writer = sqlite3.connect(sqlite_log.engine.url.database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        with ThreadPoolExecutor(1) as pool:
            frame = pool.submit(decision_frame, sqlite_log).result(timeout=5)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert list(frame["decision_id"]) == [decision_id]
    assert list(frame["score"]) == [12]


@pytest.mark.parametrize("threshold", [1, 21])
def test_the_monitoring_threshold_is_a_score_from_2_to_20(threshold) -> None:
    with pytest.raises(ValidationError) as caught:
        ServiceSettings(monitor_threshold=threshold)
    (error,) = caught.value.errors()
    assert error["loc"] == ("monitor_threshold",)


@pytest.mark.parametrize("damage", [b"not parquet at all", None])
def test_a_holdout_that_cannot_be_read_leaves_the_rest_of_the_report(
    registry_with_champion, tmp_path, sqlite_log, damage
) -> None:
    # The supervisors' report does not depend on the holdout: without it, the score and
    # probability drift are left out and the report says why, instead of failing (a 500 on
    # /v1/reports/monitoring, a stopped `hotline monitor`).
    shutil.copytree(registry_with_champion.root, tmp_path / "registry")
    version = registry_with_champion.alias("champion")
    holdout = tmp_path / "registry" / "versions" / str(version) / "holdout.parquet"
    assert holdout.is_file()
    if damage is None:
        pd.DataFrame({"other": [1.0]}).to_parquet(holdout)
    else:
        holdout.write_bytes(damage)
    reference = load_reference(tmp_path / "registry", alias="champion")
    assert reference is not None and reference.holdout is None
    _append_score(sqlite_log, 2, 12)
    report = monitoring_report(decision_frame(sqlite_log), reference, threshold=11, min_cell=1)
    drift = report["drift"]
    assert drift["holdout_note"] == (
        f"the training holdout of model version {version} cannot be read (damaged, or without "
        "probability and score columns; the service's log says which); score and probability "
        "drift are not computed"
    )
    assert "score" not in drift and "probability" not in drift
    assert set(drift["features"]) == {f.name for f in FEATURE_SPEC}
    page = render_monitoring(report)
    assert "score and probability drift are not computed</p>" in page
