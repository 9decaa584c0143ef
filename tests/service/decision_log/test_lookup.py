"""GET /v1/decisions?referral_id=: a client that lost a score's response finds its decision."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from models import Referral, build_features
from service.decision_log import find_decisions, record_score
from service.decision_log.db import lock_chain
from service.decision_log.repository import append, transaction
from service.decision_log.schemas import DECISIONS_LISTED
from service.schemas import ScoreResponse
from tests.factories import issue_key
from tests.service.decision_log.factories import drop_the_log, example, score_payload, screening

ACCEPTED = "an agency identifier of 1-64 letters, digits or _ . : -"
NOT_READ = (
    "The decision log could not be read; retry later or ask an administrator to check "
    "HOTLINE_DATABASE_URL"
)


def _listed(client, scored: dict, *, screened: str | None) -> dict:
    # What the look-up should say of one score the API returned: read back from its record.
    recorded_at = client.get(f"/v1/decisions/{scored['decision_id']}").json()["recorded_at"]
    return {
        "decision_id": scored["decision_id"],
        "recorded_at": recorded_at,
        "model_version": scored["model_version"],
        "rules_version": scored["rules_version"],
        "score": scored["score"],
        "band": scored["band"],
        "recommendation": scored["recommendation"]["value"],
        "screening": screened,
    }


def test_a_referral_scored_twice_lists_both_decisions_oldest_first(client) -> None:
    # Before: the second decision_id was all a client had, and a lost response was lost.
    first = client.post("/v1/score", json=example()).json()
    other = client.post("/v1/score", json=example("referral-multiple-complaint.json")).json()
    second = client.post("/v1/score", json=example()).json()
    assert first["referral_id"] == second["referral_id"] == "ref-0001" != other["referral_id"]
    decided = client.post(f"/v1/decisions/{first['decision_id']}/screening", json=screening())
    assert decided.status_code == 201
    # An outcome about the referral is keyed by its hash too; it is not a decision.
    outcome = [{"referral_id": "ref-0001", "event": "re_referral", "event_date": "2026-11-21"}]
    assert client.post("/v1/outcomes", json=outcome).json()["accepted"] == 1

    response = client.get("/v1/decisions", params={"referral_id": "ref-0001"})

    assert response.status_code == 200
    assert response.json() == {
        "decisions": [
            _listed(client, first, screened="screened_out"),
            _listed(client, second, screened=None),
        ],
        "earlier_left_out": False,
    }
    # Spaces around the id are stripped, as they were when the referral was scored.
    padded = client.get("/v1/decisions", params={"referral_id": " ref-0001 "})
    assert padded.json() == response.json()


def test_a_referral_never_scored_is_an_empty_list_not_a_404(client) -> None:
    client.post("/v1/score", json=example())
    # The household's id is not the referral's: ids are hashed with their kind.
    for never in ("ref-never-scored", "hh-0000042"):
        response = client.get("/v1/decisions", params={"referral_id": never})
        assert (response.status_code, response.json()) == (
            200,
            {"decisions": [], "earlier_left_out": False},
        )


@pytest.mark.parametrize(
    "sent",
    [
        "",
        "ref 0001",
        "ref-0001/../x",
        "réf-0001",
        "ref-0001\x00",  # PostgreSQL refuses a NUL; never sent there
        "r" * 65,
    ],
)
def test_a_bad_referral_id_is_a_422_naming_the_parameter(client, sent) -> None:
    response = client.get("/v1/decisions", params={"referral_id": sent})
    assert response.status_code == 422
    message = f"not an identifier; accepted: {ACCEPTED}"
    assert response.json() == {
        "error": {
            "code": "invalid_request",
            "message": f"query.referral_id: {message}",
            "fields": [
                {
                    "field": "query.referral_id",
                    "message": message,
                    "type": "value_error",
                    "accepted": ACCEPTED,
                }
            ],
        },
        "request_id": response.headers["x-request-id"],
    }


def test_a_missing_referral_id_is_a_422_naming_the_parameter(client) -> None:
    response = client.get("/v1/decisions")
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "invalid_request",
        "message": "query.referral_id: Field required",
        "fields": [{"field": "query.referral_id", "message": "Field required", "type": "missing"}],
    }


def test_every_reader_sees_the_same_list(client) -> None:
    # Nothing listed is in what the screener view withholds (input, features, outcomes).
    scored = client.post("/v1/score", json=example()).json()
    as_admin = client.get("/v1/decisions", params={"referral_id": "ref-0001"}).json()
    assert as_admin == {
        "decisions": [_listed(client, scored, screened=None)],
        "earlier_left_out": False,
    }
    log = client.app.state.decision_log
    for role in ("screener", "supervisor"):
        headers = {"Authorization": f"Bearer {issue_key(log, role)}"}
        response = client.get("/v1/decisions", params={"referral_id": "ref-0001"}, headers=headers)
        assert (response.status_code, response.json()) == (200, as_admin), role


def test_a_referral_scored_more_often_than_listed_shows_its_latest(client) -> None:
    # A client retrying in a loop must still find the decision it lost: the latest.
    log = client.app.state.decision_log
    referral = Referral.model_validate(example())
    scored = client.post("/v1/score", json=example()).json()
    ids = [scored["decision_id"]] + [f"{n:032x}" for n in range(1, DECISIONS_LISTED + 1)]
    for decision_id in ids[1:]:
        response = ScoreResponse.model_validate({**scored, "decision_id": decision_id})
        record_score(log, response, referral=referral, features=build_features(referral))

    body = client.get("/v1/decisions", params={"referral_id": "ref-0001"}).json()

    assert [d["decision_id"] for d in body["decisions"]] == ids[1:]
    assert len(ids[1:]) == 50 and body["earlier_left_out"] is True


def test_a_log_that_cannot_be_read_is_a_503(client) -> None:
    client.post("/v1/score", json=example())
    drop_the_log(client.app.state.decision_log.engine)
    response = client.get("/v1/decisions", params={"referral_id": "ref-0001"})
    assert (response.status_code, response.headers["retry-after"]) == (503, "30")
    assert response.json()["error"] == {
        "code": "decision_log_unavailable",
        "message": NOT_READ,
        "fields": [],
    }


def _append_scores(log, referral_id: str, decision_ids: list[str]) -> None:
    # Score records as the service writes them: the referral's keyed hash as subject_key.
    key = log.pseudonymizer("referral", referral_id)
    with transaction(log) as session:
        lock_chain(session)
        for number, decision_id in enumerate(decision_ids, start=1):
            payload = {
                **score_payload(decision_id, number, "screener_judgment"),
                "rules_version": "2026.1",
                "band": "low",
            }
            append(
                session,
                payload,
                kind="score",
                decision_id=decision_id,
                subject_key=key,
                dedupe_key=f"score:{decision_id}",
            )


@pytest.mark.parametrize(("scored", "left_out"), [(2, False), (3, True)])
def test_the_limit_keeps_the_latest_oldest_first(log, scored, left_out) -> None:
    ids = [f"{n:032x}" for n in range(1, scored + 1)]
    _append_scores(log, "ref-7", ids)
    _append_scores(log, "ref-8", ["f" * 32])
    with transaction(log) as session:
        lock_chain(session)
        append(
            session,
            {"decision": "screened_in"},
            kind="screening",
            decision_id=ids[-1],
            dedupe_key=f"screening:{ids[-1]}",
        )

    found = find_decisions(log, "ref-7", limit=2)

    assert found.earlier_left_out is left_out
    assert [
        (d.decision_id, d.score, d.band.value, d.recommendation.value, d.screening)
        for d in found.decisions
    ] == [
        (ids[-2], scored - 1, "low", "screener_judgment", None),
        (ids[-1], scored, "low", "screener_judgment", "screened_in"),
    ]
    assert [d.rules_version for d in found.decisions] == ["2026.1", "2026.1"]
    assert [d.model_version for d in found.decisions] == [1, 1]


def test_one_statement_by_the_referrals_index_never_a_scan(log) -> None:
    # SQLite without statistics answered "kind = 'score'" by the kind's index: every score.
    _append_scores(log, "ref-7", ["a" * 32, "b" * 32])
    _append_scores(log, "ref-8", ["c" * 32])
    statements: list[tuple[str, object]] = []

    def seen(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(log.engine, "before_cursor_execute", seen)
    try:
        found = find_decisions(log, "ref-7")
    finally:
        event.remove(log.engine, "before_cursor_execute", seen)
    assert [d.decision_id for d in found.decisions] == ["a" * 32, "b" * 32]
    ((statement, parameters),) = statements
    with log.engine.connect() as connection:
        if log.engine.dialect.name == "sqlite":
            plan = [
                row[-1]
                for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            ]
            assert plan == [
                "SEARCH log_entries USING INDEX ix_log_entries_subject_key (subject_key=?)",
                "SEARCH log_entries_1 USING INDEX sqlite_autoindex_log_entries_1 (dedupe_key=?) "
                "LEFT-JOIN",
            ]
        else:
            # A three-row table is read whole whatever the indexes; without that option the
            # plan shows which index answers the query.
            connection.execute(text("SET enable_seqscan = off"))
            plan = [
                row[0]
                for row in connection.exec_driver_sql(
                    f"EXPLAIN (COSTS OFF) {statement}", parameters
                )
            ]
            joined = "\n".join(plan)
            assert "Seq Scan" not in joined, joined
            assert "ix_log_entries_subject_key" in joined, joined
