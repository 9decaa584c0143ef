"""Reports read each score from its summary, and the summary says what its record says."""

from __future__ import annotations

import datetime as dt

import orjson
import pandas as pd
import pytest
import sqlalchemy as sa

from models import Referral
from service.decision_log import PendingRecord, migrate, verify_chain
from service.decision_log import decision_rows as rows_module
from service.decision_log.chain import canonical_json
from service.decision_log.decision_rows import DecisionRows
from tests.service.decision_log.factories import downgrade
from training.synthetic import SynthConfig, generate

SCORED = 24


def _score_referrals(client) -> list[str]:
    config = SynthConfig(n_referrals=SCORED, seed=7, start=dt.date(2025, 1, 1), years=1)
    decision_ids = []
    for raw in generate(config):
        body = Referral.model_validate(raw["referral"]).model_dump(mode="json")
        response = client.post("/v1/score", json=body)
        assert response.status_code == 200, response.text
        decision_ids.append(response.json()["decision_id"])
    return decision_ids


def _summaries(engine: sa.Engine) -> dict[int, str]:
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT seq, summary FROM score_summaries"))
        return dict(rows.all())


def _read_whole(log, monkeypatch) -> pd.DataFrame:
    # What a report read before summaries: every score record whole.
    with monkeypatch.context() as patched:
        patched.setattr(rows_module, "summaries_kept", lambda connection: False)
        return DecisionRows().read(log).scores


def test_a_report_reads_the_same_rows_from_summaries_as_from_whole_records(
    client, monkeypatch
) -> None:
    _score_referrals(client)
    log = client.app.state.decision_log
    assert len(_summaries(log.engine)) == SCORED
    parsed: list[int] = []
    loads = rows_module.orjson.loads
    monkeypatch.setattr(
        rows_module.orjson, "loads", lambda text: parsed.append(len(text)) or loads(text)
    )
    from_summaries = DecisionRows().read(log).scores
    whole = _read_whole(log, monkeypatch)
    # The summaries were read, not the records: the shortest record is longer than any.
    assert len(parsed) == 2 * SCORED
    assert max(parsed[:SCORED]) < 3_000 < min(parsed[SCORED:])
    pd.testing.assert_frame_equal(from_summaries, whole)
    assert len(from_summaries) == SCORED
    assert from_summaries["race"].nunique() > 1  # the children's races came through


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("column", ["summary", "household_key"])
def test_verify_names_a_summary_that_says_something_else_than_its_record(client, column) -> None:
    first = _score_referrals(client)[0]
    log = client.app.state.decision_log
    summary = orjson.loads(_summaries(log.engine)[1])
    summary["score"] = 1 if summary["score"] > 1 else 20
    # Another score in the report, or another household for the outcomes to find.
    edited = canonical_json(summary) if column == "summary" else "0" * 64
    with log.engine.begin() as connection:
        # The trigger refuses edits; someone with DDL rights removes it first.
        connection.execute(sa.text("DROP TRIGGER score_summaries_no_update"))
        connection.execute(
            sa.text(f"UPDATE score_summaries SET {column} = :s WHERE seq = 1"), {"s": edited}
        )
    assert verify_chain(log).line() == (
        f"broken at record 1 (score of decision {first}): its score summary does not match "
        "it (reports read the summary)"
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_verify_names_a_summary_beside_a_record_that_is_not_a_score(client) -> None:
    decision_id = _score_referrals(client)[0]
    log = client.app.state.decision_log
    screening = {
        "decision": "screened_in",
        "screener_risk": "high",
        "screener_safety": "no_threat",
        "screener_id": "s1",
        "unit": "u1",
    }
    assert client.post(f"/v1/decisions/{decision_id}/screening", json=screening).status_code == 201
    seq, summary = SCORED + 1, _summaries(log.engine)[1]
    with log.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO score_summaries (seq, household_key, summary) VALUES (:q, 'h', :s)"
            ),
            {"q": seq, "s": summary},
        )
    assert verify_chain(log).line() == (
        f"broken at record {seq} (screening of decision {decision_id}): it has a score "
        "summary but is not a score record"
    )


def test_summaries_cannot_be_edited_or_removed(client) -> None:
    _score_referrals(client)
    engine = client.app.state.decision_log.engine
    statements = ["UPDATE score_summaries SET summary = '{}'", "DELETE FROM score_summaries"]
    if engine.dialect.name == "postgresql":
        statements.append("TRUNCATE score_summaries")
    for statement in statements:
        with (
            pytest.raises(sa.exc.DBAPIError, match="score_summaries is append-only"),
            engine.begin() as connection,
        ):
            connection.execute(sa.text(statement))
    assert len(_summaries(engine)) == SCORED


def test_migrating_a_log_written_before_summaries_summarizes_its_records(client) -> None:
    _score_referrals(client)
    log = client.app.state.decision_log
    written = _summaries(log.engine)
    downgrade(log.engine, "0004")  # the log as versions before summaries left it
    # Read as found (`hotline monitor`, `hotline log verify`): whole records, no error.
    assert len(DecisionRows().read(log).scores) == SCORED
    assert verify_chain(log).line() == f"ok: {SCORED} records"
    # A score record that is not a score's content (a test's, an old format's) gets none.
    log.committer.append(PendingRecord(kind="score", payload="{}", dedupe_key="score:x"))

    migrate(log.engine)
    assert _summaries(log.engine) == written  # the same as the writer wrote, and no more
    assert verify_chain(log).line() == f"ok: {SCORED + 1} records"
