"""The supervisors' monitoring report counts overrides against the tool alone."""

import dataclasses
import datetime as dt
import shutil
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from models import FEATURE_SPEC, ModelRegistry
from service.config import ServiceSettings
from service.decision_log import record_outcomes
from service.decision_log.db import lock_chain
from service.decision_log.monitoring import (
    PeriodError,
    _reportable,
    _threshold_near,
    decision_frame,
    in_period,
    monitoring_report,
)
from service.decision_log.reference import load_reference
from service.decision_log.render import render_monitoring
from service.decision_log.repository import append, record_screening, transaction
from service.decision_log.schemas import ScreeningRequest
from tests.service.decision_log.factories import append_scores, score_payload


def test_overrides_follow_the_threshold_not_only_the_rules(sqlite_log) -> None:
    # Score 17 with the rules leaving it to the screener: with the threshold at 16 the tool
    # alone says "screen in", so screening in follows it and screening out goes against it.
    d1, d2, d3, d4 = (f"{n:032x}" for n in range(1, 5))  # ids as the service issues them
    scored = [(d1, 17, "screener_judgment"), (d2, 17, "screener_judgment")]
    scored += [(d3, 9, "screen_in_required"), (d4, 9, "screener_judgment")]
    append_scores(sqlite_log, [score_payload(*row) for row in scored])
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
    # 14 white and 11 black families in unit-a; 3 asian and 2 multiracial (5 pooled, under
    # 10), 2 with no race recorded (never pooled) and a unit-b of 4: no row may describe so
    # few.
    cells = [("white", "unit-a")] * 14 + [("black", "unit-a")] * 11 + [("asian", "unit-a")] * 3
    cells += [("black|white", "unit-b")] * 2 + [("", "unit-b")] * 2
    ids = [f"{n:032x}" for n in range(1, len(cells) + 1)]
    payloads = [score_payload(decision_id, 12, "screener_judgment") for decision_id in ids]
    for (race, _), payload in zip(cells, payloads, strict=True):
        payload["referral"]["children"] = [{"race": race.split("|") if race else []}]
    append_scores(sqlite_log, payloads)
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
    # A limit of 5: the asian and multiracial 5 make a pooled row (the 2 with no race
    # recorded are left out on their own), until unit-b's 4 (under 5, alone) are left out and
    # the pool keeps only the 3 asian families; then it is left out too.
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


def test_families_with_no_race_recorded_are_never_pooled_with_recorded_groups() -> None:
    # The pool is compared with the other groups as one; before, 4 families with no race
    # recorded joined 6 asian and 5 Pacific Islander families in it, and their rates entered
    # a comparison between races (which the audit keeps unrecorded race out of).
    cells = [("white", "u1")] * 14 + [("black", "u1")] * 11 + [("asian", "u1")] * 6
    cells += [("native_hawaiian_pacific_islander", "u1")] * 5 + [("unknown", "u1")] * 4
    rows = pd.DataFrame(cells, columns=["race", "unit"])
    kept = _reportable(rows, ["race", "unit"], min_cell=10)
    assert kept["race"].value_counts().to_dict() == {
        "white": 14,
        "black": 11,
        "other (each under 10)": 11,
    }
    # Enough of them is a row of its own, shown and (by the audit) never compared.
    rows = pd.DataFrame(cells + [("unknown", "u1")] * 6, columns=["race", "unit"])
    kept = _reportable(rows, ["race", "unit"], min_cell=10)
    assert kept["race"].value_counts().to_dict() == {
        "white": 14,
        "black": 11,
        "other (each under 10)": 11,
        "unknown": 10,
    }


