import json
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from models import FEATURE_SPEC
from service.decision_log import migrate, open_log
from service.decision_log.db import lock_chain
from service.decision_log.migrate import MIGRATIONS_DIR
from service.decision_log.repository import append, transaction

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def example(name: str = "referral.json") -> dict:
    return json.loads((EXAMPLES / name).read_text())


def screening(**overrides) -> dict:
    body = {
        "decision": "screened_out",
        "screener_risk": "moderate",
        "screener_safety": "no_threat",
        "screener_id": "scr-17",
        "unit": "unit-a",
        "referral_statuses": [{"service_id": "svc-035", "status": "made"}],
        "decided_at": "2026-03-02T10:00:00+00:00",
    }
    body.update(overrides)
    return body


# What the log says of a database a newer version migrated (revision 0099), one line.
NEWER = (
    "the database is at schema revision 0099, newer than this code (head 0005); run the "
    "version of the service that migrated it, or restore a backup taken before"
)


def score_payload(
    decision_id: str, score: int, recommendation: str, *, model_version: int = 1
) -> dict:
    """A score record's payload with the fields the monitoring report reads."""
    return {
        "decision_id": decision_id,
        "model_version": model_version,
        "referral_id": f"r-{decision_id}",
        "household_id": f"h-{decision_id}",
        "referral": {"children": [{"race": ["white"]}], "received_at": "2026-03-01T10:00:00Z"},
        "probability": 0.3,
        "score": score,
        "recommendation": {"value": recommendation},
        "features": {f.name: 0.0 for f in FEATURE_SPEC},
    }


def append_scores(log, payloads: list[dict]) -> None:
    """Append score records as the service writes them, in one transaction on the chain."""
    with transaction(log) as session:
        lock_chain(session)
        for payload in payloads:
            decision_id = payload["decision_id"]
            append(
                session,
                payload,
                kind="score",
                decision_id=decision_id,
                dedupe_key=f"score:{decision_id}",
            )


def drop_the_log(engine: sa.Engine) -> None:
    """Break the decision log as a lost database would: its tables are gone."""
    with engine.begin() as conn:
        # The summaries first: on PostgreSQL their foreign key holds the records' table.
        conn.execute(sa.text("DROP TABLE score_summaries"))
        conn.execute(sa.text("DROP TABLE log_entries"))


def downgrade(engine: sa.Engine, revision: str) -> None:
    """Take the schema back to ``revision``, as an older version left it."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def created_log(url: str) -> str:
    """Create and migrate the log at ``url`` (as `hotline log migrate` does) and return it.

    Commands that write to a log (keys, outcome imports) refuse a SQLite file that does not
    exist yet.
    """
    log = open_log(url, key=b"created-by-the-tests")
    try:
        migrate(log.engine)
    finally:
        log.dispose()
    return url