def _append_score(log, number: int, score: int, *, model_version: int = 1) -> str:
    decision_id = f"{number:032x}"
    append_scores(
        log, [score_payload(decision_id, score, "screener_judgment", model_version=model_version)]
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
    _append_score(sqlite_log, 2, 12, model_version=version)
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


def _log_on_days(sqlite_log, days: list[str], screened: set[int]) -> list[str]:
    # One decision per day listed (received that day), screened in where its index is in
    # `screened`; returns their ids.
    ids = [f"{n:032x}" for n in range(1, len(days) + 1)]
    payloads = [score_payload(decision_id, 12, "screener_judgment") for decision_id in ids]
    for day, payload in zip(days, payloads, strict=True):
        payload["referral"]["received_at"] = f"{day}T10:00:00-05:00"
    append_scores(sqlite_log, payloads)
    common = {"screener_risk": "high", "screener_safety": "no_threat", "screener_id": "s1"}
    for n in sorted(screened):
        request = ScreeningRequest(**common, decision="screened_in", unit="unit-a")
        record_screening(sqlite_log, ids[n], request)
    return ids


@pytest.mark.parametrize(
    ("since", "until", "decisions", "screened"),
    [
        (None, None, 5, 4),  # no period: every decision, as before
        ("2026-03-02", "2026-03-03", 3, 2),  # both ends included
        ("2026-03-03", None, 2, 1),
        (None, "2026-03-01", 1, 1),
        ("2026-03-02", "2026-03-02", 2, 2),  # one day
        ("2026-03-04", "2026-03-04", 0, 0),  # a day with none
    ],
)
def test_the_period_keeps_the_decisions_received_in_it(
    sqlite_log, since, until, decisions, screened
) -> None:
    # 03-01, 03-02 (two), 03-03 (not screened yet), 03-05.
    days = ["2026-03-01", "2026-03-02", "2026-03-02", "2026-03-03", "2026-03-05"]
    _log_on_days(sqlite_log, days, screened={0, 1, 2, 4})
    period = {
        "since": None if since is None else dt.date.fromisoformat(since),
        "until": None if until is None else dt.date.fromisoformat(until),
    }
    report = monitoring_report(decision_frame(sqlite_log), None, threshold=16, min_cell=1, **period)
    assert report["counts"]["decisions"] == decisions
    assert report["counts"]["screened"] == screened
    assert report["meta"]["period"] == {"since": since, "until": until}
    assert report["meta"]["left_out"]["not_yet_screened"] == decisions - screened
    assert sum(row["screened"] for row in report["overrides"]["by_unit"]) == screened


def test_an_outcome_after_the_period_still_counts_for_its_decisions(sqlite_log) -> None:
    ids = _log_on_days(sqlite_log, ["2026-03-01", "2026-03-02"], screened={0, 1})
    with transaction(sqlite_log) as session:
        lock_chain(session)
        outcome = {
            "by": "referral",
            "subject": f"r-{ids[0]}",
            "event": "re_referral",
            "event_date": "2026-06-01",
        }
        append(session, outcome, kind="outcome", dedupe_key="outcome:1")
    frame = decision_frame(sqlite_log)
    until = dt.date(2026, 3, 1)
    report = monitoring_report(frame, None, threshold=16, min_cell=1, until=until)
    assert report["counts"] == {"decisions": 1, "screened": 1, "with_outcome": 1}


def test_a_period_that_ends_before_it_starts_is_refused(sqlite_log) -> None:
    frame = decision_frame(sqlite_log)
    with pytest.raises(PeriodError) as refused:
        in_period(frame, since=dt.date(2026, 3, 5), until=dt.date(2026, 3, 1))
    assert str(refused.value) == (
        "since 2026-03-05 is after until 2026-03-01; accepted: since on or before until "
        "(YYYY-MM-DD, both days included)"
    )


def test_the_page_states_its_period(sqlite_log) -> None:
    _log_on_days(sqlite_log, ["2026-03-01"], screened={0})
    frame = decision_frame(sqlite_log)

    def page(**period: dt.date) -> str:
        report = monitoring_report(frame, None, threshold=16, min_cell=1, **period)
        return " ".join(render_monitoring(report).split())

    assert "<p>Period: all decisions.</p>" in page()
    both = page(since=dt.date(2026, 3, 1), until=dt.date(2026, 3, 31))
    assert "Period: referrals received from 2026-03-01 to 2026-03-31, both days included." in both
    since = page(since=dt.date(2026, 3, 1))
    assert "Period: referrals received on or after 2026-03-01." in since
    assert "Period: referrals received on or before 2026-03-31." in page(until=dt.date(2026, 3, 31))


def _keyed_score(log, number: int, *, referral: str, household: str, day: str) -> dict:
    payload = score_payload(f"{number:032x}", 12, "screener_judgment")
    payload["referral_id"] = log.pseudonymizer("referral", referral)
    payload["household_id"] = log.pseudonymizer("household", household)
    payload["referral"]["received_at"] = f"{day}T10:00:00-05:00"
    return payload


def test_a_household_event_counts_from_the_day_after_the_call(sqlite_log) -> None:
    # Household hh-9 is called about on 11-20 and again on 11-25. The agency's
    # feed lists the second call as the household's re-referral, dated 11-25: that is R-1's
    # later outcome, not R-2's (before, it counted for both). An event of a referral's own
    # counts from the day of its call on; a row naming both ids is both kinds of event.
    append_scores(
        sqlite_log,
        [
            _keyed_score(sqlite_log, 1, referral="R-1", household="hh-9", day="2026-10-20"),
            _keyed_score(sqlite_log, 2, referral="R-2", household="hh-9", day="2026-10-25"),
        ],
    )
    rows = [
        {"household_id": "hh-9", "event": "re_referral", "event_date": "2026-10-25"},
        {"referral_id": "R-2", "event": "substantiation", "event_date": "2026-10-25"},
        {
            "referral_id": "R-1",
            "household_id": "hh-9",
            "event": "removal",
            "event_date": "2026-10-25",
        },
    ]
    assert record_outcomes(sqlite_log, rows).accepted == 3
    frame = decision_frame(sqlite_log)
    assert frame[["re_referral", "substantiation", "removal"]].to_numpy().tolist() == [
        [1.0, 0.0, 1.0],  # the household's re-referral and removal came after its call
        [0.0, 1.0, 0.0],  # its own substantiation that day; the household's events not
    ]
    later = [
        {
            "referral_id": "R-1",
            "household_id": "hh-9",
            "event": "injury",
            "event_date": "2026-10-26",
        }
    ]
    record_outcomes(sqlite_log, later)
    # Named with R-1, the injury is also an event of the household, after R-2's call.
    assert decision_frame(sqlite_log)["injury"].tolist() == [1.0, 1.0]


def test_drift_and_threshold_near_cover_only_the_model_in_service(
    registry_with_champion, sqlite_log
) -> None:
    # After a promotion, the decisions an earlier model scored follow its distribution and its
    # cutoff: compared with the new model's holdout they read as drift (PSI 5.1, "shifted").
    reference = load_reference(registry_with_champion.root, alias="champion")
    version = reference.version
    payloads = [
        score_payload(
            f"{n:032x}", 12, "screener_judgment", model_version=version - 1 if n > 3 else version
        )
        for n in range(1, 8)
    ]
    append_scores(sqlite_log, payloads)
    common = {"screener_risk": "high", "screener_safety": "no_threat", "screener_id": "s1"}
    for payload in payloads:
        request = ScreeningRequest(**common, decision="screened_in", unit="unit-a")
        record_screening(sqlite_log, payload["decision_id"], request)
    report = monitoring_report(decision_frame(sqlite_log), reference, threshold=16, min_cell=1)
    assert report["counts"]["screened"] == 7  # the tables cover every decision
    assert (report["meta"]["model_version"], report["meta"]["scored_by_other_versions"]) == (
        version,
        4,
    )
    assert (report["drift"]["model_version"], report["drift"]["decisions"]) == (version, 3)
    assert report["threshold_near"] == {
        "note": f"not enough data: 3 screened decisions scored by model version {version}; the "
        "comparison needs at least 200 with outcomes on both sides"
    }
    page = " ".join(render_monitoring(report).split())
    assert (
        f"Drift and the threshold-near comparison cover the decisions scored by model version "
        f"{version}, the model in service: its training data and its cutoff are what they are "
        "compared with. 4 decisions scored by other versions are left out of those two "
        "sections." in page
    )
    assert f"Over the 3 decisions scored by model version {version}." in page


@pytest.mark.parametrize(
    ("decisions", "reading"),
    [
        # Drawn from the model's own holdout: no shift at all. 50 read "shifted" 96% of the
        # time before; the score's 20 bins need 335 decisions against this holdout.
        (50, "not enough decisions for a drift reading"),
        (400, "stable"),
    ],
)
def test_a_drift_reading_needs_enough_decisions(
    registry_with_champion, sqlite_log, decisions, reading
) -> None:
    reference = load_reference(registry_with_champion.root, alias="champion")
    drawn = reference.holdout.sample(decisions, replace=True, random_state=7)
    payloads = []
    for n, (probability, score) in enumerate(
        drawn[["probability", "score"]].itertuples(index=False)
    ):
        payload = score_payload(
            f"{n + 1:032x}", int(score), "screener_judgment", model_version=reference.version
        )
        payload["probability"] = float(probability)
        payloads.append(payload)
    append_scores(sqlite_log, payloads)
    report = monitoring_report(decision_frame(sqlite_log), reference, threshold=16, min_cell=1)
    drift = report["drift"]
    assert drift["decisions"] == decisions
    assert (drift["score"]["reading"], drift["score"]["decisions_needed"]) == (reading, 335)
    assert (drift["probability"]["reading"], drift["probability"]["decisions_needed"]) == (
        reading,
        179,
    )
    page = " ".join(render_monitoring(report).split())
    if decisions < 335:
        assert drift["score"]["psi"] is None
        assert (
            "<td>score</td><td></td><td>not enough decisions for a drift reading (50 decisions "
            "of the 335 it needs)</td>" in page
        )


def test_a_count_feature_that_stops_arriving_reads_shifted(registry_with_champion, sqlite_log):
    # Before: counts got only "mean shift in training SDs" (here -0.9 or so) and no verdict,
    # so an integrator who stopped sending prior reports went unflagged.
    reference = load_reference(registry_with_champion.root, alias="champion")
    assert reference.holdout_features is not None
    rows = np.random.default_rng(3).choice(len(reference.holdout), size=400)
    names = [f.name for f in FEATURE_SPEC]
    payloads = []
    for n, row in enumerate(rows):
        payload = score_payload(
            f"{n + 1:032x}", 12, "screener_judgment", model_version=reference.version
        )
        features = reference.holdout_features[row].tolist()
        payload["features"] = dict(zip(names, features, strict=True))
        payload["features"]["reports_same_household_5y"] = 0.0  # no longer sent
        payload["features"]["caregivers_jail_2y"] = 4.0  # 0 in over 90% of the holdout
        payloads.append(payload)
    append_scores(sqlite_log, payloads)
    report = monitoring_report(decision_frame(sqlite_log), reference, threshold=16, min_cell=1)
    features = report["drift"]["features"]
    stopped = features["reports_same_household_5y"]
    assert stopped["reading"] == "shifted: review the model's fit to today's referrals"
    assert stopped["psi"] > 0.25 and stopped["live_mean"] == 0.0
    assert stopped["shift_sd"] < 0
    assert features["n_children"]["reading"] == "stable"  # drawn as trained
    # Its deciles were all 0: one bin, read "stable" whatever it did (found in review).
    rare = features["caregivers_jail_2y"]
    assert rare["reading"] == "shifted: review the model's fit to today's referrals"
    # Without the holdout's features (a version that kept none): the mean shift alone.
    bare = dataclasses.replace(reference, holdout_features=None)
    report = monitoring_report(decision_frame(sqlite_log), bare, threshold=16, min_cell=1)
    stopped = report["drift"]["features"]["reports_same_household_5y"]
    assert (stopped["psi"], stopped["reading"]) == (None, "mean shift in training SDs")


def test_holdout_features_that_do_not_fit_are_left_out(registry_with_champion, tmp_path) -> None:
    registry = ModelRegistry(tmp_path / "reg")
    shutil.copytree(registry_with_champion.root, registry.root)
    version = registry.alias("champion")
    path = registry.version_dir(version) / "holdout_features.npy"
    np.save(path, np.zeros((3, 2)))  # another shape than the holdout's rows x features
    reference = load_reference(registry.root, alias="champion")
    assert reference.holdout is not None and reference.holdout_features is None
    path.write_bytes(b"not an array")
    assert load_reference(registry.root, alias="champion").holdout_features is None


def _append_outcome(log, subject: str, day: str, number: int) -> None:
    with transaction(log) as session:
        lock_chain(session)
        outcome = {"by": "referral", "subject": subject, "event": "re_referral", "event_date": day}
        append(session, outcome, kind="outcome", dedupe_key=f"outcome:{number}")


def test_no_calibration_bin_describes_fewer_than_the_minimum(sqlite_log) -> None:
    # 24 white and 24 black families, two at each score 1-12; 10 of both races, two at each
    # score 1-5; 10 asian families, one at each score 1-10. Each group is shown (10 or more),
    # but by score bin a group had one or two families a bin, with their outcomes. Each
    # group's bins are merged until each holds 10 or more: white and black 1-5 and 6-12 (the
    # remainder 11-12 joins 6-10), asian 1-10, without flattening the others. The any-mention
    # view shares its namesake's bins, chosen so that the difference (the 10 of both races,
    # all in 1-5) is never under 10 in a bin either.
    cells = [("white", s) for s in range(1, 13)] * 2 + [("black", s) for s in range(1, 13)] * 2
    cells += [("black|white", s) for s in range(1, 6)] * 2 + [("asian", s) for s in range(1, 11)]
    payloads = []
    for n, (race, score) in enumerate(cells, start=1):
        payload = score_payload(f"{n:032x}", score, "screener_judgment")
        payload["referral"]["children"] = [{"race": race.split("|")}]
        payloads.append(payload)
    append_scores(sqlite_log, payloads)
    common = {"screener_risk": "high", "screener_safety": "no_threat", "screener_id": "s1"}
    for n, payload in enumerate(payloads):
        decision = "screened_in" if n % 3 else "screened_out"
        request = ScreeningRequest(**common, decision=decision, unit="unit-a")
        record_screening(sqlite_log, payload["decision_id"], request)
        if n % 2:
            _append_outcome(sqlite_log, payload["referral_id"], "2026-04-01", n)
    report = monitoring_report(decision_frame(sqlite_log), None, threshold=16, min_cell=10)
    audit = report["audit_decisions"]
    assert len(audit["score_bins"]) == 12  # the chart's axis: one score a bin, as before
    bins = {
        view: {
            group: [(row["label"], row["bin"], row["count"]) for row in rows]
            for group, rows in groups.items()
        }
        for view, groups in audit["calibration"].items()
    }
    assert bins == {
        "race": {
            "asian": [("1-10", 4.5, 10)],
            "black": [("1-5", 2.0, 10), ("6-12", 8.0, 14)],
            "multiracial": [("1-5", 2.0, 10)],
            "white": [("1-5", 2.0, 10), ("6-12", 8.0, 14)],
        },
        "race (any mention)": {
            "asian": [("1-10", 4.5, 10)],
            "black": [("1-5", 2.0, 20), ("6-12", 8.0, 14)],
            "white": [("1-5", 2.0, 20), ("6-12", 8.0, 14)],
        },
    }
    black = audit["calibration"]["race"]["black"][0]
    assert (black["share"], black["mean_score"], black["low"], black["high"]) == (
        10 / 24,
        3.0,
        1.0,
        5.0,
    )
    page = " ".join(render_monitoring(report).split())
    assert "<tr><td>race: black</td><td>24</td>" in page  # the group's n (it was left blank)
    assert (
        "Score bins of the calibration and score-distribution charts are merged with their "
        "neighbours until no race group has fewer than 10 decisions in a bin (it has none or "
        "at least that many), and the threshold-near chart's bins until each holds at least "
        "10 on its side of the cutoff." in page
    )


def test_screening_alike_on_both_sides_still_compares_the_outcomes() -> None:
    # Every decision near the cutoff screened in alike: the fuzzy comparison has no jump to
    # divide by, and the whole section was lost ("not estimable yet: --treatment ...").
    rng = np.random.default_rng(0)
    probability = rng.uniform(0, 0.4, 3000)
    decided = pd.DataFrame(
        {
            "probability": probability,
            "re_referral": (rng.uniform(size=3000) < 0.1 + 0.3 * probability).astype(float),
            "screened_in": (probability > 0.03).astype(float),
        }
    )
    cutpoints = np.linspace(0.01, 0.39, 19)
    reference = SimpleNamespace(version=1, model=SimpleNamespace(cutpoints=cutpoints))
    near = _threshold_near(decided, reference, threshold=16, outcome="re_referral", min_cell=10)
    assert "note" not in near
    assert near["caveat"].startswith("screening did not change at the cutoff")
    assert (near["_result"].first_stage, near["_result"].effect) == (None, None)


def test_the_page_shows_rates_as_percentages_and_says_why_a_table_is_empty(sqlite_log) -> None:
    _log_on_days(sqlite_log, ["2026-03-01"] * 12, screened=set(range(12)))
    frame = decision_frame(sqlite_log)
    report = monitoring_report(frame, None, threshold=16, min_cell=10)
    page = " ".join(render_monitoring(report).split())
    # Before: 0.0 and 1.0, or 0.17391304347826086, with no counts and no interval.
    assert "<td>race: white</td><td>12</td><td>0.0% (0 of 12; 0.0%-24.2%)</td>" in page
    assert "<td>race: white</td><td>12</td><td>100.0% (12 of 12; 75.8%-100.0%)</td>" in page
    assert "<td>white</td><td>12</td><td>12</td> <td>100.0%</td>" in page
    # Every screened decision in a small cell: before, "no decisions yet".
    hidden = monitoring_report(frame, None, threshold=16, min_cell=20)
    note = (
        "nothing to show: the 12 screened decisions are all in race groups or units under 20, "
        "which are left out"
    )
    assert hidden["audit_tool"] == hidden["audit_decisions"] == {"note": note}
    page = " ".join(render_monitoring(hidden).split())
    assert page.count(note) == 4  # both audits, the overrides by group and by unit
